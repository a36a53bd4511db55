//! The tutor: prompts, the model client, and the offline stand-in, behind one interface.

pub mod message;
pub(crate) mod offline;
pub mod openai;
pub mod provider;
pub mod schema;
pub mod settings;
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
    Offline { word_delay: Duration },
}

impl Tutor {
    /// The model when there is a key, the offline tutor when there is none.
    pub fn new(config: &TutorConfig, api_key: Option<secrecy::SecretString>) -> Self {
        match api_key {
            Some(key) => Tutor::OpenAi(Box::new(OpenAiClient::new(config, key))),
            None => Tutor::Offline {
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
        let client = match self {
            Tutor::OpenAi(client) => client,
            Tutor::Offline { .. } => return Ok(offline),
        };
        let answer = client.structured(task, prompt, schema).await?;
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
            Tutor::Offline { word_delay } => {
                Ok(offline::stream(request.offline.clone(), *word_delay))
            }
        }
    }
}
