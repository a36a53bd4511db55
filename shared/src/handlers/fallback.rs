use std::sync::Arc;

use lambda_http::Request;

use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, request_path};
use crate::routes::methods_for;

/// Every request no route takes: `405` on a known path, `404` on any other, in the contract's shape.
pub async fn handle(_state: Arc<AppState>, req: Request) -> HandlerResult {
    let allowed = methods_for(request_path(&req));
    if allowed.is_empty() {
        Err(ApiError::NotFound)
    } else {
        Err(ApiError::MethodNotAllowed { allowed })
    }
}
