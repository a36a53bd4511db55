//! The OpenAI chat-completions API (or any server that speaks it), streaming and not.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, sleep_until, timeout_at};

use super::TutorError;
use super::prompt::PromptMessage;
use crate::config::TutorConfig;

/// Text as the model writes it, piece by piece. It ends with `Err` if the model fails midway.
pub type TextStream = Pin<Box<dyn Stream<Item = Result<String, TutorError>> + Send>>;

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [PromptMessage],
    max_tokens: u32,
    stream: bool,
    /// A JSON schema the reply must follow, so it is parsed rather than scraped.
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a serde_json::Value>,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<CompletionChoice>,
}

#[derive(Deserialize)]
struct CompletionChoice {
    message: CompletionMessage,
}

#[derive(Deserialize)]
struct CompletionMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    choices: Vec<ChunkChoice>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: ChunkDelta,
    finish_reason: Option<String>,
}

#[derive(Default, Deserialize)]
struct ChunkDelta {
    content: Option<String>,
}

pub struct OpenAiClient {
    http: reqwest::Client,
    url: String,
    key: String,
    model: String,
    timeout: Duration,
    retries: u32,
    retry_backoff: Duration,
    max_tokens: u32,
}

impl OpenAiClient {
    pub fn new(config: &TutorConfig, key: String) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .expect("a client with a connect timeout builds");
        OpenAiClient {
            http,
            url: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            key,
            model: config.model.clone(),
            timeout: config.timeout,
            retries: config.retries,
            retry_backoff: config.retry_backoff,
            max_tokens: config.max_tokens,
        }
    }

    /// Sends the request, retrying with a doubling pause when the server refuses it (429, 5xx)
    /// or cannot be reached, all within `deadline`.
    async fn send(
        &self,
        prompt: &[PromptMessage],
        stream: bool,
        response_format: Option<&serde_json::Value>,
        deadline: Instant,
    ) -> Result<reqwest::Response, TutorError> {
        let body = ChatRequest {
            model: &self.model,
            messages: prompt,
            max_tokens: self.max_tokens,
            stream,
            response_format,
        };
        let mut attempt = 0;
        loop {
            let request = self
                .http
                .post(&self.url)
                .bearer_auth(&self.key)
                .json(&body)
                .send();
            let problem = match timeout_at(deadline, request).await {
                Err(_) => return Err(TutorError::Timeout),
                Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                Ok(Ok(response)) => {
                    let status = response.status();
                    let retryable =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    let problem =
                        TutorError::Upstream(format!("the model server answered {status}"));
                    if !retryable {
                        return Err(problem);
                    }
                    problem
                }
                Ok(Err(error)) if error.is_timeout() => return Err(TutorError::Timeout),
                Ok(Err(error)) => {
                    TutorError::Upstream(format!("the model server cannot be reached: {error}"))
                }
            };
            if attempt >= self.retries {
                return Err(problem);
            }
            let pause = Instant::now() + self.retry_backoff * 2u32.pow(attempt);
            if pause >= deadline {
                return Err(problem);
            }
            tracing::warn!(attempt, error = %problem, "retrying the model call");
            sleep_until(pause).await;
            attempt += 1;
        }
    }

    /// The whole reply at once.
    /// With `response_format`, a reply that follows that JSON schema.
    pub async fn complete(
        &self,
        prompt: &[PromptMessage],
        response_format: Option<&serde_json::Value>,
    ) -> Result<String, TutorError> {
        let deadline = Instant::now() + self.timeout;
        let response = self.send(prompt, false, response_format, deadline).await?;
        let body = match timeout_at(deadline, response.bytes()).await {
            Err(_) => return Err(TutorError::Timeout),
            Ok(Err(error)) => {
                return Err(TutorError::Upstream(format!("the reply was cut: {error}")));
            }
            Ok(Ok(body)) => body,
        };
        let completion: Completion = serde_json::from_slice(&body).map_err(|error| {
            TutorError::Upstream(format!("the reply is not a chat completion: {error}"))
        })?;
        let text = completion
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content);
        non_empty(text.unwrap_or_default())
    }

    /// The reply as it is written. Retries happen only before the first piece of text.
    pub async fn stream(&self, prompt: &[PromptMessage]) -> Result<TextStream, TutorError> {
        let deadline = Instant::now() + self.timeout;
        let response = self.send(prompt, true, None, deadline).await?;
        let events = response.bytes_stream().eventsource();
        let state = (Box::pin(events), false, false);
        let stream =
            futures_util::stream::unfold(state, move |(mut events, finished, wrote)| async move {
                if finished {
                    return None;
                }
                loop {
                    let event = match timeout_at(deadline, events.next()).await {
                        Err(_) => return Some((Err(TutorError::Timeout), (events, true, wrote))),
                        Ok(None) => {
                            let problem = TutorError::Upstream(
                                "the reply stream ended before it was complete".into(),
                            );
                            return Some((Err(problem), (events, true, wrote)));
                        }
                        Ok(Some(Err(error))) => {
                            let problem =
                                TutorError::Upstream(format!("the reply stream broke: {error}"));
                            return Some((Err(problem), (events, true, wrote)));
                        }
                        Ok(Some(Ok(event))) => event,
                    };
                    if event.data.trim() == "[DONE]" {
                        return if wrote {
                            None
                        } else {
                            Some((
                                Err(TutorError::Upstream("the model wrote nothing".into())),
                                (events, true, wrote),
                            ))
                        };
                    }
                    let chunk: Chunk = match serde_json::from_str(&event.data) {
                        Ok(chunk) => chunk,
                        Err(error) => {
                            let problem =
                                TutorError::Upstream(format!("a reply chunk is not JSON: {error}"));
                            return Some((Err(problem), (events, true, wrote)));
                        }
                    };
                    let Some(choice) = chunk.choices.into_iter().next() else {
                        continue;
                    };
                    if let Some(text) = choice.delta.content.filter(|text| !text.is_empty()) {
                        return Some((Ok(text), (events, false, true)));
                    }
                    if choice.finish_reason.is_some() && !wrote {
                        return Some((
                            Err(TutorError::Upstream("the model wrote nothing".into())),
                            (events, true, wrote),
                        ));
                    }
                }
            });
        Ok(Box::pin(stream))
    }
}

fn non_empty(text: String) -> Result<String, TutorError> {
    let text = text.trim();
    if text.is_empty() {
        Err(TutorError::Upstream("the model wrote nothing".into()))
    } else {
        Ok(text.to_owned())
    }
}
