use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use super::aids::{charged, locate};
use crate::AppState;
use crate::error::ApiError;
use crate::http::ui_language;
use crate::http::{HandlerResult, json_response};
use crate::services::session::Authenticated;
use crate::services::translation::{self, Translation};
use crate::tutor::{Task, TutorError};

/// `POST /rooms/{id}/messages/{message_id}/translation?to=ko|en|ja`: the message in the learner's
/// language, stored per target language and reused with no model call.
pub async fn translate(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let to = ui_language(&req, "to", Some(user.native_language()))?;
    let (room, message) = locate(&state, owner, &req).await?;
    let reply = |text: &str| {
        json_response(
            StatusCode::OK,
            &json!({"translation": {"to": to.code(), "text": text}}),
        )
    };
    if let Some(text) = message.translation(to) {
        return Ok(reply(text));
    }

    let offline = Translation {
        text: format!("(Offline demo: no translation.) {}", message.content),
    };
    let prompt = translation::prompt(&room, &message.content, to);
    let translation: Translation = charged(&state, owner, "translation", async || {
        Ok(state
            .tutor
            .structured(Task::Translation, &prompt, &translation::SCHEMA, offline)
            .await?)
    })
    .await?;
    let text = translation.text.trim();
    if text.is_empty() {
        return Err(TutorError::Upstream("the model's translation is empty".into()).into());
    }
    let stored = state
        .store
        .store_translation(owner, &room.id, &message.id, to, text)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(reply(&stored))
}
