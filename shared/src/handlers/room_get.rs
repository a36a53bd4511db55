use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use crate::AppState;
use crate::domain::cursor::messages_list;
use crate::error::ApiError;
use crate::http::room_id;
use crate::http::{HandlerResult, json_response};
use crate::services::session::Authenticated;

/// How many of the latest messages opening a room shows.
pub const OPEN_MESSAGES: usize = 50;

/// `GET /rooms/{id}`: the room and its latest messages, oldest first, with a cursor for older
/// ones. Two round trips: the session, then one query for the room and its messages.
pub async fn open(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let room_id = room_id(&req)?;
    let opened = state
        .store
        .open_room(owner, &room_id, OPEN_MESSAGES)
        .await?
        .ok_or(ApiError::NotFound)?;
    let older_cursor = match opened.messages.items.last() {
        Some(oldest) if opened.messages.more => Some(state.cursors.encode(
            owner.key(),
            &messages_list(&room_id),
            vec![oldest.sk.clone()],
        )),
        _ => None,
    };
    let messages: Vec<_> = opened
        .messages
        .items
        .iter()
        .rev()
        .map(|m| m.public())
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"room": opened.room.public(), "messages": messages, "older_cursor": older_cursor,
                "report": opened.room.report}),
    ))
}
