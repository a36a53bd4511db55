//! Amazon Bedrock's Converse and ConverseStream on the fake model's server: the real wire format
//! (restJson1 with `x-amzn-ErrorType`, and the AWS event-stream framing with its CRCs for the
//! stream), so the SDK's own signing, parsing and retries run against it.
//!
//! It is as strict as Bedrock where the tutor could go wrong, in Bedrock's words: a request must
//! be signed for the `bedrock` service; the model must exist, be reachable by the role, and be
//! called through an inference profile where the model has no on-demand throughput; messages
//! must start with the user, alternate and hold no blank text; the budget must be within the
//! model's limit and the temperature from 0 to 1; `outputConfig` only for the models whose
//! structured output is documented, with a schema its grammar takes; a forced tool
//! (`toolChoice.tool`) only for the models that take one.
//!
//! Each request is recorded as the chat-completions body it amounts to (system and messages,
//! `max_tokens`, `temperature`, the schema as `response_format`), so the fake's scripts, its
//! structured answers and its budgets serve both wire formats.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{Behaviour, Choice, Shared, Spent, choose, pieces, prompt_tokens};

/// A model the stand-in serves: its foundation model ID and what Bedrock documents of it.
struct Model {
    id: &'static str,
    /// Whether it may be called by its own ID (on-demand throughput), not only through a profile.
    on_demand: bool,
    /// Structured output through `outputConfig.textFormat`.
    output_config: bool,
    /// `toolConfig.toolChoice.tool` (and `any`).
    tool_choice: bool,
    max_tokens: u64,
}

const MODELS: &[Model] = &[
    Model {
        id: "anthropic.claude-haiku-4-5-20251001-v1:0",
        on_demand: false,
        output_config: true,
        tool_choice: true,
        max_tokens: 64_000,
    },
    Model {
        id: "anthropic.claude-sonnet-4-5-20250929-v1:0",
        on_demand: false,
        output_config: true,
        tool_choice: true,
        max_tokens: 64_000,
    },
    Model {
        id: "anthropic.claude-3-5-haiku-20241022-v1:0",
        on_demand: false,
        output_config: false,
        tool_choice: true,
        max_tokens: 8_192,
    },
    Model {
        id: "amazon.nova-lite-v1:0",
        on_demand: true,
        output_config: false,
        tool_choice: false,
        max_tokens: 10_000,
    },
    Model {
        id: "mistral.mistral-7b-instruct-v0:2",
        on_demand: true,
        output_config: false,
        tool_choice: false,
        max_tokens: 8_192,
    },
    Model {
        id: "meta.llama3-3-70b-instruct-v1:0",
        on_demand: false,
        output_config: false,
        tool_choice: false,
        max_tokens: 8_192,
    },
];

const GEOGRAPHIES: &[&str] = &["global.", "us.", "eu.", "apac.", "jp.", "au.", "ca."];

/// A Bedrock error, as restJson1 carries it.
fn error(status: u16, kind: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [
            (
                "x-amzn-errortype",
                format!("{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            ),
            (
                "x-amzn-requestid",
                ulid::Ulid::new().to_string().to_lowercase(),
            ),
            (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
        ],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

fn invalid(message: &str) -> Response {
    error(400, "ValidationException", message)
}

pub(super) async fn converse(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(shared, model, headers, body, false).await
}

pub(super) async fn converse_stream(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(shared, model, headers, body, true).await
}

/// How the request asks for a structured answer, if it does.
enum Form {
    Plain,
    OutputConfig { name: String, schema: Value },
    Tool { name: String, schema: Value },
}

async fn answer(
    shared: Arc<Mutex<Shared>>,
    model_path: String,
    headers: HeaderMap,
    body: Bytes,
    streaming: bool,
) -> Response {
    // Signed with Signature Version 4 for the `bedrock` service.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !authorization.starts_with("AWS4-HMAC-SHA256 Credential=")
        || !authorization.contains("/bedrock/aws4_request")
        || !headers.contains_key("x-amz-date")
    {
        return error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(
            400,
            "SerializationException",
            "Unable to parse request body",
        );
    };
    // The credential and scope it was signed with (`AKID/20261203/eu-west-1/bedrock/aws4_request`).
    let signed_as = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_default();
    shared
        .lock()
        .unwrap()
        .bedrock_requests
        .push(json!({"model": model_path, "stream": streaming,
        "body": request.clone(), "signed_as": signed_as}));
    let named = model_path.rsplit('/').next().unwrap_or(&model_path);
    let through_profile = GEOGRAPHIES.iter().find_map(|g| named.strip_prefix(g));
    let id = through_profile.unwrap_or(named);
    let Some(model) = MODELS.iter().find(|m| m.id == id) else {
        return invalid("The provided model identifier is invalid.");
    };
    if shared.lock().unwrap().bedrock_denied {
        return error(
            403,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        );
    }
    if through_profile.is_none() && !model.on_demand {
        return invalid(&format!(
            "Invocation of model ID {} with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
            model.id
        ));
    }
    let (chat, form) = match translate(&request, model) {
        Ok(translated) => translated,
        Err(refusal) => return invalid(&refusal),
    };
    let (behaviour, pause, judge) = match choose(&shared, &chat, false) {
        Err(refusal) => return *refusal,
        Ok(Choice::FailOnce) => {
            return error(
                500,
                "InternalServerException",
                "The system encountered an unexpected error during processing. Try your request again.",
            );
        }
        Ok(Choice::Broken) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"output\": {",
            )
                .into_response();
        }
        Ok(Choice::Behave {
            behaviour,
            number: _,
            pause,
            judge,
        }) => (behaviour, pause, judge),
    };
    tokio::time::sleep(pause).await;
    let started = std::time::Instant::now();
    let input_tokens = prompt_tokens(&chat);
    match behaviour {
        Behaviour::Status(status) => failure_status(status),
        Behaviour::RateLimited { .. } => error(
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        ),
        Behaviour::QuotaExhausted => error(
            429,
            "ThrottlingException",
            "Too many tokens per day, please wait before trying again.",
        ),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Behaviour::Malformed if streaming => event_stream(
            vec![Ok(Bytes::from_static(b"\x00\x00\x00\x10 not a frame"))],
            Duration::ZERO,
            Duration::ZERO,
        ),
        Behaviour::Malformed => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"output\": {",
        )
            .into_response(),
        Behaviour::Refusal(_) if streaming => event_stream(
            vec![
                Ok(event("messageStart", json!({"role": "assistant"}))),
                Ok(event(
                    "messageStop",
                    json!({"stopReason": "content_filtered"}),
                )),
                Ok(metadata(input_tokens, 0, started)),
            ],
            Duration::ZERO,
            Duration::ZERO,
        ),
        Behaviour::Refusal(_) => whole(json!([]), "content_filtered", input_tokens, 0, started),
        Behaviour::Empty if streaming => event_stream(
            vec![
                Ok(event("messageStart", json!({"role": "assistant"}))),
                Ok(event("messageStop", json!({"stopReason": "end_turn"}))),
                Ok(metadata(input_tokens, 0, started)),
            ],
            Duration::ZERO,
            Duration::ZERO,
        ),
        Behaviour::Empty => whole(json!([]), "end_turn", input_tokens, 0, started),
        Behaviour::CutAfter { pieces: count } => {
            let mut frames = text_events(
                &pieces("This reply will be cut off before it is complete")[..count.min(9)],
            );
            frames.push(Err(std::io::Error::other(
                "the stand-in drops the connection",
            )));
            event_stream(frames, Duration::ZERO, Duration::from_millis(20))
        }
        Behaviour::FailMidStream { pieces: count } => {
            let mut frames =
                text_events(&pieces("This reply fails in the middle of it")[..count.min(8)]);
            frames.push(Ok(exception(
                "modelStreamErrorException",
                json!({"message": "The model stream had an error. Try your request again.", "originalStatusCode": 500}),
            )));
            event_stream(frames, Duration::ZERO, Duration::from_millis(5))
        }
        Behaviour::StallAfter {
            pieces: count,
            silence,
        } => {
            let words = pieces("This reply stalls in the middle of it");
            let (before, after) = words.split_at(count.min(words.len()));
            let before = text_events(before);
            let mut after = text_events(after).split_off(1);
            after.extend(ending("end_turn", input_tokens, 9, started));
            let stream = futures_util::stream::iter(before)
                .chain(futures_util::stream::once(async move {
                    tokio::time::sleep(silence).await;
                    Ok(Bytes::new())
                }))
                .chain(futures_util::stream::iter(after));
            stream_response(Body::from_stream(stream))
        }
        Behaviour::Thinking { thinking, text } if streaming => {
            let beats = (thinking.as_millis() / 200) as usize;
            let mut frames = vec![Ok(event("messageStart", json!({"role": "assistant"})))];
            frames.extend((0..beats).map(|_| {
                Ok(event(
                    "contentBlockDelta",
                    json!({"contentBlockIndex": 0,
                    "delta": {"reasoningContent": {"text": "Thinking about the scene. "}}}),
                ))
            }));
            frames.extend(text_events(&pieces(&text)).into_iter().skip(1));
            frames.extend(ending("end_turn", input_tokens, 30, started));
            event_stream(
                frames,
                Duration::from_millis(200),
                Duration::from_millis(200),
            )
        }
        Behaviour::Thinking { thinking, text } => {
            tokio::time::sleep(thinking).await;
            whole(
                json!([{"text": text}]),
                "end_turn",
                input_tokens,
                30,
                started,
            )
        }
        Behaviour::Reply {
            text,
            first_delay,
            delay,
        } => {
            let spent = Spent::by(judge, &chat, &text);
            let output_tokens = spent.usage["completion_tokens"].as_u64().unwrap_or(0) as usize;
            let stop = if spent.finish == "length" {
                "max_tokens"
            } else {
                "end_turn"
            };
            if streaming {
                let mut frames = text_events(&pieces(&spent.text));
                frames.extend(ending(stop, input_tokens, output_tokens, started));
                return event_stream(frames, first_delay, delay);
            }
            tokio::time::sleep(super::writing_time(&spent.text, first_delay, delay)).await;
            match &form {
                // The forced tool's input is the answer, when it is whole JSON.
                Form::Tool { name, .. } if stop == "end_turn" => {
                    match serde_json::from_str::<Value>(&spent.text) {
                        Ok(input) => whole(
                            json!([{"toolUse": {"toolUseId": format!("tooluse_{}", ulid::Ulid::new()), "name": name, "input": input}}]),
                            "tool_use",
                            input_tokens,
                            output_tokens,
                            started,
                        ),
                        Err(_) => whole(
                            json!([{"text": spent.text}]),
                            stop,
                            input_tokens,
                            output_tokens,
                            started,
                        ),
                    }
                }
                _ => whole(
                    json!([{"text": spent.text}]),
                    stop,
                    input_tokens,
                    output_tokens,
                    started,
                ),
            }
        }
        Behaviour::Shaped { text, shape } => {
            let stop = if shape.finish_reason == "length" {
                "max_tokens"
            } else {
                "end_turn"
            };
            if streaming {
                let mut frames = text_events(&pieces(&text));
                frames.extend(ending(stop, input_tokens, 45, started));
                return event_stream(frames, Duration::ZERO, Duration::ZERO);
            }
            whole(json!([{"text": text}]), stop, input_tokens, 45, started)
        }
    }
}

/// A failure status of the script, as the Bedrock error that has it.
fn failure_status(status: u16) -> Response {
    match status {
        429 => error(
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        ),
        503 => error(
            503,
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
        ),
        424 => error(
            424,
            "ModelErrorException",
            "The model returned an error. Try your request again.",
        ),
        408 => error(
            408,
            "ModelTimeoutException",
            "Model has timed out in processing the request. Try your request again.",
        ),
        400 | 422 => invalid("Malformed input request, please reformat your input and try again."),
        401 | 403 => error(
            403,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        ),
        404 => error(404, "ResourceNotFoundException", "Model not found."),
        _ => error(
            500,
            "InternalServerException",
            "The system encountered an unexpected error during processing. Try your request again.",
        ),
    }
}

/// Checks a Converse request as Bedrock does and reads it as the chat-completions body it
/// amounts to.
fn translate(request: &Value, model: &Model) -> Result<(Value, Form), String> {
    let Some(messages) = request["messages"].as_array().filter(|m| !m.is_empty()) else {
        return Err(String::from(
            "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null",
        ));
    };
    let mut chat_messages = Vec::new();
    for block in request["system"].as_array().into_iter().flatten() {
        if let Some(text) = block["text"].as_str() {
            chat_messages.push(json!({"role": "system", "content": text}));
        }
    }
    let mut last_role = "";
    for (i, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or_default();
        if i == 0 && role != "user" {
            return Err(String::from(
                "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
            ));
        }
        if role == last_role {
            return Err(String::from(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
            ));
        }
        last_role = role;
        let mut text = String::new();
        for (j, block) in message["content"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(piece) = block["text"].as_str() {
                if piece.trim().is_empty() {
                    return Err(format!(
                        "The text field in the ContentBlock object at messages.{i}.content.{j} is blank. Add text to the text field, and try again."
                    ));
                }
                text.push_str(piece);
            }
        }
        chat_messages.push(json!({"role": role, "content": text}));
    }
    if last_role != "user" && model.id.starts_with("anthropic.claude-haiku-4-5") {
        // The newest Claude models take no prefilled answer.
        return Err(String::from(
            "This model does not support assistant message prefill. The conversation must end with a user message.",
        ));
    }
    let inference = &request["inferenceConfig"];
    let max_tokens = inference["maxTokens"].as_u64();
    if let Some(max) = max_tokens
        && max > model.max_tokens
    {
        return Err(format!(
            "The maximum tokens you requested exceeds the model limit of {limit}. Try again with a maximum tokens value that is lower than {limit}.",
            limit = model.max_tokens
        ));
    }
    if let Some(temperature) = inference["temperature"].as_f64()
        && !(0.0..=1.0).contains(&temperature)
    {
        return Err(String::from(
            "The model returned the following errors: temperature: range: 0..1",
        ));
    }
    let mut form = Form::Plain;
    let text_format = &request["outputConfig"]["textFormat"];
    if !text_format.is_null() {
        if !model.output_config {
            return Err(String::from(
                "This model doesn't support the outputConfig.textFormat field. Remove outputConfig.textFormat and try again.",
            ));
        }
        let definition = &text_format["structure"]["jsonSchema"];
        let schema = definition["schema"]
            .as_str()
            .and_then(|s| serde_json::from_str::<Value>(s).ok());
        let Some(schema) = schema.filter(|_| text_format["type"] == "json_schema") else {
            return Err(String::from(
                "outputConfig.textFormat must be of type json_schema with its schema as a JSON string.",
            ));
        };
        if let Some(problem) = grammar_problem(&schema) {
            return Err(format!(
                "The JSON schema in outputConfig.textFormat is not supported: {problem}"
            ));
        }
        form = Form::OutputConfig {
            name: definition["name"].as_str().unwrap_or("output").to_owned(),
            schema,
        };
    }
    let tool_config = &request["toolConfig"];
    if let Some(choice) = tool_config["toolChoice"].as_object() {
        let kind = choice.keys().next().cloned().unwrap_or_default();
        if kind != "auto" && !model.tool_choice {
            return Err(format!(
                "This model doesn't support the toolConfig.toolChoice.{kind} field. Remove toolConfig.toolChoice.{kind} and try again."
            ));
        }
        let name = choice["tool"]["name"].as_str().unwrap_or_default();
        let tool = tool_config["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["toolSpec"]["name"] == name);
        let Some(tool) = tool else {
            return Err(String::from(
                "The tool named in toolConfig.toolChoice.tool is not in toolConfig.tools.",
            ));
        };
        let schema = tool["toolSpec"]["inputSchema"]["json"].clone();
        if let Some(problem) = grammar_problem(&schema) {
            return Err(format!(
                "The input schema of tool {name} is not supported: {problem}"
            ));
        }
        form = Form::Tool {
            name: name.to_owned(),
            schema,
        };
    }
    let mut chat = json!({"model": model.id, "messages": chat_messages});
    if let Some(max) = max_tokens {
        chat["max_tokens"] = json!(max);
    }
    if let Some(temperature) = inference["temperature"].as_f64() {
        chat["temperature"] = json!(temperature);
    }
    match &form {
        Form::OutputConfig { name, schema } | Form::Tool { name, schema } => {
            chat["response_format"] =
                json!({"type": "json_schema", "json_schema": {"name": name, "schema": schema}});
        }
        Form::Plain => {}
    }
    Ok((chat, form))
}

/// What a constrained-decoding grammar cannot take: bounds on lengths and numbers, and an
/// object left open.
fn grammar_problem(schema: &Value) -> Option<String> {
    let object = schema.as_object()?;
    for keyword in [
        "maxItems",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "pattern",
    ] {
        if object.contains_key(keyword) {
            return Some(format!("'{keyword}' is not supported"));
        }
    }
    if object.get("minItems").and_then(Value::as_u64) > Some(1) {
        return Some("'minItems' above 1 is not supported".into());
    }
    if object.get("type") == Some(&json!("object"))
        && object.get("additionalProperties") != Some(&json!(false))
    {
        return Some("every object must set 'additionalProperties' to false".into());
    }
    // The subschemas: a property's name is not a keyword.
    let properties = object.get("properties").and_then(Value::as_object);
    let lists = ["anyOf", "oneOf", "prefixItems"]
        .iter()
        .filter_map(|k| object.get(*k).and_then(Value::as_array))
        .flatten();
    properties
        .into_iter()
        .flat_map(|p| p.values())
        .chain(object.get("items"))
        .chain(lists)
        .find_map(grammar_problem)
}

/// A whole Converse answer.
fn whole(
    content: Value,
    stop: &str,
    input: usize,
    output: usize,
    started: std::time::Instant,
) -> Response {
    let body = json!({
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
        "metrics": {"latencyMs": started.elapsed().as_millis() as u64},
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
            (
                "x-amzn-requestid",
                ulid::Ulid::new().to_string().to_lowercase(),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The start of a streamed message and its text, a piece an event.
fn text_events(pieces: &[String]) -> Vec<Result<Bytes, std::io::Error>> {
    let mut frames = vec![Ok(event("messageStart", json!({"role": "assistant"})))];
    frames.extend(pieces.iter().map(|piece| {
        Ok(event(
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": piece}}),
        ))
    }));
    frames
}

/// The end of a streamed message: the block's stop, the stop reason, the usage.
fn ending(
    stop: &str,
    input: usize,
    output: usize,
    started: std::time::Instant,
) -> Vec<Result<Bytes, std::io::Error>> {
    vec![
        Ok(event("contentBlockStop", json!({"contentBlockIndex": 0}))),
        Ok(event("messageStop", json!({"stopReason": stop}))),
        Ok(metadata(input, output, started)),
    ]
}

fn metadata(input: usize, output: usize, started: std::time::Instant) -> Bytes {
    event(
        "metadata",
        json!({
            "usage": {"inputTokens": input, "outputTokens": output, "totalTokens": input + output},
            "metrics": {"latencyMs": started.elapsed().as_millis() as u64},
        }),
    )
}

/// One event of the stream. Bedrock pads each payload with a field `p` of varying length so
/// an event's size does not tell its text; the client must ignore it.
fn event(kind: &str, mut payload: Value) -> Bytes {
    let padding = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    payload["p"] = json!(&padding[..(kind.len() * 3) % padding.len()]);
    frame(
        &[
            (":event-type", kind),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.to_string().as_bytes(),
    )
}

fn exception(kind: &str, payload: Value) -> Bytes {
    frame(
        &[
            (":exception-type", kind),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload.to_string().as_bytes(),
    )
}

/// An AWS event-stream message: total length, headers' length, the prelude's CRC32, headers
/// (name, type 7 = string, value), payload, the message's CRC32; big-endian throughout.
fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Bytes {
    let mut encoded_headers = Vec::new();
    for (name, value) in headers {
        encoded_headers.push(name.len() as u8);
        encoded_headers.extend_from_slice(name.as_bytes());
        encoded_headers.push(7);
        encoded_headers.extend_from_slice(&(value.len() as u16).to_be_bytes());
        encoded_headers.extend_from_slice(value.as_bytes());
    }
    let total = 12 + encoded_headers.len() + payload.len() + 4;
    let mut message = Vec::with_capacity(total);
    message.extend_from_slice(&(total as u32).to_be_bytes());
    message.extend_from_slice(&(encoded_headers.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&message);
    message.extend_from_slice(&prelude_crc.to_be_bytes());
    message.extend_from_slice(&encoded_headers);
    message.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&message);
    message.extend_from_slice(&message_crc.to_be_bytes());
    Bytes::from(message)
}

fn event_stream(
    frames: Vec<Result<Bytes, std::io::Error>>,
    first_delay: Duration,
    delay: Duration,
) -> Response {
    let stream = futures_util::stream::unfold(
        (frames.into_iter(), true),
        move |(mut frames, first)| async move {
            let frame = frames.next()?;
            let pause = if first { first_delay } else { delay };
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            Some((frame, (frames, false)))
        },
    );
    stream_response(Body::from_stream(stream))
}

fn stream_response(body: Body) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/vnd.amazon.eventstream")
        .header(
            "x-amzn-requestid",
            ulid::Ulid::new().to_string().to_lowercase(),
        )
        .body(body)
        .expect("constant headers build")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The framing of the specification's example: an event with one string header.
    #[test]
    fn frames_carry_their_lengths_and_checksums() {
        let bytes = frame(&[(":event-type", "x")], b"{}");
        let total = u32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
        assert_eq!(total, bytes.len());
        let headers = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(headers, 1 + 11 + 1 + 2 + 1);
        assert_eq!(
            u32::from_be_bytes(bytes[8..12].try_into().unwrap()),
            crc32fast::hash(&bytes[..8])
        );
        let end = bytes.len() - 4;
        assert_eq!(
            u32::from_be_bytes(bytes[end..].try_into().unwrap()),
            crc32fast::hash(&bytes[..end])
        );
    }
}
