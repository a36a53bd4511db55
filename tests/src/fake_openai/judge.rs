//! How the test model server judges a request before answering it: as strictly as the provider
//! it stands in for, refusing what that provider refuses, with its status and in its words (from
//! the providers' documentation and their users' reports), and spending the output budget as it
//! does (a reasoning model thinks first, out of the same budget).

use std::sync::LazyLock;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Whose rules a request is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judge {
    /// A compatible server of the common kind (vLLM, llama.cpp's server, Ollama): takes
    /// `max_tokens` and `json_schema`; refuses a strict schema OpenAI would refuse; refuses a
    /// transcript whose roles do not alternate or whose first turn after the system message is
    /// the assistant's, as strict chat templates do.
    Compatible,
    /// OpenAI's reasoning models (the gpt-5 and gpt-6 families, the o-series): refuse
    /// `max_tokens` and any `temperature` but 1, accept `reasoning_effort` only from `efforts`,
    /// think out of `max_completion_tokens` before writing, and need the word "json" in the
    /// messages for `json_object`.
    OpenAiReasoning { efforts: &'static [&'static str] },
    /// DeepSeek: `json_object` only, `json_schema` refused.
    JsonObjectOnly,
    /// Mistral: `422` to `stream_options` and to `max_completion_tokens`.
    Mistral,
    /// llama-cpp-python's server: `response_format` of type `text` or `json_object` only, a
    /// `json_schema` answered with a `500` validation error.
    LlamaCppPython,
}

/// gpt-6-luna's efforts.
pub const LUNA_EFFORTS: &[&str] = &["none", "low", "medium", "high", "xhigh", "max"];
/// gpt-5's (no `none`).
pub const GPT5_EFFORTS: &[&str] = &["minimal", "low", "medium", "high"];

/// A refusal, as its server writes it.
pub struct Refusal {
    pub status: StatusCode,
    pub body: Value,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

fn openai(message: String, param: Option<&str>, code: Option<&str>) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        body: json!({"error": {"message": message, "type": "invalid_request_error",
                               "param": param, "code": code}}),
    }
}

fn mistral_extra(field: &str, input: &Value) -> Refusal {
    Refusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({"object": "error", "message": {"detail": [{"type": "extra_forbidden",
            "loc": ["body", field], "msg": "Extra inputs are not permitted", "input": input}]},
            "type": "invalid_request_error", "param": null, "code": null}),
    }
}

impl Judge {
    /// The refusal of `request`, if its server would refuse it.
    pub fn refuse(self, request: &Value) -> Option<Refusal> {
        if let Some(refusal) = malformed(request) {
            return Some(refusal);
        }
        let format = request["response_format"]["type"].as_str();
        match self {
            Judge::Compatible => strict_schema(request),
            Judge::OpenAiReasoning { efforts } => {
                if request.get("max_tokens").is_some() {
                    return Some(openai(
                        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.".into(),
                        Some("max_tokens"),
                        Some("unsupported_parameter"),
                    ));
                }
                if let Some(temperature) = request.get("temperature")
                    && temperature.as_f64() != Some(1.0)
                {
                    return Some(openai(
                        format!(
                            "Unsupported value: 'temperature' does not support {temperature} with this model. Only the default (1) value is supported."
                        ),
                        Some("temperature"),
                        Some("unsupported_value"),
                    ));
                }
                if let Some(effort) = request["reasoning_effort"].as_str()
                    && !efforts.contains(&effort)
                {
                    let supported = efforts
                        .iter()
                        .map(|e| format!("'{e}'"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Some(openai(
                        format!(
                            "Unsupported value: 'reasoning_effort' does not support '{effort}' with this model. Supported values are: {supported}."
                        ),
                        Some("reasoning_effort"),
                        Some("unsupported_value"),
                    ));
                }
                if format == Some("json_object") && !mentions_json(request) {
                    return Some(json_word_missing());
                }
                strict_schema(request)
            }
            Judge::JsonObjectOnly => {
                if format == Some("json_schema") {
                    return Some(Refusal {
                        status: StatusCode::BAD_REQUEST,
                        body: json!({"error": {"message": "This response_format type is unavailable now",
                            "type": "invalid_request_error", "param": null, "code": "invalid_request_error"}}),
                    });
                }
                if format == Some("json_object") && !mentions_json(request) {
                    return Some(Refusal {
                        status: StatusCode::BAD_REQUEST,
                        body: json!({"error": {"message": "Prompt must contain the word 'json' in some form to use 'response_format' of type 'json_object'.",
                            "type": "invalid_request_error", "param": null, "code": "invalid_request_error"}}),
                    });
                }
                None
            }
            Judge::Mistral => {
                for field in [
                    "stream_options",
                    "max_completion_tokens",
                    "reasoning_effort",
                ] {
                    if let Some(input) = request.get(field) {
                        return Some(mistral_extra(field, input));
                    }
                }
                None
            }
            Judge::LlamaCppPython => {
                if let Some(kind) = format.filter(|kind| !matches!(*kind, "text" | "json_object")) {
                    return Some(Refusal {
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        body: json!({"error": {"message": format!("1 validation error:\n  {{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': '{kind}', 'ctx': {{'expected': \"'text' or 'json_object'\"}}}}\n\n  File \"llama_cpp/server/app.py\", line 376, in create_chat_completion\n    POST /v1/chat/completions"),
                            "type": "internal_server_error", "param": null, "code": null}}),
                    });
                }
                None
            }
        }
    }

    /// The output tokens this server spends thinking before it writes, at the request's effort.
    pub fn thinking(self, request: &Value) -> u64 {
        match self {
            Judge::OpenAiReasoning { .. } => match request["reasoning_effort"].as_str() {
                Some("none") => 0,
                Some("minimal") => 64,
                Some("low") => 700,
                // The default, medium, when none is sent.
                Some("medium") | None => 2400,
                Some(_) => 6000,
            },
            _ => 0,
        }
    }

    /// The most output tokens the request allows, as this server reads it (llama-cpp-python
    /// ignores `max_completion_tokens`).
    pub fn budget(self, request: &Value) -> Option<u64> {
        let named = |name: &str| request[name].as_u64();
        match self {
            Judge::OpenAiReasoning { .. } => named("max_completion_tokens"),
            Judge::LlamaCppPython | Judge::Mistral => named("max_tokens"),
            _ => named("max_completion_tokens").or_else(|| named("max_tokens")),
        }
    }
}

/// What every server refuses: no messages, an unknown role, a budget that is not a positive
/// whole number, a temperature out of range; and strict chat templates a transcript whose first
/// turn after the system message is the assistant's, or whose roles do not alternate.
fn malformed(request: &Value) -> Option<Refusal> {
    let Some(messages) = request["messages"].as_array().filter(|m| !m.is_empty()) else {
        return Some(openai(
            "[] is too short - 'messages'".into(),
            Some("messages"),
            None,
        ));
    };
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap_or_default())
        .collect();
    if let Some(bad) = roles
        .iter()
        .find(|r| !matches!(**r, "system" | "user" | "assistant" | "developer"))
    {
        return Some(openai(
            format!(
                "Invalid value: '{bad}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function', and 'developer'."
            ),
            Some("messages.[0].role"),
            Some("invalid_value"),
        ));
    }
    let turns: Vec<&str> = roles
        .iter()
        .copied()
        .filter(|r| *r != "system" && *r != "developer")
        .collect();
    if turns.first() != Some(&"user") || turns.windows(2).any(|pair| pair[0] == pair[1]) {
        return Some(openai(
            "Conversation roles must alternate user/assistant/user/assistant/...".into(),
            None,
            None,
        ));
    }
    for name in ["max_tokens", "max_completion_tokens"] {
        if let Some(value) = request.get(name)
            && value.as_u64().is_none_or(|n| n == 0)
        {
            return Some(openai(
                format!(
                    "Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {value} instead."
                ),
                Some(name),
                Some("integer_below_min_value"),
            ));
        }
    }
    if let Some(temperature) = request.get("temperature")
        && temperature
            .as_f64()
            .is_none_or(|t| !(0.0..=2.0).contains(&t))
    {
        return Some(openai(
            format!(
                "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got {temperature} instead."
            ),
            Some("temperature"),
            Some("decimal_above_max_value"),
        ));
    }
    None
}

/// OpenAI's strict structured outputs refuse a schema that breaks its rules.
fn strict_schema(request: &Value) -> Option<Refusal> {
    let format = &request["response_format"];
    if format["type"] != "json_schema" || format["json_schema"]["strict"] != true {
        return None;
    }
    let name = format["json_schema"]["name"].as_str().unwrap_or_default();
    let problems =
        rolechat::tutor::schema::strict_violations(name, &format["json_schema"]["schema"]);
    let first = problems.into_iter().next()?;
    Some(openai(first, Some("response_format"), None))
}

fn mentions_json(request: &Value) -> bool {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| {
            m["content"]
                .as_str()
                .is_some_and(|c| c.to_ascii_lowercase().contains("json"))
        })
}

fn json_word_missing() -> Refusal {
    openai(
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.".into(),
        Some("messages"),
        None,
    )
}

/// o200k, the tokenizer of OpenAI's current models: answers are counted and cut in its tokens.
static TOKENIZER: LazyLock<tiktoken_rs::CoreBPE> =
    LazyLock::new(|| tiktoken_rs::o200k_base().expect("o200k loads"));

pub fn tokens(text: &str) -> usize {
    TOKENIZER.encode_ordinary(text).len()
}

/// `text` cut to its first `budget` tokens (as a server stops writing), and whether it was cut.
pub fn fit(text: &str, budget: usize) -> (String, bool) {
    let encoded = TOKENIZER.encode_ordinary(text);
    if encoded.len() <= budget {
        return (text.to_owned(), false);
    }
    let mut kept = budget;
    // A cut may fall inside a character; back off to a whole one.
    loop {
        if let Ok(text) = TOKENIZER.decode(&encoded[..kept]) {
            return (text, true);
        }
        kept -= 1;
    }
}
