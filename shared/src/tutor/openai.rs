//! The OpenAI chat-completions API (or any server that speaks it), streaming and not.
//!
//! Compatible servers end a stream in different ways: with `data: [DONE]` (OpenAI), by closing
//! the connection after the chunk that carries `finish_reason`, or after a last usage-only chunk
//! (`choices: []`). A reply whose `finish_reason` arrived is complete however the stream ends;
//! one cut by `length` keeps its text and is marked cut.

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

/// What a streamed reply yields: its text piece by piece, then how it finished. It ends with
/// `Err` instead if the model fails midway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Finished(Finish),
}

/// How a reply ended and what it cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Finish {
    /// The model stopped at its token limit (`finish_reason: "length"`): the text is cut short.
    pub cut: bool,
    pub usage: Option<TokenUsage>,
}

/// The tokens one model call used, as the server reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// A whole reply: its text and how it finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub text: String,
    pub finish: Finish,
}

pub type TextStream = Pin<Box<dyn Stream<Item = Result<Piece, TutorError>> + Send>>;

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [PromptMessage],
    max_tokens: u32,
    stream: bool,
    /// Asks a streaming server for a last chunk with the call's token counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    /// A JSON schema the reply must follow, so it is parsed rather than scraped.
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<CompletionChoice>,
    #[serde(default)]
    usage: Option<TokenUsage>,
}

#[derive(Deserialize)]
struct CompletionChoice {
    message: CompletionMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct CompletionMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<TokenUsage>,
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
    key: secrecy::SecretString,
    model: String,
    timeout: Duration,
    first_token_timeout: Duration,
    idle_timeout: Duration,
    retries: u32,
    retry_backoff: Duration,
    max_tokens: u32,
}

impl OpenAiClient {
    pub fn new(config: &TutorConfig, key: secrecy::SecretString) -> Self {
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
            first_token_timeout: config.first_token_timeout,
            idle_timeout: config.idle_timeout,
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
        use secrecy::ExposeSecret;
        let body = ChatRequest {
            model: &self.model,
            messages: prompt,
            max_tokens: self.max_tokens,
            stream,
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
            response_format,
        };
        let mut attempt = 0;
        loop {
            let request = self
                .http
                .post(&self.url)
                .bearer_auth(self.key.expose_secret())
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

    /// The whole reply at once, within the first-token timeout (nothing arrives earlier).
    /// With `response_format`, a reply that follows that JSON schema.
    #[tracing::instrument(name = "model.complete", skip_all, fields(model = %self.model))]
    pub async fn complete(
        &self,
        prompt: &[PromptMessage],
        response_format: Option<&serde_json::Value>,
    ) -> Result<Completed, TutorError> {
        let deadline = Instant::now() + self.timeout.min(self.first_token_timeout);
        let response = self.send(prompt, false, response_format, deadline).await?;
        let body = match timeout_at(deadline, response.bytes()).await {
            Err(_) => return Err(TutorError::Timeout),
            Ok(Err(error)) => {
                return Err(TutorError::Upstream(format!("the reply was cut: {error}")));
            }
            Ok(Ok(body)) => body,
        };
        let completion: Completion = serde_json::from_slice(&body).map_err(|error| {
            TutorError::Upstream(format!(
                "the reply is not a chat completion ({:?} error at line {}, column {})",
                error.classify(),
                error.line(),
                error.column()
            ))
        })?;
        let choice = completion.choices.into_iter().next();
        let cut = choice
            .as_ref()
            .is_some_and(|choice| choice.finish_reason.as_deref() == Some("length"));
        let text = choice.and_then(|choice| choice.message.content);
        let finish = Finish {
            cut,
            usage: completion.usage,
        };
        log_usage(&finish);
        Ok(Completed {
            text: non_empty(text.unwrap_or_default())?,
            finish,
        })
    }

    /// The reply as it is written. Retries happen only before the first piece of text. The
    /// first piece must come within the first-token timeout, each next within the idle one.
    #[tracing::instrument(name = "model.stream", skip_all, fields(model = %self.model))]
    pub async fn stream(&self, prompt: &[PromptMessage]) -> Result<TextStream, TutorError> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let first_token_by = (started + self.first_token_timeout).min(deadline);
        let response = self.send(prompt, true, None, first_token_by).await?;
        let reading = Reading {
            events: Box::pin(response.bytes_stream().eventsource()),
            deadline,
            next_by: first_token_by,
            idle: self.idle_timeout,
            wrote: false,
            finished: false,
            finish: Finish::default(),
            ended: false,
        };
        Ok(Box::pin(futures_util::stream::unfold(
            reading,
            |mut reading| async move {
                let item = reading.next().await?;
                Some((item, reading))
            },
        )))
    }
}

type Events = Pin<
    Box<
        dyn Stream<
                Item = Result<
                    eventsource_stream::Event,
                    eventsource_stream::EventStreamError<reqwest::Error>,
                >,
            > + Send,
    >,
>;

/// Where the reading of one streamed reply has got to.
struct Reading {
    events: Events,
    deadline: Instant,
    /// When the next event must have come: the first-token or the idle timeout.
    next_by: Instant,
    idle: Duration,
    /// Whether any text came.
    wrote: bool,
    /// Whether `finish_reason` came: the reply is then complete.
    finished: bool,
    finish: Finish,
    ended: bool,
}

impl Reading {
    /// The next piece; `None` once the stream is over.
    async fn next(&mut self) -> Option<Result<Piece, TutorError>> {
        if self.ended {
            return None;
        }
        loop {
            let event = timeout_at(self.next_by.min(self.deadline), self.events.next()).await;
            let event = match event {
                Ok(Some(Ok(event))) => event,
                // The stream ended, broke or went quiet: a reply whose finish came is complete.
                _ if self.finished => return self.end(),
                Err(_) => return self.fail(TutorError::Timeout),
                Ok(None) => {
                    return self.fail(TutorError::Upstream(
                        "the reply stream ended before it was complete".into(),
                    ));
                }
                Ok(Some(Err(error))) => {
                    return self.fail(TutorError::Upstream(format!(
                        "the reply stream broke: {error}"
                    )));
                }
            };
            if event.data.trim() == "[DONE]" {
                return self.end();
            }
            let chunk: Chunk = match serde_json::from_str(&event.data) {
                Ok(chunk) => chunk,
                Err(error) => {
                    return self.fail(TutorError::Upstream(format!(
                        "a reply chunk is not a chat completion chunk ({:?} error)",
                        error.classify()
                    )));
                }
            };
            if let Some(usage) = chunk.usage {
                self.finish.usage = Some(usage);
            }
            let Some(choice) = chunk.choices.into_iter().next() else {
                continue;
            };
            if let Some(reason) = &choice.finish_reason {
                self.finished = true;
                self.finish.cut = reason == "length";
                // After the finish only a usage chunk may follow: don't wait long for it.
                self.next_by = Instant::now() + self.idle.min(Duration::from_secs(2));
            }
            if let Some(text) = choice.delta.content.filter(|text| !text.is_empty()) {
                self.wrote = true;
                if choice.finish_reason.is_none() {
                    self.next_by = Instant::now() + self.idle;
                }
                return Some(Ok(Piece::Text(text)));
            }
        }
    }

    fn end(&mut self) -> Option<Result<Piece, TutorError>> {
        if !self.wrote {
            return self.fail(TutorError::Upstream("the model wrote nothing".into()));
        }
        self.ended = true;
        log_usage(&self.finish);
        Some(Ok(Piece::Finished(self.finish)))
    }

    fn fail(&mut self, error: TutorError) -> Option<Result<Piece, TutorError>> {
        self.ended = true;
        Some(Err(error))
    }
}

/// One line per model call with the tokens it used, so cost per turn is measured.
fn log_usage(finish: &Finish) {
    match finish.usage {
        Some(usage) => tracing::info!(
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            cut = finish.cut,
            "model call"
        ),
        None => tracing::info!(cut = finish.cut, "model call (no usage reported)"),
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
