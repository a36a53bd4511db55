//! The one error type of the API, and every conversion into it.
//!
//! The leaf modules (auth, cursor, store, tutor) have error types of their own and know nothing of
//! HTTP; this module alone says which API error each of their failures is. How an `ApiError`
//! becomes a reply is said once, in `http::response`. Internal details are logged, never sent.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;

pub use crate::domain::validation::FieldErrors;

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
    /// What changes how the account is entered needs the password, or a sign-in within the last
    /// minutes, not only a token (which may have been stolen).
    #[error(
        "Confirm it is you: give your password, or sign in again, then repeat this within 10 minutes."
    )]
    ReauthenticationRequired,
    #[error("Nothing was found here.")]
    NotFound,
    #[error("This path does not accept that method.")]
    MethodNotAllowed { allowed: Vec<Method> },
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("That email address belongs to another account.")]
    EmailTaken,
    /// Mail could not be handed over now (the service throttled or unreachable), or this
    /// deployment sends none.
    #[error("{0}")]
    MailUnavailable(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    /// This deployment names no speech server: the site uses the browser's own voices.
    #[error("This Rolechat has no speech server; the browser's own speech is used instead.")]
    SpeechUnavailable,
    #[error("The recording is larger than the 2 MiB limit (30 seconds of speech).")]
    RecordingTooLarge,
    #[error("{0}")]
    SpeechFailed(&'static str),
    #[error("The speech service did not answer in time.")]
    SpeechTimeout,
    #[error("The request body is larger than the 64 KiB limit.")]
    PayloadTooLarge,
    #[error("Too many requests; try again later.")]
    RateLimited { retry_after_secs: u64 },
    #[error("The language model answered with an error.")]
    UpstreamError,
    #[error("The language model did not answer in time.")]
    UpstreamTimeout,
    #[error("The language model declined to answer this; try saying it another way.")]
    UpstreamRefused,
    #[error(
        "The language model refused the request as this service is set up; its operator has been told."
    )]
    UpstreamMisconfigured,
    /// Anything else. The detail is logged and never sent to the client.
    #[error("Something went wrong on our side.")]
    Internal(String),
}

impl ApiError {
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    /// `validation_failed` naming one field.
    pub fn field(field: &'static str, problem: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, problem);
        ApiError::Validation(errors)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) | ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::ReauthenticationRequired => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UsernameTaken | ApiError::EmailTaken | ApiError::Conflict(_) => {
                StatusCode::CONFLICT
            }
            ApiError::MailUnavailable(_) | ApiError::SpeechUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::RecordingTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::SpeechFailed(_) => StatusCode::BAD_GATEWAY,
            ApiError::SpeechTimeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UpstreamError
            | ApiError::UpstreamRefused
            | ApiError::UpstreamMisconfigured => StatusCode::BAD_GATEWAY,
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
            ApiError::ReauthenticationRequired => "reauthentication_required",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::UsernameTaken => "username_taken",
            ApiError::EmailTaken => "email_taken",
            ApiError::MailUnavailable(_) => "mail_unavailable",
            ApiError::SpeechUnavailable => "speech_unavailable",
            ApiError::RecordingTooLarge => "payload_too_large",
            ApiError::SpeechFailed(_) => "upstream_error",
            ApiError::SpeechTimeout => "upstream_timeout",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::UpstreamError
            | ApiError::UpstreamRefused
            | ApiError::UpstreamMisconfigured => "upstream_error",
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
            error["fields"] = fields
                .iter()
                .map(|(field, problem)| (field.to_owned(), json!(problem)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        json!({ "error": error })
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<crate::mail::MailError> for ApiError {
    fn from(error: crate::mail::MailError) -> Self {
        use crate::mail::MailError;
        match error {
            MailError::Off => ApiError::MailUnavailable("This Rolechat sends no email."),
            MailError::Refused(_) => ApiError::field(
                "email",
                "was refused by the mail service; use another address",
            ),
            MailError::Misconfigured(detail) => {
                tracing::error!(%detail, "the mail service refuses this deployment's mail");
                ApiError::MailUnavailable("The email could not be sent just now; try again later.")
            }
            MailError::Unavailable(detail) => {
                tracing::warn!(%detail, "mail could not be sent");
                ApiError::MailUnavailable(
                    "The email could not be sent just now; try again in a minute.",
                )
            }
            MailError::Build(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<crate::speech::SpeechError> for ApiError {
    fn from(error: crate::speech::SpeechError) -> Self {
        use crate::speech::SpeechError;
        match error {
            SpeechError::Off => ApiError::SpeechUnavailable,
            SpeechError::Timeout => ApiError::SpeechTimeout,
            SpeechError::Unavailable(detail) => {
                tracing::warn!(%detail, "the speech server failed");
                ApiError::SpeechFailed(
                    "The speech service is unavailable just now; try again in a moment.",
                )
            }
            SpeechError::Misconfigured(detail) => {
                tracing::error!(%detail, "the speech server refuses this deployment's requests");
                ApiError::SpeechFailed(
                    "The speech service refused the request as this service is set up; its operator has been told.",
                )
            }
            SpeechError::Rejected(detail) => {
                tracing::info!(%detail, "the speech server could not use a recording");
                ApiError::field("audio", "could not be heard; record it again")
            }
        }
    }
}

impl From<crate::domain::speech::RecordingError> for ApiError {
    fn from(error: crate::domain::speech::RecordingError) -> Self {
        use crate::domain::speech::RecordingError;
        match error {
            RecordingError::TooLong { .. } => ApiError::RecordingTooLarge,
            other => ApiError::field("audio", other.to_string()),
        }
    }
}

impl From<crate::store::AccountError> for ApiError {
    fn from(error: crate::store::AccountError) -> Self {
        use crate::store::AccountError;
        match error {
            AccountError::SessionEnded => ApiError::Unauthorized,
            // Not the end of the session: the site keeps the learner logged in and shows it.
            AccountError::Changed => {
                ApiError::Conflict("The account was changed meanwhile; look at it again and retry.")
            }
            AccountError::Store(error) => error.into(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        ApiError::internal(error)
    }
}

impl From<crate::auth::TokenError> for ApiError {
    fn from(_: crate::auth::TokenError) -> Self {
        ApiError::Unauthorized
    }
}

impl From<crate::auth::HashError> for ApiError {
    fn from(error: crate::auth::HashError) -> Self {
        ApiError::internal(error)
    }
}

impl From<crate::domain::cursor::CursorError> for ApiError {
    fn from(error: crate::domain::cursor::CursorError) -> Self {
        ApiError::field("cursor", error.to_string())
    }
}

impl From<crate::tutor::TutorError> for ApiError {
    fn from(error: crate::tutor::TutorError) -> Self {
        use crate::tutor::TutorError;
        match error {
            TutorError::Timeout => {
                tracing::warn!(%error, "the model call failed");
                ApiError::UpstreamTimeout
            }
            TutorError::Upstream(_) => {
                tracing::warn!(%error, "the model call failed");
                ApiError::UpstreamError
            }
            TutorError::Refused(_) => {
                tracing::warn!(%error, "the model declined");
                ApiError::UpstreamRefused
            }
            // The deployer must act: logged as an error, so the alarm on errors sees it.
            TutorError::Configuration(_) => {
                tracing::error!(%error, "the model server refuses the service's requests");
                ApiError::UpstreamMisconfigured
            }
        }
    }
}

impl From<crate::store::TurnFailure> for ApiError {
    fn from(failure: crate::store::TurnFailure) -> Self {
        use crate::store::TurnFailure;
        match failure {
            TurnFailure::UpstreamTimeout => ApiError::UpstreamTimeout,
            TurnFailure::NotFound => ApiError::NotFound,
            TurnFailure::UpstreamError => ApiError::UpstreamError,
        }
    }
}

impl From<&ApiError> for crate::store::TurnFailure {
    /// What a turn that ended with `error` records for a request that repeats it.
    fn from(error: &ApiError) -> Self {
        use crate::store::TurnFailure;
        match error {
            ApiError::UpstreamTimeout => TurnFailure::UpstreamTimeout,
            ApiError::NotFound => TurnFailure::NotFound,
            _ => TurnFailure::UpstreamError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::header;
    use lambda_http::{Body, Response};

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
        let response = ApiError::from(fields.finish().unwrap_err()).into_response();
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
