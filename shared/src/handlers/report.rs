use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use super::aids::charged;
use crate::domain::report::REPORT_WINDOW;
use crate::domain::room::Role;
use crate::error::ApiError;
use crate::http::room_id;
use crate::http::ui_language;
use crate::http::{HandlerResult, json_response};
use crate::services::demo;
use crate::services::learning;
use crate::services::report::{self, Review};
use crate::services::session::Authenticated;
use crate::store::Activity;
use crate::tutor::Task;
use crate::{AppState, domain::time};

/// `POST /rooms/{id}/report?ui=ko|en|ja`: a review of the conversation so far. Stored on the
/// room; asked again before any new message (in the same language) it is returned with no model
/// call. A room where the learner has said nothing yet is `409`.
pub async fn report(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let room_id = room_id(&req)?;
    let ui = ui_language(&req, "ui", Some(user.native_language()))?;
    let opened = state
        .store
        .open_room(owner, &room_id, REPORT_WINDOW)
        .await?
        .ok_or(ApiError::NotFound)?;
    let room = opened.room;
    let messages: Vec<_> = opened.messages.items.into_iter().rev().collect();
    let learner_lines: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::User)
        .map(|m| m.id.as_str())
        .collect();
    if learner_lines.is_empty() {
        return Err(ApiError::Conflict(
            "There is nothing to review yet: say something in the room first.",
        ));
    }
    if let Some(stored) = &room.report
        && stored.message_count == room.message_count
        && stored.ui_language == ui
    {
        return Ok(json_response(StatusCode::OK, &json!({"report": stored})));
    }

    let offline = demo::review(&room, &messages, ui);
    let review: Review = charged(&state, owner, "report", async || {
        Ok(state
            .tutor
            .structured(
                Task::Report,
                &report::prompt(&room, &messages, ui),
                &report::schema(&learner_lines, report::enough_to_estimate(&room, &messages)),
                offline,
            )
            .await?)
    })
    .await?;
    let report = report::report(
        &room,
        &messages,
        review,
        ui,
        time::rfc3339(state.clock.now()),
    );
    let stored = state
        .store
        .store_report(owner, &room.id, &report)
        .await?
        .ok_or(ApiError::NotFound)?;
    if stored.cefr_estimate.is_some() && stored == report {
        let activity = Activity {
            estimate: stored.cefr_estimate,
            ..Activity::default()
        };
        learning::record(&state, owner, &user.user.time_zone(), activity).await;
    }
    Ok(json_response(StatusCode::OK, &json!({"report": stored})))
}
