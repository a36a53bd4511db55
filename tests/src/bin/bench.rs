//! `make bench`: what each request costs, measured on this machine. Prints one table and writes
//! it as JSON (`target/bench/bench.json`). Run from a release build, next to the functions'
//! release binaries (`target/release/<function>`), which it starts to time their cold starts.
//!
//! - per route, in-process on the real handlers over the real SDK client and the embedded
//!   DynamoDB: round trips (counted by an interceptor), latency p50/p99 and the store's share of
//!   it (the time DynamoDB calls were in flight), capacity units as DynamoDB reports them;
//! - chat: the first streamed byte of text minus the fake model's own first-token delay; the
//!   prompt's size at turns 20, 100 and 200;
//! - goals and automatic feedback: the same first streamed text in a room with open goals and in
//!   one with automatic feedback, the model calls a turn, and the extra calls' prompt sizes;
//! - cold start of every function binary, from `exec` to its first response, through a Lambda
//!   runtime API served on loopback, and its peak memory;
//! - the size of every function binary, stripped and zipped;
//! - load on the local stacks (`target/bench/load-one.json` and `load-lambda.json`, written by
//!   `bench/load.mjs`), if present;
//! - cost per 1,000 chat turns at on-demand prices.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::repo::{filled_fixture, repo_file};
use rolechat_tests::{TestApp, TestRequest};
use serde_json::{Value, json};

/// us-east-1 on-demand prices (USD).
const DYNAMODB_PER_READ_UNIT: f64 = 0.125 / 1e6;
const DYNAMODB_PER_WRITE_UNIT: f64 = 0.625 / 1e6;
const LAMBDA_ARM_PER_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
const API_GATEWAY_REST_PER_REQUEST: f64 = 3.50 / 1e6;
const GPT_4O_MINI_PER_INPUT_TOKEN: f64 = 0.15 / 1e6;
const GPT_4O_MINI_PER_OUTPUT_TOKEN: f64 = 0.60 / 1e6;
/// How long a streamed reply keeps the chat function busy in AWS (the model writing), assumed.
const MODEL_SECONDS_PER_TURN: f64 = 3.0;
const CHAT_MEMORY_GB: f64 = 0.25;
const MODEL_FIRST_TOKEN: Duration = Duration::from_millis(50);
const REPLY: &str = "Sure, one latte coming right up. Anything else for you today?";

#[derive(Default)]
struct RouteFigures {
    round_trips: Vec<usize>,
    total: Vec<Duration>,
    store: Vec<Duration>,
    read_units: f64,
    write_units: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(values: &[Duration], p: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Bench {
    app: TestApp,
    token: String,
    routes: BTreeMap<String, RouteFigures>,
}

impl Bench {
    /// Sends `request` as one sample of `label`, keeping its round trips, time and store share.
    async fn sample(&mut self, label: &str, request: TestRequest, status: u16) -> Value {
        self.app.round_trips.take();
        self.app.store_meter.take();
        let started = Instant::now();
        let response = self.app.send(request).await;
        let total = started.elapsed();
        assert_eq!(response.status, status, "{label}: {}", response.text());
        let cost = self.app.store_meter.take();
        let figures = self.routes.entry(label.to_owned()).or_default();
        figures.round_trips.push(self.app.round_trips.take());
        figures.total.push(total);
        figures.store.push(cost.busy);
        figures.read_units += cost.read_units;
        figures.write_units += cost.write_units;
        if response.body.is_empty() {
            Value::Null
        } else {
            response.json()
        }
    }

    async fn new_room(&self) -> String {
        let setup = json!({"language": "en-US", "level": "intermediate",
                           "situation": "Ordering coffee in Seattle", "my_role": "a customer",
                           "gpt_role": "a barista"});
        self.app.create_room(&self.token, &setup).await
    }

    async fn say(&self, room: &str, content: &str) -> Value {
        let request = TestRequest::post(&format!("/rooms/{room}/messages"))
            .token(&self.token)
            .json(&json!({"content": content}));
        self.app.send(request).await.json()
    }
}

async fn routes(bench: &mut Bench, runs: usize) {
    let token = bench.token.clone();
    let room = bench.new_room().await;
    for n in 0..30 {
        bench.say(&room, &format!("Learner line {n}.")).await;
    }
    let said = bench.say(&room, "One more, please.").await["user_message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let slow_runs = (runs / 10).max(5); // argon2id is deliberately slow
    for n in 0..slow_runs {
        let credentials = json!({"username": format!("bench-{n}"), "password": "bench password"});
        bench
            .sample(
                "POST /signup",
                TestRequest::post("/signup").json(&credentials),
                201,
            )
            .await;
        let login = bench
            .sample(
                "POST /auth",
                TestRequest::post("/auth").json(&credentials),
                200,
            )
            .await;
        let session = login["access_token"].as_str().unwrap().to_owned();
        // A wrong current password costs the same argon2id work as the right one.
        bench
            .sample(
                "POST /me/password (wrong current)",
                TestRequest::post("/me/password").token(&session).json(
                    &json!({"current_password": "not the password", "new_password": "a new bench password"}),
                ),
                401,
            )
            .await;
        let changed = bench
            .sample(
                "POST /me/password",
                TestRequest::post("/me/password").token(&session).json(
                    &json!({"current_password": "bench password", "new_password": "a new bench password"}),
                ),
                200,
            )
            .await;
        let session = changed["access_token"].as_str().unwrap().to_owned();
        bench
            .sample(
                "DELETE /me/sessions",
                TestRequest::delete("/me/sessions").token(&session),
                204,
            )
            .await;
        let again = json!({"username": format!("bench-{n}"), "password": "a new bench password"});
        let login = bench
            .app
            .send(TestRequest::post("/auth").json(&again))
            .await
            .json();
        let session = login["access_token"].as_str().unwrap().to_owned();
        bench
            .sample(
                "DELETE /me",
                TestRequest::delete("/me")
                    .token(&session)
                    .json(&json!({"password": "a new bench password"})),
                204,
            )
            .await;
    }
    let setup = json!({"language": "en-US", "level": "beginner", "situation": "At the bakery",
                       "my_role": "a customer", "gpt_role": "a baker"});
    for n in 0..runs {
        bench
            .sample("GET /health", TestRequest::get("/health"), 200)
            .await;
        bench
            .sample("GET /nowhere (fallback)", TestRequest::get("/nowhere"), 404)
            .await;
        bench
            .sample("GET /auth", TestRequest::get("/auth").token(&token), 200)
            .await;
        bench
            .sample("GET /rooms", TestRequest::get("/rooms").token(&token), 200)
            .await;
        bench
            .sample("GET /me", TestRequest::get("/me").token(&token), 200)
            .await;
        bench
            .sample(
                "PATCH /me",
                TestRequest::patch("/me")
                    .token(&token)
                    .json(&json!({"display_name": format!("Bench {n}")})),
                200,
            )
            .await;
        let created = bench
            .sample(
                "POST /rooms",
                TestRequest::post("/rooms").token(&token).json(&setup),
                201,
            )
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let edit = json!({"title": format!("Bakery {n}")});
        bench
            .sample(
                "PATCH /rooms/{id}",
                TestRequest::patch(&format!("/rooms/{id}"))
                    .token(&token)
                    .json(&edit),
                200,
            )
            .await;
        bench
            .sample(
                "GET /rooms/{id}",
                TestRequest::get(&format!("/rooms/{room}")).token(&token),
                200,
            )
            .await;
        bench
            .sample(
                "GET /rooms/{id}/messages",
                TestRequest::get(&format!("/rooms/{room}/messages?limit=20")).token(&token),
                200,
            )
            .await;
        bench
            .sample(
                "DELETE /rooms/{id}",
                TestRequest::delete(&format!("/rooms/{id}")).token(&token),
                204,
            )
            .await;
        let turn = TestRequest::post(&format!("/rooms/{room}/messages"))
            .token(&token)
            .json(&json!({"content": format!("Bench line {n}.")}));
        bench
            .sample("POST /rooms/{id}/messages (turn)", turn, 201)
            .await;
        bench
            .sample(
                "POST /rooms/{id}/suggestions",
                TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&token),
                200,
            )
            .await;
        // The first ask of an aid calls the model; later ones read what was stored.
        let feedback = format!("/rooms/{room}/messages/{said}/feedback?ui=en");
        let label = if n == 0 {
            "feedback (fresh)"
        } else {
            "feedback (stored)"
        };
        bench
            .sample(label, TestRequest::post(&feedback).token(&token), 200)
            .await;
        if n % 10 == 0 {
            // The whole account: its rooms (a conversation of 64 messages, and the bench's
            // own rooms as they come and go) and notebook, streamed.
            bench
                .sample(
                    "GET /me/export",
                    TestRequest::get("/me/export").token(&token),
                    200,
                )
                .await;
        }
        let translation = format!("/rooms/{room}/messages/{said}/translation?to=ko");
        let label = if n == 0 {
            "translation (fresh)"
        } else {
            "translation (stored)"
        };
        bench
            .sample(label, TestRequest::post(&translation).token(&token), 200)
            .await;
    }
}

/// When a streamed turn's first text arrived, less the fake model's own first-token delay.
async fn first_delta_overhead(bench: &Bench, request: TestRequest) -> Duration {
    let timed = bench.app.send_timed(request).await;
    let first_delta = timed
        .chunks
        .iter()
        .find(|(_, bytes)| bytes.starts_with(b"event: delta"))
        .expect("a delta")
        .0;
    first_delta.saturating_sub(MODEL_FIRST_TOKEN)
}

/// First streamed text minus the model's first-token delay; prompt size as a room grows.
async fn chat(bench: &Bench) -> Value {
    let room = bench.new_room().await;
    let path = format!("/rooms/{room}/messages");
    bench.app.model.answer_by_default(Behaviour::Reply {
        text: REPLY.into(),
        first_delay: MODEL_FIRST_TOKEN,
        delay: Duration::from_millis(1),
    });
    let mut overheads = Vec::new();
    for n in 0..40 {
        let request = TestRequest::post(&path)
            .token(&bench.token)
            .header("accept", "text/event-stream")
            .json(&json!({"content": format!("Message number {n} from the learner.")}));
        overheads.push(first_delta_overhead(bench, request).await);
    }
    bench.app.model.answer_by_default(Behaviour::reply(REPLY));
    let before = bench.app.model.requests().len();
    for n in 40..200 {
        bench
            .say(&room, &format!("Message number {n} from the learner."))
            .await;
    }
    let requests = bench.app.model.requests();
    let conversation = &requests[before - 40..];
    let mut prompts = BTreeMap::new();
    for turn in [20, 100, 200] {
        let messages = conversation[turn - 1]["messages"].as_array().unwrap();
        let characters: usize = messages
            .iter()
            .map(|m| m["content"].as_str().unwrap().chars().count())
            .sum();
        prompts.insert(
            turn.to_string(),
            json!({"messages": messages.len(), "characters": characters}),
        );
    }
    json!({
        "first_delta_overhead_ms": {
            "turns": overheads.len(),
            "p50": ms(percentile(&overheads, 0.5)),
            "p99": ms(percentile(&overheads, 0.99)),
        },
        "prompt_at_turn": prompts,
    })
}

/// What goal tracking costs a turn: the first streamed text in a room with open goals against
/// one without (the check runs after the reply, so the two should match), the extra model calls,
/// and the size of the goal check's prompt and answer.
async fn goals(bench: &Bench) -> Value {
    bench.app.model.answer_by_default(Behaviour::Reply {
        text: REPLY.into(),
        first_delay: MODEL_FIRST_TOKEN,
        delay: Duration::from_millis(1),
    });
    let plain = bench.new_room().await;
    let scenario = json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "B1",
                          "auto_feedback": false});
    let with_goals = bench.app.create_room(&bench.token, &scenario).await;
    let feedback = json!({"language": "en-US", "level": "B1", "situation": "Ordering coffee in Seattle",
                          "my_role": "a customer", "gpt_role": "a barista", "auto_feedback": true});
    let with_feedback = bench.app.create_room(&bench.token, &feedback).await;
    let mut first = BTreeMap::from([
        ("with_goals", Vec::new()),
        ("with_feedback", Vec::new()),
        ("without_goals", Vec::new()),
    ]);
    let mut calls = BTreeMap::from([
        ("with_goals", 0),
        ("with_feedback", 0),
        ("without_goals", 0),
    ]);
    // Alternated, so that all see the same machine; no line meets a goal, so each turn checks.
    for n in 0..40 {
        for (name, room) in [
            ("without_goals", &plain),
            ("with_goals", &with_goals),
            ("with_feedback", &with_feedback),
        ] {
            let before = bench.app.model.requests().len();
            let request = TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&bench.token)
                .header("accept", "text/event-stream")
                .json(&json!({"content": format!("Message number {n} from the learner.")}));
            let overhead = first_delta_overhead(bench, request).await;
            first.get_mut(name).unwrap().push(overhead);
            *calls.get_mut(name).unwrap() += bench.app.model.requests().len() - before;
        }
    }
    bench.app.model.answer_by_default(Behaviour::reply(REPLY));
    let prompt_characters = |name: &str| -> usize {
        let call = bench
            .app
            .model
            .requests()
            .into_iter()
            .rev()
            .find(|request| request["response_format"]["json_schema"]["name"] == name)
            .expect("such a call was made");
        call["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().chars().count())
            .sum()
    };
    let figures = |name: &str| {
        json!({
            "first_delta_overhead_p50_ms": ms(percentile(&first[name], 0.5)),
            "first_delta_overhead_p99_ms": ms(percentile(&first[name], 0.99)),
            "model_calls_per_turn": calls[name] as f64 / first[name].len() as f64,
        })
    };
    json!({
        "turns": first["with_goals"].len(),
        "with_goals": figures("with_goals"),
        "with_feedback": figures("with_feedback"),
        "without_goals": figures("without_goals"),
        "goal_check_prompt_characters": prompt_characters("goals"),
        "feedback_prompt_characters": prompt_characters("feedback"),
        // {"order": false, "price": false, "here": false}
        "goal_check_answer_characters": 44,
    })
}

/// A Lambda runtime API on loopback that hands out one event and notes when the answer starts.
#[derive(Clone, Default)]
struct RuntimeApi {
    event: Arc<Mutex<Option<Value>>>,
    /// When the function first asked for an event: its initialisation was over.
    ready: Arc<Mutex<Option<Instant>>>,
    answered: Arc<Mutex<Option<(Instant, bool)>>>,
}

async fn next_event(State(api): State<RuntimeApi>) -> impl IntoResponse {
    api.ready.lock().unwrap().get_or_insert_with(Instant::now);
    let event = api.event.lock().unwrap().take();
    match event {
        Some(event) => {
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 60_000;
            let mut headers = HeaderMap::new();
            headers.insert(
                "lambda-runtime-aws-request-id",
                "bench-request".parse().unwrap(),
            );
            headers.insert(
                "lambda-runtime-deadline-ms",
                deadline.to_string().parse().unwrap(),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:000000000000:function:bench"
                    .parse()
                    .unwrap(),
            );
            headers.insert("content-type", "application/json".parse().unwrap());
            (headers, event.to_string()).into_response()
        }
        // One invocation per process: the next poll waits until the process is stopped.
        None => std::future::pending::<axum::response::Response>().await,
    }
}

async fn answered(State(api): State<RuntimeApi>, UrlPath(_id): UrlPath<String>) -> &'static str {
    api.answered
        .lock()
        .unwrap()
        .get_or_insert((Instant::now(), true));
    "{}"
}

async fn failed(State(api): State<RuntimeApi>) -> &'static str {
    api.answered
        .lock()
        .unwrap()
        .get_or_insert((Instant::now(), false));
    "{}"
}

/// The function's main fixture (a login, an opening line, a signup where it has several).
fn fixture(function: &str, token: &str, room: &str, message: &str) -> Value {
    let preferred = ["login.json", "opener.json", "signup.json"];
    let mut files: Vec<String> =
        std::fs::read_dir(repo_file(&format!("functions/{function}/events")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    files.sort_by_key(|name| (!preferred.contains(&name.as_str()), name.clone()));
    serde_json::from_str(&filled_fixture(function, &files[0], token, room, message)).unwrap()
}

fn peak_memory_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct ColdStart {
    /// From `exec` to the first poll for an event (what Lambda reports as Init Duration).
    init: Duration,
    /// From `exec` to the first byte of the first response.
    first_response: Duration,
    peak_kib: u64,
    ok: bool,
}

/// Starts `binary` as Lambda would, hands it `event`, and times `exec` to its first response.
async fn cold_start(binary: &Path, env: &[(String, String)], event: Value) -> ColdStart {
    let api = RuntimeApi::default();
    *api.event.lock().unwrap() = Some(event);
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_event))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(answered),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(failed))
        .route("/2018-06-01/runtime/init/error", post(failed))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let (at, ok) = loop {
        if let Some(answer) = *api.answered.lock().unwrap() {
            break answer;
        }
        if started.elapsed() > Duration::from_secs(30) {
            panic!("{} did not answer in 30 s", binary.display());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    let peak_kib = child.id().and_then(peak_memory_kib).unwrap_or_default();
    child.kill().await.ok();
    server.abort();
    let ready = api.ready.lock().unwrap().expect("it asked for the event");
    ColdStart {
        init: ready - started,
        first_response: at - started,
        peak_kib,
        ok,
    }
}

fn zipped_size(path: &Path) -> u64 {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut archive = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    archive.start_file("bootstrap", options).unwrap();
    archive.write_all(&std::fs::read(path).unwrap()).unwrap();
    archive.finish().unwrap();
    buffer.into_inner().len() as u64
}

async fn functions(bench: &Bench) -> Value {
    let release = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let room = bench.new_room().await;
    let message = bench.say(&room, "A coffee, please.").await["user_message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fixture_user = json!({"username": "fixture-user", "password": "fixture password"});
    bench
        .app
        .send(TestRequest::post("/signup").json(&fixture_user))
        .await;
    let config = &bench.app.state.config;
    let env: Vec<(String, String)> = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "bench".into()),
        (
            "DYNAMODB_ENDPOINT",
            rolechat_tests::embedded_dynamodb().into(),
        ),
        ("ROLECHAT_TABLE_PREFIX", config.table_prefix.clone()),
        ("ROLECHAT_JWT_SECRET", rolechat_tests::JWT_SECRET.into()),
        (
            "ROLECHAT_ALLOWED_ORIGINS",
            rolechat_tests::SITE_ORIGIN.into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let mut names: Vec<String> = std::fs::read_dir(repo_file("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // The chat function a second time with the tutor on Bedrock (its stand-in): what building
    // the Bedrock client and its first Converse cost a cold start, beside the OpenAI client's.
    names.push("chat (bedrock)".into());
    let mut figures = BTreeMap::new();
    for name in names {
        let on_bedrock = name == "chat (bedrock)";
        let name_of_binary = if on_bedrock { "chat" } else { name.as_str() };
        let binary = release.join(name_of_binary);
        let mut env = env.clone();
        env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), name_of_binary.to_owned()));
        // As deployed, only the functions that call the model have its key.
        if on_bedrock {
            env.push(("ROLECHAT_MODEL_PROVIDER".into(), "bedrock".into()));
            env.push((
                "ROLECHAT_BEDROCK_ENDPOINT".into(),
                bench.app.model.bedrock_endpoint(),
            ));
        } else if ["chat", "suggest", "feedback", "translate"].contains(&name.as_str()) {
            env.push(("OPENAI_API_KEY".into(), "bench-key".into()));
            env.push(("OPENAI_BASE_URL".into(), bench.app.model.url.clone()));
        }
        let (mut inits, mut starts) = (Vec::new(), Vec::new());
        let mut peak = 0;
        for _ in 0..5 {
            // A session of its own each time: a fixture may end every session (`me-sessions`).
            let login = json!({"username": "bench", "password": "bench password"});
            let token = bench
                .app
                .send(TestRequest::post("/auth").json(&login))
                .await
                .json()["access_token"]
                .as_str()
                .expect("the bench's learner logs in")
                .to_owned();
            // A delete needs a room of its own each time; the others share one.
            let room = if name == "room-delete" {
                let setup = json!({"language": "en-US", "level": "intermediate",
                                   "situation": "Ordering coffee in Seattle", "my_role": "a customer",
                                   "gpt_role": "a barista"});
                bench.app.create_room(&token, &setup).await
            } else {
                room.clone()
            };
            let event = fixture(name_of_binary, &token, &room, &message);
            let start = cold_start(&binary, &env, event).await;
            assert!(start.ok, "{name} reported an error to the runtime API");
            inits.push(start.init);
            starts.push(start.first_response);
            peak = peak.max(start.peak_kib);
        }
        let size = std::fs::metadata(&binary).unwrap().len();
        figures.insert(
            name,
            json!({
                "init_ms": ms(percentile(&inits, 0.5)),
                "init_max_ms": ms(*inits.iter().max().unwrap()),
                "first_response_ms": ms(percentile(&starts, 0.5)),
                "first_response_max_ms": ms(*starts.iter().max().unwrap()),
                "peak_memory_mib": peak as f64 / 1024.0,
                "stripped_bytes": size,
                "zipped_bytes": zipped_size(&binary),
            }),
        );
    }
    json!(figures)
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "arch": std::env::consts::ARCH,
        "kernel": kernel.trim(),
        "rustc": rustc,
    })
}

fn cost(routes: &Value, chat: &Value) -> Value {
    let turn = &routes["POST /rooms/{id}/messages (turn)"];
    let open = &routes["GET /rooms/{id}"];
    let per_turn_dynamodb = turn["read_units"].as_f64().unwrap() * DYNAMODB_PER_READ_UNIT
        + turn["write_units"].as_f64().unwrap() * DYNAMODB_PER_WRITE_UNIT;
    let handler_seconds = turn["p50_ms"].as_f64().unwrap() / 1e3;
    let per_turn_lambda =
        CHAT_MEMORY_GB * (MODEL_SECONDS_PER_TURN + handler_seconds) * LAMBDA_ARM_PER_GB_SECOND
            + LAMBDA_PER_REQUEST;
    let prompt_characters = chat["prompt_at_turn"]["100"]["characters"]
        .as_f64()
        .unwrap();
    // About four characters a token in English; the reply is the fake model's line.
    let (prompt_tokens, reply_tokens) = (prompt_characters / 4.0, REPLY.len() as f64 / 4.0);
    let per_turn_model =
        prompt_tokens * GPT_4O_MINI_PER_INPUT_TOKEN + reply_tokens * GPT_4O_MINI_PER_OUTPUT_TOKEN;
    let thousand = |each: f64| (each * 1000.0 * 1e4).round() / 1e4;
    json!({
        "chat_turn_units": {"read": turn["read_units"], "write": turn["write_units"]},
        "room_open_units": {"read": open["read_units"], "write": open["write_units"]},
        "per_1000_turns_usd": {
            "api_gateway": thousand(API_GATEWAY_REST_PER_REQUEST),
            "lambda": thousand(per_turn_lambda),
            "dynamodb": thousand(per_turn_dynamodb),
            "total": thousand(API_GATEWAY_REST_PER_REQUEST + per_turn_lambda + per_turn_dynamodb),
            "model_tokens_gpt_4o_mini": thousand(per_turn_model),
        },
        "assumptions": format!(
            "us-east-1 on-demand prices; the chat function at {} MB for {MODEL_SECONDS_PER_TURN} s of streaming per turn; \
             model tokens at 4 characters a token, prompt of turn 100",
            CHAT_MEMORY_GB * 1024.0
        ),
    })
}

fn print_table(report: &Value) {
    let m = &report["machine"];
    println!(
        "\nRolechat bench on {} ({} cores, {}), {}",
        m["cpu"].as_str().unwrap_or(""),
        m["cores"],
        m["arch"].as_str().unwrap_or(""),
        m["rustc"].as_str().unwrap_or("")
    );
    println!(
        "\n{:<34} {:>4} {:>6} {:>9} {:>9} {:>9} {:>10} {:>7} {:>7}",
        "route (in-process)",
        "trips",
        "runs",
        "p50 ms",
        "p99 ms",
        "store p50",
        "beyond p50",
        "RRU",
        "WRU"
    );
    for (route, f) in report["routes"].as_object().unwrap() {
        println!(
            "{:<34} {:>4} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>10.3} {:>7.1} {:>7.1}",
            route,
            f["round_trips"],
            f["runs"],
            f["p50_ms"].as_f64().unwrap(),
            f["p99_ms"].as_f64().unwrap(),
            f["store_p50_ms"].as_f64().unwrap(),
            f["beyond_store_p50_ms"].as_f64().unwrap(),
            f["read_units"].as_f64().unwrap(),
            f["write_units"].as_f64().unwrap(),
        );
    }
    println!(
        "\n{:<16} {:>9} {:>9} {:>12} {:>12} {:>9} {:>11} {:>10}",
        "function",
        "init p50",
        "init max",
        "1st reply",
        "1st max",
        "peak MiB",
        "stripped",
        "zipped"
    );
    for (name, f) in report["functions"].as_object().unwrap() {
        println!(
            "{:<16} {:>9.2} {:>9.2} {:>12.2} {:>12.2} {:>9.1} {:>11} {:>10}",
            name,
            f["init_ms"].as_f64().unwrap(),
            f["init_max_ms"].as_f64().unwrap(),
            f["first_response_ms"].as_f64().unwrap(),
            f["first_response_max_ms"].as_f64().unwrap(),
            f["peak_memory_mib"].as_f64().unwrap(),
            f["stripped_bytes"],
            f["zipped_bytes"],
        );
    }
    let chat = &report["chat"];
    let overhead = &chat["first_delta_overhead_ms"];
    println!(
        "\nchat: first streamed text minus the model's first-token delay, {} turns: p50 {:.2} ms, p99 {:.2} ms",
        overhead["turns"],
        overhead["p50"].as_f64().unwrap(),
        overhead["p99"].as_f64().unwrap()
    );
    for (turn, prompt) in chat["prompt_at_turn"].as_object().unwrap() {
        println!(
            "chat: prompt at turn {turn}: {} messages, {} characters",
            prompt["messages"], prompt["characters"]
        );
    }
    let goals = &report["goals"];
    for name in ["without_goals", "with_goals", "with_feedback"] {
        let g = &goals[name];
        println!(
            "goals: {name:<14} first streamed text minus the model's delay: p50 {:.2} ms, p99 {:.2} ms; {:.1} model calls a turn",
            g["first_delta_overhead_p50_ms"].as_f64().unwrap(),
            g["first_delta_overhead_p99_ms"].as_f64().unwrap(),
            g["model_calls_per_turn"].as_f64().unwrap()
        );
    }
    println!(
        "goals: the goal check's prompt {} characters (about {} tokens at 4 a token), its answer about {} characters",
        goals["goal_check_prompt_characters"],
        goals["goal_check_prompt_characters"].as_u64().unwrap() / 4,
        goals["goal_check_answer_characters"]
    );
    println!(
        "feedback: the automatic feedback's prompt {} characters (about {} tokens)",
        goals["feedback_prompt_characters"],
        goals["feedback_prompt_characters"].as_u64().unwrap() / 4
    );
    let stacks = report["load"].as_object().cloned().unwrap_or_default();
    for (stack, load) in &stacks {
        let Some(runs) = load["runs"].as_array() else {
            continue;
        };
        let title = match stack.as_str() {
            "one" => "load on one process (wrk)",
            _ => "load on every function (wrk)",
        };
        println!(
            "\n{:<32} {:>6} {:>9} {:>8} {:>8} {:>7} {:>9}  cores: one / functions / emulator / DynamoDB / model",
            title, "conns", "req/s", "p50 ms", "p99 ms", "errors", "CPU ms/r"
        );
        for l in runs {
            let cores = &l["cores"];
            println!(
                "{:<32} {:>6} {:>9.1} {:>8.1} {:>8.1} {:>7} {:>9.2}  {:.2} / {:.2} / {:.2} / {:.2} / {:.2}",
                l["route"].as_str().unwrap_or_default(),
                l["connections"].as_u64().unwrap_or_default(),
                l["requests_per_second"].as_f64().unwrap_or_default(),
                l["p50_ms"].as_f64().unwrap_or_default(),
                l["p99_ms"].as_f64().unwrap_or_default(),
                l["errors"].as_u64().unwrap_or_default(),
                l["cpu_ms_per_request"].as_f64().unwrap_or_default(),
                cores["one"].as_f64().unwrap_or_default(),
                cores["functions"].as_f64().unwrap_or_default(),
                cores["emulator"].as_f64().unwrap_or_default(),
                cores["dynamodb"].as_f64().unwrap_or_default(),
                cores["model"].as_f64().unwrap_or_default(),
            );
        }
        if let Some(peak) = load.get("stack").filter(|peak| peak.is_object()) {
            println!(
                "peak memory under load: {} MiB (processes: {})",
                peak["peak_rss_mib"], peak["processes"]
            );
        }
        for w in load["writes"].as_array().into_iter().flatten() {
            println!(
                "rooms created at {} connections with {:>7} items stored: {:>7.1} a second, p50 {:.1} ms, p99 {:.1} ms, CPU {:.2} ms/room, errors {}",
                w["connections"],
                w["stored_items"],
                w["rooms_per_second"].as_f64().unwrap_or_default(),
                w["p50_ms"].as_f64().unwrap_or_default(),
                w["p99_ms"].as_f64().unwrap_or_default(),
                w["cpu_ms_per_request"].as_f64().unwrap_or_default(),
                w["errors"],
            );
        }
        for s in load["soak"].as_array().into_iter().flatten() {
            println!(
                "soak, paged reads {:<20} {:>6} reads: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, over a second: {}",
                s["run"].as_str().unwrap_or_default(),
                s["reads"],
                s["p50_ms"].as_f64().unwrap_or_default(),
                s["p99_ms"].as_f64().unwrap_or_default(),
                s["max_ms"].as_f64().unwrap_or_default(),
                s["over_a_second"],
            );
        }
    }
    let c = &report["cost"];
    println!(
        "\ncost: a chat turn {} RRU + {} WRU, opening a room {} RRU",
        c["chat_turn_units"]["read"], c["chat_turn_units"]["write"], c["room_open_units"]["read"]
    );
    let p = &c["per_1000_turns_usd"];
    println!(
        "cost per 1,000 chat turns: API Gateway ${}, Lambda ${}, DynamoDB ${}, total ${}; model tokens (gpt-4o-mini) ${}",
        p["api_gateway"], p["lambda"], p["dynamodb"], p["total"], p["model_tokens_gpt_4o_mini"]
    );
    println!("({})", c["assumptions"].as_str().unwrap_or(""));
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let out_dir = repo_file("target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();

    // The bench samples the export many times: more than a learner may in an hour.
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_DAILY_TURNS", "100000"),
        ("ROLECHAT_EXPORTS_PER_HOUR", "100000"),
    ])
    .await;
    app.store_meter.count_capacity();
    let token = app.sign_up("bench", "bench password").await;
    let mut bench = Bench {
        app,
        token,
        routes: BTreeMap::new(),
    };
    eprintln!("bench: routes in-process ({runs} runs each) ...");
    routes(&mut bench, runs).await;
    let mut route_figures = serde_json::Map::new();
    for (route, f) in &bench.routes {
        let beyond: Vec<Duration> = f
            .total
            .iter()
            .zip(&f.store)
            .map(|(total, store)| total.saturating_sub(*store))
            .collect();
        let runs = f.total.len() as f64;
        route_figures.insert(
            route.clone(),
            json!({
                "runs": f.total.len(),
                "round_trips": f.round_trips.iter().max(),
                "p50_ms": ms(percentile(&f.total, 0.5)),
                "p99_ms": ms(percentile(&f.total, 0.99)),
                "store_p50_ms": ms(percentile(&f.store, 0.5)),
                "beyond_store_p50_ms": ms(percentile(&beyond, 0.5)),
                "read_units": f.read_units / runs,
                "write_units": f.write_units / runs,
            }),
        );
    }
    let routes = Value::Object(route_figures);
    eprintln!("bench: chat streaming and prompt size ...");
    let chat = chat(&bench).await;
    eprintln!("bench: goal tracking ...");
    let goals = goals(&bench).await;
    eprintln!("bench: cold starts and sizes of the release binaries ...");
    let functions = functions(&bench).await;
    // Each kind of local stack's load run, where `make bench` made one.
    let load: serde_json::Map<String, Value> = ["one", "lambda"]
        .into_iter()
        .filter_map(|stack| {
            let text = std::fs::read_to_string(out_dir.join(format!("load-{stack}.json"))).ok()?;
            Some((stack.to_owned(), serde_json::from_str::<Value>(&text).ok()?))
        })
        .collect();
    let load = Value::Object(load);
    let cost = cost(&routes, &chat);
    let report = json!({
        "machine": machine(),
        "routes": routes,
        "chat": chat,
        "goals": goals,
        "functions": functions,
        "load": load,
        "cost": cost,
    });
    print_table(&report);
    let path = out_dir.join("bench.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("\nwritten to {}", path.display());
}
