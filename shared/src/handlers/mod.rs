//! One module per function, one async function per route: from the state, the request (and, for
//! a route that needs a token, the signed-in user) to a response. The route table
//! (`routes.rs`) names them; Lambda, the local stack and the tests run the same code.

mod aids;
mod attempts;
pub mod auth;
pub mod chat;
pub mod email;
pub mod facts;
pub mod feedback;
pub mod health;
pub mod me;
pub mod me_export;
pub mod me_identities;
pub mod me_password;
pub mod me_sessions;
pub mod messages_list;
pub mod oauth;
pub mod password_reset;
pub mod progress;
pub mod report;
pub mod room_create;
pub mod room_delete;
pub mod room_get;
pub mod room_update;
pub mod rooms_list;
pub mod scenarios;
pub mod signup;
pub mod speech;
pub mod suggest;
pub mod translate;
pub mod vocabulary;

use serde::{Deserialize, Serialize};

use crate::domain::user::User;

use attempts::AuthGuard;

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
