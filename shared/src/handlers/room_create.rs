use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::domain::room::RoomFields;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, parse_json};
use crate::services::session::Authenticated;
use crate::store::{RoomRecord, room_sk};
use crate::{AppState, domain::time};

/// `POST /rooms`: a new room for the caller.
pub async fn create(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let setup = parse_json::<RoomFields>(&req)?.into_setup()?;
    let id = ulid::Ulid::new().to_string();
    let now = time::rfc3339(state.clock.now());
    let room = RoomRecord {
        pk: user.owner.key().to_owned(),
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
        last_line: None,
        activity: Some(id),
        deleting: false,
        scenario: setup.scenario,
        goals: setup.goals,
        auto_feedback: setup.auto_feedback,
        report: None,
    };
    let max_rooms = state.config.max_rooms;
    if !state
        .store
        .create_room(&user.owner, &room, max_rooms)
        .await?
    {
        return Err(ApiError::Conflict(
            "This account has as many rooms as it may have; delete one to make another.",
        ));
    }
    Ok(json_response(StatusCode::CREATED, &room.public()))
}
