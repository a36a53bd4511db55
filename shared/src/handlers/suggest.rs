use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;

use super::aids::charge;
use super::rooms::room_id;
use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response};
use crate::routes::paths;
use crate::session::{Authenticated, signed_in};
use crate::tutor::{TurnKind, TutorRequest, prompt};

/// `POST /rooms/{id}/suggestions`: one line the learner could say next, in the room's language
/// and at its level. Nothing is stored; it counts against the daily limit. Three DynamoDB round
/// trips: the session, the room, the charge (which checks the session again).
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    signed_in(state, req, &[Method::POST], suggest).await
}

async fn suggest(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let room_id = room_id(&req, paths::SUGGESTIONS)?;
    let window = state.config.tutor.history_messages;
    let opened = state
        .store
        .open_room(&user.owner, &room_id, window)
        .await?
        .ok_or(ApiError::NotFound)?;
    charge(&state, &user.owner).await?;
    let history: Vec<_> = opened.messages.items.into_iter().rev().collect();
    let request = TutorRequest {
        prompt: prompt::suggestion(&opened.room, &history, window),
        language: opened.room.language,
        kind: TurnKind::Suggestion,
    };
    let completed = state.tutor.complete(&request).await?;
    let suggestion = completed
        .text
        .trim()
        .trim_matches(|c| matches!(c, '"' | '“' | '”' | '「' | '」'))
        .trim();
    Ok(json_response(
        StatusCode::OK,
        &json!({"suggestion": suggestion}),
    ))
}
