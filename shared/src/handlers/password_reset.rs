use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{AuthGuard, LoginReply};
use crate::AppState;
use crate::auth::hash_password;
use crate::domain::user::{Password, Username};
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, parse_json};
use crate::services::{email, session};

#[derive(Deserialize)]
struct ResetRequest {
    /// A username or a verified address.
    login: Option<String>,
}

/// `POST /password-reset`: a reset link to the account's verified address. The same reply, after
/// the same time, whether or not there is such an account or address: it never tells.
pub async fn request(state: Arc<AppState>, req: Request) -> HandlerResult {
    let started = tokio::time::Instant::now();
    let body: ResetRequest = parse_json(&req)?;
    let login = body
        .login
        .map(|login| login.trim().to_owned())
        .filter(|login| !login.is_empty() && login.chars().count() <= 254)
        .ok_or_else(|| ApiError::field("login", "is required: your username or email address"))?;
    if state.mailer.is_off() {
        return Err(crate::mail::MailError::Off.into());
    }
    // Counted like logins: attempts from this address, and requests for this name.
    let name = Username::parse(&login).ok();
    let guard = AuthGuard::new(&state, &req, name.as_ref());
    guard.admit(&state).await?;
    let outcome = email::request_reset(&state, &login).await;
    tokio::time::sleep_until(started + email::RESET_REQUEST_FLOOR).await;
    if let Err(error) = outcome {
        // Said as for any other login: the failure of a lookup is not a "no such account".
        tracing::warn!(%error, "a reset request failed");
        return Err(ApiError::MailUnavailable(
            "The request could not be taken just now; try again in a minute.",
        ));
    }
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({"status": "sent_if_known", "expires_in_minutes": email::RESET_MINUTES}),
    ))
}

#[derive(Deserialize)]
struct ResetConfirm {
    token: Option<String>,
    new_password: Option<String>,
}

/// `POST /password-reset/confirm`: a new password with the link's token. Every session ends
/// (the account's generation is raised), and this browser is logged in with the new one.
pub async fn confirm(state: Arc<AppState>, req: Request) -> HandlerResult {
    let body: ResetConfirm = parse_json(&req)?;
    let mut errors = FieldErrors::new();
    let token = body.token.filter(|t| !t.is_empty() && t.len() <= 256);
    if token.is_none() {
        errors.add("token", "is required");
    }
    if body.new_password.is_none() {
        errors.add("new_password", "is required");
    }
    let (Some(token), Some(raw)) = (token, body.new_password) else {
        return Err(ApiError::Validation(errors));
    };
    let guard = AuthGuard::new(&state, &req, None);
    guard.admit(&state).await?;
    let invalid = || {
        ApiError::field(
            "token",
            "is not valid: the link was used, expired, or a newer one was sent",
        )
    };
    let Some((record, user)) = email::reset_token(&state, &token).await? else {
        return Err(invalid());
    };
    let username = Username::parse(&user.username).ok();
    let password = Password::parse(&raw, username.as_ref())
        .map_err(|problem| ApiError::field("new_password", problem.to_string()))?;
    let hash = hash_password(&password).await?;
    let mut next = user.clone();
    next.session_generation += 1;
    next.password_hash = Some(hash.clone());
    let now = state.clock.now();
    let (session, access) = session::start(&state.tokens, state.config.session_ttl, &next, now);
    if !state
        .store
        .reset_password(&record, &hash, &session, now.unix_timestamp())
        .await?
    {
        return Err(invalid());
    }
    Ok(json_response(
        StatusCode::OK,
        &LoginReply::new(&state, access, next.public()),
    ))
}
