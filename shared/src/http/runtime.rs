//! The wrapper that turns a handler into the service every function runs, in Lambda, in the
//! local stack and in tests, and the Lambda runtime loop around it.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use lambda_http::http::{HeaderName, Method, header};
use lambda_http::{Body, Request, Response, service_fn};
use tower::ServiceBuilder;
use tower::util::BoxCloneService;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::request::request_path;
use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;

/// The service a function runs: the handler, its errors mapped to JSON, and CORS.
pub type ApiService = BoxCloneService<Request, Response<Body>, Infallible>;
/// The same, for a function whose replies may stream.
pub type StreamingService = BoxCloneService<Request, Response<StreamBody>, Infallible>;

fn route_methods() -> Vec<Method> {
    let mut methods: Vec<Method> = Vec::new();
    for route in crate::routes::ROUTES {
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
        .expose_headers([header::RETRY_AFTER, header::CONTENT_DISPOSITION])
        .max_age(Duration::from_secs(600))
}

/// The body of a streamed reply (server-sent events). Failures after the stream started travel
/// inside it as `error` events, so the body itself never fails.
pub type StreamBody = UnsyncBoxBody<Bytes, Infallible>;

/// A response body a function can answer with: buffered (most routes) or streamed (chat).
pub trait ReplyBody: Default + Send + 'static {
    /// The body of a buffered reply (an error, a JSON document).
    fn buffered(body: Body) -> Self;

    /// The Lambda runtime loop for a service answering with this body.
    fn serve(
        service: BoxCloneService<Request, Response<Self>, Infallible>,
    ) -> impl Future<Output = Result<(), lambda_http::Error>>;
}

impl ReplyBody for Body {
    fn buffered(body: Body) -> Self {
        body
    }

    async fn serve(
        service: BoxCloneService<Request, Response<Self>, Infallible>,
    ) -> Result<(), lambda_http::Error> {
        keep_serving(|| lambda_http::run_concurrent(service.clone())).await
    }
}

impl ReplyBody for StreamBody {
    fn buffered(body: Body) -> Self {
        Full::new(Bytes::from(body.to_vec())).boxed_unsync()
    }

    async fn serve(
        service: BoxCloneService<Request, Response<Self>, Infallible>,
    ) -> Result<(), lambda_http::Error> {
        keep_serving(|| lambda_http::run_with_streaming_response_concurrent(service.clone())).await
    }
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
/// execution environment; work it started (the turn being stored) goes on in its own task. A loop
/// that keeps failing at once (the runtime API is gone) ends the process as before.
async fn keep_serving<F, Fut>(run: F) -> Result<(), lambda_http::Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), lambda_http::Error>>,
{
    let mut quick_failures = 0;
    loop {
        let started = Instant::now();
        let error = match run().await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        quick_failures = if started.elapsed() < Duration::from_secs(1) {
            quick_failures + 1
        } else {
            0
        };
        if quick_failures >= 5 {
            tracing::error!(%error, "the runtime API keeps failing; stopping");
            return Err(error);
        }
        tracing::warn!(%error, "a reply could not be delivered (the client may have left); serving on");
        tokio::time::sleep(Duration::from_millis(50 * quick_failures)).await;
    }
}

/// Wraps a handler into the service a function runs, in Lambda, in the local stack and in tests:
/// its errors mapped to the contract's JSON, CORS, and one log line per request.
pub fn service<H, Fut, B>(
    state: Arc<AppState>,
    handler: H,
) -> BoxCloneService<Request, Response<B>, Infallible>
where
    H: Fn(Arc<AppState>, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<B>, ApiError>> + Send + 'static,
    B: ReplyBody,
{
    let cors = cors_layer(&state.config);
    let inner = service_fn(move |req: Request| {
        let (state, handler) = (state.clone(), handler.clone());
        async move {
            let started = Instant::now();
            let (method, path) = (req.method().clone(), request_path(&req).to_owned());
            let response = handler(state, req)
                .await
                .unwrap_or_else(|error| error.into_response().map(B::buffered));
            tracing::info!(
                %method, %path, status = response.status().as_u16(),
                elapsed_ms = started.elapsed().as_secs_f64() * 1e3, "request"
            );
            Ok::<_, Infallible>(response)
        }
    });
    BoxCloneService::new(ServiceBuilder::new().layer(cors).service(inner))
}

/// Which secrets a function reads at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// The token signing key, and the model's key where there is one: every route with a token.
    Read,
    /// None: a function that reads no token and calls no model (`health`, `fallback`), whose
    /// role may then read no secret.
    None,
}

/// A function's whole `main`: logging, state built once, then the Lambda runtime loop, buffered
/// or streamed as the handler's body is.
pub async fn run<H, Fut, B>(secrets: Secrets, handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<B>, ApiError>> + Send + 'static,
    B: ReplyBody,
{
    lambda_http::tracing::init_default_subscriber();
    crate::auth::return_hash_memory_to_the_system();
    let state = match secrets {
        Secrets::Read => AppState::from_env().await,
        Secrets::None => AppState::from_env_without_secrets().await,
    }
    .inspect_err(|error| tracing::error!(%error, "cannot start"))?;
    B::serve(service(state, handler)).await
}

/// The `main` of a function that no route reaches (the deletion worker): logging, state built
/// once without secrets, then the runtime loop over JSON events.
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
