use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use super::aids::{charged, locate};
use crate::AppState;
use crate::domain::room::Role;
use crate::error::ApiError;
use crate::http::ui_language;
use crate::http::{HandlerResult, json_response};
use crate::services::feedback::check_line;
use crate::services::learning::{self, Learner};
use crate::services::session::Authenticated;

/// `POST /rooms/{id}/messages/{message_id}/feedback?ui=ko|en|ja`: is the learner's line natural
/// and correct for the room's language and level, a corrected version, and why, in the learner's
/// language. Computed once and stored on the message; asking again returns it with no model call.
pub async fn feedback(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let explain_in = ui_language(&req, "ui", Some(user.native_language()))?;
    let (room, message) = locate(&state, owner, &req).await?;
    if message.role != Role::User {
        return Err(ApiError::field(
            "message_id",
            "feedback is only for the learner's own messages",
        ));
    }
    if let Some(feedback) = message.feedback {
        return Ok(json_response(
            StatusCode::OK,
            &json!({"feedback": feedback}),
        ));
    }

    // The line is judged as an answer to the tutor's line before it.
    let before = state
        .store
        .older_messages(owner, &room.id, &message.sk, 1)
        .await?
        .items
        .into_iter()
        .next()
        .filter(|line| line.role == Role::Assistant)
        .map(|line| line.content);
    let zone = user.user.time_zone();
    let memory = learning::memory(&state, owner, &zone, room.language).await;
    let learner = Learner { zone, memory };
    let stored = charged(&state, owner, "feedback", async || {
        check_line(
            &state,
            owner,
            &room,
            before.as_deref(),
            &message,
            explain_in,
            &learner,
        )
        .await
    })
    .await?;
    Ok(json_response(StatusCode::OK, &json!({"feedback": stored})))
}
