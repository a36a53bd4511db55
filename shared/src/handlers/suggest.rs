use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;

use super::rooms::room_id;
use crate::error::ApiError;
use crate::http::{HandlerResult, allow, bearer_token, json_response};
use crate::store::BeginError;
use crate::turn::{refusal_error, usage_today};
use crate::tutor::{TurnKind, TutorRequest, prompt};
use crate::{AppState, session, time};

/// `POST /rooms/{id}/suggestions`: one line the learner could say next, in the room's language
/// and at its level. Nothing is stored; it counts against the daily limit. Two DynamoDB round
/// trips, the session check included: read the room, charge the call.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    allow(&req, &[Method::POST])?;
    let claims = state.tokens.verify(bearer_token(&req)?)?;
    let room_id = room_id(&req, "/rooms/{id}/suggestions")?;
    let window = state.config.tutor.history_messages;
    let Some(opened) = state.store.open_room(&claims.sub, &room_id, window).await? else {
        session::authenticate(&state, &req).await?;
        return Err(ApiError::NotFound);
    };
    let now = time::now();
    let usage = usage_today(&state.config, now);
    match state
        .store
        .charge_usage(&claims.sid, &claims.sub, &usage, now.unix_timestamp())
        .await
    {
        Ok(()) => {}
        Err(BeginError::Refused(refusal)) => return Err(refusal_error(refusal, now)),
        Err(BeginError::Store(error)) => return Err(error.into()),
    }
    let history: Vec<_> = opened.messages.items.into_iter().rev().collect();
    let request = TutorRequest {
        prompt: prompt::suggestion(&opened.room, &history, window),
        language: opened.room.language,
        kind: TurnKind::Suggestion,
    };
    let text = state.tutor.complete(&request).await?;
    let suggestion = text
        .trim()
        .trim_matches(|c| matches!(c, '"' | '“' | '”' | '「' | '」'))
        .trim();
    Ok(json_response(
        StatusCode::OK,
        &json!({"suggestion": suggestion}),
    ))
}
