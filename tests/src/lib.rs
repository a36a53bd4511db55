//! The harness of the API tests: the real handlers, wrapped exactly as the functions wrap them,
//! over the real aws-sdk-dynamodb client talking to an embedded DynamoDB on an ephemeral port.
//!
//! One embedded DynamoDB serves the whole test run; each [`TestApp`] gets tables of its own
//! (a fresh prefix), so tests run in parallel without seeing each other's data.

pub mod access;
pub mod fake_openai;
pub mod fake_provider;
pub mod fake_ses;
pub mod fake_speech;
pub mod faults;
pub mod mailbox;
pub mod meter;
pub mod repo;
pub mod s3_server;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use access::Accesses;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use bytes::Bytes;
use fake_openai::FakeOpenAi;
use faults::Faults;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use lambda_http::Body;
use lambda_http::http::{HeaderMap, Method, header};
use meter::StoreMeter;
use rolechat::AppState;
use rolechat::config::Config;
use rolechat::domain::time::Clock;
use rolechat::routes::ROUTES;
use rolechat::runtime::{ApiService, service};
use rolechat::store::{Store, Tables, schema::ensure_tables};
use rolechat_local_dynamodb::{Database, LocalDynamo};
use serde_json::Value;
use tower::ServiceExt;

/// The signing key of every test app, so tests can mint tokens of their own (expired ones, say).
pub const JWT_SECRET: &str = "test-signing-key-that-is-long-enough-for-hs256";
/// The one origin the test apps allow.
pub const SITE_ORIGIN: &str = "http://site.test";
/// The secret a site keeps for a provider login it starts (RFC 7636's example verifier), and its
/// S256 hash, which the start names: the code is exchanged only with the secret.
pub const LOGIN_SECRET: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const LOGIN_BINDING: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Counts the requests the SDK sends: DynamoDB round trips, retries included.
#[derive(Debug, Default, Clone)]
pub struct RoundTrips(Arc<AtomicUsize>);

impl RoundTrips {
    pub fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// The embedded DynamoDB of this test run, on its own thread so it outlives each test's runtime.
pub fn embedded_dynamodb() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let (ready, endpoint) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a Tokio runtime starts");
            runtime.block_on(async {
                let db = Database::memory().expect("an in-memory database opens");
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                let server = LocalDynamo::start(db, addr)
                    .await
                    .expect("loopback can be bound");
                ready
                    .send(server.endpoint.clone())
                    .expect("the test thread waits for this");
                std::future::pending::<()>().await;
            });
        });
        endpoint.recv().expect("the embedded DynamoDB starts")
    })
}

/// Runs `command` for as long as the test process lives: from a thread that lives as long as it,
/// with the child told to end when that thread ends (`PR_SET_PDEATHSIG`), so with the process.
/// The tests' own servers (the mail server, S3) are started so.
pub fn spawn_for_this_process(mut command: std::process::Command) {
    use std::os::unix::process::CommandExt;
    std::thread::spawn(move || {
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let mut child = command
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
        let _ = child.wait();
    });
}

/// Waits until something listens on `port` of the loopback; panics after `seconds`.
pub fn wait_for_port(port: u16, seconds: u64, what: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct TestApp {
    pub state: Arc<AppState>,
    /// The model the app talks to, unless a test asked for the offline tutor.
    pub model: FakeOpenAi,
    /// A plain client on the same tables, for looking at what was stored.
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub tables: Tables,
    pub round_trips: RoundTrips,
    /// What the app asked of DynamoDB, as IAM sees it: (action, table or index).
    pub accesses: Accesses,
    /// The time and capacity the store cost.
    pub store_meter: StoreMeter,
    /// DynamoDB failing on demand.
    pub faults: Faults,
    /// The speech server the app talks to (on unless a test turns speech off).
    pub speech: fake_speech::FakeSpeech,
    /// Where the app keeps synthesized audio, unless a test keeps it in a bucket.
    pub audio_dir: std::path::PathBuf,
    /// With `ROLECHAT_TEST_SERVER=one`, the one-process server over the same state, which every
    /// request goes through over HTTP; otherwise each request goes to its function's service.
    front: Option<OneProcess>,
}

/// The one-process server of a test app, on a port of its own; it stops with the app.
struct OneProcess {
    url: String,
    client: reqwest::Client,
    _stop: tokio::sync::watch::Sender<bool>,
}

impl OneProcess {
    /// Whether this test run sends its requests through the one-process server.
    fn chosen() -> bool {
        match std::env::var("ROLECHAT_TEST_SERVER").as_deref() {
            Ok("one") => true,
            Ok("functions") | Err(_) => false,
            Ok(other) => panic!("ROLECHAT_TEST_SERVER is `one` or `functions`, not `{other}`"),
        }
    }

    async fn start(state: Arc<AppState>) -> OneProcess {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("loopback can be bound");
        // The tests name a client's address as a proxy in front would.
        let front = rolechat_server::Front {
            trusted_proxies: vec![Ipv4Addr::LOCALHOST.into()],
            ..Default::default()
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (addr, _) = front
            .serve(state, listener, stopped)
            .expect("the one-process server starts");
        OneProcess {
            url: format!("http://{addr}"),
            // Redirects are the tests' to follow, as with the functions.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain client builds"),
            _stop: stop,
        }
    }

    async fn send(&self, request: TestRequest) -> TimedResponse {
        let mut sent = self
            .client
            .request(request.method, format!("{}{}", self.url, request.path));
        for (name, value) in &request.headers {
            sent = sent.header(name.as_str(), value.as_str());
        }
        if let Some(ip) = &request.source_ip {
            sent = sent.header("x-forwarded-for", ip.as_str());
        }
        sent = match request.body {
            Body::Empty => sent,
            Body::Text(text) => sent.body(text),
            Body::Binary(bytes) => sent.body(bytes),
            _ => panic!("a test request's body is empty, text or bytes"),
        };
        let started = Instant::now();
        let mut response = sent.send().await.expect("the one-process server answers");
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let mut chunks = Vec::new();
        while let Some(chunk) = response.chunk().await.expect("the reply's body is read") {
            chunks.push((started.elapsed(), chunk));
        }
        TimedResponse {
            status,
            headers,
            chunks,
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// A test app whose configuration is the defaults plus `overrides` (`ROLECHAT_*` variables).
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_with_clock(overrides, Clock::system()).await
    }

    /// A test app whose clock reads the nearest noon (UTC), at most twelve hours from the
    /// system's: a test of a daily, hourly or per-minute count starts with all of its window
    /// ahead, instead of waiting on the wall clock to leave the window's edge.
    pub async fn spawn_at_noon(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_with_clock(overrides, Clock::at_noon()).await
    }

    pub async fn spawn_with_clock(overrides: &[(&str, &str)], clock: Clock) -> Self {
        // The functions' log lines, shown with a failing test's output.
        let _ = lambda_http::tracing::subscriber::fmt()
            .with_test_writer()
            .try_init();
        let endpoint = embedded_dynamodb();
        let prefix = format!("t{}-", ulid::Ulid::new().to_string().to_lowercase());
        let dynamodb = rolechat::state::local_dynamodb_client(endpoint);
        ensure_tables(&dynamodb, &prefix)
            .await
            .expect("tables are created");

        let model = FakeOpenAi::start(0).await.expect("the fake model starts");
        let speech = fake_speech::FakeSpeech::start(0)
            .await
            .expect("the fake speech server starts");
        let audio_dir = std::env::temp_dir().join(format!("rolechat-audio-{prefix}"));
        let audio_dir_text = audio_dir.display().to_string();
        let bedrock_endpoint = model.bedrock_endpoint();
        let defaults = [
            ("ROLECHAT_SPEECH_BASE_URL", speech.url.as_str()),
            ("ROLECHAT_SPEECH_API_KEY", fake_speech::KEY),
            ("ROLECHAT_AUDIO_DIR", audio_dir_text.as_str()),
            ("DYNAMODB_ENDPOINT", endpoint),
            ("ROLECHAT_TABLE_PREFIX", prefix.as_str()),
            ("ROLECHAT_JWT_SECRET", JWT_SECRET),
            ("ROLECHAT_ALLOWED_ORIGINS", SITE_ORIGIN),
            ("OPENAI_API_KEY", "test-model-key"),
            ("OPENAI_BASE_URL", model.url.as_str()),
            ("OPENAI_MODEL", "fake-model"),
            // Used only with ROLECHAT_MODEL_PROVIDER=bedrock: the same fake, in Bedrock's wire.
            ("ROLECHAT_BEDROCK_ENDPOINT", bedrock_endpoint.as_str()),
            ("ROLECHAT_MODEL_TIMEOUT_SECONDS", "5"),
            ("ROLECHAT_MODEL_RETRY_BACKOFF_MS", "20"),
            ("ROLECHAT_OFFLINE_WORD_DELAY_MS", "5"),
        ];
        let config = Config::from_lookup(|name| {
            let find = |vars: &[(&str, &str)]| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            };
            find(overrides).or_else(|| find(&defaults))
        })
        .expect("the test configuration is valid");

        let round_trips = RoundTrips::default();
        let accesses = Accesses::new(&prefix);
        let store_meter = StoreMeter::default();
        let faults = Faults::start().await.expect("the fault server starts");
        let counted = rolechat::state::local_dynamodb_config(endpoint)
            .interceptor(round_trips.clone())
            .interceptor(accesses.clone())
            .interceptor(store_meter.clone())
            .interceptor(faults.clone())
            .build();
        let tables = Tables::with_prefix(&prefix);
        let store = Store::new(aws_sdk_dynamodb::Client::from_conf(counted), tables.clone());
        let openai_key = match &config.tutor.api_key {
            Some(rolechat::domain::setting::SecretSource::Value(key)) => Some(key.clone()),
            _ => None,
        };
        // A bucket at a local S3 server, its requests recorded as IAM sees them.
        let audio = match (&config.audio.bucket, &config.audio.s3_endpoint) {
            (Some(bucket), Some(endpoint)) => {
                let s3 = rolechat::state::local_s3_config()
                    .endpoint_url(endpoint)
                    .force_path_style(true)
                    .interceptor(accesses.clone())
                    .build();
                Some(rolechat::store::AudioCache::S3 {
                    client: aws_sdk_s3::Client::from_conf(s3),
                    bucket: bucket.clone(),
                })
            }
            _ => None,
        };
        let audio = audio.unwrap_or_else(|| rolechat::state::local_audio(&config));
        let mailer = rolechat::state::local_mailer(&config.mail);
        // Bedrock's stand-in, its requests recorded as IAM sees them.
        let model_access = match &config.tutor.bedrock {
            Some(bedrock) => {
                let mut sdk = rolechat::state::local_bedrock_config().interceptor(accesses.clone());
                if let Some(endpoint) = &bedrock.endpoint {
                    sdk = sdk.endpoint_url(endpoint);
                }
                rolechat::tutor::ModelAccess::Bedrock(Box::new(sdk))
            }
            None => rolechat::tutor::ModelAccess::Key(openai_key),
        };
        let state = AppState::with_parts(
            config,
            store,
            &JWT_SECRET.into(),
            model_access,
            clock,
            mailer,
            audio,
        );
        let front = match OneProcess::chosen() {
            true => Some(OneProcess::start(state.clone()).await),
            false => None,
        };
        TestApp {
            front,
            speech,
            audio_dir,
            state,
            model,
            dynamodb,
            tables,
            round_trips,
            accesses,
            store_meter,
            faults,
        }
    }

    /// The function the local router and API Gateway send `method path` to.
    pub fn function_for(method: &Method, path: &str) -> &'static str {
        let path = path.split('?').next().unwrap_or_default();
        let served: Vec<_> = ROUTES
            .iter()
            .filter(|r| rolechat::routes::matches(r.path, path))
            .collect();
        if let Some(route) = served.iter().find(|r| r.method == method) {
            return route.function;
        }
        // A path served by one function takes every method there; that function answers 405.
        match served.first() {
            Some(first) if served.iter().all(|r| r.function == first.function) => first.function,
            _ => "fallback",
        }
    }

    /// The service of `function`, as its binary runs it.
    fn service_for(&self, function: &str) -> ApiService {
        assert!(
            rolechat::routes::functions().contains(&function),
            "the test harness does not know function `{function}`"
        );
        service(self.state.clone(), Some(function))
    }

    fn request(request: TestRequest) -> lambda_http::Request {
        let mut builder = lambda_http::http::Request::builder()
            .method(request.method)
            .uri(request.path.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let req = builder
            .body(request.body)
            .expect("test requests are well formed");
        match request.source_ip {
            Some(ip) => {
                use lambda_http::RequestExt;
                use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
                let mut context = ApiGatewayProxyRequestContext::default();
                context.identity.source_ip = Some(ip);
                req.with_request_context(lambda_http::request::RequestContext::ApiGatewayV1(
                    context,
                ))
            }
            None => req,
        }
    }

    /// Sends a request through the function that serves it, as the deployed API would, and
    /// reads the whole reply.
    pub async fn send(&self, request: TestRequest) -> TestResponse {
        let timed = self.send_timed(request).await;
        let body = timed
            .chunks
            .iter()
            .flat_map(|(_, bytes)| bytes.iter().copied())
            .collect();
        TestResponse {
            status: timed.status,
            headers: timed.headers,
            body,
        }
    }

    /// Whether requests go through the one-process server over HTTP (`ROLECHAT_TEST_SERVER=one`),
    /// where every request has the address it came from.
    pub fn through_one_process(&self) -> bool {
        self.front.is_some()
    }

    /// Like `send`, keeping each piece of the body with the time it arrived after the request
    /// was sent, to see a reply stream.
    pub async fn send_timed(&self, request: TestRequest) -> TimedResponse {
        if let Some(front) = &self.front {
            return front.send(request).await;
        }
        let function = Self::function_for(&request.method, &request.path);
        let service = self.service_for(function);
        let started = Instant::now();
        let req = Self::request(request);
        let (parts, mut body) = service.oneshot(req).await.expect("infallible").into_parts();
        let mut chunks = Vec::new();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.expect("a reply's body never fails").into_data() {
                chunks.push((started.elapsed(), data));
            }
        }
        let (status, headers) = (parts.status, parts.headers);
        TimedResponse {
            status: status.as_u16(),
            headers,
            chunks,
        }
    }

    /// Creates a room with `setup` for the holder of `token`; panics unless it is created.
    /// Returns the room's id.
    pub async fn create_room(&self, token: &str, setup: &Value) -> String {
        let response = self
            .send(TestRequest::post("/rooms").token(token).json(setup))
            .await;
        assert_eq!(response.status, 201, "a room: {}", response.text());
        response.json()["id"].as_str().expect("an id").to_owned()
    }

    /// The session, owner and user record a token names, as a handler sees them; panics if the
    /// session is not live.
    pub async fn authenticated(&self, token: &str) -> rolechat::services::session::Authenticated {
        rolechat::services::session::authenticate(
            &self.state.tokens,
            &self.state.store,
            self.state.clock.now(),
            token,
        )
        .await
        .expect("a live session")
    }

    /// The owner whose session `token` names, as a handler gets it, for writing test data
    /// straight through the store.
    pub async fn owner(&self, token: &str) -> rolechat::store::Owner {
        self.authenticated(token).await.owner
    }

    /// Runs the deletion worker as the deletions table's stream would: each pending job's image
    /// in a stream batch, again after each run rewrote it, until no job is left. Returns how many
    /// batches it took; panics if the worker fails or does not finish within `max_batches`.
    pub async fn drain_deletions(&self, max_batches: usize) -> usize {
        for batch in 0..max_batches {
            let jobs = self
                .state
                .store
                .stalled_deletions(i64::MAX)
                .await
                .expect("the jobs can be read");
            if jobs.is_empty() {
                return batch;
            }
            let event = rolechat::services::deletion::stream_event(&jobs).expect("jobs serialize");
            let answer = rolechat::services::deletion::handle(
                rolechat::services::deletion::Worker::of(&self.state),
                event,
            )
            .await
            .expect("the worker runs");
            assert_eq!(
                answer["batchItemFailures"],
                serde_json::json!([]),
                "the worker reported failures"
            );
        }
        panic!("the deletions did not finish in {max_batches} batches");
    }

    /// Writes `count` messages into a room straight to the table (alternating learner and tutor,
    /// oldest first), many batches at once: for seeding large rooms quickly.
    pub async fn seed_messages(
        &self,
        owner: &str,
        room_id: &str,
        count: usize,
    ) -> Vec<rolechat::store::MessageRecord> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut ids = ulid::Generator::new();
        let messages: Vec<_> = (0..count)
            .map(|n| {
                let role = if n % 2 == 0 {
                    rolechat::domain::room::Role::User
                } else {
                    rolechat::domain::room::Role::Assistant
                };
                rolechat::store::MessageRecord::new(
                    owner,
                    room_id,
                    &ids.generate().unwrap().to_string(),
                    role,
                    &format!("message {n} of a long conversation"),
                    "2026-11-22T10:54:00Z",
                )
            })
            .collect();
        let batches = messages.chunks(25).map(|chunk| {
            let writes: Vec<_> = chunk
                .iter()
                .map(|m| {
                    let put = PutRequest::builder()
                        .set_item(Some(serde_dynamo::to_item(m).unwrap()))
                        .build()
                        .unwrap();
                    WriteRequest::builder().put_request(put).build()
                })
                .collect();
            let client = self.dynamodb.clone();
            let table = self.tables.rooms.clone();
            async move {
                let output = client
                    .batch_write_item()
                    .request_items(table, writes)
                    .send()
                    .await
                    .expect("a seeding batch is written");
                assert!(
                    output
                        .unprocessed_items()
                        .is_none_or(|left| left.is_empty()),
                    "the embedded DynamoDB does not throttle"
                );
            }
        });
        futures_util::stream::iter(batches)
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
        messages
    }

    /// Fills the lease set under `pk` in the limits table (`turns#{user}`, `calls#{aid}#{user}`)
    /// with `count` leases that lapsed a minute ago, as calls whose function died leave it.
    pub async fn fill_with_lapsed_leases(&self, pk: &str, owner: &str, count: usize) {
        use aws_sdk_dynamodb::types::AttributeValue;
        let lapsed_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 - 60_000;
        let leases = (0..count)
            .map(|n| format!("{lapsed_ms}#died-{n}"))
            .collect();
        self.dynamodb
            .put_item()
            .table_name(&self.tables.limits)
            .item("pk", AttributeValue::S(pk.to_owned()))
            .item("owner", AttributeValue::S(owner.to_owned()))
            .item("leases", AttributeValue::Ss(leases))
            .item(
                "expires_at",
                AttributeValue::N((lapsed_ms / 1000 + 3600).to_string()),
            )
            .send()
            .await
            .expect("lapsed leases are written");
    }

    /// Every item of a table, read with a paged scan.
    pub async fn scan_all(
        &self,
        table: &str,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("a scan of a test table");
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return items,
            }
        }
    }

    /// Signs up `username` with `password`; panics unless it succeeds. Returns the access token.
    pub async fn sign_up(&self, username: &str, password: &str) -> String {
        let response = self
            .send(
                TestRequest::post("/signup")
                    .json(&serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(
            response.status,
            201,
            "signup of {username}: {}",
            response.text()
        );
        response.json()["access_token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }
}

/// A reply with each piece of its body and when it arrived.
#[derive(Debug)]
pub struct TimedResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub chunks: Vec<(Duration, Bytes)>,
}

/// The server-sent events of a streamed reply: (event name, JSON data).
pub fn events(body: &[u8]) -> Vec<(String, Value)> {
    String::from_utf8_lossy(body)
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
            };
            let name = field("event:").unwrap_or_else(|| "message".into());
            let data = field("data:").unwrap_or_default();
            let data = serde_json::from_str(&data)
                .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
            (name, data)
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct TestRequest {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// The client's address, as API Gateway puts it in the request context.
    pub source_ip: Option<String>,
}

impl TestRequest {
    pub fn new(method: Method, path: &str) -> Self {
        TestRequest {
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Body::Empty,
            source_ip: None,
        }
    }

    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    pub fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    pub fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }

    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Sends the request as coming from `ip` (API Gateway's `requestContext.identity.sourceIp`).
    pub fn from_ip(mut self, ip: &str) -> Self {
        self.source_ip = Some(ip.to_owned());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn token(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    pub fn json(self, value: &Value) -> Self {
        self.raw(value.to_string())
    }

    pub fn raw(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self.header(header::CONTENT_TYPE.as_str(), "application/json")
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text()))
    }

    /// The `error.code` of a contract error reply, after checking the reply has the error shape.
    pub fn error_code(&self) -> String {
        assert_error_shape(self.status, &self.headers, &self.body);
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

/// Checks that a reply is the contract's error shape: JSON, `{"error": {"code", "message"}}`, and
/// `fields` only for `validation_failed`.
pub fn assert_error_shape(status: u16, headers: &HeaderMap, body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    assert!(status >= 400, "not an error: {status} {text}");
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{status} {text}"
    );
    let value: Value =
        serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let error = value
        .get("error")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no error object: {text}"));
    let code = error
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no code: {text}"));
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no message: {text}"));
    assert!(!message.is_empty());
    assert_eq!(
        error.contains_key("fields"),
        code == "validation_failed",
        "{text}"
    );
    let allowed_keys = ["code", "message", "fields"];
    assert!(
        error.keys().all(|k| allowed_keys.contains(&k.as_str())),
        "{text}"
    );
    assert_eq!(value.as_object().unwrap().len(), 1, "{text}");
}
