//! The OpenAI chat-completions API, or any server that speaks it, streaming and not.
//!
//! Servers that speak it differ in what they accept. A request starts from the provider's
//! documented shape (`provider`) and the task's settings (`task`); when a server refuses a
//! parameter or a value in a `400`/`422` (or a `500` that is plainly a validation error), the
//! client drops or swaps it, tries once more, and keeps the change for the life of the process,
//! logged once, so a learned refusal costs nothing on later calls.
//!
//! A reply is complete only when its `finish_reason` is `stop`, or `length` (then it is marked
//! cut). A stream that ends without one (a server interrupting it ends with `[DONE]` alone),
//! or with `error` or `content_filter`, is a failure, never a finished line.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;

use serde_json::{Value, json};
use tokio::time::{Instant, sleep_until, timeout_at};

use super::TutorConfig;
use super::TutorError;
use super::log_usage;
use super::message::{PromptMessage, ask_for_json};
use super::provider::{self, Auth, Provider, Shape, Structured, TokenParam};
use super::schema::Schema;
use super::structured;
use super::task::{Effort, Task, TaskTable};
use crate::domain::usage::TokenUsage;

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

/// Whatever usage a server reports, however partial (`{}`, a field missing, a field of another
/// type): counts it has are kept, the rest are zero, and a good reply is never refused for it.
fn read_usage(value: &Value) -> Option<TokenUsage> {
    let object = value.as_object()?;
    let count = |value: &Value| value.as_u64().unwrap_or(0);
    Some(TokenUsage {
        prompt_tokens: object.get("prompt_tokens").map_or(0, count),
        completion_tokens: object.get("completion_tokens").map_or(0, count),
        reasoning_tokens: value["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0),
    })
}

/// A whole reply: its text and how it finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub text: String,
    pub finish: Finish,
}

pub type TextStream = Pin<Box<dyn Stream<Item = Result<Piece, TutorError>> + Send>>;

/// What this process has learned the server refuses, on top of the provider's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Adjustments {
    token_param: TokenParam,
    temperature: bool,
    stream_options: bool,
    /// `None` once the server refused `reasoning_effort` altogether.
    effort_floor: Option<Effort>,
    structured: Structured,
    /// The model thinks before it writes (known by its name, or seen spending its budget so).
    reasons: bool,
}

/// A refusal as the provider wrote it: its status, its words and the parameter it names.
#[derive(Debug, Clone)]
pub struct ProviderError {
    pub status: StatusCode,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<String>,
}

/// The request parameters a refusal may name, in no particular order.
const PARAMETERS: &[&str] = &[
    "max_completion_tokens",
    "max_tokens",
    "temperature",
    "reasoning_effort",
    "stream_options",
    "response_format",
    "json_schema",
    "json_object",
];

impl ProviderError {
    /// Reads an error body of any of the shapes providers use: OpenAI's
    /// `{"error": {"message", "type", "param", "code"}}`, Mistral's and FastAPI's
    /// (`{"message": ...}`, `{"detail": [{"loc": [...], "msg"}]}`), Google's list of errors,
    /// Anthropic's, or plain text.
    pub fn read(status: StatusCode, body: &[u8]) -> ProviderError {
        let parsed: Value = serde_json::from_slice(body).unwrap_or_else(|_| {
            Value::String(String::from_utf8_lossy(body).chars().take(2000).collect())
        });
        let error = match &parsed {
            Value::Array(items) => items.first().map_or(&Value::Null, |e| &e["error"]),
            Value::Object(object) => object.get("error").unwrap_or(&parsed),
            _ => &parsed,
        };
        let text = |value: &Value| match value {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut message = text(&error["message"]);
        if message.is_empty() {
            message = match (error, &parsed["detail"]) {
                (_, detail) if !detail.is_null() => text(detail),
                (Value::String(plain), _) => plain.clone(),
                _ => parsed.to_string(),
            };
        }
        let param = error["param"].as_str().map(str::to_owned);
        let code = error["code"]
            .as_str()
            .or_else(|| error["type"].as_str())
            .or_else(|| error["status"].as_str())
            .map(str::to_owned);
        ProviderError {
            status,
            message,
            param,
            code,
        }
    }

    /// The parameter the refusal is about: the one it names, or else the first of ours its
    /// words mention (OpenAI's "'max_tokens' is not supported ... Use 'max_completion_tokens'"
    /// is about the first).
    fn subject(&self, sent: &Value) -> Option<&'static str> {
        if let Some(param) = &self.param {
            let param = param.rsplit('.').next().unwrap_or(param);
            if let Some(known) = PARAMETERS.iter().find(|known| **known == param) {
                return Some(known);
            }
            if param == "messages" && self.message.contains("json") {
                return Some("response_format");
            }
        }
        PARAMETERS
            .iter()
            .filter(|name| {
                sent.get(**name).is_some() || matches!(**name, "json_schema" | "json_object")
            })
            .filter_map(|name| self.message.find(name).map(|at| (at, *name)))
            // `max_tokens` is inside `max_completion_tokens`: at one position, the longer.
            .min_by_key(|(at, name)| (*at, usize::MAX - name.len()))
            .map(|(_, name)| name)
    }

    /// A `500` that is a request validation error (llama-cpp-python answers an unknown
    /// `response_format` so): a configuration problem, not a passing fault.
    fn is_validation(&self) -> bool {
        [
            "validation",
            "literal_error",
            "extra_forbidden",
            "Input should be",
            "not permitted",
        ]
        .iter()
        .any(|sign| self.message.contains(sign))
    }

    /// A quota that is spent, not a rate: waiting will not help.
    fn quota_exhausted(&self) -> bool {
        let code = self.code.as_deref().unwrap_or_default();
        code == "insufficient_quota"
            || ["billing", "credits", "insufficient_quota"]
                .iter()
                .any(|sign| self.message.contains(sign))
    }

    /// The words, short, for logs and errors. A refusal of a request is about its parameters,
    /// which hold no learner text.
    fn summary(&self) -> String {
        let mut message: String = self.message.chars().take(300).collect();
        if self.message.chars().count() > 300 {
            message.push('…');
        }
        message
    }
}

pub struct OpenAiClient {
    http: reqwest::Client,
    url: String,
    key: secrecy::SecretString,
    model: String,
    provider: Provider,
    shape: Shape,
    tasks: TaskTable,
    learned: Mutex<Adjustments>,
    timeout: Duration,
    first_token_timeout: Duration,
    idle_timeout: Duration,
    structured_timeout: Duration,
    retries: u32,
    retry_backoff: Duration,
    /// `GET {base}/models/{model}`, where OpenAI says when a model shuts down; `None` where
    /// there is no such route (Azure's deployment form).
    model_url: Option<String>,
    /// Whether this process has asked it yet: once, on the first call, in the background.
    lifetime_asked: std::sync::atomic::AtomicBool,
}

/// When a model shuts down, as `GET /v1/models/{model}` says (`shutdown_date`, `YYYY-MM-DD`):
/// what to tell the deployer, if anything, on `today`.
pub fn lifetime_warning(model: &str, body: &Value, today: time::Date) -> Option<(bool, String)> {
    let date = body["shutdown_date"].as_str()?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let shutdown = time::Date::parse(date, format).ok()?;
    let days = (shutdown - today).whole_days();
    match days {
        ..=0 => Some((
            true,
            format!("the model {model} was shut down on {date}: set OPENAI_MODEL to a current one"),
        )),
        1..=90 => Some((
            false,
            format!(
                "the model {model} shuts down on {date}, in {days} days: choose its replacement \
                 (see the provider's deprecations page) and set OPENAI_MODEL"
            ),
        )),
        _ => None,
    }
}

/// One request to send.
struct Call<'a> {
    task: Task,
    prompt: &'a [PromptMessage],
    stream: bool,
    schema: Option<&'a Schema>,
    /// 2 when a structured answer cut at its budget is asked again.
    budget_factor: u32,
}

impl OpenAiClient {
    pub fn new(config: &TutorConfig, key: secrecy::SecretString) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .expect("a client with a connect timeout builds");
        let provider = config.provider;
        let mut shape = provider.shape();
        if let Some(one_at_a_time) = config.one_at_a_time {
            shape.one_at_a_time = one_at_a_time;
        }
        OpenAiClient {
            http,
            url: provider::endpoint(
                provider,
                &config.base_url,
                &config.model,
                config.azure_api_version.as_deref(),
            ),
            key,
            model: config.model.clone(),
            provider,
            shape,
            tasks: config.tasks.clone(),
            learned: Mutex::new(Adjustments {
                token_param: shape.token_param,
                temperature: true,
                stream_options: shape.stream_options,
                effort_floor: Some(Effort::None),
                structured: shape.structured,
                reasons: provider::reasons(&config.model),
            }),
            timeout: config.timeout,
            first_token_timeout: config.first_token_timeout,
            idle_timeout: config.idle_timeout,
            structured_timeout: config.structured_timeout,
            retries: config.retries,
            retry_backoff: config.retry_backoff,
            // Only OpenAI's API says when a model shuts down (Azure's deployments do not).
            model_url: (provider == Provider::OpenAi
                || (provider == Provider::Azure && config.azure_api_version.is_none()))
            .then(|| {
                format!(
                    "{}/models/{}",
                    config.base_url.trim_end_matches('/'),
                    config.model
                )
            }),
            lifetime_asked: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Asks, once a process and in the background, when the model shuts down, and logs a
    /// warning when that is near (an error once it is past): a deployment on a retiring model
    /// hears of it before its learners do. A server without the route says nothing.
    fn ask_lifetime_once(&self) {
        if self.lifetime_asked.swap(true, Ordering::Relaxed) {
            return;
        }
        let Some(url) = self.model_url.clone() else {
            return;
        };
        let request = self.authorized(self.http.get(url).timeout(Duration::from_secs(3)));
        let model = self.model.clone();
        tokio::spawn(async move {
            let Ok(response) = request.send().await else {
                return;
            };
            let Ok(body) = response.json::<Value>().await else {
                return;
            };
            match lifetime_warning(&model, &body, crate::domain::time::now().date()) {
                Some((true, warning)) => tracing::error!(%model, "{warning}"),
                Some((false, warning)) => tracing::warn!(%model, "{warning}"),
                None => {}
            }
        });
    }

    /// The request with the key, in the header the provider reads it from.
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        use secrecy::ExposeSecret;
        match self.shape.auth {
            Auth::Bearer => request.bearer_auth(self.key.expose_secret()),
            Auth::ApiKey => request.header("api-key", self.key.expose_secret()),
        }
    }

    /// Whether the server serves one request at a time, so a turn's checks wait for its reply.
    pub fn one_at_a_time(&self) -> bool {
        self.shape.one_at_a_time
    }

    fn adjustments(&self) -> Adjustments {
        *self
            .learned
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The request body, as the provider and what was learned say.
    fn body(&self, call: &Call<'_>, adjustments: &Adjustments) -> Value {
        let settings = self.tasks.get(call.task);
        let mut body = json!({"model": self.model, "stream": call.stream});
        let effort = match (
            adjustments.reasons && self.shape.reasoning_effort,
            adjustments.effort_floor,
        ) {
            (true, Some(floor)) => Some(settings.effort.max(floor)),
            _ => None,
        };
        let thinking = if adjustments.reasons {
            effort.unwrap_or(Effort::Medium).thinking_allowance()
        } else {
            0
        };
        body[adjustments.token_param.name()] =
            json!(settings.max_tokens * call.budget_factor + thinking);
        if let Some(effort) = effort {
            body["reasoning_effort"] = json!(effort.as_str());
        }
        // Reasoning models accept only their default temperature.
        if adjustments.temperature && !adjustments.reasons {
            body["temperature"] = json!(settings.temperature);
        }
        if call.stream && adjustments.stream_options {
            body["stream_options"] = json!({"include_usage": true});
        }
        let mut messages = call.prompt.to_vec();
        if let Some(schema) = call.schema {
            match adjustments.structured {
                Structured::JsonSchema => {
                    let value = if self.shape.no_type_arrays {
                        schema.without_type_arrays()
                    } else {
                        schema.value.clone()
                    };
                    body["response_format"] = json!({"type": "json_schema", "json_schema":
                        {"name": schema.name, "strict": true, "schema": value}});
                }
                Structured::JsonObject => {
                    body["response_format"] = if self.shape.schema_in_json_object {
                        json!({"type": "json_object", "schema": schema.value})
                    } else {
                        json!({"type": "json_object"})
                    };
                    ask_for_json(&mut messages, &schema.value);
                }
                Structured::Instructions => {
                    ask_for_json(&mut messages, &schema.value);
                }
            }
        }
        body["messages"] = json!(messages);
        body
    }

    /// Changes what is sent so the server accepts it, if the refusal says how. Returns what
    /// changed, `None` when nothing can be.
    fn learn(&self, refusal: &ProviderError, sent: &Value, structured: bool) -> Option<String> {
        let subject = refusal.subject(sent)?;
        let mut learned = self
            .learned
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let before = *learned;
        match subject {
            "max_tokens" | "max_completion_tokens" if sent.get(subject).is_some() => {
                learned.token_param = learned.token_param.other();
            }
            "temperature" if sent.get("temperature").is_some() => learned.temperature = false,
            "stream_options" if sent.get("stream_options").is_some() => {
                learned.stream_options = false
            }
            "reasoning_effort" if sent.get("reasoning_effort").is_some() => {
                let sent_effort = sent["reasoning_effort"]
                    .as_str()
                    .and_then(|e| e.parse::<Effort>().ok());
                let value_refused = refusal.code.as_deref() == Some("unsupported_value")
                    || refusal.message.contains("Supported values");
                learned.effort_floor = match (value_refused, sent_effort.and_then(Effort::raised)) {
                    (true, Some(next)) => Some(next),
                    _ => None,
                };
            }
            "response_format" | "json_schema" | "json_object" if structured => {
                learned.structured = learned.structured.lower()?;
            }
            _ => return None,
        }
        let change = describe_change(&before, &learned);
        if change.is_some() {
            tracing::warn!(
                model = %self.model,
                provider = self.provider.name(),
                refusal = %refusal.summary(),
                change = change.as_deref().unwrap_or_default(),
                "the model server refused part of a request; it is sent without it from now on"
            );
        }
        change
    }

    /// A model not known to reason that spent its whole budget thinking (no text, cut, reasoning
    /// tokens reported) reasons: from now on its budgets make room for that. Whether it changed.
    fn learn_it_reasons(&self, wrote: bool, finish: &Finish) -> bool {
        let thought_out =
            !wrote && finish.cut && finish.usage.is_some_and(|usage| usage.reasoning_tokens > 0);
        if !thought_out {
            return false;
        }
        let mut learned = self
            .learned
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let before = *learned;
        learned.reasons = true;
        let change = describe_change(&before, &learned);
        if let Some(change) = &change {
            tracing::warn!(model = %self.model, provider = self.provider.name(), %change,
                "the model spent its whole budget thinking; its budgets make room for that from now on");
        }
        change.is_some()
    }

    /// Sends a request: adjusted when the server refuses a parameter, retried with a doubling
    /// pause (or the server's `Retry-After`) when it is busy or failing, all within `deadline`.
    async fn send(
        &self,
        call: &Call<'_>,
        deadline: Instant,
    ) -> Result<reqwest::Response, TutorError> {
        self.ask_lifetime_once();
        let mut attempt = 0;
        let mut adjusted = 0;
        loop {
            let body = self.body(call, &self.adjustments());
            let request = self.authorized(self.http.post(&self.url).json(&body));
            let response = match timeout_at(deadline, request.send()).await {
                Err(_) => return Err(TutorError::Timeout),
                Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                Ok(Ok(response)) => response,
                Ok(Err(error)) if error.is_timeout() => return Err(TutorError::Timeout),
                Ok(Err(error)) => {
                    let problem = TutorError::Upstream(format!(
                        "the model server cannot be reached: {error}"
                    ));
                    self.pause_before_retry(&mut attempt, None, deadline, problem)
                        .await?;
                    continue;
                }
            };
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let bytes = match timeout_at(deadline, response.bytes()).await {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(_)) => Default::default(),
                Err(_) => return Err(TutorError::Timeout),
            };
            let refusal = ProviderError::read(status, &bytes);
            tracing::warn!(
                status = status.as_u16(),
                code = refusal.code.as_deref().unwrap_or_default(),
                param = refusal.param.as_deref().unwrap_or_default(),
                error = %refusal.summary(),
                "the model server refused the call"
            );
            let invalid = matches!(status.as_u16(), 400 | 422)
                || (status.is_server_error() && refusal.is_validation());
            if invalid
                && adjusted < 6
                && self.learn(&refusal, &body, call.schema.is_some()).is_some()
            {
                adjusted += 1;
                continue;
            }
            if invalid || matches!(status.as_u16(), 401 | 402 | 403 | 404 | 405 | 413) {
                return Err(TutorError::Configuration(format!(
                    "the model server refused the request ({status}): {}",
                    refusal.summary()
                )));
            }
            if status == StatusCode::TOO_MANY_REQUESTS && refusal.quota_exhausted() {
                return Err(TutorError::Configuration(format!(
                    "the model account's quota is spent ({status}): {}",
                    refusal.summary()
                )));
            }
            let problem = TutorError::Upstream(format!(
                "the model server answered {status}: {}",
                refusal.summary()
            ));
            self.pause_before_retry(&mut attempt, retry_after, deadline, problem)
                .await?;
        }
    }

    /// Waits before the next try, or gives `problem` back when no try is left in time.
    async fn pause_before_retry(
        &self,
        attempt: &mut u32,
        retry_after: Option<Duration>,
        deadline: Instant,
        problem: TutorError,
    ) -> Result<(), TutorError> {
        if *attempt >= self.retries {
            return Err(problem);
        }
        let wait = retry_after
            .unwrap_or_else(|| crate::domain::time::backoff(self.retry_backoff, *attempt));
        let pause = Instant::now() + wait;
        if pause >= deadline {
            return Err(problem);
        }
        tracing::warn!(attempt = *attempt, wait_ms = wait.as_millis() as u64, error = %problem, "retrying the model call");
        sleep_until(pause).await;
        *attempt += 1;
        Ok(())
    }

    /// The whole reply at once, within `deadline`.
    async fn complete_call(
        &self,
        call: &Call<'_>,
        deadline: Instant,
    ) -> Result<Completed, TutorError> {
        let response = self.send(call, deadline).await?;
        let body = match timeout_at(deadline, response.bytes()).await {
            Err(_) => return Err(TutorError::Timeout),
            Ok(Err(error)) => {
                return Err(TutorError::Upstream(format!("the reply was cut: {error}")));
            }
            Ok(Ok(body)) => body,
        };
        let completion: Value = serde_json::from_slice(&body).map_err(|error| {
            TutorError::Upstream(format!(
                "the reply is not a chat completion ({:?} error at line {}, column {})",
                error.classify(),
                error.line(),
                error.column()
            ))
        })?;
        let choice = &completion["choices"][0];
        if !choice.is_object() {
            return Err(TutorError::Upstream(
                "the reply is not a chat completion (no choice)".into(),
            ));
        }
        if let Some(refusal) = choice["message"]["refusal"]
            .as_str()
            .filter(|r| !r.is_empty())
        {
            return Err(TutorError::Refused(format!(
                "the model declined: {}",
                refusal.chars().take(200).collect::<String>()
            )));
        }
        let cut = finished(choice["finish_reason"].as_str())?;
        let finish = Finish {
            cut,
            usage: read_usage(&completion["usage"]),
        };
        log_usage(call.task, &finish);
        let text = choice["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if text.is_empty() && !cut {
            return Err(TutorError::Upstream("the model wrote nothing".into()));
        }
        Ok(Completed { text, finish })
    }

    /// The whole reply of a plain (not structured) task at once, within the first-token
    /// timeout (nothing arrives earlier).
    #[tracing::instrument(name = "model.complete", skip_all, fields(model = %self.model, task = %task))]
    pub async fn complete(
        &self,
        task: Task,
        prompt: &[PromptMessage],
    ) -> Result<Completed, TutorError> {
        let deadline = Instant::now() + self.timeout.min(self.first_token_timeout);
        let call = Call {
            task,
            prompt,
            stream: false,
            schema: None,
            budget_factor: 1,
        };
        let mut completed = self.complete_call(&call, deadline).await?;
        if completed.text.is_empty() && self.learn_it_reasons(false, &completed.finish) {
            completed = self.complete_call(&call, deadline).await?;
        }
        if completed.text.is_empty() {
            return Err(TutorError::Upstream(
                "the model spent its whole budget before writing anything".into(),
            ));
        }
        Ok(completed)
    }

    /// An answer that follows `schema`, as JSON. Asked in the most reliable form the server
    /// takes (see `Structured`); validated whatever the server enforced; an answer cut at its
    /// budget is asked once more with twice the budget, and an invalid one once more with the
    /// validation error quoted. Never half an answer.
    #[tracing::instrument(name = "model.structured", skip_all, fields(model = %self.model, task = %task))]
    pub async fn structured(
        &self,
        task: Task,
        prompt: &[PromptMessage],
        schema: &Schema,
    ) -> Result<Value, TutorError> {
        let deadline = Instant::now() + self.structured_timeout.min(self.timeout);
        structured::until_valid(task, prompt, schema, |messages, budget_factor| async move {
            let call = Call {
                task,
                prompt: &messages,
                stream: false,
                schema: Some(schema),
                budget_factor,
            };
            let completed = self.complete_call(&call, deadline).await?;
            // A model that thought away its budget is asked again with room to think.
            if completed.text.is_empty() && self.learn_it_reasons(false, &completed.finish) {
                return self.complete_call(&call, deadline).await;
            }
            Ok(completed)
        })
        .await
    }

    /// The reply as it is written. Retries happen only before the first piece of text. The
    /// first piece must come within the first-token timeout, each next within the idle one;
    /// anything the server sends meanwhile (reasoning, keep-alive comments) shows it is alive.
    #[tracing::instrument(name = "model.stream", skip_all, fields(model = %self.model, task = %task))]
    pub async fn stream(
        &self,
        task: Task,
        prompt: &[PromptMessage],
    ) -> Result<TextStream, TutorError> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let first_token_by = (started + self.first_token_timeout).min(deadline);
        let call = Call {
            task,
            prompt,
            stream: true,
            schema: None,
            budget_factor: 1,
        };
        let mut learned_to_think = false;
        loop {
            let response = self.send(&call, first_token_by).await?;
            let mut reading = Reading::new(
                response,
                started,
                deadline,
                first_token_by,
                self.idle_timeout,
                task,
            );
            // Nothing is shown before the first piece: a reply that thought away its whole budget
            // is asked again once, with room to think, as if it had not been.
            let first = reading.next().await;
            if matches!(first, Some(Err(_)))
                && !learned_to_think
                && self.learn_it_reasons(reading.wrote, &reading.finish())
            {
                learned_to_think = true;
                continue;
            }
            return Ok(Box::pin(futures_util::stream::iter(first).chain(
                futures_util::stream::unfold(reading, |mut reading| async move {
                    let item = reading.next().await?;
                    Some((item, reading))
                }),
            )));
        }
    }
}

/// What changed between two sets of adjustments, in words for the log.
fn describe_change(before: &Adjustments, after: &Adjustments) -> Option<String> {
    if before == after {
        return None;
    }
    let mut changes = Vec::new();
    if before.token_param != after.token_param {
        changes.push(format!("the budget as {}", after.token_param.name()));
    }
    if before.temperature != after.temperature {
        changes.push("no temperature".to_owned());
    }
    if before.stream_options != after.stream_options {
        changes.push("no stream_options".to_owned());
    }
    if before.effort_floor != after.effort_floor {
        changes.push(match after.effort_floor {
            Some(effort) => format!("reasoning effort at least {}", effort.as_str()),
            None => "no reasoning effort".to_owned(),
        });
    }
    if before.reasons != after.reasons {
        changes.push("room in the budget for the model's thinking".to_owned());
    }
    if before.structured != after.structured {
        changes.push(format!("structured answers as {:?}", after.structured));
    }
    Some(changes.join(", "))
}

/// Whether a finish reason makes a complete reply: `stop` (or a tool call's, never asked for)
/// is complete, `length` is complete but cut; `content_filter` is a refusal; anything else
/// (`error`, none) is a failure.
fn finished(reason: Option<&str>) -> Result<bool, TutorError> {
    match reason {
        Some("stop") | Some("eos") | Some("end_turn") => Ok(false),
        Some("length") | Some("max_tokens") => Ok(true),
        Some("content_filter") => Err(TutorError::Refused(
            "the provider's content filter stopped the reply".into(),
        )),
        Some(other) => Err(TutorError::Upstream(format!(
            "the reply stopped with finish_reason `{}`",
            other.chars().take(40).collect::<String>()
        ))),
        None => Err(TutorError::Upstream(
            "the reply ended without a finish reason (interrupted?)".into(),
        )),
    }
}

/// `Retry-After` in seconds, or `retry-after-ms` (Azure, OpenAI).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    value("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms.clamp(0.0, 3.6e6) / 1000.0))
        .or_else(|| value("retry-after").map(|s| Duration::from_secs_f64(s.clamp(0.0, 3600.0))))
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
    started: Instant,
    /// When bytes last came, in milliseconds after `started`: any bytes show the server alive.
    heard: Arc<AtomicU64>,
    deadline: Instant,
    /// When the next event must have come: the first-token or the idle timeout.
    next_by: Instant,
    idle: Duration,
    /// Whether any text came.
    wrote: bool,
    /// Whether the reply was cut, once its `finish_reason` came.
    cut: Option<bool>,
    /// The tokens it used, from whichever chunk reported them.
    usage: Option<TokenUsage>,
    task: Task,
    ended: bool,
}

impl Reading {
    fn new(
        response: reqwest::Response,
        started: Instant,
        deadline: Instant,
        first_token_by: Instant,
        idle: Duration,
        task: Task,
    ) -> Reading {
        let heard = Arc::new(AtomicU64::new(0));
        let bytes = {
            let heard = heard.clone();
            response.bytes_stream().inspect(move |_| {
                heard.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            })
        };
        Reading {
            events: Box::pin(bytes.eventsource()),
            started,
            heard,
            deadline,
            next_by: first_token_by,
            idle,
            wrote: false,
            cut: None,
            usage: None,
            task,
            ended: false,
        }
    }

    fn finish(&self) -> Finish {
        Finish {
            cut: self.cut.unwrap_or(false),
            usage: self.usage,
        }
    }

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
                _ if self.cut.is_some() => return self.end(),
                Err(_) => {
                    // Quiet for events, but bytes came (comments, reasoning): still alive.
                    let heard =
                        self.started + Duration::from_millis(self.heard.load(Ordering::Relaxed));
                    let alive_until = heard + self.idle;
                    if alive_until > Instant::now() && Instant::now() < self.deadline {
                        self.next_by = alive_until;
                        continue;
                    }
                    return self.fail(TutorError::Timeout);
                }
                Ok(None) => {
                    return self.fail(TutorError::Upstream(
                        "the reply stream ended before its finish reason".into(),
                    ));
                }
                Ok(Some(Err(error))) => {
                    return self.fail(TutorError::Upstream(format!(
                        "the reply stream broke: {error}"
                    )));
                }
            };
            if event.data.trim() == "[DONE]" {
                if self.cut.is_some() {
                    return self.end();
                }
                return self.fail(TutorError::Upstream(
                    "the reply stream ended without a finish reason (interrupted?)".into(),
                ));
            }
            let chunk: Value = match serde_json::from_str(&event.data) {
                Ok(chunk) => chunk,
                Err(error) => {
                    return self.fail(TutorError::Upstream(format!(
                        "a reply chunk is not a chat completion chunk ({:?} error)",
                        error.classify()
                    )));
                }
            };
            // A failure reported inside the stream (OpenRouter's way).
            if !chunk["error"].is_null() {
                let error =
                    ProviderError::read(StatusCode::OK, chunk["error"].to_string().as_bytes());
                return self.fail(TutorError::Upstream(format!(
                    "the model failed midway: {}",
                    error.summary()
                )));
            }
            if let Some(usage) = read_usage(&chunk["usage"]) {
                self.usage = Some(usage);
            }
            let choice = &chunk["choices"][0];
            if !choice.is_object() {
                continue;
            }
            let delta = &choice["delta"];
            if let Some(refusal) = delta["refusal"].as_str().filter(|r| !r.is_empty()) {
                return self.fail(TutorError::Refused(format!(
                    "the model declined: {}",
                    refusal.chars().take(200).collect::<String>()
                )));
            }
            let text = delta["content"].as_str().filter(|text| !text.is_empty());
            let thinking = ["reasoning_content", "reasoning"]
                .iter()
                .any(|field| delta[field].as_str().is_some_and(|t| !t.is_empty()));
            if let Some(reason) = choice["finish_reason"].as_str() {
                let cut = match finished(Some(reason)) {
                    Ok(cut) => cut,
                    Err(error) => return self.fail(error),
                };
                self.cut = Some(cut);
                // After the finish only a usage chunk may follow: don't wait long for it.
                self.next_by = Instant::now() + self.idle.min(Duration::from_secs(2));
            } else if text.is_some() || thinking {
                self.next_by = Instant::now() + self.idle;
            }
            if let Some(text) = text {
                self.wrote = true;
                return Some(Ok(Piece::Text(text.to_owned())));
            }
        }
    }

    fn end(&mut self) -> Option<Result<Piece, TutorError>> {
        if !self.wrote {
            return self.fail(TutorError::Upstream(
                "the model wrote nothing (a reasoning model may have spent its budget)".into(),
            ));
        }
        self.ended = true;
        let finish = self.finish();
        log_usage(self.task, &finish);
        Some(Ok(Piece::Finished(finish)))
    }

    fn fail(&mut self, error: TutorError) -> Option<Result<Piece, TutorError>> {
        self.ended = true;
        Some(Err(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tutor::structured::json_in;

    #[test]
    fn refusals_name_their_parameter_in_every_providers_shape() {
        let sent =
            json!({"model": "m", "max_tokens": 10, "temperature": 0.2, "stream_options": {}});
        let openai = ProviderError::read(
            StatusCode::BAD_REQUEST,
            br#"{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}"#,
        );
        assert_eq!(openai.subject(&sent), Some("max_tokens"));
        let unnamed = ProviderError {
            param: None,
            ..openai.clone()
        };
        assert_eq!(unnamed.subject(&sent), Some("max_tokens"));
        let mistral = ProviderError::read(
            StatusCode::UNPROCESSABLE_ENTITY,
            br#"{"object": "error", "message": {"detail": [{"type": "extra_forbidden", "loc": ["body", "stream_options"], "msg": "Extra inputs are not permitted"}]}, "type": "invalid_request_error", "param": null, "code": null}"#,
        );
        assert_eq!(mistral.subject(&sent), Some("stream_options"));
        let fastapi = ProviderError::read(
            StatusCode::UNPROCESSABLE_ENTITY,
            br#"{"detail": [{"loc": ["body", "temperature"], "msg": "Input should be less than or equal to 1"}]}"#,
        );
        assert_eq!(fastapi.subject(&sent), Some("temperature"));
        let google = ProviderError::read(
            StatusCode::BAD_REQUEST,
            br#"[{"error": {"code": 400, "message": "Invalid JSON payload received. Unknown name \"stream_options\"", "status": "INVALID_ARGUMENT"}}]"#,
        );
        assert_eq!(google.subject(&sent), Some("stream_options"));
        assert_eq!(google.code.as_deref(), Some("INVALID_ARGUMENT"));
        let plain = ProviderError::read(StatusCode::BAD_GATEWAY, b"upstream connect error");
        assert_eq!(plain.message, "upstream connect error");
        assert_eq!(plain.subject(&sent), None);
        let json_word = ProviderError::read(
            StatusCode::BAD_REQUEST,
            br#"{"error": {"message": "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", "type": "invalid_request_error", "param": "messages", "code": null}}"#,
        );
        assert_eq!(
            json_word.subject(&json!({"response_format": {}})),
            Some("response_format")
        );
    }

    #[test]
    fn a_spent_quota_is_told_from_a_rate_limit() {
        let quota = ProviderError::read(
            StatusCode::TOO_MANY_REQUESTS,
            br#"{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#,
        );
        assert!(quota.quota_exhausted());
        let rate = ProviderError::read(
            StatusCode::TOO_MANY_REQUESTS,
            br#"{"error": {"message": "Rate limit reached for requests per min. Please try again in 20ms.", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}"#,
        );
        assert!(!rate.quota_exhausted());
    }

    #[test]
    fn a_model_near_its_shutdown_is_warned_about() {
        let today = time::macros::date!(2026 - 12 - 02);
        let body = |date: &str| json!({"id": "m", "object": "model", "shutdown_date": date});
        assert_eq!(lifetime_warning("m", &json!({"id": "m"}), today), None);
        assert_eq!(
            lifetime_warning("m", &json!({"shutdown_date": null}), today),
            None
        );
        assert_eq!(lifetime_warning("m", &body("2027-06-01"), today), None);
        let (past, warning) = lifetime_warning("gpt-5", &body("2026-12-11"), today).unwrap();
        assert!(!past);
        assert!(warning.contains("in 9 days"), "{warning}");
        let (past, _) = lifetime_warning("gpt-4", &body("2026-10-23"), today).unwrap();
        assert!(past);
        assert_eq!(lifetime_warning("m", &body("soon"), today), None);
    }

    #[test]
    fn finish_reasons() {
        assert!(!finished(Some("stop")).unwrap());
        assert!(finished(Some("length")).unwrap());
        assert!(matches!(
            finished(Some("content_filter")),
            Err(TutorError::Refused(_))
        ));
        assert!(matches!(
            finished(Some("error")),
            Err(TutorError::Upstream(_))
        ));
        assert!(matches!(finished(None), Err(TutorError::Upstream(_))));
    }

    #[test]
    fn json_is_found_in_what_models_write() {
        assert_eq!(json_in(r#"{"a": 1}"#), Ok(json!({"a": 1})));
        assert_eq!(
            json_in("Here it is:\n```json\n{\"a\": {\"b\": 2}}\n```"),
            Ok(json!({"a": {"b": 2}}))
        );
        assert!(json_in("no json here").is_err());
        assert!(json_in("[1, 2]").is_err());
        assert!(json_in("} {").is_err());
    }

    #[test]
    fn partial_usage_is_read_as_far_as_it_goes() {
        assert_eq!(read_usage(&json!({})), Some(TokenUsage::default()));
        assert_eq!(
            read_usage(&json!({"prompt_tokens": 5, "completion_tokens": "many",
                "completion_tokens_details": {"reasoning_tokens": 3}})),
            Some(TokenUsage {
                prompt_tokens: 5,
                completion_tokens: 0,
                reasoning_tokens: 3
            })
        );
        assert_eq!(read_usage(&Value::Null), None);
    }

    #[test]
    fn retry_after_in_seconds_or_milliseconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
    }
}
