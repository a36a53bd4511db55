//! What each OpenAI-compatible provider accepts, from its documentation: which parameter bounds
//! the output, whether it takes `stream_options`, which structured-output form it honours, how it
//! authenticates and where its endpoint is. A preset is where a client starts; what a server
//! refuses anyway is learned at run time (see `openai::Adjustments`).

use strum::{EnumString, IntoStaticStr, VariantArray};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum Provider {
    #[strum(serialize = "openai")]
    OpenAi,
    Azure,
    Gemini,
    Anthropic,
    Groq,
    #[strum(serialize = "deepseek")]
    DeepSeek,
    Mistral,
    #[strum(serialize = "openrouter")]
    OpenRouter,
    Ollama,
    #[strum(serialize = "vllm")]
    Vllm,
    #[strum(serialize = "llama-cpp")]
    LlamaCpp,
    #[strum(serialize = "lmstudio")]
    LmStudio,
    #[strum(serialize = "llama-cpp-python")]
    LlamaCppPython,
    /// Any other server: the most widely accepted shape, adjusted by what it refuses.
    Generic,
}

/// The parameter that bounds a reply's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenParam {
    /// OpenAI's current name; its reasoning models refuse the other.
    MaxCompletionTokens,
    /// The older name, which most other servers take (Mistral refuses the newer one).
    MaxTokens,
}

impl TokenParam {
    pub fn name(self) -> &'static str {
        match self {
            TokenParam::MaxCompletionTokens => "max_completion_tokens",
            TokenParam::MaxTokens => "max_tokens",
        }
    }

    pub fn other(self) -> TokenParam {
        match self {
            TokenParam::MaxCompletionTokens => TokenParam::MaxTokens,
            TokenParam::MaxTokens => TokenParam::MaxCompletionTokens,
        }
    }
}

/// How a structured answer is asked for, from the most to the least reliable: each step down
/// is taken when a server refuses the one above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Structured {
    /// `response_format: {"type": "json_schema", "strict": true, ...}`: the server enforces it.
    JsonSchema,
    /// `response_format: {"type": "json_object"}` and the schema in the instructions (with
    /// llama-cpp-python, the schema in its own `schema` field too, which it enforces).
    JsonObject,
    /// No `response_format`: the schema in the instructions only (the answer is validated).
    Instructions,
}

impl Structured {
    pub fn lower(self) -> Option<Structured> {
        match self {
            Structured::JsonSchema => Some(Structured::JsonObject),
            Structured::JsonObject => Some(Structured::Instructions),
            Structured::Instructions => None,
        }
    }
}

/// How the key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Bearer,
    /// Azure OpenAI's `api-key` header.
    ApiKey,
}

/// Where a preset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub token_param: TokenParam,
    pub stream_options: bool,
    pub structured: Structured,
    pub auth: Auth,
    /// Sends `reasoning_effort` to models that reason.
    pub reasoning_effort: bool,
    /// Rewrites `"type": [T, "null"]` as `anyOf`, which Gemini's schema dialect needs.
    pub no_type_arrays: bool,
    /// Adds the schema to `json_object` as llama-cpp-python's `schema` field.
    pub schema_in_json_object: bool,
    /// The server answers one request at a time and cuts a stream short when another comes, so
    /// a turn's checks run after its reply rather than beside it.
    pub one_at_a_time: bool,
}

impl Provider {
    /// The documented shape of each provider's chat-completions endpoint.
    pub fn shape(self) -> Shape {
        let base = Shape {
            token_param: TokenParam::MaxTokens,
            stream_options: true,
            structured: Structured::JsonSchema,
            auth: Auth::Bearer,
            reasoning_effort: false,
            no_type_arrays: false,
            schema_in_json_object: false,
            one_at_a_time: false,
        };
        match self {
            Provider::OpenAi | Provider::Azure => Shape {
                token_param: TokenParam::MaxCompletionTokens,
                reasoning_effort: true,
                auth: if self == Provider::Azure {
                    Auth::ApiKey
                } else {
                    Auth::Bearer
                },
                ..base
            },
            // Gemini's thinking models take `reasoning_effort`; their thinking comes out of the
            // output budget, as OpenAI's does.
            Provider::Gemini => Shape {
                reasoning_effort: true,
                no_type_arrays: true,
                ..base
            },
            // Anthropic's compatibility layer ignores `response_format` without a word.
            Provider::Anthropic => Shape {
                structured: Structured::Instructions,
                ..base
            },
            // Groq deprecates `max_tokens`; strict schemas only on some models.
            Provider::Groq => Shape {
                token_param: TokenParam::MaxCompletionTokens,
                structured: Structured::JsonObject,
                ..base
            },
            // DeepSeek offers `json_object` only and answers `json_schema` with a 400.
            Provider::DeepSeek => Shape {
                structured: Structured::JsonObject,
                ..base
            },
            // Mistral answers 422 to `stream_options` and to `max_completion_tokens`.
            Provider::Mistral => Shape {
                stream_options: false,
                ..base
            },
            // LM Studio refuses `json_object` but takes `json_schema`; Ollama, vLLM, llama.cpp's
            // server and OpenRouter take `json_schema` (and validation catches one ignored).
            Provider::OpenRouter
            | Provider::Ollama
            | Provider::Vllm
            | Provider::LlamaCpp
            | Provider::LmStudio
            | Provider::Generic => base,
            // llama-cpp-python takes `text` or `json_object` (with its own `schema` field) and
            // answers `json_schema` with a 500; it serves one request at a time and ends a
            // stream it interrupts with `[DONE]` and no finish reason.
            Provider::LlamaCppPython => Shape {
                structured: Structured::JsonObject,
                schema_in_json_object: true,
                one_at_a_time: true,
                ..base
            },
        }
    }

    /// The provider a base URL belongs to, when its host or port says so.
    pub fn recognise(base_url: &str) -> Provider {
        let Ok(url) = reqwest::Url::parse(base_url) else {
            return Provider::Generic;
        };
        let host = url.host_str().unwrap_or_default();
        let ends = |suffix: &str| host == suffix || host.ends_with(&format!(".{suffix}"));
        if ends("api.openai.com") {
            Provider::OpenAi
        } else if ends("openai.azure.com") || ends("cognitiveservices.azure.com") {
            Provider::Azure
        } else if ends("generativelanguage.googleapis.com") {
            Provider::Gemini
        } else if ends("api.anthropic.com") {
            Provider::Anthropic
        } else if ends("api.groq.com") {
            Provider::Groq
        } else if ends("api.deepseek.com") {
            Provider::DeepSeek
        } else if ends("api.mistral.ai") {
            Provider::Mistral
        } else if ends("openrouter.ai") {
            Provider::OpenRouter
        } else {
            // Local servers by their default ports; llama-cpp-python and vLLM share 8000, so
            // neither is guessed.
            match url.port() {
                Some(11434) => Provider::Ollama,
                Some(1234) => Provider::LmStudio,
                Some(8080) => Provider::LlamaCpp,
                _ => Provider::Generic,
            }
        }
    }

    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Whether a model thinks before it answers, by OpenAI's and Google's names: such a model is
/// sent a reasoning effort and no temperature (OpenAI's accept only the default), and its
/// budget gets room for its thinking.
pub fn reasons(model: &str) -> bool {
    let model = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    let family = |prefix: &str| {
        model.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(['-', '.']) || rest.starts_with(char::is_numeric)
        })
    };
    (family("gpt-5") || family("gpt-6") || family("o1") || family("o3") || family("o4"))
        && !model.contains("-chat")
        || model.starts_with("gemini-2.5")
        || model.starts_with("gemini-3")
        || model.starts_with("gemini-4")
}

/// The chat-completions URL: `{base}/chat/completions`, or Azure's deployment form when an API
/// version is given (`{resource}/openai/deployments/{model}/chat/completions?api-version=`).
pub fn endpoint(
    provider: Provider,
    base_url: &str,
    model: &str,
    azure_api_version: Option<&str>,
) -> String {
    let base = base_url.trim_end_matches('/');
    match (provider, azure_api_version) {
        (Provider::Azure, Some(version)) => {
            let resource = base
                .strip_suffix("/openai/v1")
                .or_else(|| base.strip_suffix("/openai"))
                .unwrap_or(base);
            format!("{resource}/openai/deployments/{model}/chat/completions?api-version={version}")
        }
        _ => format!("{base}/chat/completions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_recognised_by_their_hosts_and_ports() {
        for (url, provider) in [
            ("https://api.openai.com/v1", Provider::OpenAi),
            (
                "https://my-resource.openai.azure.com/openai/v1",
                Provider::Azure,
            ),
            (
                "https://generativelanguage.googleapis.com/v1beta/openai",
                Provider::Gemini,
            ),
            ("https://api.anthropic.com/v1", Provider::Anthropic),
            ("https://api.groq.com/openai/v1", Provider::Groq),
            ("https://api.deepseek.com", Provider::DeepSeek),
            ("https://api.mistral.ai/v1", Provider::Mistral),
            ("https://openrouter.ai/api/v1", Provider::OpenRouter),
            ("http://127.0.0.1:11434/v1", Provider::Ollama),
            ("http://localhost:1234/v1", Provider::LmStudio),
            ("http://127.0.0.1:8080/v1", Provider::LlamaCpp),
            ("http://127.0.0.1:8000/v1", Provider::Generic),
            ("https://api.openai.com.evil.example/v1", Provider::Generic),
            ("not a url", Provider::Generic),
        ] {
            assert_eq!(Provider::recognise(url), provider, "{url}");
        }
    }

    #[test]
    fn every_provider_is_named_as_it_is_configured() {
        for provider in Provider::VARIANTS {
            assert_eq!(provider.name().parse::<Provider>().unwrap(), *provider);
        }
        assert_eq!("llama-cpp-python".parse(), Ok(Provider::LlamaCppPython));
    }

    #[test]
    fn documented_shapes() {
        assert_eq!(
            Provider::OpenAi.shape().token_param,
            TokenParam::MaxCompletionTokens
        );
        assert_eq!(Provider::Azure.shape().auth, Auth::ApiKey);
        assert!(!Provider::Mistral.shape().stream_options);
        assert_eq!(Provider::Mistral.shape().token_param, TokenParam::MaxTokens);
        assert_eq!(
            Provider::DeepSeek.shape().structured,
            Structured::JsonObject
        );
        assert_eq!(
            Provider::Anthropic.shape().structured,
            Structured::Instructions
        );
        assert_eq!(
            Provider::LmStudio.shape().structured,
            Structured::JsonSchema
        );
        let python = Provider::LlamaCppPython.shape();
        assert!(python.schema_in_json_object && python.one_at_a_time);
        assert!(Provider::Gemini.shape().no_type_arrays);
    }

    #[test]
    fn reasoning_models_are_known_by_name() {
        for model in [
            "gpt-6-luna",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5.1",
            "o3",
            "o4-mini",
            "openai/gpt-6-luna",
            "gemini-2.5-flash",
        ] {
            assert!(reasons(model), "{model}");
        }
        for model in [
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-5-chat-latest",
            "deepseek-chat",
            "mistral-small-latest",
            "smollm2",
            "o1ne",
        ] {
            assert!(!reasons(model), "{model}");
        }
    }

    #[test]
    fn azure_urls() {
        assert_eq!(
            endpoint(
                Provider::Azure,
                "https://r.openai.azure.com/",
                "tutor",
                Some("2024-10-21")
            ),
            "https://r.openai.azure.com/openai/deployments/tutor/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(
            endpoint(
                Provider::Azure,
                "https://r.openai.azure.com/openai/v1",
                "tutor",
                None
            ),
            "https://r.openai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(
            endpoint(Provider::OpenAi, "https://api.openai.com/v1/", "m", None),
            "https://api.openai.com/v1/chat/completions"
        );
    }
}
