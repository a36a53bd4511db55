//! The tutor: prompts, the model client, and the offline stand-in, behind one interface.

pub mod bedrock;
pub mod message;
pub(crate) mod offline;
pub mod openai;
pub mod provider;
pub mod schema;
pub mod settings;
pub(crate) mod structured;
pub mod task;

use std::time::Duration;

pub use message::PromptMessage;
pub use openai::{Completed, Finish, OpenAiClient, Piece, TextStream};
pub use schema::Schema;
pub use settings::TutorConfig;
pub use task::Task;

#[derive(Debug, thiserror::Error)]
pub enum TutorError {
    #[error("the model did not answer in time")]
    Timeout,
    /// A passing fault or an answer that is not what was asked.
    #[error("{0}")]
    Upstream(String),
    /// The model declined to answer (a `refusal`, a content filter).
    #[error("{0}")]
    Refused(String),
    /// The server refuses the request as configured (a parameter it will not take, a wrong
    /// key or model, a spent quota): retrying will not help; the deployer must act.
    #[error("{0}")]
    Configuration(String),
}

/// What the model is asked for, as a line of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnKind {
    /// The tutor's first line in an empty room.
    Opener,
    /// The tutor's answer to the learner.
    Reply,
    /// A line the learner could say next.
    Suggestion,
}

impl TurnKind {
    pub fn task(self) -> Task {
        match self {
            TurnKind::Opener => Task::Opener,
            TurnKind::Reply => Task::Reply,
            TurnKind::Suggestion => Task::Suggestions,
        }
    }
}

pub struct TutorRequest {
    pub prompt: Vec<PromptMessage>,
    pub kind: TurnKind,
    /// What the offline demo says instead.
    pub offline: String,
}

pub enum Tutor {
    OpenAi(Box<OpenAiClient>),
    Bedrock(Box<bedrock::BedrockClient>),
    Offline { word_delay: Duration },
}

/// How the tutor reaches its model.
pub enum ModelAccess {
    /// An OpenAI-compatible server with this key; with none, the offline tutor.
    Key(Option<secrecy::SecretString>),
    /// Amazon Bedrock, through an SDK configuration with the region and credentials.
    Bedrock(Box<aws_sdk_bedrockruntime::config::Builder>),
}

impl Tutor {
    /// Bedrock's model when it is configured, else the OpenAI-compatible model when there is a
    /// key, else the offline tutor.
    pub fn new(config: &TutorConfig, access: ModelAccess) -> Self {
        match (access, &config.bedrock) {
            (ModelAccess::Bedrock(sdk), Some(bedrock)) => Tutor::Bedrock(Box::new(
                bedrock::BedrockClient::new(config, &bedrock.model, *sdk),
            )),
            (ModelAccess::Key(Some(key)), _) => {
                Tutor::OpenAi(Box::new(OpenAiClient::new(config, key)))
            }
            _ => Tutor::Offline {
                word_delay: config.offline_word_delay,
            },
        }
    }

    /// Whether this is the offline tutor: the demo's script (`services::demo`) speaks instead.
    pub fn is_offline(&self) -> bool {
        matches!(self, Tutor::Offline { .. })
    }

    /// Whether a turn's checks must wait for its reply: the server answers one request at a
    /// time (and may cut a stream short when another comes).
    pub fn one_at_a_time(&self) -> bool {
        matches!(self, Tutor::OpenAi(client) if client.one_at_a_time())
    }

    pub async fn complete(&self, request: &TutorRequest) -> Result<Completed, TutorError> {
        match self {
            Tutor::OpenAi(client) => client.complete(request.kind.task(), &request.prompt).await,
            Tutor::Bedrock(client) => client.complete(request.kind.task(), &request.prompt).await,
            Tutor::Offline { .. } => Ok(Completed {
                text: request.offline.clone(),
                finish: Finish::default(),
            }),
        }
    }

    /// An answer of `task` that follows `schema`, read into `T`. Anything else the model
    /// writes is an upstream error. The offline tutor answers `offline`.
    pub async fn structured<T: serde::de::DeserializeOwned>(
        &self,
        task: Task,
        prompt: &[PromptMessage],
        schema: &Schema,
        offline: T,
    ) -> Result<T, TutorError> {
        let answer = match self {
            Tutor::OpenAi(client) => client.structured(task, prompt, schema).await?,
            Tutor::Bedrock(client) => client.structured(task, prompt, schema).await?,
            Tutor::Offline { .. } => return Ok(offline),
        };
        serde_json::from_value(answer).map_err(|error| {
            // serde_json's message may quote the value, which is the learner's text or the
            // model's: say only what kind of error it is.
            TutorError::Upstream(format!(
                "the model's {} does not fit its type ({:?} error)",
                schema.name,
                error.classify()
            ))
        })
    }

    pub async fn stream(&self, request: &TutorRequest) -> Result<TextStream, TutorError> {
        match self {
            Tutor::OpenAi(client) => client.stream(request.kind.task(), &request.prompt).await,
            Tutor::Bedrock(client) => client.stream(request.kind.task(), &request.prompt).await,
            Tutor::Offline { word_delay } => {
                Ok(offline::stream(request.offline.clone(), *word_delay))
            }
        }
    }
}

/// One line per model call with the tokens it used, so cost per task is measured.
pub(crate) fn log_usage(task: Task, finish: &Finish) {
    match finish.usage {
        Some(usage) => tracing::info!(
            task = %task,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            reasoning_tokens = usage.reasoning_tokens,
            cut = finish.cut,
            "model call"
        ),
        None => tracing::info!(task = %task, cut = finish.cut, "model call (no usage reported)"),
    }
}
