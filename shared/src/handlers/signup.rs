use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;

use super::{Credentials, LoginReply};
use crate::AppState;
use crate::auth::hash_password;
use crate::domain::language::UiLanguage;
use crate::domain::user::{Password, Username};
use crate::error::{ApiError, FieldErrors};
use crate::http::{HandlerResult, json_response, parse_json};
use crate::store::{CreateUserError, UserRecord};
use crate::{domain::time, services::session};

/// `POST /signup`: creates the user and logs them in, in one DynamoDB transaction.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    let body: Credentials = parse_json(&req)?;

    let mut errors = FieldErrors::new();
    let username = required(&mut errors, "username", body.username)
        .and_then(|raw| errors.check("username", Username::parse(&raw)));
    let password = required(&mut errors, "password", body.password)
        .and_then(|raw| errors.check("password", Password::parse(&raw, username.as_ref())));
    // The language the learner signed up in (what the site shows them), Korean if none.
    let native_language = match body.native_language {
        None => Some(UiLanguage::Ko),
        Some(code) => errors.check("native_language", UiLanguage::parse(&code)),
    };
    let (Some(username), Some(password), Some(native_language)) =
        (username, password, native_language)
    else {
        return Err(ApiError::Validation(errors));
    };
    // A new name has no failures to count: the guard counts the attempt against the address.
    super::AuthGuard::new(&state, &req, None)
        .admit(&state)
        .await?;

    let now = state.clock.now();
    let user = UserRecord {
        pk: username.key(),
        id: UserRecord::new_id(),
        username: username.as_str().to_owned(),
        password_hash: Some(hash_password(&password).await?),
        created_at: time::rfc3339(now),
        display_name: None,
        native_language,
        identities: Vec::new(),
        username_changeable: false,
        ..UserRecord::default()
    };
    let (session, token) = session::start(&state.tokens, state.config.session_ttl, &user, now);
    state
        .store
        .create_user(&user, &session)
        .await
        .map_err(|error| match error {
            CreateUserError::UsernameTaken => ApiError::UsernameTaken,
            CreateUserError::Store(error) => error.into(),
        })?;
    Ok(json_response(
        StatusCode::CREATED,
        &LoginReply::new(&state, token, user.public()),
    ))
}

fn required(
    errors: &mut FieldErrors,
    field: &'static str,
    value: Option<String>,
) -> Option<String> {
    if value.is_none() {
        errors.add(field, "is required");
    }
    value
}
