use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use crate::AppState;
use crate::domain::cursor::messages_list;
use crate::error::ApiError;
use crate::http::room_id;
use crate::http::{HandlerResult, json_response, page_query};
use crate::services::session::Authenticated;
use crate::store::{MessageRecord, Page};

/// `GET /rooms/{id}/messages`: a page of the room's messages going back in time, each page
/// oldest first. Two round trips: the session, then one query (which, without a cursor, also
/// reads the room to tell an empty room from a missing one).
pub async fn list(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let room_id = room_id(&req)?;
    let page = page_query(&req)?;
    let list = messages_list(&room_id);

    let messages: Page<MessageRecord> = match &page.cursor {
        None => {
            state
                .store
                .open_room(owner, &room_id, page.limit)
                .await?
                .ok_or(ApiError::NotFound)?
                .messages
        }
        Some(cursor) => {
            let [before] =
                <[String; 1]>::try_from(state.cursors.decode(cursor, owner.key(), &list)?)
                    .map_err(|_| {
                        ApiError::internal("a signed messages cursor has the wrong shape")
                    })?;
            // The room is read alongside: a room being deleted keeps its messages until the
            // worker removes them, and none may be shown meanwhile.
            let (older, room) = tokio::join!(
                state
                    .store
                    .older_messages(owner, &room_id, &before, page.limit),
                state.store.get_room(owner, &room_id)
            );
            if room?.is_none() {
                return Err(ApiError::NotFound);
            }
            older?
        }
    };
    let next_cursor = match messages.items.last() {
        Some(oldest) if messages.more => Some(state.cursors.encode(
            owner.key(),
            &list,
            vec![oldest.sk.clone()],
        )),
        _ => None,
    };
    let items: Vec<_> = messages.items.iter().rev().map(|m| m.public()).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": next_cursor}),
    ))
}
