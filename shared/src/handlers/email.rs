use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, parse_json, query};
use crate::services::email;

#[derive(Deserialize)]
struct TokenField {
    token: Option<String>,
}

/// `POST /email/verify`: the link of a verification mail, opened in any browser (no login: the
/// token is the proof). The address becomes the account's.
pub async fn verify(state: Arc<AppState>, req: Request) -> HandlerResult {
    let body: TokenField = parse_json(&req)?;
    let token = body
        .token
        .filter(|token| !token.is_empty() && token.len() <= 256)
        .ok_or_else(|| ApiError::field("token", "is required"))?;
    let address = email::verify(&state, &token).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"email": address.as_str(), "verified": true}),
    ))
}

/// `POST /email/unsubscribe?token=…`: stops the reminders of the mail's learner, with no login:
/// what a mail client's one-click unsubscribe sends (RFC 8058: the body is
/// `List-Unsubscribe=One-Click`, form-encoded, and is not read), and the site's page too.
pub async fn unsubscribe(state: Arc<AppState>, req: Request) -> HandlerResult {
    let token = query(&req)
        .first("token")
        .map(str::to_owned)
        .unwrap_or_default();
    let Ok((user_key, user_id)) = email::unsubscribed_user(&state, &token) else {
        return Err(ApiError::field("token", "is not a valid unsubscribe link"));
    };
    state.store.stop_reminders(&user_key, &user_id).await?;
    Ok(json_response(StatusCode::OK, &json!({"reminders": "off"})))
}
