use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use crate::AppState;
use crate::http::{HandlerResult, json_response};

/// `GET /health`: the function is up. It touches nothing else, so it costs nothing to probe.
pub async fn handle(_state: Arc<AppState>, _req: Request) -> HandlerResult {
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}
