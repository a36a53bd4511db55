//! What the learning-aid routes share: finding the message, charging the model call.

use lambda_http::Request;

use super::rooms::path_id;
use crate::error::ApiError;
use crate::http::query;
use crate::room::UiLanguage;
use crate::session::Owner;
use crate::store::{BeginError, MessageRecord, RoomRecord};
use crate::turn::{refusal_error, usage_today};
use crate::{AppState, time};

/// The room and the message a request names, with one read; `404` for either missing (or the
/// room being another user's).
pub async fn locate(
    state: &AppState,
    owner: &Owner,
    req: &Request,
    template: &str,
) -> Result<(RoomRecord, MessageRecord), ApiError> {
    let room_id = path_id(req, template, "id")?;
    let message_id = path_id(req, template, "message_id")?;
    match state
        .store
        .room_and_message(owner, &room_id, &message_id)
        .await?
    {
        (Some(room), Some(message)) => Ok((room, message)),
        _ => Err(ApiError::NotFound),
    }
}

/// One model call against the daily limit, with the session checked again: one transaction.
pub async fn charge(state: &AppState, owner: &Owner) -> Result<(), ApiError> {
    let now = time::now();
    let usage = usage_today(&state.config, now);
    match state
        .store
        .charge_usage(owner, &usage, now.unix_timestamp())
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
    match (query(req).first(name), default) {
        (Some(code), _) => {
            UiLanguage::parse(code).map_err(|problem| ApiError::field(name, problem))
        }
        (None, Some(default)) => Ok(default),
        (None, None) => Err(ApiError::field(name, "is required: one of ko, en, ja")),
    }
}
