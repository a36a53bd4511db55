//! The HTTP edge: JSON bodies with a size limit, the bearer token, methods, CORS, and the one
//! wrapper that turns a handler into the service every function runs.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::{HeaderName, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceBuilder;
use tower::util::BoxCloneService;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;
use crate::error::{ApiError, FieldErrors};
use crate::state::AppState;

/// Request bodies over this many bytes are refused with `413`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub type HandlerResult = Result<Response<Body>, ApiError>;

/// The service a function runs: the handler, its errors mapped to JSON, and CORS.
pub type ApiService = BoxCloneService<Request, Response<Body>, Infallible>;
/// The same, for a function whose replies may stream.
pub type StreamingService = BoxCloneService<Request, Response<StreamBody>, Infallible>;

pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("replies are plain data that always serialize");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a status and a constant header always build")
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("a bare status always builds")
}

/// The request's path as the client wrote it: API Gateway's stage (`/Prod`) is not part of it.
pub fn request_path(req: &Request) -> &str {
    match req.raw_http_path() {
        "" => req.uri().path(),
        path => path,
    }
}

/// The client's address as API Gateway saw it (not a header a client could forge).
pub fn source_ip(req: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => context.identity.source_ip.clone(),
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.clone(),
        _ => None,
    }?;
    // A well-formed address only, so a key stays small whatever the event holds.
    ip.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
}

/// `?limit=N&cursor=...` of a paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    pub limit: usize,
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// Reads `limit` (1 to 100, 20 when absent) and `cursor` from the query string.
pub fn page_query(req: &Request) -> Result<PageQuery, ApiError> {
    let query: QueryMap = req
        .uri()
        .query()
        .unwrap_or_default()
        .parse()
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    let limit = match query.first("limit") {
        None => Some(DEFAULT_PAGE_SIZE),
        Some(text) => errors.check(
            "limit",
            text.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or(format!("must be a whole number from 1 to {MAX_PAGE_SIZE}")),
        ),
    };
    let cursor = query
        .first("cursor")
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    errors.finish()?;
    Ok(PageQuery {
        limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
        cursor,
    })
}

/// Refuses any method but `allowed` with `405` and an `Allow` header.
pub fn allow(req: &Request, allowed: &[Method]) -> Result<(), ApiError> {
    if allowed.contains(req.method()) {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed {
            allowed: allowed.to_vec(),
        })
    }
}

/// Parses the body as a JSON object into `T`. Over 64 KiB is `413`; anything that is not a JSON
/// object of the right types is `400 invalid_json`. Field values are checked by the caller.
pub fn parse_json<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::InvalidJson("The request body is not valid JSON.".into()))?;
    if !value.is_object() {
        return Err(ApiError::InvalidJson(
            "The request body must be a JSON object.".into(),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        // Name the field, never the value: it may be a password.
        ApiError::InvalidJson(format!("The field `{}` has the wrong type.", error.path()))
    })
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &Request) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?;
    let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized);
    }
    Ok(token.trim())
}

fn cors_layer(config: &Config) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(config.allowed_origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}

/// The body of a streamed reply (server-sent events). Failures after the stream started travel
/// inside it as `error` events, so the body itself never fails.
pub type StreamBody = UnsyncBoxBody<Bytes, Infallible>;

/// A response body a function can answer with: buffered (most routes) or streamed (chat).
pub trait ReplyBody: Default + Send + 'static {
    /// The body of a buffered reply (an error, a JSON document).
    fn buffered(body: Body) -> Self;
}

impl ReplyBody for Body {
    fn buffered(body: Body) -> Self {
        body
    }
}

impl ReplyBody for StreamBody {
    fn buffered(body: Body) -> Self {
        Full::new(Bytes::from(body.to_vec())).boxed_unsync()
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

/// A function's whole `main`: logging, state built once, then the Lambda runtime loop.
pub async fn run<H, Fut>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    lambda_http::run(service(start().await?, handler)).await
}

/// `run` for a function whose replies may stream.
pub async fn run_streaming<H, Fut>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response<StreamBody>, ApiError>> + Send + 'static,
{
    lambda_http::run_with_streaming_response(service(start().await?, handler)).await
}

/// `run` for a function that needs no secret: it reads no token and calls no model.
pub async fn run_without_secrets<H, Fut>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(Arc<AppState>, Request) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    lambda_http::tracing::init_default_subscriber();
    let state = AppState::from_env_without_secrets().await;
    lambda_http::run(service(started(state)?, handler)).await
}

async fn start() -> Result<Arc<AppState>, lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    started(AppState::from_env().await)
}

fn started(
    state: Result<Arc<AppState>, crate::state::StartupError>,
) -> Result<Arc<AppState>, lambda_http::Error> {
    Ok(state.inspect_err(|error| tracing::error!(%error, "cannot start"))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn request(body: impl Into<Body>) -> Request {
        lambda_http::http::Request::builder()
            .method(Method::POST)
            .uri("/signup")
            .body(body.into())
            .unwrap()
    }

    #[derive(Debug, Deserialize)]
    struct Body2 {
        #[allow(dead_code)]
        name: Option<String>,
    }

    #[test]
    fn json_bodies() {
        assert!(parse_json::<Body2>(&request(r#"{"name": "a", "extra": [1]}"#)).is_ok());
        for bad in ["", "  ", "{", "nul", "[1]", "\"text\"", "42", "null"] {
            let error = parse_json::<Body2>(&request(bad)).unwrap_err();
            assert_eq!(error.code(), "invalid_json", "{bad:?}");
        }
        let error = parse_json::<Body2>(&request(r#"{"name": 512345}"#)).unwrap_err();
        assert_eq!(error.code(), "invalid_json");
        assert_eq!(error.to_string(), "The field `name` has the wrong type.");
        let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert_eq!(
            parse_json::<Body2>(&request(big)).unwrap_err().code(),
            "payload_too_large"
        );
        let invalid_utf8 = request(Body::from(vec![b'{', 0xff, b'}']));
        assert_eq!(
            parse_json::<Body2>(&invalid_utf8).unwrap_err().code(),
            "invalid_json"
        );
    }

    #[test]
    fn page_queries() {
        let query = |uri: &str| {
            let req = lambda_http::http::Request::builder()
                .uri(uri)
                .body(Body::Empty)
                .unwrap();
            page_query(&req)
        };
        assert_eq!(
            query("/rooms").unwrap(),
            PageQuery {
                limit: 20,
                cursor: None
            }
        );
        assert_eq!(
            query("/rooms?limit=100&cursor=a.b%2Bc").unwrap(),
            PageQuery {
                limit: 100,
                cursor: Some("a.b+c".into())
            }
        );
        assert_eq!(
            query("/rooms?limit=1&cursor=").unwrap(),
            PageQuery {
                limit: 1,
                cursor: None
            }
        );
        for bad in [
            "0",
            "101",
            "-1",
            "ten",
            "1.5",
            "",
            "99999999999999999999999",
        ] {
            let error = query(&format!("/rooms?limit={bad}")).unwrap_err();
            assert_eq!(error.code(), "validation_failed", "{bad}");
        }
    }

    #[test]
    fn bearer_tokens() {
        let with = |value: &str| {
            lambda_http::http::Request::builder()
                .header(header::AUTHORIZATION, value)
                .body(Body::Empty)
                .unwrap()
        };
        assert_eq!(
            bearer_token(&with("Bearer abc.def.ghi")).unwrap(),
            "abc.def.ghi"
        );
        assert_eq!(bearer_token(&with("bearer  abc ")).unwrap(), "abc");
        for bad in ["abc", "Basic abc", "Bearer ", "Bearer"] {
            assert!(bearer_token(&with(bad)).is_err(), "{bad}");
        }
        assert!(bearer_token(&request(Body::Empty)).is_err());
    }
}
