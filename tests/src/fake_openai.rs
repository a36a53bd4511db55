//! A fake OpenAI-compatible chat-completions server for tests: a real HTTP server on loopback
//! that speaks the wire format (JSON, and SSE chunks with delays) and fails on demand. It records
//! every request, so tests can assert what the model was sent.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt;
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

mod bedrock;
mod judge;
pub use judge::{GPT5_EFFORTS, Judge, LUNA_EFFORTS, tokens};

/// How the fake answers one request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Answers `text`; when streaming, word by word, the first piece after `first_delay` and
    /// each next one after `delay`.
    Reply {
        text: String,
        first_delay: Duration,
        delay: Duration,
    },
    /// Answers with this HTTP status and an OpenAI-style error body.
    Status(u16),
    /// Never answers.
    Hang,
    /// Streams `pieces` pieces of a reply, then drops the connection without finishing.
    CutAfter { pieces: usize },
    /// Answers 200 with a body that is not a chat completion.
    Malformed,
    /// Answers a well-formed completion with no text in it.
    Empty,
    /// Answers `text` the way some compatible server shapes its reply: how the stream ends,
    /// its line ends, comments, and the finish reason (also in a non-streamed reply).
    Shaped { text: String, shape: Shape },
    /// Streams `pieces` pieces, then is silent for `silence` before it finishes.
    StallAfter { pieces: usize, silence: Duration },
    /// Declines, as OpenAI's models do: `message.refusal` (or `delta.refusal`) with no content.
    Refusal(String),
    /// Streams `pieces` pieces, then fails inside the stream as OpenRouter reports it: a chunk
    /// with an `error` and `finish_reason: "error"`.
    FailMidStream { pieces: usize },
    /// Thinks aloud for `thinking` (a `reasoning_content` delta every 200 ms, no text), then
    /// answers `text`: a reasoning model that is slow to its first token but alive.
    Thinking { thinking: Duration, text: String },
    /// `429` with OpenAI's rate-limit body and `Retry-After: seconds`.
    RateLimited { retry_after: u64 },
    /// `429` with OpenAI's quota-spent body: no wait will help.
    QuotaExhausted,
}

/// How a compatible server may write a streamed reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub ending: Ending,
    /// `\r\n` line ends instead of `\n`.
    pub crlf: bool,
    /// SSE comment lines (`: keep-alive`) between events.
    pub comments: bool,
    /// `stop`, or `length` for a reply cut at the token limit.
    pub finish_reason: &'static str,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            ending: Ending::Done,
            crlf: false,
            comments: false,
            finish_reason: "stop",
        }
    }
}

/// What follows the chunk that carries `finish_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `data: [DONE]`, as OpenAI does.
    Done,
    /// Nothing: the connection closes.
    Close,
    /// A usage-only chunk (`choices: []`), then `[DONE]`.
    UsageThenDone,
    /// A usage-only chunk, then the connection closes.
    UsageThenClose,
    /// Nothing, and the connection stays open for a minute.
    Linger,
    /// `data: [DONE]` with no chunk carrying a `finish_reason` before it: how llama-cpp-python
    /// ends a stream it interrupts for another request.
    DoneWithoutFinish,
}

impl Behaviour {
    pub fn reply(text: &str) -> Self {
        Behaviour::Reply {
            text: text.to_owned(),
            first_delay: Duration::ZERO,
            delay: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct Shared {
    /// How long every answer waits before it starts.
    pause: Duration,
    requests: Vec<Value>,
    /// When each request arrived.
    arrivals: Vec<std::time::Instant>,
    script: VecDeque<Behaviour>,
    default: Option<Behaviour>,
    /// A request whose last message contains this marker fails once (500), per distinct message.
    fail_marker: Option<String>,
    failed: std::collections::HashSet<String>,
    /// Structured requests for this schema name answer garbage, every time.
    broken_schema: Option<String>,
    /// Whose rules requests are judged by.
    judge: Option<Judge>,
    /// Which requests (by their place in `requests`) were refused.
    refused: Vec<usize>,
    /// Structured answers (and the tutor's lines) at a real model's length.
    real_length: bool,
    /// The models asked about (`GET /v1/models/{id}`), and the shutdown date answered.
    model_lookups: Vec<String>,
    shutdown_date: Option<String>,
    /// Bedrock: the role has no access to any model.
    bedrock_denied: bool,
    /// Bedrock: the requests as sent (path's model, body, whether streamed).
    bedrock_requests: Vec<Value>,
}

#[derive(Clone)]
pub struct FakeOpenAi {
    /// The base URL to give as `OPENAI_BASE_URL`.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl FakeOpenAi {
    /// Serves on 127.0.0.1:`port` (0 for any free port) from the current Tokio runtime.
    pub async fn start(port: u16) -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let url = format!("http://{}/v1", listener.local_addr()?);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(complete))
            .route("/v1/models/{id}", axum::routing::get(model_info))
            .route("/model/{model}/converse", post(bedrock::converse))
            .route(
                "/model/{model}/converse-stream",
                post(bedrock::converse_stream),
            )
            .with_state(shared.clone());
        // TCP_NODELAY, as a real model server sets it: a stream is written a chunk at a time, and
        // with Nagle's algorithm each chunk would wait for the client's delayed ACK of the last.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(FakeOpenAi { url, shared })
    }

    /// The endpoint to give as `ROLECHAT_BEDROCK_ENDPOINT`: the same server speaks Bedrock's
    /// Converse and ConverseStream (`fake_openai::bedrock`).
    pub fn bedrock_endpoint(&self) -> String {
        self.url.trim_end_matches("/v1").to_owned()
    }

    /// Refuses Bedrock calls as a role without access to the model is refused.
    pub fn deny_bedrock_access(&self) {
        self.shared.lock().unwrap().bedrock_denied = true;
    }

    /// The Bedrock requests as they were sent (the chat-completions bodies they amount to are
    /// in [`FakeOpenAi::requests`]).
    pub fn bedrock_requests(&self) -> Vec<Value> {
        self.shared.lock().unwrap().bedrock_requests.clone()
    }

    /// Answers the next request so; later ones follow the script, then the default.
    /// Makes every answer wait `pause` before it starts (`ZERO` again to stop): so that requests
    /// sent together all reach the model before any of them stores what it answered.
    pub fn pause_answers(&self, pause: Duration) {
        self.shared.lock().unwrap().pause = pause;
    }

    pub fn then(&self, behaviour: Behaviour) {
        self.shared.lock().unwrap().script.push_back(behaviour);
    }

    /// How requests are answered when the script is empty (a short numbered reply at first).
    pub fn answer_by_default(&self, behaviour: Behaviour) {
        self.shared.lock().unwrap().default = Some(behaviour);
    }

    /// Makes a request whose last message contains `marker` fail with 500, the first time that
    /// message is seen: a browser test can make a turn fail, then see its retry succeed.
    pub fn fail_once_on(&self, marker: &str) {
        self.shared.lock().unwrap().fail_marker = Some(marker.to_owned());
    }

    /// Makes every structured request for the schema `name` (`feedback`, `goals`, ...) answer
    /// garbage, whatever else is scripted: one kind of call fails while the others go on.
    pub fn break_schema(&self, name: &str) {
        self.shared.lock().unwrap().broken_schema = Some(name.to_owned());
    }

    /// Judges requests as `judge`'s server does (a compatible server's rules by default).
    pub fn act_as(&self, judge: Judge) {
        self.shared.lock().unwrap().judge = Some(judge);
    }

    /// Answers structured requests (and the tutor's lines) as a good real model does, at its
    /// length, in the language the request asks for (`tests/fixtures/answers`).
    pub fn answer_at_real_length(&self) {
        self.shared.lock().unwrap().real_length = true;
    }

    /// Says, when asked about a model, that it shuts down on `date` (`YYYY-MM-DD`).
    pub fn shut_down_on(&self, date: &str) {
        self.shared.lock().unwrap().shutdown_date = Some(date.to_owned());
    }

    /// The models asked about, in order.
    pub fn model_lookups(&self) -> Vec<String> {
        self.shared.lock().unwrap().model_lookups.clone()
    }

    /// The requests that were refused, as they were sent.
    pub fn refused(&self) -> Vec<Value> {
        let shared = self.shared.lock().unwrap();
        shared
            .refused
            .iter()
            .map(|n| shared.requests[*n].clone())
            .collect()
    }

    /// When each request so far arrived, in the order of [`FakeOpenAi::requests`].
    pub fn arrivals(&self) -> Vec<std::time::Instant> {
        self.shared.lock().unwrap().arrivals.clone()
    }

    /// Every request received so far, as JSON.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.lock().unwrap().requests.clone()
    }
}

/// What the fake does with one request, whichever wire format it came in.
enum Choice {
    /// Fails once with a server error (`fail_once_on`).
    FailOnce,
    /// Answers garbage (`break_schema`).
    Broken,
    Behave {
        behaviour: Behaviour,
        number: usize,
        pause: Duration,
        judge: Judge,
    },
}

/// Records `request` (as the chat-completions body it amounts to) and chooses its answer; a
/// judge's refusal comes back as `Err` (the chat-completions wire only).
fn choose(shared: &Mutex<Shared>, request: &Value, judged: bool) -> Result<Choice, Box<Response>> {
    let mut shared = shared.lock().unwrap();
    shared.requests.push(request.clone());
    shared.arrivals.push(std::time::Instant::now());
    let number = shared.requests.len();
    let judge = shared.judge.unwrap_or(Judge::Compatible);
    if judged && let Some(refusal) = judge.refuse(request) {
        shared.refused.push(number - 1);
        return Err(Box::new(refusal.into_response()));
    }
    let last = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str());
    if let (Some(marker), Some(last)) = (shared.fail_marker.clone(), last)
        && last.contains(&marker)
        && shared.failed.insert(last.to_owned())
    {
        return Ok(Choice::FailOnce);
    }
    let schema = schema_name(request);
    if schema.is_some() && schema == shared.broken_schema {
        return Ok(Choice::Broken);
    }
    let real_length = shared.real_length;
    let behaviour = shared
        .script
        .pop_front()
        .or_else(|| real_length.then(|| real_answer(request)).flatten())
        .or_else(|| structured_reply(request))
        .or_else(|| shared.default.clone())
        .unwrap_or_else(|| {
            Behaviour::reply(&format!(
                "This is reply number {number} from the fake model."
            ))
        });
    Ok(Choice::Behave {
        behaviour,
        number,
        pause: shared.pause,
        judge,
    })
}

async fn complete(
    State(shared): State<Arc<Mutex<Shared>>>,
    Json(request): Json<Value>,
) -> Response {
    let (behaviour, number, pause, judge) = match choose(&shared, &request, true) {
        Err(refusal) => return *refusal,
        Ok(Choice::FailOnce) => {
            let body = json!({"error": {"message": "The fake model failed on purpose.", "type": "server_error"}});
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
        }
        Ok(Choice::Broken) => {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"choices\": [",
            )
                .into_response();
        }
        Ok(Choice::Behave {
            behaviour,
            number,
            pause,
            judge,
        }) => (behaviour, number, pause, judge),
    };
    tokio::time::sleep(pause).await;
    let streaming = request["stream"] == true;
    // The usage chunk OpenAI sends only when `stream_options.include_usage` asks for it.
    let usage_chunk = request["stream_options"]["include_usage"] == true;
    match behaviour {
        Behaviour::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = json!({"error": {"message": "The fake model failed on purpose.", "type": "server_error"}});
            (status, Json(body)).into_response()
        }
        Behaviour::RateLimited { retry_after } => {
            let body = json!({"error": {"message": "Rate limit reached for gpt-6-luna in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
                "type": "requests", "param": null, "code": "rate_limit_exceeded"}});
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after.to_string())],
                Json(body),
            )
                .into_response()
        }
        Behaviour::QuotaExhausted => {
            let body = json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}});
            (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
        }
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Behaviour::Malformed if streaming => sse(
            vec![Ok(Bytes::from("data: {\"choices\": [{\"delta\": \n\n"))],
            Duration::ZERO,
            Duration::ZERO,
        ),
        Behaviour::Malformed => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"choices\": [",
        )
            .into_response(),
        Behaviour::Empty if streaming => sse(
            vec![
                Ok(chunk(
                    number,
                    json!({"role": "assistant", "content": ""}),
                    None,
                )),
                Ok(chunk(number, json!({}), Some("stop"))),
                Ok(done()),
            ],
            Duration::ZERO,
            Duration::ZERO,
        ),
        Behaviour::Empty => Json(completion(number, "", "stop", Value::Null)).into_response(),
        Behaviour::Refusal(words) if streaming => sse(
            vec![
                Ok(chunk(
                    number,
                    json!({"role": "assistant", "content": null, "refusal": ""}),
                    None,
                )),
                Ok(chunk(number, json!({"refusal": words}), None)),
                Ok(chunk(number, json!({}), Some("stop"))),
                Ok(done()),
            ],
            Duration::ZERO,
            Duration::ZERO,
        ),
        Behaviour::Refusal(words) => {
            let mut body = completion(number, "", "stop", Value::Null);
            body["choices"][0]["message"] =
                json!({"role": "assistant", "content": null, "refusal": words});
            Json(body).into_response()
        }
        Behaviour::Reply {
            text,
            first_delay,
            delay,
        } => {
            let spent = Spent::by(judge, &request, &text);
            if !streaming {
                // Written at the pace it would have streamed: a model takes as long to write an
                // answer whether or not it sends it word by word.
                tokio::time::sleep(writing_time(&spent.text, first_delay, delay)).await;
                return Json(completion(number, &spent.text, spent.finish, spent.usage))
                    .into_response();
            }
            if spent.text.is_empty() {
                // Thought until the budget ran out: no content at all, then `length`.
                let mut frames = vec![
                    Ok(chunk(
                        number,
                        json!({"role": "assistant", "content": ""}),
                        None,
                    )),
                    Ok(chunk(number, json!({}), Some("length"))),
                ];
                if usage_chunk {
                    frames.push(Ok(usage_only(number, &spent.usage)));
                }
                frames.push(Ok(done()));
                return sse(frames, first_delay, Duration::ZERO);
            }
            let mut frames: Vec<Result<Bytes, std::io::Error>> = pieces(&spent.text)
                .into_iter()
                .map(|piece| Ok(chunk(number, json!({"content": piece}), None)))
                .collect();
            frames.push(Ok(chunk(number, json!({}), Some(spent.finish))));
            if usage_chunk {
                frames.push(Ok(usage_only(number, &spent.usage)));
            }
            frames.push(Ok(done()));
            sse(frames, first_delay, delay)
        }
        Behaviour::Shaped { text, shape } if !streaming => {
            let mut body = completion(number, &text, shape.finish_reason, Value::Null);
            if shape.ending == Ending::DoneWithoutFinish {
                body["choices"][0]["finish_reason"] = Value::Null;
            }
            Json(body).into_response()
        }
        Behaviour::Shaped { text, shape } => {
            let line_end = if shape.crlf { "\r\n" } else { "\n" };
            let event = |data: String| {
                let comment = if shape.comments {
                    format!(": keep-alive{line_end}")
                } else {
                    String::new()
                };
                Ok(Bytes::from(format!(
                    "{comment}data: {data}{line_end}{line_end}"
                )))
            };
            let chunk_data = |delta: Value, finish: Option<&str>| {
                json!({"id": format!("chatcmpl-fake-{number}"), "object": "chat.completion.chunk",
                       "created": 1795353600, "model": "fake",
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                .to_string()
            };
            let mut frames: Vec<Result<Bytes, std::io::Error>> = pieces(&text)
                .into_iter()
                .map(|piece| event(chunk_data(json!({"content": piece}), None)))
                .collect();
            if shape.ending != Ending::DoneWithoutFinish {
                frames.push(event(chunk_data(json!({}), Some(shape.finish_reason))));
            }
            let usage = json!({"id": format!("chatcmpl-fake-{number}"), "object": "chat.completion.chunk",
                               "created": 1795353600, "model": "fake", "choices": [],
                               "usage": {"prompt_tokens": 321, "completion_tokens": 45, "total_tokens": 366}});
            match shape.ending {
                Ending::Done | Ending::DoneWithoutFinish => frames.push(event("[DONE]".into())),
                Ending::Close => {}
                Ending::UsageThenDone => {
                    frames.push(event(usage.to_string()));
                    frames.push(event("[DONE]".into()));
                }
                Ending::UsageThenClose => frames.push(event(usage.to_string())),
                Ending::Linger => return lingering(frames),
            }
            sse(frames, Duration::ZERO, Duration::ZERO)
        }
        Behaviour::FailMidStream { pieces: count } => {
            let mut frames: Vec<Result<Bytes, std::io::Error>> =
                pieces("This reply fails in the middle of it")
                    .into_iter()
                    .take(count)
                    .map(|piece| Ok(chunk(number, json!({"content": piece}), None)))
                    .collect();
            let failure = json!({"id": format!("gen-fake-{number}"), "object": "chat.completion.chunk",
                "created": 1795353600, "model": "fake", "provider": "Fake",
                "error": {"code": "server_error", "message": "Provider disconnected unexpectedly"},
                "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error", "native_finish_reason": "error"}]});
            frames.push(Ok(Bytes::from(format!(
                ": OPENROUTER PROCESSING\n\ndata: {failure}\n\n"
            ))));
            frames.push(Ok(done()));
            sse(frames, Duration::ZERO, Duration::from_millis(5))
        }
        Behaviour::Thinking { thinking, text } => {
            let beats = (thinking.as_millis() / 200) as usize;
            let mut frames: Vec<Result<Bytes, std::io::Error>> = (0..beats)
                .map(|_| {
                    Ok(chunk(
                        number,
                        json!({"content": null, "reasoning_content": "Thinking about the scene. "}),
                        None,
                    ))
                })
                .collect();
            frames.extend(
                pieces(&text)
                    .into_iter()
                    .map(|piece| Ok(chunk(number, json!({"content": piece}), None))),
            );
            frames.push(Ok(chunk(number, json!({}), Some("stop"))));
            frames.push(Ok(done()));
            if !streaming {
                tokio::time::sleep(thinking).await;
                return Json(completion(number, &text, "stop", Value::Null)).into_response();
            }
            sse(
                frames,
                Duration::from_millis(200),
                Duration::from_millis(200),
            )
        }
        Behaviour::StallAfter {
            pieces: count,
            silence,
        } => {
            let words = pieces("This reply stalls in the middle of it");
            let (before, after) = words.split_at(count.min(words.len()));
            let frames = |words: &[String]| -> Vec<Result<Bytes, std::io::Error>> {
                words
                    .iter()
                    .map(|piece| Ok(chunk(number, json!({"content": piece}), None)))
                    .collect()
            };
            let (before, mut after) = (frames(before), frames(after));
            after.push(Ok(chunk(number, json!({}), Some("stop"))));
            after.push(Ok(done()));
            let stream = futures_util::stream::iter(before)
                .chain(futures_util::stream::once(async move {
                    tokio::time::sleep(silence).await;
                    Ok(Bytes::new())
                }))
                .chain(futures_util::stream::iter(after));
            Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "text/event-stream")
                .body(Body::from_stream(stream))
                .expect("constant headers build")
        }
        Behaviour::CutAfter { pieces: count } => {
            let mut frames: Vec<Result<Bytes, std::io::Error>> =
                pieces("This reply will be cut off before it is complete")
                    .into_iter()
                    .take(count)
                    .map(|piece| Ok(chunk(number, json!({"content": piece}), None)))
                    .collect();
            frames.push(Err(std::io::Error::other(
                "the fake model drops the connection",
            )));
            sse(frames, Duration::ZERO, Duration::from_millis(20))
        }
    }
}

/// `GET /v1/models/{id}`, as OpenAI answers it: the model, with its `shutdown_date` when one is
/// announced.
async fn model_info(
    State(shared): State<Arc<Mutex<Shared>>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Json<Value> {
    let mut shared = shared.lock().unwrap();
    shared.model_lookups.push(id.clone());
    Json(
        json!({"id": id, "object": "model", "created": 1758499200, "owned_by": "system",
                "shutdown_date": shared.shutdown_date}),
    )
}

/// A reply as the server writes it within the request's budget: thinking first (a reasoning
/// model's), then the text, cut where the budget ends.
struct Spent {
    text: String,
    finish: &'static str,
    usage: Value,
}

impl Spent {
    fn by(judge: Judge, request: &Value, text: &str) -> Spent {
        let budget = judge.budget(request).unwrap_or(u64::MAX);
        let thinking = judge.thinking(request).min(budget);
        let (text, cut) = judge::fit(text, (budget - thinking) as usize);
        let prompt = prompt_tokens(request);
        let completion = thinking as usize + tokens(&text);
        Spent {
            finish: if cut { "length" } else { "stop" },
            usage: json!({"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "completion_tokens_details": {"reasoning_tokens": thinking}}),
            text,
        }
    }
}

fn prompt_tokens(request: &Value) -> usize {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| 4 + tokens(m["content"].as_str().unwrap_or_default()))
        .sum()
}

fn schema_name(request: &Value) -> Option<String> {
    requested_schema(request).map(|(name, _)| name)
}

/// The schema a structured request asks its answer to follow, and its name, however it is
/// asked: `json_schema`, llama-cpp-python's `json_object` with `schema`, or in the instructions
/// (then named by its properties, as a model would only see them).
fn requested_schema(request: &Value) -> Option<(String, Value)> {
    let format = &request["response_format"];
    if let Some(name) = format["json_schema"]["name"].as_str() {
        return Some((name.to_owned(), format["json_schema"]["schema"].clone()));
    }
    let schema = if format["schema"].is_object() {
        format["schema"].clone()
    } else {
        let system = request["messages"][0]["content"].as_str()?;
        let (_, after) = system.rsplit_once("JSON Schema:\n")?;
        serde_json::from_str(after.trim()).ok()?
    };
    let properties = schema["properties"].as_object()?;
    let has = |name: &str| properties.contains_key(name);
    let name = if has("summary") {
        "report"
    } else if has("suggestions") {
        "suggestions"
    } else if has("ok") {
        "feedback"
    } else if has("meaning") {
        "meaning"
    } else if has("text") {
        "translation"
    } else {
        "goals"
    };
    Some((name.to_owned(), schema))
}

/// A valid answer to a request for structured output (feedback, translation), derived from the
/// line it is about, so tests can recognise it.
fn structured_reply(request: &Value) -> Option<Behaviour> {
    let (name, schema) = requested_schema(request)?;
    let line = request["messages"].as_array()?.last()?["content"]
        .as_str()?
        .to_owned();
    let answer = match name.as_str() {
        // The line judged is sent as data with the tutor's line before it.
        "feedback" => {
            let data: Value = serde_json::from_str(&line).ok()?;
            let line = data["line"].as_str()?;
            let system = request["messages"][0]["content"]
                .as_str()
                .unwrap_or_default();
            feedback_answer(system, line)
        }
        "translation" => json!({"text": format!("Translated: {line}")}),
        // A goal is met when a learner line of the conversation says `#<goal id>`.
        "goals" => {
            let ids = schema["properties"].as_object()?.keys();
            let learner_said = |id: &str| {
                line.lines().any(|entry| {
                    serde_json::from_str::<Value>(entry).is_ok_and(|entry| {
                        entry["speaker"] == "learner"
                            && entry["line"]
                                .as_str()
                                .is_some_and(|said| said.contains(&format!("#{id}")))
                    })
                })
            };
            Value::Object(
                ids.map(|id| (id.clone(), json!(learner_said(id))))
                    .collect(),
            )
        }
        // A review that names the first learner line as a mistake and keeps one tutor phrase.
        "report" => {
            let first_line = schema["properties"]["mistakes"]["items"]["properties"]["message_id"]
                ["enum"][0]
                .clone();
            json!({
                "summary": "The fake model's summary of the conversation.",
                "strengths": ["You kept the conversation going."],
                "mistakes": [{"message_id": first_line, "corrected": "The fake model's corrected line.",
                              "explanation": "The fake model explains the mistake.",
                              "pattern": "The fake model's pattern"}],
                "vocabulary": [{"text": "fake phrase", "meaning": "a phrase the fake model chose",
                                "example": "This is a fake phrase."}],
                "next_steps": ["Practise with the fake model again."],
                "cefr_estimate": estimate_allowed(&schema).then_some("A2"),
            })
        }
        "meaning" => json!({"meaning": "The fake model's meaning.", "reading": "fake reading",
                            "dictionary_form": null, "grammar": null}),
        // As many lines as the prompt asks for ("Write 3 different things ...").
        "suggestions" => {
            let system = request["messages"][0]["content"]
                .as_str()
                .unwrap_or_default();
            let count = system
                .split("Write ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(1);
            let lines: Vec<Value> = (1..=count)
                .map(|n| json!({"text": format!("Fake suggestion {n}."), "translation": format!("What fake suggestion {n} means.")}))
                .collect();
            json!({ "suggestions": lines })
        }
        // Any other schema is filled with plain values of its types.
        _ => fill(&schema),
    };
    Some(Behaviour::reply(&answer.to_string()))
}

/// Feedback on `line`: an error of the kind `#<category>` names (word choice by default), unless
/// the line says `#ok`; the fact `#fact` offers; and of the words under review the system prompt
/// lists, those the line contains.
fn feedback_answer(system: &str, line: &str) -> Value {
    let ok = line.contains("#ok");
    let category = [
        "tense",
        "article",
        "particle",
        "counter",
        "register",
        "word_order",
    ]
    .into_iter()
    .find(|category| line.contains(&format!("#{category}")))
    .unwrap_or("word_choice");
    let reviewing: Vec<String> = system
        .split_once("the learner is reviewing, ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(list, _)| serde_json::from_str(&format!("{list}]")).ok())
        .unwrap_or_default();
    let used: Vec<&String> = reviewing
        .iter()
        .filter(|word| line.to_lowercase().contains(&word.to_lowercase()))
        .collect();
    json!({
        "ok": ok,
        "corrected": if ok { line.to_owned() } else { format!("{line} (corrected)") },
        "better": null,
        "explanation": "The fake model explains the correction.",
        "category": if ok { Value::Null } else { json!(category) },
        "fact": if line.contains("#fact") { json!("works as a nurse") } else { Value::Null },
        "used_words": used,
    })
}

/// What a good real model answers, at its length (`tests/fixtures/answers`): the report in the
/// learner's language (Korean or Japanese), the other tasks as a Korean learner of Japanese would
/// get them, the tutor's lines as a C2 reply. Goal checks are left to `structured_reply`, whose
/// verdicts tests set.
fn real_answer(request: &Value) -> Option<Behaviour> {
    static OTHERS: LazyLock<Value> = LazyLock::new(|| {
        serde_json::from_str(include_str!("../fixtures/answers/other-tasks.json"))
            .expect("the fixture is JSON")
    });
    let Some((name, schema)) = requested_schema(request) else {
        let system = request["messages"][0]["content"]
            .as_str()
            .unwrap_or_default();
        let opening = request["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .is_some_and(|line| line.starts_with("(The scene begins"));
        let line = if opening { "opener" } else { "reply_c2" };
        let text = OTHERS[line].as_str()?;
        return (!system.is_empty()).then(|| Behaviour::reply(text));
    };
    let answer = match name.as_str() {
        "report" => {
            let system = request["messages"][0]["content"]
                .as_str()
                .unwrap_or_default();
            let mut review: Value = if system.contains("for the learner in Japanese") {
                serde_json::from_str(include_str!("../fixtures/answers/report-ja.json"))
            } else {
                serde_json::from_str(include_str!("../fixtures/answers/report-ko.json"))
            }
            .expect("the fixture is JSON");
            let ids = schema["properties"]["mistakes"]["items"]["properties"]["message_id"]["enum"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mistakes = review["mistakes"].as_array_mut()?;
            mistakes.truncate(ids.len());
            for (mistake, id) in mistakes.iter_mut().zip(ids) {
                mistake["message_id"] = id;
            }
            if !estimate_allowed(&schema) {
                review["cefr_estimate"] = Value::Null;
            }
            review
        }
        "goals" => return None,
        other => OTHERS.get(other)?.clone(),
    };
    Some(Behaviour::reply(&answer.to_string()))
}

/// Whether a report's schema lets the model estimate a level (it allows only null when the
/// learner wrote too little), as a model under the schema's grammar would answer.
fn estimate_allowed(schema: &Value) -> bool {
    schema["properties"]["cefr_estimate"]["type"] != "null"
}

/// A value that follows a JSON schema: each property filled, the first of an enum.
fn fill(schema: &Value) -> Value {
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or_default(),
        kind => kind.clone(),
    };
    match kind.as_str() {
        Some("object") => Value::Object(
            schema["properties"]
                .as_object()
                .map(|properties| {
                    properties
                        .iter()
                        .map(|(name, property)| (name.clone(), fill(property)))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        Some("array") => json!([]),
        Some("boolean") => json!(false),
        Some("integer") | Some("number") => json!(0),
        Some("null") => Value::Null,
        _ => json!("The fake model's text."),
    }
}

/// The text in word-sized pieces, spaces kept, as models stream.
fn pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for character in text.chars() {
        if character == ' ' && !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
        }
        current.push(character);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

fn completion(number: usize, text: &str, finish: &str, usage: Value) -> Value {
    let usage = if usage.is_null() {
        json!({"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20})
    } else {
        usage
    };
    json!({
        "id": format!("chatcmpl-fake-{number}"), "object": "chat.completion", "created": 1795353600, "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": null}, "finish_reason": finish}],
        "usage": usage
    })
}

fn usage_only(number: usize, usage: &Value) -> Bytes {
    let chunk = json!({"id": format!("chatcmpl-fake-{number}"), "object": "chat.completion.chunk",
        "created": 1795353600, "model": "fake", "choices": [], "usage": usage});
    Bytes::from(format!("data: {chunk}\n\n"))
}

fn chunk(number: usize, delta: Value, finish_reason: Option<&str>) -> Bytes {
    let chunk = json!({
        "id": format!("chatcmpl-fake-{number}"), "object": "chat.completion.chunk", "created": 1795353600, "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    });
    Bytes::from(format!("data: {chunk}\n\n"))
}

fn done() -> Bytes {
    Bytes::from_static(b"data: [DONE]\n\n")
}

/// The frames, then a connection that stays open, silent, for a minute.
fn lingering(frames: Vec<Result<Bytes, std::io::Error>>) -> Response {
    let stream = futures_util::stream::iter(frames).chain(futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(Bytes::new())
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .expect("constant headers build")
}

/// How long `text` takes to stream: the first delay, then one delay after each piece but the last.
pub fn writing_time(text: &str, first_delay: Duration, delay: Duration) -> Duration {
    let pieces = pieces(text).len() as u32;
    first_delay + delay * pieces.saturating_sub(1)
}

fn sse(
    frames: Vec<Result<Bytes, std::io::Error>>,
    first_delay: Duration,
    delay: Duration,
) -> Response {
    let stream = futures_util::stream::unfold(
        (frames.into_iter(), true),
        move |(mut frames, first)| async move {
            let frame = frames.next()?;
            let pause = if first { first_delay } else { delay };
            // No pause at all rather than a zero one, which still waits for the timer's next tick
            // (a millisecond).
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            Some((frame, (frames, false)))
        },
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from_stream(stream))
        .expect("constant headers build")
}
