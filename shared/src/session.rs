//! Login sessions: started at signup and login, checked on every authenticated request, ended by
//! logout. The JWT proves who signed it; the session record proves it has not been logged out.
//!
//! A handler of a route that needs a token is written as `fn(state, Authenticated, request)` and
//! served through [`signed_in`], which checks the method and then the session before the handler
//! runs at all: no validation, replay or conflict can answer a logged-out token with anything but
//! `401`. The [`Owner`] inside [`Authenticated`] is the only key to a user's rooms in the store.

use std::future::Future;
use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, Response};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::http::{allow, bearer_token};
use crate::state::AppState;
use crate::store::{SessionRecord, UserRecord};

/// The user a request acts for, once its session was found live. Its fields are private, so only
/// this module makes one, and the store's room methods take one: a user's rooms cannot be read
/// or written on behalf of a request whose session was not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    key: String,
    user_key: String,
    session_id: String,
    generation: u64,
}

impl Owner {
    /// The user's stable id: the partition their rooms and notebook live in.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key of the user's record (the case-folded username).
    pub fn user_key(&self) -> &str {
        &self.user_key
    }

    /// The user's session generation this session belongs to.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The session the request came with, which a model call checks again in its transaction.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }
}

/// A request whose session is live: who it acts for, the session and the user as stored.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub owner: Owner,
    pub session: SessionRecord,
    pub user: UserRecord,
}

/// How long after a sign-in the session may change how the account is entered without the
/// password being typed again (GitHub's "sudo mode", kept short: a stolen token is worth little).
pub const RECENT_SIGN_IN: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Authenticated {
    /// Whether the learner signed in to this session (password or provider) within
    /// [`RECENT_SIGN_IN`].
    pub fn signed_in_recently(&self, now: OffsetDateTime) -> bool {
        let since = now.unix_timestamp() - self.session.signed_in_at;
        (0..=RECENT_SIGN_IN.as_secs() as i64).contains(&since)
    }

    /// The language explanations and translations are written in when a request names none.
    pub fn native_language(&self) -> crate::room::UiLanguage {
        self.user.native_language
    }
}

/// A new session for `user`, signed in to now, and the access token that names it. Nothing is
/// stored yet.
pub fn start(state: &AppState, user: &UserRecord, now: OffsetDateTime) -> (SessionRecord, String) {
    let ttl = state.config.session_ttl;
    let issued_at = now.unix_timestamp();
    let session = SessionRecord {
        pk: ulid::Ulid::new().to_string(),
        user_key: user.pk.clone(),
        user_id: user.id.clone(),
        generation: user.session_generation,
        expires_at: issued_at + ttl.as_secs() as i64,
        signed_in_at: issued_at,
    };
    let token = state
        .tokens
        .issue(&session.user_key, &session.pk, issued_at as u64, ttl);
    (session, token)
}

/// The live session behind the request's bearer token, and its user: one strongly consistent
/// batch read of both. A session is live while it has not expired, and its user record exists,
/// is the same user (not a new one of that name) and has the session's generation.
pub async fn authenticate(state: &AppState, req: &Request) -> Result<Authenticated, ApiError> {
    let claims = state.tokens.verify(bearer_token(req)?)?;
    let (session, user) = state
        .store
        .session_and_user(&claims.sid, &claims.sub)
        .await?;
    let (Some(session), Some(user)) = (session, user) else {
        return Err(ApiError::Unauthorized);
    };
    // DynamoDB's TTL deletes expired items late, so expiry is checked here too.
    let live = session.expires_at > crate::time::now().unix_timestamp();
    let same_user = session.user_key == claims.sub && session.user_id == user.id;
    if !live || !same_user || session.generation != user.session_generation {
        return Err(ApiError::Unauthorized);
    }
    Ok(Authenticated {
        owner: Owner {
            key: user.id.clone(),
            user_key: user.pk.clone(),
            session_id: session.pk.clone(),
            generation: session.generation,
        },
        session,
        user,
    })
}

/// Serves a route that needs a token: a method the route does not take is `405`; then the
/// session is checked, and only a live one reaches `handler`.
pub async fn signed_in<H, Fut, B>(
    state: Arc<AppState>,
    req: Request,
    methods: &[Method],
    handler: H,
) -> Result<Response<B>, ApiError>
where
    H: FnOnce(Arc<AppState>, Authenticated, Request) -> Fut,
    Fut: Future<Output = Result<Response<B>, ApiError>>,
{
    allow(&req, methods)?;
    let user = authenticate(&state, &req).await?;
    handler(state, user, req).await
}
