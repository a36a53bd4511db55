//! One module per function. Each handler is a plain async function from (state, request) to a
//! response, so Lambda, the local stack and the tests run the same code.

mod aids;
pub mod auth;
pub mod chat;
pub mod fallback;
pub mod feedback;
pub mod health;
pub mod me;
pub mod me_export;
pub mod me_identities;
pub mod me_password;
pub mod me_sessions;
pub mod messages_list;
pub mod oauth;
pub mod report;
pub mod room_create;
pub mod room_delete;
pub mod room_get;
pub mod room_update;
mod rooms;
pub mod rooms_list;
pub mod scenarios;
pub mod signup;
pub mod suggest;
pub mod translate;
pub mod vocabulary;

use std::future::Future;
use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, Response};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::domain::user::{User, Username};
use crate::error::ApiError;
use crate::services::session::Authenticated;
use crate::store::Ceiling;

/// The body of `POST /signup` and `POST /auth`. Both fields are optional here so that a missing
/// one is `validation_failed`, while a wrong type is `invalid_json`.
#[derive(Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
    /// Signup only: the learner's own language (`ko`, `en`, `ja`).
    #[serde(default)]
    native_language: Option<String>,
}

/// The reply to a successful signup or login.
#[derive(Serialize)]
struct LoginReply {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    user: User,
}

impl LoginReply {
    fn new(state: &crate::AppState, access_token: String, user: User) -> Self {
        LoginReply {
            access_token,
            token_type: "Bearer",
            expires_in: state.config.session_ttl.as_secs(),
            user,
        }
    }
}

/// How many failed logins for one username, from all addresses together, a minute may see for
/// each one allowed from a single address: high enough that an attacker spread over many
/// addresses must work hard to lock the owner out, low enough to slow a distributed guess.
const USERNAME_CEILING_FACTOR: u32 = 10;

/// The guards on password guessing, at `ROLECHAT_AUTH_RATE_PER_MINUTE` (`limit`) a minute:
/// attempts from one address, and failed logins for one username from one address, are held to
/// `limit`; failed logins for one username from everywhere to ten times that. Only failures count
/// against a username, so an attacker hammering it from one address locks out only that address,
/// and its owner still logs in from their own.
struct AuthGuard {
    limit: u32,
    ip: Option<String>,
    username: Option<String>,
}

impl AuthGuard {
    fn new(state: &AppState, req: &Request, username: Option<&Username>) -> Self {
        AuthGuard {
            limit: state.config.auth_rate_per_minute,
            ip: crate::http::source_ip(req),
            username: username.map(Username::key),
        }
    }

    fn failure_keys(&self) -> Vec<String> {
        let Some(user) = &self.username else {
            return Vec::new();
        };
        let ip = self.ip.as_deref().unwrap_or("unknown");
        vec![format!("fail#{user}#{ip}"), format!("fail#{user}")]
    }

    /// Before any password is hashed: counts the attempt against the address, and checks the
    /// username's failure counts. `429` with the seconds to the next minute when over a limit.
    async fn admit(&self, state: &AppState) -> Result<(), ApiError> {
        if self.limit == 0 {
            return Ok(());
        }
        let counted: Vec<Ceiling> = self
            .ip
            .iter()
            .map(|ip| Ceiling {
                key: format!("ip#{ip}"),
                limit: self.limit,
            })
            .collect();
        let limits = [
            self.limit,
            self.limit.saturating_mul(USERNAME_CEILING_FACTOR),
        ];
        let checked: Vec<Ceiling> = self
            .failure_keys()
            .into_iter()
            .zip(limits)
            .map(|(key, limit)| Ceiling { key, limit })
            .collect();
        let now = state.clock.now().unix_timestamp();
        if state.store.admit_attempt(&counted, &checked, now).await? {
            Ok(())
        } else {
            Err(ApiError::RateLimited {
                retry_after_secs: (60 - now.rem_euclid(60)) as u64,
            })
        }
    }

    /// After a wrong password: one more failure for the username, from this address and in all.
    async fn failed(&self, state: &AppState) -> Result<(), ApiError> {
        let keys = self.failure_keys();
        if self.limit == 0 || keys.is_empty() {
            return Ok(());
        }
        let now = state.clock.now().unix_timestamp();
        Ok(state.store.count_failure(&keys, now).await?)
    }
}

/// Serves a route that needs a token: a method the route does not take is `405`; then the
/// session is checked, and only a live one reaches `handler`.
pub(crate) async fn signed_in<H, Fut, B>(
    state: Arc<AppState>,
    req: Request,
    methods: &[Method],
    handler: H,
) -> Result<Response<B>, ApiError>
where
    H: FnOnce(Arc<AppState>, Authenticated, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
{
    crate::http::allow(&req, methods)?;
    let user =
        crate::services::session::authenticate(&state, crate::http::bearer_token(&req)?).await?;
    handler(state, user, req).await
}
