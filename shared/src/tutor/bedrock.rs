//! The tutor on Amazon Bedrock, through its Converse and ConverseStream APIs: the functions'
//! role is the credential, the account pays, and the conversations stay in its regions.
//!
//! Each task keeps its budget and temperature (`task`), and a structured answer is asked in the
//! most reliable form the model takes: Converse's structured output (`outputConfig` with the
//! JSON schema), else a tool whose input schema is the task's and which the model must call, else
//! the schema in the instructions. A model that refuses a form (a `ValidationException` naming
//! it) is asked in the next one from then on, logged once; every answer is validated either way.
//! The SDK retries throttling and passing faults (`ROLECHAT_MODEL_RETRIES`) within the same
//! deadlines as the OpenAI-compatible client.

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseOutput, ConverseStreamOutput,
    InferenceConfiguration, JsonSchemaDefinition, Message, OutputConfig, OutputFormat,
    OutputFormatStructure, OutputFormatType, SpecificToolChoice, StopReason, SystemContentBlock,
    TokenUsage as BedrockUsage, Tool, ToolChoice, ToolConfiguration, ToolInputSchema,
    ToolSpecification,
};
use aws_smithy_types::{Document, Number};
use serde_json::Value;
use tokio::time::{Instant, timeout_at};

use super::TutorError;
use super::message::{PromptMessage, ask_for_json};
use super::openai::{Completed, Finish, Piece, TextStream};
use super::schema::Schema;
use super::structured;
use super::task::{Task, TaskTable};
use super::{TutorConfig, log_usage};
use crate::domain::usage::TokenUsage;

/// Where Bedrock's tutor is, and which model it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedrockConfig {
    /// `ROLECHAT_BEDROCK_MODEL`: a model ID, or the ID or ARN of an inference profile (which the
    /// newer models need: `global.anthropic.claude-haiku-4-5-20251001-v1:0`).
    pub model: String,
    /// `ROLECHAT_BEDROCK_ENDPOINT`: another endpoint (a stand-in in tests); unset in AWS.
    pub endpoint: Option<String>,
}

/// Claude Haiku 4.5 through the global cross-Region inference profile: fluent in every language
/// the tutor teaches, structured output through `outputConfig`, on demand in every commercial
/// Region, and the cheapest current Claude ($1 in and $5 out per million tokens).
pub const DEFAULT_BEDROCK_MODEL: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/// How a structured answer is asked for, from the most to the least reliable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Structured {
    /// `outputConfig.textFormat` with the JSON schema: Bedrock constrains the answer.
    OutputConfig,
    /// A tool whose input schema is the task's, which `toolChoice` makes the model call.
    ForcedTool,
    /// The schema in the system prompt only.
    Instructions,
}

/// The prefixes of cross-Region inference profiles' IDs.
const GEOGRAPHIES: &[&str] = &[
    "global.", "us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.",
];

impl Structured {
    /// Where a model starts, by its family: the models Bedrock's structured output is
    /// documented for take `outputConfig`; older Claude and Mistral Large take a forced tool;
    /// the others (Llama, Nova, Titan, Cohere) refuse `toolChoice` and get instructions.
    pub fn for_model(model: &str) -> Structured {
        let id = model.rsplit('/').next().unwrap_or(model);
        // An inference profile's ID is the model's after a geography.
        let id = GEOGRAPHIES
            .iter()
            .find_map(|geography| id.strip_prefix(geography))
            .unwrap_or(id);
        let family = |prefix: &str| id.starts_with(prefix);
        let anthropic = id.strip_prefix("anthropic.claude-");
        match anthropic {
            Some(rest) => {
                let older = rest.starts_with('3')
                    || rest.starts_with("instant")
                    || rest.starts_with("v2")
                    || ["sonnet-4-2", "opus-4-2", "opus-4-1"]
                        .iter()
                        .any(|old| rest.starts_with(old));
                if older {
                    Structured::ForcedTool
                } else {
                    Structured::OutputConfig
                }
            }
            None if family("mistral.mistral-large") => Structured::ForcedTool,
            None if [
                "qwen.",
                "deepseek.",
                "mistral.",
                "google.",
                "nvidia.",
                "minimax.",
                "moonshot",
                "openai.",
            ]
            .iter()
            .any(|prefix| family(prefix)) =>
            {
                Structured::OutputConfig
            }
            None => Structured::Instructions,
        }
    }

    fn lower(self) -> Option<Structured> {
        match self {
            Structured::OutputConfig => Some(Structured::ForcedTool),
            Structured::ForcedTool => Some(Structured::Instructions),
            Structured::Instructions => None,
        }
    }
}

pub struct BedrockClient {
    client: aws_sdk_bedrockruntime::Client,
    model: String,
    tasks: TaskTable,
    structured: Mutex<Structured>,
    timeout: Duration,
    first_token_timeout: Duration,
    idle_timeout: Duration,
    structured_timeout: Duration,
}

/// One request to send.
struct Call<'a> {
    task: Task,
    prompt: &'a [PromptMessage],
    schema: Option<&'a Schema>,
    budget_factor: u32,
}

impl BedrockClient {
    /// The client, from an SDK configuration that has the region, the credentials and (in
    /// tests) the endpoint: retries and timeouts are the tutor's.
    pub fn new(
        config: &TutorConfig,
        model: &str,
        sdk: aws_sdk_bedrockruntime::config::Builder,
    ) -> Self {
        use aws_sdk_bedrockruntime::config::retry::RetryConfig;
        use aws_sdk_bedrockruntime::config::timeout::TimeoutConfig;
        let sdk = sdk
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(config.retries + 1)
                    .with_initial_backoff(config.retry_backoff.max(Duration::from_millis(1))),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(config.connect_timeout)
                    .build(),
            );
        BedrockClient {
            client: aws_sdk_bedrockruntime::Client::from_conf(sdk.build()),
            model: model.to_owned(),
            tasks: config.tasks.clone(),
            structured: Mutex::new(Structured::for_model(model)),
            timeout: config.timeout,
            first_token_timeout: config.first_token_timeout,
            idle_timeout: config.idle_timeout,
            structured_timeout: config.structured_timeout,
        }
    }

    fn form(&self) -> Structured {
        *self.structured.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Steps a refused form down, once per form, and logs it. Whether it changed.
    fn learn(&self, refused: Structured, message: &str) -> bool {
        let mut form = self.structured.lock().unwrap_or_else(|p| p.into_inner());
        if *form != refused {
            // Another call learned it meanwhile.
            return true;
        }
        let Some(lower) = refused.lower() else {
            return false;
        };
        *form = lower;
        tracing::warn!(model = %self.model, refusal = %summary(message), change = ?lower,
            "the model refused how structured answers were asked; they are asked so from now on");
        true
    }

    fn inference(&self, call: &Call<'_>) -> InferenceConfiguration {
        let settings = self.tasks.get(call.task);
        // Every model on Bedrock takes a temperature from 0 to 1.
        InferenceConfiguration::builder()
            .max_tokens((settings.max_tokens * call.budget_factor) as i32)
            .temperature(settings.temperature.clamp(0.0, 1.0))
            .build()
    }

    /// The whole answer at once, within `deadline`. A structured call's form is learned here.
    async fn converse(&self, call: &Call<'_>, deadline: Instant) -> Result<Completed, TutorError> {
        loop {
            let form = call.schema.map(|_| self.form());
            let mut prompt = call.prompt.to_vec();
            if let (Some(schema), Some(Structured::Instructions)) = (call.schema, form) {
                ask_for_json(&mut prompt, &schema.value);
            }
            let (system, messages) = conversation(&prompt);
            let mut request = self
                .client
                .converse()
                .model_id(&self.model)
                .set_system(Some(system))
                .set_messages(Some(messages))
                .inference_config(self.inference(call));
            match (call.schema, form) {
                (Some(schema), Some(Structured::OutputConfig)) => {
                    request = request.output_config(output_config(schema));
                }
                (Some(schema), Some(Structured::ForcedTool)) => {
                    request = request.tool_config(forced_tool(schema));
                }
                _ => {}
            }
            let output = match timeout_at(deadline, request.send()).await {
                Err(_) => return Err(TutorError::Timeout),
                Ok(Ok(output)) => output,
                Ok(Err(error)) => {
                    let message = error
                        .as_service_error()
                        .and_then(|e| e.message())
                        .unwrap_or_default()
                        .to_owned();
                    if let Some(form) = form
                        && refuses(&error, form)
                        && self.learn(form, &message)
                    {
                        continue;
                    }
                    return Err(failure(error));
                }
            };
            let finish = Finish {
                cut: finished(Some(output.stop_reason()))?,
                usage: output.usage().map(usage),
            };
            log_usage(call.task, &finish);
            let mut text = String::new();
            if let Some(ConverseOutput::Message(message)) = output.output() {
                for block in message.content() {
                    match block {
                        ContentBlock::Text(piece) => text.push_str(piece),
                        // The forced tool's input is the answer.
                        ContentBlock::ToolUse(tool) => {
                            text =
                                serde_json::to_string(&json_of(tool.input())).unwrap_or_default();
                        }
                        _ => {}
                    }
                }
            }
            let text = text.trim().to_owned();
            if text.is_empty() && !finish.cut {
                return Err(TutorError::Upstream("the model wrote nothing".into()));
            }
            return Ok(Completed { text, finish });
        }
    }

    /// The whole reply of a plain task at once, within the first-token timeout.
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
            schema: None,
            budget_factor: 1,
        };
        let completed = self.converse(&call, deadline).await?;
        if completed.text.is_empty() {
            return Err(TutorError::Upstream(
                "the model spent its whole budget before writing anything".into(),
            ));
        }
        Ok(completed)
    }

    /// An answer that follows `schema`, as JSON (see `structured::until_valid`).
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
                schema: Some(schema),
                budget_factor,
            };
            self.converse(&call, deadline).await
        })
        .await
    }

    /// The reply as it is written (ConverseStream). The first piece must come within the
    /// first-token timeout, each next within the idle one; reasoning shows the model alive.
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
            schema: None,
            budget_factor: 1,
        };
        let (system, messages) = conversation(prompt);
        let request = self
            .client
            .converse_stream()
            .model_id(&self.model)
            .set_system(Some(system))
            .set_messages(Some(messages))
            .inference_config(self.inference(&call));
        let output = match timeout_at(first_token_by, request.send()).await {
            Err(_) => return Err(TutorError::Timeout),
            Ok(Err(error)) => return Err(failure(error)),
            Ok(Ok(output)) => output,
        };
        let reading = Reading {
            events: output.stream,
            deadline,
            next_by: first_token_by,
            idle: self.idle_timeout,
            wrote: false,
            cut: None,
            usage: None,
            task,
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

type Events = aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver<
    ConverseStreamOutput,
    aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError,
>;

/// Where the reading of one streamed reply has got to.
struct Reading {
    events: Events,
    deadline: Instant,
    next_by: Instant,
    idle: Duration,
    wrote: bool,
    /// Whether the reply was cut, once its stop reason came.
    cut: Option<bool>,
    usage: Option<TokenUsage>,
    task: Task,
    ended: bool,
}

impl Reading {
    async fn next(&mut self) -> Option<Result<Piece, TutorError>> {
        if self.ended {
            return None;
        }
        loop {
            let event = match timeout_at(self.next_by.min(self.deadline), self.events.recv()).await
            {
                Err(_) => return self.fail(TutorError::Timeout),
                Ok(Ok(Some(event))) => event,
                Ok(Ok(None)) if self.cut.is_some() => return self.end(),
                Ok(Ok(None)) => {
                    return self.fail(TutorError::Upstream(
                        "the reply stream ended before its stop reason".into(),
                    ));
                }
                Ok(Err(error)) => {
                    if self.cut.is_some() {
                        return self.end();
                    }
                    return self.fail(stream_failure(error));
                }
            };
            match event {
                ConverseStreamOutput::ContentBlockDelta(delta) => match delta.delta() {
                    Some(ContentBlockDelta::Text(text)) if !text.is_empty() => {
                        self.wrote = true;
                        self.next_by = Instant::now() + self.idle;
                        return Some(Ok(Piece::Text(text.clone())));
                    }
                    // Thinking, or an empty piece: alive.
                    _ => self.next_by = Instant::now() + self.idle,
                },
                ConverseStreamOutput::MessageStop(stop) => {
                    match finished(Some(stop.stop_reason())) {
                        Ok(cut) => self.cut = Some(cut),
                        Err(error) => return self.fail(error),
                    }
                    // Only the metadata (usage) follows: don't wait long for it.
                    self.next_by = Instant::now() + self.idle.min(Duration::from_secs(2));
                }
                ConverseStreamOutput::Metadata(metadata) => {
                    self.usage = metadata.usage().map(usage);
                    if self.cut.is_some() {
                        return self.end();
                    }
                }
                _ => {}
            }
        }
    }

    fn end(&mut self) -> Option<Result<Piece, TutorError>> {
        if !self.wrote {
            return self.fail(TutorError::Upstream("the model wrote nothing".into()));
        }
        self.ended = true;
        let finish = Finish {
            cut: self.cut.unwrap_or(false),
            usage: self.usage,
        };
        log_usage(self.task, &finish);
        Some(Ok(Piece::Finished(finish)))
    }

    fn fail(&mut self, error: TutorError) -> Option<Result<Piece, TutorError>> {
        self.ended = true;
        Some(Err(error))
    }
}

/// The prompt as Converse takes it: the system messages as its system blocks, the rest as
/// messages that alternate, start with the learner's side and end with it (Bedrock refuses
/// anything else), with no blank text.
fn conversation(prompt: &[PromptMessage]) -> (Vec<SystemContentBlock>, Vec<Message>) {
    let system = prompt
        .iter()
        .filter(|m| m.role == "system" && !m.content.trim().is_empty())
        .map(|m| SystemContentBlock::Text(m.content.clone()))
        .collect();
    let mut turns: Vec<(ConversationRole, String)> = Vec::new();
    for message in prompt.iter().filter(|m| m.role != "system") {
        let text = message.content.trim();
        if text.is_empty() {
            continue;
        }
        let role = if message.role == "assistant" {
            ConversationRole::Assistant
        } else {
            ConversationRole::User
        };
        match turns.last_mut() {
            Some((last, joined)) if *last == role => {
                joined.push_str("\n\n");
                joined.push_str(text);
            }
            _ => turns.push((role, text.to_owned())),
        }
    }
    if turns
        .first()
        .is_none_or(|(role, _)| *role == ConversationRole::Assistant)
    {
        turns.insert(
            0,
            (ConversationRole::User, "(The conversation begins.)".into()),
        );
    }
    if turns
        .last()
        .is_some_and(|(role, _)| *role == ConversationRole::Assistant)
    {
        turns.push((ConversationRole::User, "(Go on.)".into()));
    }
    let messages = turns
        .into_iter()
        .map(|(role, text)| {
            Message::builder()
                .role(role)
                .content(ContentBlock::Text(text))
                .build()
                .expect("a message with a role and content builds")
        })
        .collect();
    (system, messages)
}

fn output_config(schema: &Schema) -> OutputConfig {
    let definition = JsonSchemaDefinition::builder()
        .name(schema.name)
        .schema(schema.for_grammar().to_string())
        .build()
        .expect("a schema definition with its schema builds");
    OutputConfig::builder()
        .text_format(
            OutputFormat::builder()
                .r#type(OutputFormatType::JsonSchema)
                .structure(OutputFormatStructure::JsonSchema(definition))
                .build()
                .expect("an output format with its type builds"),
        )
        .build()
}

fn forced_tool(schema: &Schema) -> ToolConfiguration {
    let spec = ToolSpecification::builder()
        .name(schema.name)
        .description(format!("Gives the {} as its input.", schema.name))
        .input_schema(ToolInputSchema::Json(document_of(&schema.for_grammar())))
        .build()
        .expect("a tool with a name and a schema builds");
    ToolConfiguration::builder()
        .tools(Tool::ToolSpec(spec))
        .tool_choice(ToolChoice::Tool(
            SpecificToolChoice::builder()
                .name(schema.name)
                .build()
                .expect("a tool choice with a name builds"),
        ))
        .build()
        .expect("a tool configuration with a tool builds")
}

/// Whether a stop reason makes a complete answer (`true`: complete but cut at the budget).
fn finished(reason: Option<&StopReason>) -> Result<bool, TutorError> {
    match reason {
        Some(StopReason::EndTurn | StopReason::StopSequence | StopReason::ToolUse) => Ok(false),
        Some(StopReason::MaxTokens) => Ok(true),
        Some(StopReason::ContentFiltered | StopReason::GuardrailIntervened) => Err(
            TutorError::Refused("the model's content filter stopped the reply".into()),
        ),
        Some(StopReason::ModelContextWindowExceeded) => Err(TutorError::Upstream(
            "the conversation is longer than the model's context window".into(),
        )),
        Some(other) => Err(TutorError::Upstream(format!(
            "the reply stopped with stopReason `{}`",
            other.as_str()
        ))),
        None => Err(TutorError::Upstream("the reply has no stop reason".into())),
    }
}

fn usage(usage: &BedrockUsage) -> TokenUsage {
    TokenUsage {
        prompt_tokens: usage.input_tokens().max(0) as u64,
        completion_tokens: usage.output_tokens().max(0) as u64,
        reasoning_tokens: 0,
    }
}

/// Whether a refusal is of the way a structured answer was asked.
fn refuses<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, form: Structured) -> bool {
    let Some(service) = error.as_service_error() else {
        return false;
    };
    let message = service.message().unwrap_or_default();
    service.code() == Some("ValidationException")
        && match form {
            Structured::OutputConfig => {
                message.contains("outputConfig") || message.contains("structured output")
            }
            Structured::ForcedTool => {
                message.contains("toolChoice")
                    || message.contains("tool use")
                    || message.contains("toolConfig")
            }
            Structured::Instructions => false,
        }
}

/// A failed call as the tutor's error: the deployment's to fix (access, a model or profile
/// that is not there, a request refused, a quota), the model's passing fault (throttled after
/// the retries, a model or service error), or time.
fn failure<E, R>(error: SdkError<E, R>) -> TutorError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &error {
        SdkError::TimeoutError(_) => TutorError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => TutorError::Timeout,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => TutorError::Upstream(format!(
            "Bedrock cannot be reached: {}",
            aws_smithy_types::error::display::DisplayErrorContext(&error)
        )),
        SdkError::ServiceError(service) => {
            let error = service.err();
            classify(
                error.code().unwrap_or("Unknown"),
                error.message().unwrap_or_default(),
            )
        }
        _ => TutorError::Upstream(format!("Bedrock's call failed: {error:?}")),
    }
}

fn stream_failure<E, R>(error: SdkError<E, R>) -> TutorError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match failure(error) {
        TutorError::Configuration(problem) => TutorError::Upstream(problem),
        other => other,
    }
}

/// A Bedrock error by its code, as the tutor's error.
fn classify(code: &str, message: &str) -> TutorError {
    let said = format!("Bedrock answered {code}: {}", summary(message));
    match code {
        "AccessDeniedException"
        | "ResourceNotFoundException"
        | "ValidationException"
        | "ServiceQuotaExceededException"
        | "UnrecognizedClientException" => TutorError::Configuration(said),
        // A daily token quota is spent: no wait today will help.
        "ThrottlingException" if message.contains("per day") => TutorError::Configuration(said),
        "ModelTimeoutException" => TutorError::Timeout,
        _ => TutorError::Upstream(said),
    }
}

fn summary(message: &str) -> String {
    let mut short: String = message.chars().take(300).collect();
    if message.chars().count() > 300 {
        short.push('…');
    }
    short
}

/// A JSON value as the SDK's document.
fn document_of(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(if let Some(u) = n.as_u64() {
            Number::PosInt(u)
        } else if let Some(i) = n.as_i64() {
            Number::NegInt(i)
        } else {
            Number::Float(n.as_f64().unwrap_or_default())
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document_of).collect()),
        Value::Object(object) => Document::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), document_of(v)))
                .collect(),
        ),
    }
}

/// The SDK's document as a JSON value.
fn json_of(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => Value::from(*f),
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(json_of).collect()),
        Document::Object(object) => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), json_of(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(prompt: &[(&'static str, &str)]) -> Vec<(String, String)> {
        let prompt: Vec<PromptMessage> = prompt
            .iter()
            .map(|(role, content)| PromptMessage {
                role,
                content: content.to_string(),
            })
            .collect();
        conversation(&prompt)
            .1
            .iter()
            .map(|m| {
                let text = match &m.content()[0] {
                    ContentBlock::Text(text) => text.clone(),
                    _ => String::new(),
                };
                (m.role().as_str().to_owned(), text)
            })
            .collect()
    }

    #[test]
    fn a_conversation_alternates_and_starts_and_ends_with_the_learner() {
        let turns = said(&[
            ("system", "You are a tutor."),
            ("assistant", "Welcome!"),
            ("user", "Hi"),
            ("user", "Are you there?"),
            ("assistant", ""),
            ("assistant", "Yes."),
        ]);
        let roles: Vec<&str> = turns.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]);
        assert_eq!(turns[2].1, "Hi\n\nAre you there?");
        assert_eq!(
            said(&[("system", "s")]).len(),
            1,
            "never an empty conversation"
        );
    }

    #[test]
    fn models_start_in_the_form_they_are_documented_to_take() {
        for (model, form) in [
            (
                "global.anthropic.claude-haiku-4-5-20251001-v1:0",
                Structured::OutputConfig,
            ),
            (
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                Structured::OutputConfig,
            ),
            ("anthropic.claude-opus-4-6-v1", Structured::OutputConfig),
            (
                "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0",
                Structured::OutputConfig,
            ),
            (
                "anthropic.claude-3-5-haiku-20241022-v1:0",
                Structured::ForcedTool,
            ),
            (
                "us.anthropic.claude-opus-4-1-20250805-v1:0",
                Structured::ForcedTool,
            ),
            ("mistral.mistral-large-2407-v1:0", Structured::ForcedTool),
            ("qwen.qwen3-32b-v1:0", Structured::OutputConfig),
            ("openai.gpt-oss-120b-1:0", Structured::OutputConfig),
            ("us.amazon.nova-lite-v1:0", Structured::Instructions),
            ("meta.llama3-3-70b-instruct-v1:0", Structured::Instructions),
        ] {
            assert_eq!(Structured::for_model(model), form, "{model}");
        }
    }

    #[test]
    fn errors_are_the_deployments_or_passing() {
        assert!(matches!(
            classify("AccessDeniedException", "no access"),
            TutorError::Configuration(_)
        ));
        assert!(matches!(
            classify(
                "ThrottlingException",
                "Too many requests, please wait before trying again."
            ),
            TutorError::Upstream(_)
        ));
        assert!(matches!(
            classify(
                "ThrottlingException",
                "Too many tokens per day, please wait before trying again."
            ),
            TutorError::Configuration(_)
        ));
        assert!(matches!(
            classify("ModelTimeoutException", "slow"),
            TutorError::Timeout
        ));
        assert!(matches!(
            classify("ModelErrorException", "oops"),
            TutorError::Upstream(_)
        ));
    }

    #[test]
    fn documents_and_json_convert_both_ways() {
        let value = serde_json::json!({"a": [1, -2, 2.5, "x", true, null], "b": {"c": "d"}});
        assert_eq!(json_of(&document_of(&value)), value);
    }
}
