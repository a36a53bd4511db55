use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};

use super::rooms::owner;
use crate::error::ApiError;
use crate::http::{HandlerResult, allow, json_response, parse_json};
use crate::room::RoomFields;
use crate::store::{RoomRecord, room_sk};
use crate::{AppState, time};

/// `POST /rooms`: a new room for the caller.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    allow(&req, &[Method::POST])?;
    let owner = owner(&state, &req).await?;
    let setup = parse_json::<RoomFields>(&req)?
        .into_setup()
        .map_err(ApiError::Validation)?;
    let id = ulid::Ulid::new().to_string();
    let now = time::rfc3339(time::now());
    let room = RoomRecord {
        pk: owner,
        sk: room_sk(&id),
        id: id.clone(),
        title: setup.title,
        language: setup.language,
        level: setup.level,
        situation: setup.situation,
        my_role: setup.my_role,
        gpt_role: setup.gpt_role,
        created_at: now.clone(),
        updated_at: now,
        last_message_at: None,
        message_count: 0,
        activity: Some(id),
        deleting: false,
    };
    state.store.create_room(&room).await?;
    Ok(json_response(StatusCode::CREATED, &room.public()))
}
