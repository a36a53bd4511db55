use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use super::{AuthGuard, Credentials, LoginReply};
use crate::AppState;
use crate::auth::verify_password;
use crate::domain::user::Username;
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, no_content, parse_json};
use crate::services::session::{self, Authenticated};

/// `GET /auth`: whom the token belongs to.
pub async fn whoami(_state: Arc<AppState>, user: Authenticated, _req: Request) -> HandlerResult {
    Ok(json_response(
        StatusCode::OK,
        &json!({"user": user.user.public()}),
    ))
}

/// `DELETE /auth`: logs this session out.
pub async fn logout(state: Arc<AppState>, req: Request) -> HandlerResult {
    let claims = state.tokens.verify(crate::http::bearer_token(&req)?)?;
    if state.store.delete_session(&claims.sid, &claims.sub).await? {
        Ok(no_content())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// `POST /auth`: logs in. A wrong password and an unknown username get the same reply after the
/// same work.
pub async fn login(state: Arc<AppState>, req: Request) -> HandlerResult {
    let (state, req) = (&*state, &req);
    let body: Credentials = parse_json(req)?;
    let mut errors = FieldErrors::new();
    for (field, value) in [("username", &body.username), ("password", &body.password)] {
        if value.as_deref().is_none_or(str::is_empty) {
            errors.add(field, "is required");
        }
    }
    errors.finish()?;
    let (username, password) = (
        body.username.unwrap_or_default(),
        body.password.unwrap_or_default(),
    );

    let username = Username::parse(&username).ok();
    let guard = AuthGuard::new(state, req, username.as_ref());
    guard.admit(state).await?;
    let user = match username {
        Some(username) => state.store.get_user(&username.key()).await?,
        None => None,
    };
    let stored_hash = user.as_ref().and_then(|user| user.password_hash.clone());
    if !verify_password(stored_hash, password).await {
        guard.failed(state).await?;
        return Err(ApiError::InvalidCredentials);
    }
    let user = user.ok_or(ApiError::InvalidCredentials)?;

    let (session, token) = session::start(
        &state.tokens,
        state.config.session_ttl,
        &user,
        state.clock.now(),
    );
    if !state.store.start_session(&user, &session).await? {
        // Deleted, or its password changed, while this one was being checked.
        return Err(ApiError::InvalidCredentials);
    }
    Ok(json_response(
        StatusCode::OK,
        &LoginReply::new(state, token, user.public()),
    ))
}
