//! What every function runs: its router as a service (errors in the contract's shape, CORS, one
//! log line per request), in Lambda, in the local stack and in tests, and the Lambda runtime loop
//! around it.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use lambda_http::http::{HeaderName, Method, Uri, header};
use lambda_http::{Request, RequestExt, Response, service_fn};
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;
use crate::routes::{self, ROUTES};
use crate::state::AppState;

/// The service a function runs: its routes, the replies buffered or streamed as each handler's are.
pub type ApiService = BoxCloneSyncService<Request, Response<axum::body::Body>, Infallible>;

fn route_methods() -> Vec<Method> {
    let mut methods: Vec<Method> = Vec::new();
    for route in ROUTES {
        if !methods.contains(&route.method) {
            methods.push(route.method.clone());
        }
    }
    methods
}

fn cors_layer(config: &Config) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(config.allowed_origins.iter().cloned()))
        // Every method some route takes, from the route table.
        .allow_methods(route_methods())
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            HeaderName::from_static(crate::http::TUTOR_HEADER),
        ])
        .max_age(Duration::from_secs(600))
}

/// Runs the Lambda runtime loop, and runs it again when it stops on a reply it could not deliver.
///
/// The loop is the runtime's concurrent one: where Lambda sets `AWS_LAMBDA_MAX_CONCURRENCY` above
/// one (Lambda Managed Instances), that many invocations run at once in this process, sharing the
/// state (the clients are safe to share, and nothing else in it changes); elsewhere, as in
/// classic Lambda and `cargo lambda watch`, it takes one invocation at a time. There, one worker
/// that could not deliver a reply ends, and the loop is run again once all have.
///
/// The runtime ends its loop (and so the process) when posting a reply to the runtime API fails,
/// which is what happens when a learner closes the tab while a reply streams: the local emulator
/// drops the connection. That must end only that reply, not every later request of this
/// execution environment; work it started (the turn being stored) goes on in its own task. Only a
/// runtime API that is gone (`runtime_api_answers` false after each of several quick failures)
/// ends the process. Counting quick failures alone ended it when five learners left at once, and
/// the emulator never starts such an instance again: with fewer left, a function's queue there
/// filled sooner, and a full one stalls every route (docs/benchmarks.md, one machine).
async fn keep_serving<F, Fut, A, AFut>(
    run: F,
    runtime_api_answers: A,
) -> Result<(), lambda_http::Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), lambda_http::Error>>,
    A: Fn() -> AFut,
    AFut: Future<Output = bool>,
{
    let mut quick_failures = 0;
    loop {
        let started = Instant::now();
        let error = match run().await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        quick_failures =
            if started.elapsed() >= Duration::from_secs(1) || runtime_api_answers().await {
                0
            } else {
                quick_failures + 1
            };
        if quick_failures >= 5 {
            tracing::error!(%error, "the runtime API is gone; stopping");
            return Err(error);
        }
        tracing::warn!(%error, "a reply could not be delivered (the client may have left); serving on");
        tokio::time::sleep(Duration::from_millis(50 * (quick_failures + 1))).await;
    }
}

/// Whether the runtime API (`AWS_LAMBDA_RUNTIME_API`, `host:port`) takes a connection.
async fn runtime_api_answers() -> bool {
    match std::env::var("AWS_LAMBDA_RUNTIME_API") {
        Ok(address) => takes_connections(&address).await,
        Err(_) => false,
    }
}

/// Whether something at `address` (`host:port`) accepts a connection within a second.
async fn takes_connections(address: &str) -> bool {
    let connect = tokio::net::TcpStream::connect(address);
    matches!(
        tokio::time::timeout(Duration::from_secs(1), connect).await,
        Ok(Ok(_))
    )
}

/// The service of `function` (of every route with `None`), as Lambda, the local stack and the
/// tests run it: its router over the state, CORS, and one log line per request.
pub fn service(state: Arc<AppState>, function: Option<&str>) -> ApiService {
    let cors = cors_layer(&state.config);
    let router = routes::router(function).with_state(state);
    let inner = service_fn(move |mut req: Request| {
        let router = router.clone();
        async move {
            without_stage(&mut req);
            let started = Instant::now();
            let (method, path) = (req.method().clone(), req.uri().path().to_owned());
            let Ok(response) = router.oneshot(req).await;
            tracing::info!(
                %method, %path, status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "request"
            );
            Ok::<_, Infallible>(response)
        }
    });
    BoxCloneSyncService::new(ServiceBuilder::new().layer(cors).service(inner))
}

/// Routes by the path the client wrote: API Gateway's stage (`/Prod`) is not part of it.
fn without_stage(req: &mut Request) {
    let raw = req.raw_http_path();
    if raw.is_empty() || raw == req.uri().path() {
        return;
    }
    let target = match req.uri().query() {
        Some(query) => format!("{raw}?{query}"),
        None => raw.to_owned(),
    };
    if let Ok(uri) = target.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}

/// A reply's body as one buffer, for a function that does not stream. The router's bodies never
/// fail; one that did would end the reply empty.
async fn buffered(body: axum::body::Body) -> lambda_http::Body {
    match body.collect().await.map(|collected| collected.to_bytes()) {
        Ok(bytes) if !bytes.is_empty() => lambda_http::Body::Binary(bytes.to_vec()),
        _ => lambda_http::Body::Empty,
    }
}

/// A function's whole `main`: logging, state built once (with the secrets it needs, see
/// [`routes::reads_secrets`]), then the Lambda runtime loop, streamed where the function streams.
pub async fn run(function: &'static str) -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    if !routes::functions().contains(&function) {
        return Err(format!("no function is named `{function}`").into());
    }
    crate::auth::return_hash_memory_to_the_system();
    let state = if routes::reads_secrets(function) {
        AppState::from_env().await
    } else {
        AppState::from_env_without_secrets().await
    }
    .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    let service = service(state, Some(function));
    if routes::streams(function) {
        keep_serving(
            || lambda_http::run_with_streaming_response_concurrent(service.clone()),
            runtime_api_answers,
        )
        .await
    } else {
        let service = service.map_future(|reply| async move {
            let (parts, body) = reply.await?.into_parts();
            Ok::<_, Infallible>(Response::from_parts(parts, buffered(body).await))
        });
        keep_serving(
            || lambda_http::run_concurrent(service.clone()),
            runtime_api_answers,
        )
        .await
    }
}

/// The `main` of a function that no route reaches (the deletion worker, the mail events):
/// logging, state built once without secrets, then the runtime loop over JSON events.
pub async fn run_worker<H, Fut, E>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, serde_json::Value) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, E>> + Send,
    E: std::error::Error + Send + Sync + 'static,
{
    lambda_http::tracing::init_default_subscriber();
    let state = AppState::from_env_without_secrets()
        .await
        .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    serve_events(state, handler).await
}

/// [`run_worker`] for a worker that signs (the reminders' unsubscribe links) and sends mail: its
/// state reads the secrets.
pub async fn run_worker_with_secrets<H, Fut, E>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, serde_json::Value) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, E>> + Send,
    E: std::error::Error + Send + Sync + 'static,
{
    lambda_http::tracing::init_default_subscriber();
    let state = AppState::from_env()
        .await
        .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    serve_events(state, handler).await
}

async fn serve_events<H, Fut, E>(state: Arc<AppState>, handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, serde_json::Value) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, E>> + Send,
    E: std::error::Error + Send + Sync + 'static,
{
    lambda_http::lambda_runtime::run(service_fn(
        move |event: lambda_http::LambdaEvent<serde_json::Value>| {
            let (state, handler) = (state.clone(), handler.clone());
            async move {
                let outcome = handler(state, event.payload).await;
                outcome.map_err(|error| {
                    tracing::error!(%error, "the run failed");
                    lambda_http::Error::from(Box::new(error))
                })
            }
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A runtime loop that fails at once `failures` times (a reply nobody took), then ends well;
    /// and how many times it was run.
    fn failing(
        failures: usize,
    ) -> (
        Arc<AtomicUsize>,
        impl Fn() -> std::future::Ready<Result<(), lambda_http::Error>>,
    ) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let run = move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            std::future::ready(if n < failures {
                Err("client error (SendRequest)".into())
            } else {
                Ok(())
            })
        };
        (runs, run)
    }

    #[tokio::test]
    async fn replies_nobody_takes_do_not_end_the_process_while_the_runtime_api_answers() {
        let (runs, run) = failing(12);
        let outcome = keep_serving(run, || std::future::ready(true)).await;
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 13);
    }

    #[tokio::test]
    async fn a_runtime_api_that_is_gone_ends_the_process() {
        let (runs, run) = failing(usize::MAX);
        let outcome = keep_serving(run, || std::future::ready(false)).await;
        assert!(outcome.is_err());
        assert_eq!(runs.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn the_runtime_api_answers_when_it_takes_a_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        assert!(takes_connections(&address).await);
        drop(listener);
        assert!(
            !takes_connections(&address).await,
            "nothing listens there now"
        );
    }
}
