use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{HeaderValue, StatusCode, header};
use serde_json::json;

use crate::AppState;
use crate::domain::language::UiLanguage;
use crate::domain::scenarios::catalogue;
use crate::http::ui_language;
use crate::http::{HandlerResult, json_response};

/// `GET /scenarios?ui=ko|en|ja`: the whole catalogue of ready role-plays, its texts in `ui`. No
/// token, no table: it is the same for everyone, so caches may keep it for an hour.
pub async fn handle(_state: Arc<AppState>, req: Request) -> HandlerResult {
    let ui = ui_language(&req, "ui", Some(UiLanguage::Ko))?;
    let items: Vec<_> = catalogue()
        .scenarios
        .iter()
        .map(|scenario| scenario.view(ui))
        .collect();
    let mut response = json_response(
        StatusCode::OK,
        &json!({"items": items, "categories": catalogue().categories}),
    );
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    Ok(response)
}
