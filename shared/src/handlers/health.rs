use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;

use crate::AppState;
use crate::http::{HandlerResult, allow, json_response};

/// `GET /health`: the function is up. It touches nothing else, so it costs nothing to probe.
pub async fn handle(_state: Arc<AppState>, req: Request) -> HandlerResult {
    allow(&req, &[Method::GET])?;
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}
