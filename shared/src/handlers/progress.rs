//! `GET /progress`: today, the streak, twelve weeks of study, the room to continue and the next
//! scene, for the Today and Progress pages.

use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;

use crate::AppState;
use crate::http::{HandlerResult, json_response, ui_language};
use crate::services::learning;
use crate::services::session::Authenticated;

/// `GET /progress?ui=ko|en|ja` (the suggested scene's texts in that language).
pub async fn progress(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let ui = ui_language(&req, "ui", Some(user.native_language()))?;
    let view = learning::progress(&state, &user.owner, &user.user, ui).await?;
    Ok(json_response(StatusCode::OK, &view))
}
