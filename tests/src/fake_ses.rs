//! A stand-in for Amazon SES v2's `SendEmail` (`POST /v2/email/outbound-emails`, REST-JSON),
//! strict as SES is: the request must be signed (SigV4), the raw message must be base64 MIME of
//! at most 40 MB, its sender must be a verified identity (an address, or its domain), in the
//! sandbox every recipient too, and a named configuration set must exist; each refusal in SES's
//! words, status and `x-amzn-ErrorType`. It answers after about 60 ms, as SES does from within its
//! region, keeps every message it accepted, and fails on demand (throttled, sending paused).

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Value, json};

const MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;
const LATENCY: Duration = Duration::from_millis(60);

/// A failure the next request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SesFailure {
    /// 429 `TooManyRequestsException`.
    Throttled,
    /// 400 `SendingPausedException`: the account's sending paused for its bounce rate.
    SendingPaused,
}

#[derive(Debug, Clone)]
pub struct SentMessage {
    pub raw: Vec<u8>,
    pub configuration_set: Option<String>,
}

#[derive(Default)]
struct Shared {
    /// Verified identities: addresses, and domains (every address of theirs).
    identities: Vec<String>,
    sandbox: bool,
    configuration_sets: Vec<String>,
    failures: VecDeque<SesFailure>,
    sent: Vec<SentMessage>,
}

#[derive(Clone)]
pub struct FakeSes {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

fn refuse(status: StatusCode, kind: &str, message: &str) -> Response {
    let mut response = (status, Json(json!({"message": message}))).into_response();
    response
        .headers_mut()
        .insert("x-amzn-ErrorType", kind.parse().unwrap());
    response
}

impl FakeSes {
    /// A stand-in that knows `identities` (verified) and `configuration_sets`; out of the
    /// sandbox unless `sandbox`.
    pub async fn start(identities: &[&str], configuration_sets: &[&str], sandbox: bool) -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Mutex::new(Shared {
            identities: identities.iter().map(|i| i.to_lowercase()).collect(),
            sandbox,
            configuration_sets: configuration_sets.iter().map(|s| s.to_string()).collect(),
            ..Shared::default()
        }));
        let router = Router::new()
            .route("/v2/email/outbound-emails", post(send_email))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        FakeSes { url, shared }
    }

    pub fn fail_next(&self, failure: SesFailure) {
        self.shared.lock().unwrap().failures.push_back(failure);
    }

    pub fn sent(&self) -> Vec<SentMessage> {
        self.shared.lock().unwrap().sent.clone()
    }
}

fn verified(identities: &[String], address: &str) -> bool {
    let address = address.to_lowercase();
    let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    identities.iter().any(|i| *i == address || *i == domain)
}

async fn send_email(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    tokio::time::sleep(LATENCY).await;
    let signed = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 Credential="));
    if !signed {
        return refuse(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Invalid JSON in the request body.",
        );
    };
    let mut shared = shared.lock().unwrap();
    if let Some(failure) = shared.failures.pop_front() {
        return match failure {
            SesFailure::Throttled => refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                "Too Many Requests",
            ),
            SesFailure::SendingPaused => refuse(
                StatusCode::BAD_REQUEST,
                "SendingPausedException",
                "Sending is paused for this account.",
            ),
        };
    }
    let Some(data) = request["Content"]["Raw"]["Data"].as_str() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Content must contain exactly one of Simple, Raw or Template.",
        );
    };
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(data) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Raw message data is not valid base64.",
        );
    };
    if raw.len() > MAX_MESSAGE_BYTES {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MessageRejected",
            "Message length is more than 40 MB",
        );
    }
    let Some(message) = mail_parser::MessageParser::default().parse(&raw) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Illegal content.",
        );
    };
    let address = |list: Option<&mail_parser::Address>| -> Vec<String> {
        list.into_iter()
            .flat_map(|a| a.iter())
            .filter_map(|a| a.address().map(str::to_owned))
            .collect()
    };
    let from = address(message.from());
    let to = address(message.to());
    if from.is_empty() || to.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Missing required header 'From' or 'To'.",
        );
    }
    let mut unverified: Vec<String> = from
        .iter()
        .filter(|a| !verified(&shared.identities, a))
        .cloned()
        .collect();
    if shared.sandbox {
        unverified.extend(
            to.iter()
                .filter(|a| !verified(&shared.identities, a))
                .cloned(),
        );
    }
    if !unverified.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MessageRejected",
            &format!(
                "Email address is not verified. The following identities failed the check in region US-EAST-1: {}",
                unverified.join(", ")
            ),
        );
    }
    let configuration_set = request["ConfigurationSetName"].as_str().map(str::to_owned);
    if let Some(name) = &configuration_set
        && !shared.configuration_sets.contains(name)
    {
        return refuse(
            StatusCode::NOT_FOUND,
            "NotFoundException",
            &format!("Configuration set <{name}> does not exist."),
        );
    }
    shared.sent.push(SentMessage {
        raw,
        configuration_set,
    });
    let id = format!(
        "0100018c{:024x}-{:08x}-000000",
        shared.sent.len(),
        shared.sent.len()
    );
    Json(json!({"MessageId": id})).into_response()
}
