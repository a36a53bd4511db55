use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::AuthGuard;
use crate::AppState;
use crate::auth::verify_password;
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, no_content, parse_json};
use crate::room::UiLanguage;
use crate::session::{Authenticated, signed_in};
use crate::store::{AccountError, ProfileChange};
use crate::user::{Username, display_name};

/// `/me`: `GET` the profile, `PATCH` it, `DELETE` the whole account.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    let methods = [Method::GET, Method::PATCH, Method::DELETE];
    signed_in(state, req, &methods, |state, user, req| async move {
        match *req.method() {
            Method::GET => Ok(profile(&user.user)),
            Method::PATCH => update(&state, &user, &req).await,
            _ => delete(&state, &user, &req).await,
        }
    })
    .await
}

fn profile(user: &crate::store::UserRecord) -> lambda_http::Response<lambda_http::Body> {
    json_response(StatusCode::OK, &json!({"user": user.public()}))
}

#[derive(Deserialize)]
struct ProfileFields {
    #[serde(default, deserialize_with = "crate::room::present")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::room::present")]
    native_language: Option<Option<String>>,
}

async fn update(state: &AppState, user: &Authenticated, req: &Request) -> HandlerResult {
    let fields: ProfileFields = parse_json(req)?;
    let mut errors = FieldErrors::new();
    let change = ProfileChange {
        display_name: match fields.display_name {
            None => None,
            Some(None) => Some(None),
            Some(Some(name)) => errors.check("display_name", display_name(&name)).map(Some),
        },
        native_language: match fields.native_language {
            None => None,
            Some(None) => {
                errors.add("native_language", "must be one of ko, en, ja");
                None
            }
            Some(Some(code)) => errors.check("native_language", UiLanguage::parse(&code)),
        },
    };
    errors.finish()?;
    if change == ProfileChange::default() {
        return Ok(profile(&user.user));
    }
    let updated = state
        .store
        .update_profile(&user.owner, &change)
        .await
        .map_err(account_error)?;
    Ok(profile(&updated))
}

#[derive(Deserialize)]
struct DeleteFields {
    password: Option<String>,
}

/// Checks the password as login does (the same work, counted by the same guard), then deletes
/// the account: gone at once for every reader, removed in the background.
async fn delete(state: &AppState, user: &Authenticated, req: &Request) -> HandlerResult {
    let fields: DeleteFields = parse_json(req)?;
    let password = fields
        .password
        .filter(|password| !password.is_empty())
        .ok_or_else(|| ApiError::field("password", "is required"))?;
    check_password(state, user, req, password).await?;
    state
        .store
        .delete_account(&user.owner, &user.user.password_hash, crate::time::now())
        .await
        .map_err(account_error)?;
    Ok(no_content())
}

/// The user's password, checked with login's argon2id work and counted by the auth guard: a
/// wrong one is `401 invalid_credentials` and counts as a failed login for the name.
pub(super) async fn check_password(
    state: &AppState,
    user: &Authenticated,
    req: &Request,
    password: String,
) -> Result<(), ApiError> {
    let username = Username::parse(&user.user.username).ok();
    let guard = AuthGuard::new(state, req, username.as_ref());
    guard.admit(state).await?;
    if verify_password(Some(user.user.password_hash.clone()), password).await {
        Ok(())
    } else {
        guard.failed(state).await?;
        Err(ApiError::InvalidCredentials)
    }
}

pub(super) fn account_error(error: AccountError) -> ApiError {
    match error {
        AccountError::SessionEnded => ApiError::Unauthorized,
        AccountError::Store(error) => error.into(),
    }
}
