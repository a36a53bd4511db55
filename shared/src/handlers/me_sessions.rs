use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::Method;

use super::me::account_error;
use super::signed_in;
use crate::AppState;
use crate::http::{HandlerResult, no_content};
use crate::services::session::Authenticated;

/// `DELETE /me/sessions`: every session of the user ends, this one included ("log out
/// everywhere"), by raising the user's session generation: one write, however many there are.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    signed_in(state, req, &[Method::DELETE], end_all).await
}

async fn end_all(state: Arc<AppState>, user: Authenticated, _req: Request) -> HandlerResult {
    state
        .store
        .end_sessions(&user.owner)
        .await
        .map_err(account_error)?;
    Ok(no_content())
}
