use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde::Deserialize;

use super::LoginReply;
use super::me::{account_error, check_password};
use crate::AppState;
use crate::auth::hash_password;
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, parse_json};
use crate::session::{self, Authenticated, signed_in};
use crate::user::{Password, Username};

/// `POST /me/password`: a new password; every other session ends, this one gets a new token.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    signed_in(state, req, &[Method::POST], change).await
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: Option<String>,
    new_password: Option<String>,
}

async fn change(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let body: PasswordChange = parse_json(&req)?;
    let mut errors = FieldErrors::new();
    let current = body.current_password.filter(|p| !p.is_empty());
    if current.is_none() {
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
    let (Some(current), Some(new)) = (current, new) else {
        return Err(ApiError::Validation(errors));
    };
    check_password(&state, &user, &req, current).await?;

    let new_hash = hash_password(&new).await?;
    let mut next = user.user.clone();
    next.session_generation += 1;
    let (session, token) = session::start(&state, &next, crate::time::now());
    state
        .store
        .change_password(&user.owner, &user.user.password_hash, &new_hash, &session)
        .await
        .map_err(account_error)?;
    Ok(json_response(
        StatusCode::OK,
        &LoginReply::new(&state, token, next.public()),
    ))
}
