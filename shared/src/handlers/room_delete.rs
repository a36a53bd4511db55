use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::Method;

use super::rooms::{owner, room_id};
use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, allow, no_content};

/// `DELETE /rooms/{id}`: the room and all its messages are gone; later reads are `404`.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    allow(&req, &[Method::DELETE])?;
    let owner = owner(&state, &req).await?;
    let room_id = room_id(&req, "/rooms/{id}")?;
    if state.store.delete_room(&owner, &room_id).await? {
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}
