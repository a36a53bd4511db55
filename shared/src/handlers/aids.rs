//! What the learning-aid routes share: finding the message, charging the model call.

use lambda_http::Request;

use crate::auth::Claims;
use crate::error::{ApiError, FieldErrors};
use crate::http::{bearer_token, request_path};
use crate::room::UiLanguage;
use crate::routes::path_param;
use crate::store::{BeginError, MessageRecord, RoomRecord};
use crate::turn::{refusal_error, usage_today};
use crate::{AppState, session, time};

/// The room and the message a request names, with one read; `404` for either missing (or the
/// room being another user's), after the session is checked so a logged-out token learns nothing.
pub async fn locate(
    state: &AppState,
    req: &Request,
    template: &str,
) -> Result<(Claims, RoomRecord, MessageRecord), ApiError> {
    let claims = state.tokens.verify(bearer_token(req)?)?;
    let id = |name: &str| {
        path_param(template, request_path(req), name)
            .and_then(|id| ulid::Ulid::from_string(id).ok())
            .map(|id| id.to_string())
            .ok_or(ApiError::NotFound)
    };
    let (room_id, message_id) = (id("id"), id("message_id"));
    let (Ok(room_id), Ok(message_id)) = (room_id, message_id) else {
        session::authenticate(state, req).await?;
        return Err(ApiError::NotFound);
    };
    match state
        .store
        .room_and_message(&claims.sub, &room_id, &message_id)
        .await?
    {
        (Some(room), Some(message)) => Ok((claims, room, message)),
        _ => {
            session::authenticate(state, req).await?;
            Err(ApiError::NotFound)
        }
    }
}

/// One model call against the daily limit, with the session check: one transaction.
pub async fn charge(state: &AppState, claims: &Claims) -> Result<(), ApiError> {
    let now = time::now();
    let usage = usage_today(&state.config, now);
    match state
        .store
        .charge_usage(&claims.sid, &claims.sub, &usage, now.unix_timestamp())
        .await
    {
        Ok(()) => Ok(()),
        Err(BeginError::Refused(refusal)) => Err(refusal_error(refusal, now)),
        Err(BeginError::Store(error)) => Err(error.into()),
    }
}

/// A `?name=` query parameter naming a UI language (`ko`, `en`, `ja`), `default` when absent.
pub fn ui_language(
    req: &Request,
    name: &'static str,
    default: Option<UiLanguage>,
) -> Result<UiLanguage, ApiError> {
    let query: lambda_http::aws_lambda_events::query_map::QueryMap = req
        .uri()
        .query()
        .unwrap_or_default()
        .parse()
        .unwrap_or_default();
    let mut errors = FieldErrors::new();
    let language = match (query.first(name), default) {
        (Some(code), _) => errors.check(name, UiLanguage::parse(code)),
        (None, Some(default)) => Some(default),
        (None, None) => {
            errors.add(name, "is required: one of ko, en, ja");
            None
        }
    };
    errors.finish()?;
    language.ok_or(ApiError::internal("a checked language is missing"))
}
