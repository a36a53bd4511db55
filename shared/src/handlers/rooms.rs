//! What the room handlers share: whose rooms, which room, and how lists are paged.

use lambda_http::Request;

use crate::error::ApiError;
use crate::http::path_param;

/// The `{name}` id of the request's path, in canonical form. An id that is not an id at all is
/// `404`, like one that does not exist.
pub fn path_id(req: &Request, name: &str) -> Result<String, ApiError> {
    path_param(req, name)
        .and_then(|id| ulid::Ulid::from_string(id).ok())
        .map(|id| id.to_string())
        .ok_or(ApiError::NotFound)
}

/// The room's `{id}` in the request's path.
pub fn room_id(req: &Request) -> Result<String, ApiError> {
    path_id(req, "id")
}

/// The list a cursor belongs to, so a cursor of one room's messages cannot page another's.
pub fn messages_list(room_id: &str) -> String {
    format!("messages:{room_id}")
}

pub const ROOMS_LIST: &str = "rooms";
