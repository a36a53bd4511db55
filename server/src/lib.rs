//! Rolechat on one machine: every route of the API in one process, over the same router, state
//! and handlers the Lambda functions run, with the embedded DynamoDB, the workers Lambda would
//! start (the deletion sweep, the reminders) and the site's files. A learner, a class or a small
//! school needs nothing else; AWS is where it scales (docs/one-machine.md).

pub mod tables;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::serve::ListenerExt;
use http_body_util::{BodyExt, Limited};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use rolechat::config::{Config, DEFAULT_TABLE_PREFIX};
use rolechat::error::ApiError;
use rolechat::runtime::ApiService;
use rolechat::state::{AppState, local_dynamodb_client};
use rolechat::store::schema::ensure_tables;
use rolechat_local_dynamodb::LocalDynamo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The largest request body taken: API Gateway's own limit on a request (10 MB); every route
/// refuses far less in the contract's shape, this only stops a body from filling the memory.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// How often the workers run. The deletion jobs have no DynamoDB stream here, so the sweep
/// takes each one up within a second of its writing; the reminders run is cheap when no
/// learner's hour has come (AWS runs it every quarter of an hour).
const DELETION_SWEEP_EVERY: Duration = Duration::from_secs(1);
const REMINDERS_EVERY: Duration = Duration::from_secs(60);

/// What `rolechat serve` is told: by its arguments, else the environment, else the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where the API and the site listen (`--listen`, `ROLECHAT_LISTEN`; 127.0.0.1:8080).
    pub listen: SocketAddr,
    /// The conversations, the signing key and the mail (`--data`, `ROLECHAT_DATA_DIR`; .local).
    pub data_dir: PathBuf,
    /// The built site to serve at `/` (`--site`, `ROLECHAT_SITE_DIR`); none: the API alone.
    pub site_dir: Option<PathBuf>,
    /// The address learners reach this server at, when it is not `listen` (a reverse proxy with
    /// TLS in front): `ROLECHAT_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// The embedded DynamoDB's port on 127.0.0.1, for tools that read the tables
    /// (`ROLECHAT_DYNAMODB_PORT`); a free one when unset.
    pub dynamodb_port: Option<u16>,
    /// The reverse proxies in front (`ROLECHAT_TRUSTED_PROXIES`, comma-separated addresses),
    /// whose `X-Forwarded-For` names the client the rate limits count.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Options {
    /// The options of `args` (after `serve`), with `env` for what they leave out.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, String> {
        let mut listen = env("ROLECHAT_LISTEN");
        let mut data_dir = env("ROLECHAT_DATA_DIR");
        let mut site_dir = env("ROLECHAT_SITE_DIR");
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let mut value = |name: &str| {
                rest.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match arg.as_str() {
                "--listen" => listen = Some(value("--listen")?),
                "--data" => data_dir = Some(value("--data")?),
                "--site" => site_dir = Some(value("--site")?),
                other => {
                    return Err(format!(
                        "unknown argument `{other}` (see `rolechat --help`)"
                    ));
                }
            }
        }
        let listen = match listen {
            Some(listen) => listen.parse().map_err(|_| {
                format!("`{listen}` is not an address and port (such as 127.0.0.1:8080)")
            })?,
            None => SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
        };
        let dynamodb_port = match env("ROLECHAT_DYNAMODB_PORT") {
            Some(port) => Some(
                port.parse()
                    .map_err(|_| format!("ROLECHAT_DYNAMODB_PORT={port} is not a port"))?,
            ),
            None => None,
        };
        let public_url = env("ROLECHAT_PUBLIC_URL").map(|url| url.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!("ROLECHAT_PUBLIC_URL={url} is not an http(s) URL"));
        }
        let trusted_proxies = env("ROLECHAT_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|ip| !ip.is_empty())
            .map(|ip| {
                ip.parse()
                    .map_err(|_| format!("ROLECHAT_TRUSTED_PROXIES: `{ip}` is not an IP address"))
            })
            .collect::<Result<Vec<IpAddr>, String>>()?;
        Ok(Options {
            trusted_proxies,
            listen,
            data_dir: PathBuf::from(data_dir.unwrap_or_else(|| ".local".into())),
            site_dir: site_dir.map(PathBuf::from),
            public_url,
            dynamodb_port,
        })
    }

    /// Where a browser reaches this server: the public URL, else the listening address (the
    /// loopback for an unspecified one).
    pub fn base_url(&self) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let ip = match self.listen.ip() {
            ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.listen.port()))
    }
}

/// A running server. [`Server::stop`] stops it, letting the requests in flight finish; dropping it
/// stops it without waiting.
pub struct Server {
    /// Where it listens (the port chosen, when 0 was asked for).
    pub addr: SocketAddr,
    /// Its DynamoDB: the embedded one's loopback endpoint, or `DYNAMODB_ENDPOINT`.
    pub dynamodb_endpoint: String,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    dynamodb: Option<LocalDynamo>,
}

impl Server {
    /// Opens the tables, builds the state as a function does at cold start, and serves.
    /// `env` is the environment (every `ROLECHAT_*`, `OPENAI_*` and AWS setting a function reads).
    pub async fn start(
        options: Options,
        env: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Server, String> {
        if let Some(site) = &options.site_dir
            && !site.join("index.html").is_file()
        {
            return Err(format!(
                "{} holds no site (no index.html): build it first (cd frontend && npm run build)",
                site.display()
            ));
        }
        let prefix = env("ROLECHAT_TABLE_PREFIX").unwrap_or_else(|| DEFAULT_TABLE_PREFIX.into());
        let (dynamodb, endpoint) = match env("DYNAMODB_ENDPOINT") {
            // Another DynamoDB (DynamoDB Local, or a real table): its tables are made there.
            Some(endpoint) => {
                let client = rolechat::state::dynamodb_client_for(&endpoint)
                    .await
                    .map_err(|e| e.to_string())?;
                ensure_tables(&client, &prefix)
                    .await
                    .map_err(|e| format!("cannot create the tables at {endpoint}: {e}"))?;
                (None, endpoint)
            }
            None => {
                let (db, _) = rolechat_local_dynamodb::open_in(&options.data_dir)?;
                let addr =
                    SocketAddr::from((Ipv4Addr::LOCALHOST, options.dynamodb_port.unwrap_or(0)));
                let local = LocalDynamo::start(db, addr)
                    .await
                    .map_err(|e| format!("the embedded DynamoDB cannot listen on {addr}: {e}"))?;
                ensure_tables(&local_dynamodb_client(&local.endpoint), &prefix)
                    .await
                    .map_err(|e| format!("cannot create the tables: {e}"))?;
                let endpoint = local.endpoint.clone();
                (Some(local), endpoint)
            }
        };

        let base_url = options.base_url();
        let signing_key = match (env("ROLECHAT_JWT_SECRET"), env("ROLECHAT_JWT_SECRET_ARN")) {
            (None, None) => Some(signing_key_in(&options.data_dir)?),
            _ => None,
        };
        let defaults = Defaults {
            endpoint: endpoint.clone(),
            signing_key,
            base_url: base_url.clone(),
            site: options.site_dir.is_some(),
        };
        let config = Config::from_lookup(|name| env(name).or_else(|| defaults.get(name)))
            .map_err(|e| e.to_string())?;
        let state = AppState::from_config(config)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;

        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
        let front = Front {
            site_dir: options.site_dir,
            public_url: options.public_url,
            trusted_proxies: options.trusted_proxies,
        };
        let (stop, stopped) = watch::channel(false);
        spawn_workers(&state, stopped.clone());
        let (addr, task) = front.serve(state, listener, stopped)?;
        Ok(Server {
            addr,
            dynamodb_endpoint: endpoint,
            stop,
            task,
            dynamodb,
        })
    }

    /// Stops taking requests, lets those in flight finish, then closes the tables.
    pub async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        match self.dynamodb {
            Some(dynamodb) => dynamodb.stop().await,
            None => Ok(()),
        }
    }
}

/// The HTTP front of the API and the site, over a state already built.
#[derive(Debug, Clone, Default)]
pub struct Front {
    pub site_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Front {
    /// Serves every route over `state` on `listener` until `stopped` turns true.
    pub fn serve(
        self,
        state: Arc<AppState>,
        listener: TcpListener,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(SocketAddr, JoinHandle<std::io::Result<()>>), String> {
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let app = Arc::new(App {
            api: rolechat::runtime::service(state, None),
            site: self
                .site_dir
                .map(|dir| Site::new(&dir, self.public_url.clone())),
            trusted_proxies: self.trusted_proxies,
        });
        let router = Router::new().fallback(answer).with_state(app);
        // Replies are written as they are made (a streamed turn a piece at a time): without
        // TCP_NODELAY each small write after the first would wait for the client's delayed ACK.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
        });
        Ok((addr, task))
    }
}

/// The settings one machine gives where the environment gives none.
struct Defaults {
    endpoint: String,
    signing_key: Option<String>,
    base_url: String,
    site: bool,
}

impl Defaults {
    fn get(&self, name: &str) -> Option<String> {
        match name {
            "DYNAMODB_ENDPOINT" => Some(self.endpoint.clone()),
            "ROLECHAT_JWT_SECRET" => self.signing_key.clone(),
            // The site and the API share this origin; OAuth providers send learners back to it.
            "ROLECHAT_ALLOWED_ORIGINS" | "ROLECHAT_OAUTH_CALLBACK_BASE" => {
                Some(self.base_url.clone())
            }
            // Links in mail lead to the site this server serves.
            "ROLECHAT_SITE_URL" if self.site => Some(self.base_url.clone()),
            // No DynamoDB stream here: the sweep takes up each deletion job at once.
            "ROLECHAT_DELETION_SWEEP_AFTER_SECONDS" => Some("0".into()),
            _ => None,
        }
    }
}

/// The token signing key of this data directory: made once from the system's randomness, kept
/// readable by its owner only, so logins survive a restart.
fn signing_key_in(data_dir: &Path) -> Result<String, String> {
    use base64::Engine;
    use std::io::{Read, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let mut random = [0u8; 48];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut random))
        .map_err(|e| format!("cannot read the system's randomness: {e}"))?;
    let key = base64::engine::general_purpose::STANDARD.encode(random);
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(key.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(key)
}

/// The deletion sweep and the reminders, each in a loop of its own until the server stops.
fn spawn_workers(state: &Arc<AppState>, stopped: watch::Receiver<bool>) {
    let every = |period: Duration, name: &'static str, run: fn(Arc<AppState>) -> Work| {
        let (state, mut stopped) = (state.clone(), stopped.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = stopped.wait_for(|stop| *stop) => return,
                }
                if let Err(error) = run(state.clone()).await {
                    tracing::error!(worker = name, %error, "a worker's run failed");
                }
            }
        });
    };
    every(DELETION_SWEEP_EVERY, "deletion", |state| {
        Box::pin(async move {
            let sweep = serde_json::json!({"sweep": true});
            rolechat::services::deletion::serve(state, sweep)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
    every(REMINDERS_EVERY, "reminders", |state| {
        Box::pin(async move {
            rolechat::services::reminders::serve(state, serde_json::json!({}))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    });
}

type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>;

struct App {
    api: ApiService,
    site: Option<Site>,
    trusted_proxies: Vec<IpAddr>,
}

/// Every request: the site's files for a `GET` of a path no route has, the API for the rest.
async fn answer(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if let Some(site) = &app.site
        && matches!(*request.method(), Method::GET | Method::HEAD)
        && rolechat::routes::methods_for(request.uri().path()).is_empty()
    {
        if request.uri().path() == "/config.json" {
            return site.config(request.headers());
        }
        let served = site.serve(copy_of(&request)).await;
        if served.status() != StatusCode::NOT_FOUND {
            return served;
        }
    }
    let client = client_address(peer.ip(), request.headers(), &app.trusted_proxies);
    api(&app.api, client, request).await
}

/// The client's address: the peer's, or behind trusted proxies the last address in
/// `X-Forwarded-For` that is not one of them (what a client writes there itself comes first,
/// and is not believed).
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>());
    let mut client = peer;
    for hop in forwarded.collect::<Vec<_>>().into_iter().rev() {
        match hop {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

/// A body-less copy of a `GET` or `HEAD`, for the site's files (the original goes on to the API
/// when no file answers it).
fn copy_of(request: &Request) -> Request {
    let mut copy = Request::new(Body::empty());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// A request through the API's router, as API Gateway hands it to a function: the body read
/// whole, the client's address in the request context.
async fn api(service: &ApiService, client: IpAddr, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            return error_reply(ApiError::PayloadTooLarge);
        }
        // The client went away mid-body: nobody is left to answer.
        Err(error) => {
            tracing::info!(%error, "a client left before its request's body was read");
            return error_reply(ApiError::InvalidJson(
                "The request's body was cut short.".into(),
            ));
        }
    };
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => lambda_http::Body::Text(text),
            Err(binary) => lambda_http::Body::Binary(binary.into_bytes()),
        }
    };
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.method = parts.method.clone();
    context.http.path = Some(parts.uri.path().to_owned());
    context.http.source_ip = Some(client.to_string());
    let request = lambda_http::Request::from_parts(parts, body)
        .with_request_context(RequestContext::ApiGatewayV2(context));
    // In a task of its own, so it runs to its end when the client leaves, as a function does:
    // dropped at an await, a handler could leave half its work done (a learner's call slot taken
    // between the write that takes it and the one that gives it back, held until it lapses).
    match tokio::spawn(service.clone().oneshot(request)).await {
        Ok(Ok(response)) => response,
        Err(panicked) => error_reply(ApiError::internal(format!(
            "the request's handler stopped: {panicked}"
        ))),
    }
}

fn error_reply(error: ApiError) -> Response {
    let (parts, body) = error.into_response().into_parts();
    Response::from_parts(parts, Body::from(body.to_vec()))
}

/// The built site: its files, with the headers it has in the cloud, and a `config.json` naming
/// this server as the API.
struct Site {
    files: ServeDir,
    public_url: Option<String>,
}

impl Site {
    fn new(dir: &Path, public_url: Option<String>) -> Site {
        Site {
            files: ServeDir::new(dir).append_index_html_on_directories(true),
            public_url,
        }
    }

    async fn serve(&self, get: Request) -> Response {
        let Ok(served) = self.files.clone().oneshot(get).await;
        let (mut parts, body) = served.into_parts();
        security_headers(&mut parts.headers);
        Response::from_parts(parts, Body::new(body))
    }

    /// `{"api_base_url": ...}`: the public URL, else the origin the browser asked for (the API
    /// is on the same one).
    fn config(&self, headers: &HeaderMap) -> Response {
        let origin = self.public_url.clone().or_else(|| {
            let host = headers.get(header::HOST)?.to_str().ok()?;
            // A host as a browser sends it: a name or address and a port, nothing else.
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
                .then(|| format!("http://{host}"))
        });
        let Some(origin) = origin else {
            return error_reply(ApiError::NotFound);
        };
        let body = serde_json::json!({ "api_base_url": origin }).to_string();
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        security_headers(headers);
        response
    }
}

/// The site's headers, as `frontend/scripts/serve.mjs` and the cloud's CDN set them: scripts
/// from the site only, connections to this origin only.
fn security_headers(headers: &mut HeaderMap) {
    const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
        style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; \
        font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
        frame-ancestors 'none'";
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// Waits for Ctrl-C or SIGTERM (systemd's stop).
pub async fn shutdown_signal() {
    let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let proxy = [ip("127.0.0.1"), ip("10.0.0.2")];
        let headers = forwarded(&["203.0.113.9"]);
        // No proxy trusted: the header is anyone's to write.
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers, &[]),
            ip("127.0.0.1")
        );
        // An untrusted peer's header is not believed either.
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, &proxy),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers, &proxy),
            ip("203.0.113.9")
        );
        // What the client wrote itself comes first and is passed over; the hops of trusted
        // proxies are skipped from the right.
        let chain = forwarded(&["6.6.6.6, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &chain, &proxy),
            ip("203.0.113.9")
        );
        // No header, or one that is not an address: the nearest trusted hop.
        assert_eq!(
            client_address(ip("127.0.0.1"), &HeaderMap::new(), &proxy),
            ip("127.0.0.1")
        );
        let garbled = forwarded(&["unknown, 10.0.0.2"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &garbled, &proxy),
            ip("10.0.0.2")
        );
    }
}
