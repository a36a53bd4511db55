//! Writing a reply: JSON documents, empty replies, and errors in the contract's shape.

use bytes::Bytes;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::ApiError;

/// Says on a turn's reply that the tutor is the offline demo (`demo`), so the site can say so once.
pub const TUTOR_HEADER: &str = "x-rolechat-tutor";

pub type HandlerResult = Result<Response<Body>, ApiError>;

pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("replies are plain data that always serialize");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("a status and a constant header always build")
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("a bare status always builds")
}

impl ApiError {
    /// The reply for this error: its status, the contract's JSON body, and the headers that go
    /// with some errors (`Allow`, `Retry-After`, `WWW-Authenticate`).
    pub fn into_response(self) -> Response<Body> {
        let mut response = json_response(self.status(), &self.body());
        let headers = response.headers_mut();
        match &self {
            ApiError::MethodNotAllowed { allowed } => {
                let allow = allowed
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

/// One server-sent event: `event: <name>` and its JSON data.
pub fn event(name: &str, data: &impl Serialize) -> Bytes {
    let data = serde_json::to_string(data).expect("events carry plain data");
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}
