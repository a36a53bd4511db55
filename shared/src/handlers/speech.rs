use std::sync::Arc;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use super::aids::{charged, locate};
use crate::AppState;
use crate::domain::speech::{self, MAX_RECORDING_BYTES, MAX_RECORDING_SECONDS, Speed};
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, path_id, query};
use crate::services::session::Authenticated;
use crate::services::speech::{cache_key, recording, target_of};

/// `GET /speech`: whether the server speaks and hears, or the browser's own speech is used.
pub async fn settings(state: Arc<AppState>, _user: Authenticated, _req: Request) -> HandlerResult {
    let on = state.speech.enabled();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "server": on,
            "voice": on.then(|| state.speech.config().voice.clone()),
            "max_seconds": MAX_RECORDING_SECONDS,
            "max_bytes": MAX_RECORDING_BYTES,
            "assessment": "recognition",
        }),
    ))
}

/// `POST /rooms/{id}/messages/{message_id}/speech?speed=0.6|0.8|1`: the line as MP3 (a tutor's
/// line, or the correction of a learner's), synthesized once per voice and speed and kept; a
/// line heard again costs no synthesis and nothing of the daily allowance.
pub async fn speak(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let speed = match query(&req).first("speed") {
        None => Speed::Normal,
        Some(text) => Speed::parse(text).map_err(|problem| ApiError::field("speed", problem))?,
    };
    if !state.speech.enabled() {
        return Err(ApiError::SpeechUnavailable);
    }
    let (room, message) = locate(&state, owner, &req).await?;
    let text = target_of(&message)?;
    let voice = state.speech.config().voice_for(room.language);
    let key = cache_key(owner, &room.id, &message.id, voice, speed);
    if let Some(bytes) = state.audio.get(&key).await? {
        return Ok(audio_response(bytes, "hit"));
    }
    let synthesis = charged(&state, owner, "speech", async || {
        Ok(state
            .speech
            .synthesize(text, room.language, room.level, speed)
            .await?)
    })
    .await?;
    // The learner hears the line even when it could not be kept (it is synthesized again later).
    if let Err(error) = state
        .audio
        .put(&key, synthesis.bytes.clone(), synthesis.content_type)
        .await
    {
        tracing::warn!(%error, "a synthesized line could not be kept");
    }
    Ok(audio_response(synthesis.bytes, "miss"))
}

/// A recording in which the server heard nothing (silence, noise).
fn no_speech() -> ApiError {
    ApiError::field("audio", "held no speech that could be heard; say it again")
}

fn audio_response(bytes: Vec<u8>, cache: &'static str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, crate::speech::AUDIO_TYPE)
        // A message's audio never changes: the browser keeps it for the visit and beyond.
        .header(header::CACHE_CONTROL, "private, max-age=604800, immutable")
        .header("x-rolechat-speech-cache", cache)
        .body(Body::Binary(bytes))
        .expect("a status and constant headers always build")
}

/// `POST /rooms/{id}/transcriptions` with a WAV body: what the learner said, heard in the room's
/// language (the site then sends it as their turn).
pub async fn transcribe(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    if !state.speech.enabled() {
        return Err(ApiError::SpeechUnavailable);
    }
    let room_id = path_id(&req, "id")?;
    let room = state
        .store
        .get_room(owner, &room_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let heard = recording(req.body().as_ref())?;
    let text = charged(&state, owner, "transcription", async || {
        Ok(state
            .speech
            .transcribe(req.body().as_ref(), room.language)
            .await?)
    })
    .await?;
    if text.is_empty() {
        return Err(no_speech());
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"text": text, "seconds": (heard.seconds * 10.0).round() / 10.0}),
    ))
}

/// `POST /rooms/{id}/messages/{message_id}/attempts` with a WAV body: the learner saying the line
/// (or its correction) again, transcribed and compared with it word by word. Recognition is no
/// pronunciation score: a word marked unheard was not recognised, for whatever reason.
pub async fn attempt(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    if !state.speech.enabled() {
        return Err(ApiError::SpeechUnavailable);
    }
    let (room, message) = locate(&state, owner, &req).await?;
    recording(req.body().as_ref())?;
    let target = target_of(&message)?;
    let heard = charged(&state, owner, "attempt", async || {
        Ok(state
            .speech
            .transcribe(req.body().as_ref(), room.language)
            .await?)
    })
    .await?;
    if heard.is_empty() {
        return Err(no_speech());
    }
    let compared = speech::compare(target, &heard, room.language);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "target": target,
            "heard": heard,
            "words": compared.words,
            "heard_share": (compared.heard_share * 100.0).round() / 100.0,
            "assessment": "recognition",
        }),
    ))
}
