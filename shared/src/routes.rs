//! The route table, written once: each route's method, path, the function that serves it and its
//! handler. Every function's router is built from it (and one router of every route); the local
//! emulator's router, the template's events, openapi's function names and the tests' services
//! are checked against it (`tests/tests/api/consistency.rs`).
//!
//! Routing is axum's: a path with no route is `404`, a known path with another method `405` with
//! `Allow`, both in the contract's shape. A handler gets the request with its body read (up to
//! one byte past `MAX_BODY_BYTES`, which `parse_json` refuses with `413`) and the path's named
//! segments (`http::path_param`); a `signed` route's handler also gets the live session's user,
//! or the request ends in `401` before its body is read.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::routing::{MethodFilter, on};
use bytes::Bytes;
use http_body_util::BodyExt;
use lambda_http::http::{Method, Response};
use lambda_http::{Body, Request};

use crate::AppState;
use crate::domain::speech::MAX_RECORDING_BYTES;
use crate::error::ApiError;
use crate::handlers::*;
use crate::http::{MAX_BODY_BYTES, PathParams, bearer_token};
use crate::services::session::{self, Authenticated};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// A path template: `{name}` stands for one non-empty segment.
    pub path: &'static str,
    pub method: Method,
    pub function: &'static str,
}

/// The path templates of the table, named once.
pub mod paths {
    pub const HEALTH: &str = "/health";
    pub const SCENARIOS: &str = "/scenarios";
    pub const SIGNUP: &str = "/signup";
    pub const AUTH: &str = "/auth";
    pub const OAUTH_PROVIDERS: &str = "/auth/oauth/providers";
    pub const OAUTH_START: &str = "/auth/oauth/{provider}/start";
    pub const OAUTH_CALLBACK: &str = "/auth/oauth/{provider}/callback";
    pub const OAUTH_EXCHANGE: &str = "/auth/oauth/exchange";
    pub const PASSWORD_RESET: &str = "/password-reset";
    pub const PASSWORD_RESET_CONFIRM: &str = "/password-reset/confirm";
    pub const EMAIL_VERIFY: &str = "/email/verify";
    pub const EMAIL_UNSUBSCRIBE: &str = "/email/unsubscribe";
    pub const ME_IDENTITY: &str = "/me/identities/{provider}";
    pub const ME: &str = "/me";
    pub const ME_PASSWORD: &str = "/me/password";
    pub const ME_SESSIONS: &str = "/me/sessions";
    pub const ME_EXPORT: &str = "/me/export";
    pub const ME_FACTS: &str = "/me/facts";
    pub const ME_FACT: &str = "/me/facts/{id}";
    pub const PROGRESS: &str = "/progress";
    pub const ROOMS: &str = "/rooms";
    pub const ROOM: &str = "/rooms/{id}";
    pub const MESSAGES: &str = "/rooms/{id}/messages";
    pub const SUGGESTIONS: &str = "/rooms/{id}/suggestions";
    pub const FEEDBACK: &str = "/rooms/{id}/messages/{message_id}/feedback";
    pub const TRANSLATION: &str = "/rooms/{id}/messages/{message_id}/translation";
    pub const REPORT: &str = "/rooms/{id}/report";
    pub const VOCABULARY: &str = "/vocabulary";
    pub const VOCABULARY_DUE: &str = "/vocabulary/due";
    pub const VOCABULARY_ITEM: &str = "/vocabulary/{id}";
    pub const VOCABULARY_REVIEW: &str = "/vocabulary/{id}/review";
    pub const SPEECH: &str = "/speech";
    pub const MESSAGE_SPEECH: &str = "/rooms/{id}/messages/{message_id}/speech";
    pub const MESSAGE_ATTEMPTS: &str = "/rooms/{id}/messages/{message_id}/attempts";
    pub const TRANSCRIPTIONS: &str = "/rooms/{id}/transcriptions";
}

/// The table and the router of each function, from one list: `METHOD PATH => "function" access
/// handler;`, where access is `open` (no token) or `signed` (a live session's token).
macro_rules! route_table {
    ($($method:ident $path:ident => $function:literal $access:ident $handler:path;)*) => {
        pub const ROUTES: &[Route] = &[$(
            Route { method: Method::$method, path: paths::$path, function: $function },
        )*];

        fn add_routes(mut router: Router<Arc<AppState>>, function: Option<&str>) -> Router<Arc<AppState>> {
            $(
                if function.is_none_or(|f| f == $function) {
                    router = router.route(
                        paths::$path,
                        on(MethodFilter::$method, |State(state): State<Arc<AppState>>, req: axum::extract::Request| {
                            $access(state, req, $handler)
                        }),
                    );
                }
            )*
            router
        }
    };
}

route_table! {
    GET HEALTH => "health" open health::handle;
    GET SCENARIOS => "scenarios" open scenarios::handle;
    POST SIGNUP => "signup" open signup::handle;
    POST AUTH => "auth" open auth::login;
    GET AUTH => "auth" signed auth::whoami;
    DELETE AUTH => "auth" open auth::logout;
    GET OAUTH_PROVIDERS => "oauth" open oauth::providers;
    GET OAUTH_START => "oauth" open oauth::start;
    GET OAUTH_CALLBACK => "oauth" open oauth::callback;
    POST OAUTH_EXCHANGE => "oauth" open oauth::exchange;
    POST PASSWORD_RESET => "password-reset" open password_reset::request;
    POST PASSWORD_RESET_CONFIRM => "password-reset" open password_reset::confirm;
    POST EMAIL_VERIFY => "email" open email::verify;
    POST EMAIL_UNSUBSCRIBE => "email" open email::unsubscribe;
    POST ME_IDENTITY => "me-identities" signed me_identities::start;
    GET ME_IDENTITY => "me-identities" signed me_identities::pending;
    PUT ME_IDENTITY => "me-identities" signed me_identities::confirm;
    DELETE ME_IDENTITY => "me-identities" signed me_identities::unlink;
    GET ME => "me" signed me::get;
    PATCH ME => "me" signed me::patch;
    DELETE ME => "me" signed me::remove;
    POST ME_PASSWORD => "me-password" signed me_password::change;
    DELETE ME_SESSIONS => "me-sessions" signed me_sessions::end_all;
    GET ME_EXPORT => "me-export" signed me_export::export;
    GET ME_FACTS => "facts" signed facts::list;
    POST ME_FACTS => "facts" signed facts::add;
    DELETE ME_FACT => "facts" signed facts::delete;
    GET PROGRESS => "progress" signed progress::progress;
    GET ROOMS => "rooms-list" signed rooms_list::list;
    POST ROOMS => "room-create" signed room_create::create;
    GET ROOM => "room-get" signed room_get::open;
    PATCH ROOM => "room-update" signed room_update::update;
    DELETE ROOM => "room-delete" signed room_delete::delete;
    GET MESSAGES => "messages-list" signed messages_list::list;
    POST MESSAGES => "chat" signed chat::turn;
    POST SUGGESTIONS => "suggest" signed suggest::suggest;
    POST FEEDBACK => "feedback" signed feedback::feedback;
    POST TRANSLATION => "translate" signed translate::translate;
    POST REPORT => "report" signed report::report;
    GET VOCABULARY => "vocabulary" signed vocabulary::list;
    POST VOCABULARY => "vocabulary" signed vocabulary::save;
    GET VOCABULARY_DUE => "vocabulary" signed vocabulary::due;
    DELETE VOCABULARY_ITEM => "vocabulary" signed vocabulary::delete;
    POST VOCABULARY_REVIEW => "vocabulary" signed vocabulary::review;
    GET SPEECH => "speech" signed speech::settings;
    POST MESSAGE_SPEECH => "speech" signed speech::speak;
    POST TRANSCRIPTIONS => "speech" upload speech::transcribe;
    POST MESSAGE_ATTEMPTS => "speech" upload speech::attempt;
}

/// The functions no route reaches: the deletion worker (the deletions' stream), the reminders
/// (a schedule) and the mail events (SES's bounces and complaints, through SNS).
pub const WORKERS: &[&str] = &["deletion-worker", "reminders", "mail-events"];

/// The function that answers what no route takes (`404`, `405`, CORS preflights), in AWS.
pub const FALLBACK: &str = "fallback";

/// Every function the API Gateway reaches: each one of the table, and the fallback.
pub fn functions() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if !names.contains(&route.function) {
            names.push(route.function);
        }
    }
    names.push(FALLBACK);
    names
}

/// Whether a function's replies may stream (server-sent events, the export): Lambda then runs it
/// with a streamed response.
pub fn streams(function: &str) -> bool {
    matches!(function, "chat" | "me-export")
}

/// Whether a function reads the secrets (the token key, the model's key) at cold start: all but
/// those that read no token and call no model, whose role may then read no secret.
pub fn reads_secrets(function: &str) -> bool {
    !matches!(function, "health" | FALLBACK)
}

/// The router of `function` (of every route with `None`): its routes, and `404` or `405` for any
/// other request, as the whole table says.
pub fn router(function: Option<&str>) -> Router<Arc<AppState>> {
    add_routes(Router::new(), function)
        .method_not_allowed_fallback(unrouted)
        .fallback(unrouted)
}

async fn unrouted(req: axum::extract::Request) -> axum::response::Response {
    let allowed = methods_for(req.uri().path());
    let error = if allowed.is_empty() {
        ApiError::NotFound
    } else {
        ApiError::MethodNotAllowed { allowed }
    };
    reply::<Body>(Err(error))
}

/// A route any client may call.
async fn open<H, Fut, B>(
    state: Arc<AppState>,
    req: axum::extract::Request,
    handler: H,
) -> axum::response::Response
where
    H: FnOnce(Arc<AppState>, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    reply(async { handler(state, read(req).await?).await }.await)
}

/// A signed route whose body is a recording: read up to its larger limit.
async fn upload<H, Fut, B>(
    state: Arc<AppState>,
    req: axum::extract::Request,
    handler: H,
) -> axum::response::Response
where
    H: FnOnce(Arc<AppState>, Authenticated, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    for_live_session(state, req, handler, MAX_RECORDING_BYTES).await
}

/// A route for a live session only: a missing, expired or ended one is `401`.
async fn signed<H, Fut, B>(
    state: Arc<AppState>,
    req: axum::extract::Request,
    handler: H,
) -> axum::response::Response
where
    H: FnOnce(Arc<AppState>, Authenticated, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    for_live_session(state, req, handler, MAX_BODY_BYTES).await
}

/// The handler with the live session's user and the body read up to `limit`.
async fn for_live_session<H, Fut, B>(
    state: Arc<AppState>,
    req: axum::extract::Request,
    handler: H,
    limit: usize,
) -> axum::response::Response
where
    H: FnOnce(Arc<AppState>, Authenticated, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    reply(
        async {
            // The session first: a dead token is `401` whatever the body.
            let token = bearer_token(&req)?;
            let now = state.clock.now();
            let user = session::authenticate(&state.tokens, &state.store, now, token).await?;
            handler(state, user, read_up_to(req, limit).await?).await
        }
        .await,
    )
}

/// The request as handlers read it: the body in memory, the path's named segments beside it.
async fn read(req: axum::extract::Request) -> Result<Request, ApiError> {
    read_up_to(req, MAX_BODY_BYTES).await
}

/// [`read`] with the body read up to one byte past `limit`.
async fn read_up_to(req: axum::extract::Request, limit: usize) -> Result<Request, ApiError> {
    let (mut parts, body) = req.into_parts();
    let params = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .map(|params| {
            params
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    parts.extensions.insert(PathParams(params));
    // Read up to one byte past the limit: a handler that parses the body refuses it then (`413`,
    // after the session was checked), and one that does not read it never minds.
    let mut body = body;
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|_| ApiError::InvalidJson("The request body could not be read.".into()))?;
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
            if bytes.len() > limit {
                bytes.truncate(limit + 1);
                break;
            }
        }
    }
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes)
    };
    Ok(Request::from_parts(parts, body))
}

/// A handler's reply, or its error in the contract's shape.
fn reply<B>(reply: Result<Response<B>, ApiError>) -> axum::response::Response
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    match reply {
        Ok(response) => response.map(axum::body::Body::new),
        Err(error) => error.into_response().map(axum::body::Body::new),
    }
}

/// Whether `path` is one `template` stands for (as the router matches: no trailing slash).
pub fn matches(template: &str, path: &str) -> bool {
    let Some(path) = path.strip_prefix('/') else {
        return false;
    };
    let mut template = template.trim_start_matches('/').split('/');
    let mut path = path.split('/');
    loop {
        match (template.next(), path.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let placeholder = want.starts_with('{') && want.ends_with('}');
                if got.is_empty() || (!placeholder && want != got) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The methods the API serves on `path`: empty when the path is unknown.
pub fn methods_for(path: &str) -> Vec<Method> {
    ROUTES
        .iter()
        .filter(|route| matches(route.path, path))
        .map(|route| route.method.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_templates() {
        assert!(matches("/auth", "/auth"));
        assert!(!matches("/auth", "/auth/"));
        assert!(!matches("/auth", "/auth/x"));
        assert!(!matches("/auth", "/"));
        assert!(matches("/rooms/{id}", "/rooms/01ABC"));
        assert!(!matches("/rooms/{id}", "/rooms/"));
        assert!(!matches("/rooms/{id}", "/rooms//x"));
        assert_eq!(
            methods_for("/auth"),
            [Method::POST, Method::GET, Method::DELETE]
        );
        assert!(methods_for("/nope").is_empty());
    }
}
