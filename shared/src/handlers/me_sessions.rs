use std::sync::Arc;

use lambda_http::Request;

use super::me::account_error;
use crate::AppState;
use crate::http::{HandlerResult, no_content};
use crate::services::session::Authenticated;

/// `DELETE /me/sessions`: every session of the user ends, this one included ("log out
/// everywhere"), by raising the user's session generation: one write, however many there are.
pub async fn end_all(state: Arc<AppState>, user: Authenticated, _req: Request) -> HandlerResult {
    state
        .store
        .end_sessions(&user.owner)
        .await
        .map_err(account_error)?;
    Ok(no_content())
}
