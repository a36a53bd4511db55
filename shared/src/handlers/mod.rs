//! One module per function. Each handler is a plain async function from (state, request) to a
//! response, so Lambda, the local stack and the tests run the same code.

mod aids;
pub mod auth;
pub mod chat;
pub mod fallback;
pub mod feedback;
pub mod health;
pub mod messages_list;
pub mod room_create;
pub mod room_delete;
pub mod room_get;
pub mod room_update;
mod rooms;
pub mod rooms_list;
pub mod signup;
pub mod suggest;
pub mod translate;

use lambda_http::Request;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::user::{User, Username};

/// The body of `POST /signup` and `POST /auth`. Both fields are optional here so that a missing
/// one is `validation_failed`, while a wrong type is `invalid_json`.
#[derive(Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
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

/// Slows password guessing: at most `ROLECHAT_AUTH_RATE_PER_MINUTE` signups and logins a minute
/// from one source IP and for one username, counted before any password is hashed.
async fn limit_auth_attempts(
    state: &AppState,
    req: &Request,
    username: Option<&Username>,
) -> Result<(), ApiError> {
    let limit = state.config.auth_rate_per_minute;
    if limit == 0 {
        return Ok(());
    }
    let mut keys = Vec::new();
    if let Some(ip) = crate::http::source_ip(req) {
        keys.push(format!("ip#{ip}"));
    }
    if let Some(username) = username {
        keys.push(format!("user#{}", username.key()));
    }
    if keys.is_empty() {
        return Ok(());
    }
    let now = crate::time::now().unix_timestamp();
    if state.store.count_auth_attempt(&keys, limit, now).await? {
        Ok(())
    } else {
        Err(ApiError::RateLimited {
            retry_after_secs: (60 - now.rem_euclid(60)) as u64,
        })
    }
}
