//! Login sessions: started at signup and login, checked on every authenticated request, ended by
//! logout. The JWT proves who signed it; the session record proves it has not been logged out.
//!
//! The handler of a `signed` route (see the route table) runs only once the session was found
//! live ([`authenticate`]). The [`Owner`] inside [`Authenticated`] is the only key to a user's
//! rooms in the store.

use time::OffsetDateTime;

use crate::auth::TokenKeys;
use crate::error::ApiError;
use crate::store::{Owner, SessionRecord, Store, UserRecord};

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
    pub fn native_language(&self) -> crate::domain::language::UiLanguage {
        self.user.native_language
    }
}

/// A new session for `user`, signed in to now, and the access token that names it. Nothing is
/// stored yet.
pub fn start(
    tokens: &TokenKeys,
    ttl: std::time::Duration,
    user: &UserRecord,
    now: OffsetDateTime,
) -> (SessionRecord, String) {
    let issued_at = now.unix_timestamp();
    let session = SessionRecord {
        pk: ulid::Ulid::new().to_string(),
        user_key: user.pk.clone(),
        user_id: user.id.clone(),
        generation: user.session_generation,
        expires_at: issued_at + ttl.as_secs() as i64,
        signed_in_at: issued_at,
    };
    let token = tokens.issue(&session.user_key, &session.pk, issued_at as u64, ttl);
    (session, token)
}

/// The live session behind a bearer token, and its user: one strongly consistent
/// batch read of both. A session is live while it has not expired, and its user record exists,
/// is the same user (not a new one of that name) and has the session's generation.
pub async fn authenticate(
    tokens: &TokenKeys,
    store: &Store,
    now: OffsetDateTime,
    token: &str,
) -> Result<Authenticated, ApiError> {
    let claims = tokens.verify(token)?;
    let (session, user) = store.session_and_user(&claims.sid, &claims.sub).await?;
    let (Some(session), Some(user)) = (session, user) else {
        return Err(ApiError::Unauthorized);
    };
    // DynamoDB's TTL deletes expired items late, so expiry is checked here too.
    let live = session.expires_at > now.unix_timestamp();
    let same_user = session.user_key == claims.sub && session.user_id == user.id;
    if !live || !same_user || session.generation != user.session_generation {
        return Err(ApiError::Unauthorized);
    }
    Ok(Authenticated {
        owner: Owner::of_live_session(&user.id, &user.pk, &session.pk, session.generation),
        session,
        user,
    })
}
