//! The tutor's settings: which model server, how each call is bounded.

use std::time::Duration;

use crate::domain::setting::SecretSource;

/// The language model and the limits on what a turn may cost.
#[derive(Debug, Clone)]
pub struct TutorConfig {
    /// `OPENAI_API_KEY` (or `ROLECHAT_OPENAI_KEY_SECRET_ARN` in AWS). With neither, the offline tutor.
    pub api_key: Option<SecretSource>,
    /// `OPENAI_BASE_URL`: any OpenAI-compatible server.
    pub base_url: String,
    /// `OPENAI_MODEL`.
    pub model: String,
    /// `ROLECHAT_MODEL_PROVIDER` (`openai`, `azure`, `gemini`, `anthropic`, `groq`, `deepseek`,
    /// `mistral`, `openrouter`, `ollama`, `vllm`, `llama-cpp`, `lmstudio`, `llama-cpp-python`,
    /// `generic`; or `bedrock`, below): the shape requests start from; recognised from the base URL when unset.
    pub provider: super::provider::Provider,
    /// `ROLECHAT_MODEL_PROVIDER=bedrock`: the tutor is a model on Amazon Bedrock, called with the
    /// function's AWS credentials (no key); the settings above are not used.
    pub bedrock: Option<super::bedrock::BedrockConfig>,
    /// `AZURE_OPENAI_API_VERSION`: with Azure, the deployment URL form with this `api-version`
    /// (`OPENAI_MODEL` is then the deployment's name); without it, Azure's `/openai/v1` form.
    pub azure_api_version: Option<String>,
    /// `ROLECHAT_MODEL_TASKS`: each task's budget, temperature and reasoning effort, changed
    /// from the defaults (see `tutor::task`).
    pub tasks: super::task::TaskTable,
    /// `ROLECHAT_MODEL_STRUCTURED_SECONDS`: the most a structured call (feedback, goals,
    /// suggestions, translation, report, meaning) may take, retries and repairs included; 25 by
    /// default, inside API Gateway's 29 s for the routes that are not streamed.
    pub structured_timeout: Duration,
    /// `ROLECHAT_MODEL_ONE_AT_A_TIME`: `true` for a server that answers one request at a time,
    /// so a turn's checks run after its reply instead of beside it; unset, the provider's.
    pub one_at_a_time: Option<bool>,
    /// `ROLECHAT_MODEL_TIMEOUT_SECONDS`: the most one model call may take, retries included.
    pub timeout: Duration,
    /// `ROLECHAT_MODEL_FIRST_TOKEN_SECONDS`: the most the first piece of a reply may take (the
    /// whole reply, when it is not streamed); 20 by default.
    pub first_token_timeout: Duration,
    /// `ROLECHAT_MODEL_IDLE_SECONDS`: the longest pause between two pieces of a streamed reply.
    pub idle_timeout: Duration,
    /// Connecting to the model server may take at most this long.
    pub connect_timeout: Duration,
    /// `ROLECHAT_MODEL_RETRIES`: retries of a call the server refused (429, 5xx) before any text.
    pub retries: u32,
    /// The ceiling of the first pause before a retry (a random pause up to it); each next
    /// ceiling doubles.
    pub retry_backoff: Duration,
    /// `ROLECHAT_HISTORY_MESSAGES`: how many recent messages the model sees besides the setup.
    pub history_messages: usize,
    /// `ROLECHAT_OFFLINE_WORD_DELAY_MS`: the offline tutor's pace, so its streaming can be seen.
    pub offline_word_delay: Duration,
}
