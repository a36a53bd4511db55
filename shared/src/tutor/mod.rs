//! The tutor: prompts, the model client, and the offline stand-in, behind one interface.

pub(crate) mod offline;
pub mod openai;
pub mod prompt;

use std::time::Duration;

pub use openai::{Completed, Finish, OpenAiClient, Piece, TextStream, TokenUsage};
use prompt::PromptMessage;

use crate::config::TutorConfig;
use crate::room::Language;

#[derive(Debug, thiserror::Error)]
pub enum TutorError {
    #[error("the model did not answer in time")]
    Timeout,
    #[error("{0}")]
    Upstream(String),
}

/// What the model is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnKind {
    /// The tutor's first line in an empty room.
    Opener,
    /// The tutor's answer to the learner.
    Reply,
    /// A line the learner could say next.
    Suggestion,
}

pub struct TutorRequest {
    pub prompt: Vec<PromptMessage>,
    pub language: Language,
    pub kind: TurnKind,
}

pub enum Tutor {
    OpenAi(OpenAiClient),
    Offline { word_delay: Duration },
}

impl Tutor {
    /// The model when there is a key, the offline tutor when there is none.
    pub fn new(config: &TutorConfig, api_key: Option<secrecy::SecretString>) -> Self {
        match api_key {
            Some(key) => Tutor::OpenAi(OpenAiClient::new(config, key)),
            None => Tutor::Offline {
                word_delay: config.offline_word_delay,
            },
        }
    }

    /// Whether this is the offline tutor, which writes canned lines and judges nothing.
    pub fn is_offline(&self) -> bool {
        matches!(self, Tutor::Offline { .. })
    }

    pub async fn complete(&self, request: &TutorRequest) -> Result<Completed, TutorError> {
        match self {
            Tutor::OpenAi(client) => client.complete(&request.prompt, None).await,
            Tutor::Offline { .. } => Ok(Completed {
                text: offline::reply(request.language, request.kind),
                finish: Finish::default(),
            }),
        }
    }

    /// A reply that follows the JSON schema `schema` (named `name`), parsed into `T`. Anything
    /// else the model writes is an upstream error. The offline tutor answers `offline`.
    pub async fn structured<T: serde::de::DeserializeOwned>(
        &self,
        prompt: &[PromptMessage],
        name: &str,
        schema: serde_json::Value,
        offline: T,
    ) -> Result<T, TutorError> {
        let client = match self {
            Tutor::OpenAi(client) => client,
            Tutor::Offline { .. } => return Ok(offline),
        };
        let format = serde_json::json!({
            "type": "json_schema",
            "json_schema": {"name": name, "strict": true, "schema": schema},
        });
        let completed = client.complete(prompt, Some(&format)).await?;
        if completed.finish.cut {
            return Err(TutorError::Upstream(format!(
                "the model's {name} was cut at its token limit"
            )));
        }
        serde_json::from_str(&completed.text).map_err(|error| {
            // serde_json's message quotes the offending value, which is the learner's text or
            // the model's: say only what kind of error it is and where.
            TutorError::Upstream(format!(
                "the model's {name} does not follow its schema ({:?} error at line {}, column {})",
                error.classify(),
                error.line(),
                error.column()
            ))
        })
    }

    pub async fn stream(&self, request: &TutorRequest) -> Result<TextStream, TutorError> {
        match self {
            Tutor::OpenAi(client) => client.stream(&request.prompt).await,
            Tutor::Offline { word_delay } => Ok(offline::stream(
                offline::reply(request.language, request.kind),
                *word_delay,
            )),
        }
    }
}
