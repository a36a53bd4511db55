//! The one error type of the API and its mapping to the contract's JSON shape.
//!
//! Every route answers failures through [`ApiError::into_response`], so the status, the code and
//! the body shape are decided here and nowhere else. Internal details are logged, never sent.

use std::collections::BTreeMap;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::json;

/// Field name → a short phrase saying what is wrong with it ("must be 3 to 32 characters").
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &'static str, problem: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the value when there was no error, records the error under `field` otherwise.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem.to_string());
                None
            }
        }
    }

    /// `Ok(())` when no field failed, the `validation_failed` error otherwise.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidJson(String),
    #[error("Some fields are missing or invalid.")]
    Validation(FieldErrors),
    #[error("A valid access token is required.")]
    Unauthorized,
    #[error("The username or password is incorrect.")]
    InvalidCredentials,
    #[error("Nothing was found here.")]
    NotFound,
    #[error("This path does not accept that method.")]
    MethodNotAllowed { allowed: Vec<Method> },
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("The request body is larger than the 64 KiB limit.")]
    PayloadTooLarge,
    #[error("Too many requests; try again later.")]
    RateLimited { retry_after_secs: u64 },
    #[error("The language model answered with an error.")]
    UpstreamError,
    #[error("The language model did not answer in time.")]
    UpstreamTimeout,
    /// Anything else. The detail is logged and never sent to the client.
    #[error("Something went wrong on our side.")]
    Internal(String),
}

impl ApiError {
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) | ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UsernameTaken | ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UpstreamError => StatusCode::BAD_GATEWAY,
            ApiError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::UsernameTaken => "username_taken",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::UpstreamError => "upstream_error",
            ApiError::UpstreamTimeout => "upstream_timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The contract's error document: `{"error": {"code", "message", "fields"?}}`.
    pub fn body(&self) -> serde_json::Value {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let mut error = json!({"code": self.code(), "message": self.to_string()});
        if let ApiError::Validation(fields) = &self {
            error["fields"] = json!(fields.0);
        }
        json!({ "error": error })
    }

    pub fn into_response(self) -> Response<Body> {
        let mut response = crate::http::json_response(self.status(), &self.body());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn validation_errors_carry_their_fields() {
        let mut fields = FieldErrors::new();
        fields.add("username", "must be 3 to 32 characters");
        fields.add(
            "username",
            "a second problem is not reported over the first",
        );
        let response = fields.finish().unwrap_err().into_response();
        assert_eq!(response.status(), 400);
        assert_eq!(
            body_of(&response),
            json!({"error": {"code": "validation_failed",
                             "message": "Some fields are missing or invalid.",
                             "fields": {"username": "must be 3 to 32 characters"}}})
        );
    }

    #[test]
    fn internal_errors_say_nothing_about_internals() {
        let response =
            ApiError::internal("DynamoDB said: table rolechat-users is gone").into_response();
        assert_eq!(response.status(), 500);
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(!text.contains("DynamoDB"), "{text}");
        assert_eq!(body_of(&response)["error"]["code"], "internal");
        assert!(body_of(&response)["error"].get("fields").is_none());
    }

    #[test]
    fn headers_that_go_with_some_errors() {
        let response = ApiError::MethodNotAllowed {
            allowed: vec![Method::GET, Method::POST],
        }
        .into_response();
        assert_eq!(response.headers()[header::ALLOW], "GET, POST");
        let response = ApiError::RateLimited {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }
}
