//! What the learning-aid routes share: finding the message, charging the model call.

use lambda_http::Request;

use crate::AppState;
use crate::error::ApiError;
use crate::http::path_id;
use crate::services::turn::{refusal_error, usage_today};
use crate::store::Owner;
use crate::store::{BeginError, CallLease, MessageRecord, RoomRecord};

/// The room and the message a request names, with one read; `404` for either missing (or the
/// room being another user's).
pub async fn locate(
    state: &AppState,
    owner: &Owner,
    req: &Request,
) -> Result<(RoomRecord, MessageRecord), ApiError> {
    let room_id = path_id(req, "id")?;
    let message_id = path_id(req, "message_id")?;
    match state
        .store
        .room_and_message(owner, &room_id, &message_id)
        .await?
    {
        (Some(room), Some(message)) => Ok((room, message)),
        _ => Err(ApiError::NotFound),
    }
}

/// Runs `call`, one model call of the learning aid `aid`, charged against the daily limit and
/// holding one of the user's leases on that aid (`ROLECHAT_CONCURRENT_AIDS`; `429` with
/// `Retry-After: 5` beyond), with the session checked again: one transaction before, the lease
/// ended after, however the call went.
pub async fn charged<T>(
    state: &AppState,
    owner: &Owner,
    aid: &'static str,
    call: impl AsyncFnOnce() -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let now = state.clock.now();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let usage = usage_today(&state.config, now);
    // A call lasts at most the model's timeout with its retries; the lease lapses after that.
    let until = now_ms + (state.config.tutor.timeout.as_millis() as i64) * 2 + 30_000;
    let lease = CallLease::new(owner, aid, until, state.config.concurrent_aids);
    match state
        .store
        .charge_usage(owner, &usage, now_ms, &lease)
        .await
    {
        Ok(()) => {}
        Err(BeginError::Refused(refusal)) => return Err(refusal_error(refusal, now)),
        Err(BeginError::Store(error)) => return Err(error.into()),
    }
    let outcome = call().await;
    state.store.end_call(&lease).await;
    outcome
}
