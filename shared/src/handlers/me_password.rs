use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;

use super::LoginReply;
use super::me::{account_error, check_password};
use crate::AppState;
use crate::auth::hash_password;
use crate::domain::user::{Password, Username};
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, parse_json};
use crate::services::session::{self, Authenticated};

#[derive(Deserialize)]
struct PasswordChange {
    current_password: Option<String>,
    new_password: Option<String>,
}

/// `POST /me/password`: a new password; every other session ends, this one gets a new token.
pub async fn change(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let body: PasswordChange = parse_json(&req)?;
    let mut errors = FieldErrors::new();
    // An account made through a provider has no password yet: it may set one.
    let has_password = user.user.password_hash.is_some();
    let current = body.current_password.filter(|p| !p.is_empty());
    if current.is_none() && has_password {
        errors.add("current_password", "is required");
    }
    let username = Username::parse(&user.user.username).ok();
    let new = match body.new_password {
        None => {
            errors.add("new_password", "is required");
            None
        }
        Some(raw) if current.as_deref() == Some(raw.as_str()) => {
            errors.add("new_password", "must differ from the current password");
            None
        }
        Some(raw) => errors.check("new_password", Password::parse(&raw, username.as_ref())),
    };
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if has_password {
        check_password(&state, &user, &req, current.unwrap_or_default()).await?;
    } else if !user.signed_in_recently(state.clock.now()) {
        // A first password is a new way in: with a token alone it would let a thief keep the
        // account, so the provider sign-in must be recent.
        return Err(ApiError::ReauthenticationRequired);
    }

    let new_hash = hash_password(&new).await?;
    let mut next = user.user.clone();
    next.session_generation += 1;
    next.password_hash = Some(new_hash.clone());
    let (mut session, token) = session::start(
        &state.tokens,
        state.config.session_ttl,
        &next,
        state.clock.now(),
    );
    if !has_password {
        // Setting a first password proves nothing new: the session stays as recent as it was.
        session.signed_in_at = user.session.signed_in_at;
    }
    state
        .store
        .change_password(
            &user.owner,
            user.user.password_hash.as_deref(),
            &new_hash,
            &session,
        )
        .await
        .map_err(account_error)?;
    Ok(json_response(
        StatusCode::OK,
        &LoginReply::new(&state, token, next.public()),
    ))
}
