use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::domain::room::RoomFields;
use crate::error::ApiError;
use crate::http::room_id;
use crate::http::{HandlerResult, json_response, parse_json};
use crate::services::session::Authenticated;
use crate::{AppState, domain::time};

/// `PATCH /rooms/{id}`: changes any subset of the room's setup; later turns use the new one.
pub async fn update(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let room_id = room_id(&req)?;
    let patch = parse_json::<RoomFields>(&req)?.into_patch()?;
    let room = if patch.is_empty() {
        state.store.get_room(owner, &room_id).await?
    } else {
        let now = time::rfc3339(state.clock.now());
        state
            .store
            .update_room(owner, &room_id, &patch, &now)
            .await?
    };
    let room = room.ok_or(ApiError::NotFound)?;
    Ok(json_response(StatusCode::OK, &room.public()))
}
