//! Login sessions: started at signup and login, checked on every authenticated request, ended by
//! logout. The JWT proves who signed it; the session record proves it has not been logged out.

use lambda_http::Request;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::http::bearer_token;
use crate::state::AppState;
use crate::store::{SessionRecord, UserRecord};

/// A new session for `user` and the access token that names it. Nothing is stored yet.
pub fn start(state: &AppState, user: &UserRecord, now: OffsetDateTime) -> (SessionRecord, String) {
    let ttl = state.config.session_ttl;
    let issued_at = now.unix_timestamp();
    let session = SessionRecord {
        pk: ulid::Ulid::new().to_string(),
        user_key: user.pk.clone(),
        username: user.username.clone(),
        user_created_at: user.created_at.clone(),
        expires_at: issued_at + ttl.as_secs() as i64,
    };
    let token = state
        .tokens
        .issue(&session.user_key, &session.pk, issued_at as u64, ttl);
    (session, token)
}

/// The live session behind the request's bearer token: one strongly consistent read.
pub async fn authenticate(state: &AppState, req: &Request) -> Result<SessionRecord, ApiError> {
    let claims = state.tokens.verify(bearer_token(req)?)?;
    let session = state
        .store
        .get_session(&claims.sid)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // DynamoDB's TTL deletes expired items late, so expiry is checked here too.
    let live = session.expires_at > crate::time::now().unix_timestamp();
    if session.user_key != claims.sub || !live {
        return Err(ApiError::Unauthorized);
    }
    Ok(session)
}
