use std::sync::Arc;

use lambda_http::Request;

use crate::AppState;
use crate::error::ApiError;
use crate::http::room_id;
use crate::http::{HandlerResult, no_content};
use crate::services::session::Authenticated;

/// `DELETE /rooms/{id}`: the room is gone for every reader at once (later reads are `404`);
/// its messages are removed by the deletion worker, however many there are.
pub async fn delete(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let room_id = room_id(&req)?;
    if state
        .store
        .delete_room(&user.owner, &room_id, state.clock.now())
        .await?
    {
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}
