//! A fake OAuth 2.0 / OpenID Connect provider on loopback, standing in for GitHub, Kakao and
//! Google (each under its own path: `/github`, `/kakao`, `/google`): an authorize page, a token
//! endpoint that checks the client, the redirect and the PKCE verifier, GitHub's user API, and a
//! JWKS. ID tokens are real RS256 JWTs. It misbehaves on demand, once: an error from the token
//! endpoint, a token for another audience, an expired one, one signed by a key it does not list,
//! one with another nonce.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const KEY: &str = include_str!("../fixtures/fake-provider-key.pem");
const OTHER_KEY: &str = include_str!("../fixtures/fake-provider-other-key.pem");
const JWKS: &str = include_str!("../fixtures/fake-provider-jwks.json");

/// The client every provider of the fake knows.
pub const CLIENT_ID: &str = "rolechat-local";
pub const CLIENT_SECRET: &str = "fake-provider-client-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    TokenError,
    WrongAudience,
    Expired,
    BadSignature,
    WrongNonce,
    /// An ID token without `iss`.
    NoIssuer,
    /// Without `aud`.
    NoAudience,
    /// `aud` an array naming this client and another, with no `azp`.
    SharedAudience,
    /// `iss` an array.
    IssuerList,
    /// `nbf` an hour ahead.
    NotYetValid,
    /// An empty `sub`.
    EmptySubject,
    /// A `sub` of 20,000 characters.
    LongSubject,
}

#[derive(Debug, Clone)]
struct Grant {
    provider: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    login: String,
}

#[derive(Default)]
struct Shared {
    base: String,
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, String>,
    next: Option<Misbehaviour>,
    /// Token requests seen (one a code exchange).
    token_requests: usize,
}

#[derive(Clone)]
pub struct FakeProvider {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

impl FakeProvider {
    pub async fn start(port: u16) -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Mutex::new(Shared {
            base: url.clone(),
            ..Shared::default()
        }));
        let router = Router::new()
            .route("/{provider}/authorize", get(authorize_page).post(authorize))
            .route("/{provider}/token", axum::routing::post(token))
            .route("/{provider}/user", get(user))
            .route(
                "/{provider}/jwks",
                get(|| async { ([(header::CONTENT_TYPE, "application/json")], JWKS) }),
            )
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(FakeProvider { url, shared })
    }

    /// The base URL of one provider of the fake (its issuer, for OpenID Connect).
    pub fn base(&self, provider: &str) -> String {
        format!("{}/{provider}", self.url)
    }

    /// The next token request misbehaves so.
    pub fn misbehave_once(&self, misbehaviour: Misbehaviour) {
        self.shared.lock().unwrap().next = Some(misbehaviour);
    }

    pub fn token_requests(&self) -> usize {
        self.shared.lock().unwrap().token_requests
    }

    /// The `ROLECHAT_OAUTH_*` settings that point all three providers at this fake.
    pub fn settings(&self) -> Vec<(String, String)> {
        let mut settings = Vec::new();
        for provider in ["github", "kakao", "google"] {
            let var = |suffix: &str| format!("ROLECHAT_OAUTH_{}_{suffix}", provider.to_uppercase());
            settings.push((var("CLIENT_ID"), CLIENT_ID.to_owned()));
            settings.push((var("CLIENT_SECRET"), CLIENT_SECRET.to_owned()));
            settings.push((var("BASE_URL"), self.base(provider)));
        }
        settings
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    nonce: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The sign-in page: a name to log in as, and Continue.
async fn authorize_page(Path(provider): Path<String>, Query(q): Query<AuthorizeQuery>) -> Response {
    if q.client_id != CLIENT_ID || q.code_challenge_method != "S256" || q.code_challenge.is_empty()
    {
        return (
            StatusCode::BAD_REQUEST,
            "unknown client, or no PKCE S256 challenge",
        )
            .into_response();
    }
    let hidden = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape(value)
        )
    };
    let title = format!("Sign in to fake {provider}");
    Html(format!(
        r#"<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>
<main><h1>{title}</h1><form method="post">
<label for="login">Name</label> <input id="login" name="login" value="learner" required>
{}{}{}{}{}<button type="submit">Continue</button></form></main></html>"#,
        hidden("client_id", &q.client_id),
        hidden("redirect_uri", &q.redirect_uri),
        hidden("state", &q.state),
        hidden("code_challenge", &q.code_challenge),
        hidden("nonce", q.nonce.as_deref().unwrap_or("")),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct Consent {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    #[serde(default)]
    nonce: String,
    login: String,
}

/// The learner continued: back to the client with a code.
async fn authorize(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(provider): Path<String>,
    Form(consent): Form<Consent>,
) -> Response {
    if consent.client_id != CLIENT_ID {
        return (StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    let code = format!("code-{}", ulid::Ulid::new());
    shared.lock().unwrap().grants.insert(
        code.clone(),
        Grant {
            provider,
            redirect_uri: consent.redirect_uri.clone(),
            challenge: consent.code_challenge,
            nonce: Some(consent.nonce).filter(|n| !n.is_empty()),
            login: consent.login,
        },
    );
    let separator = if consent.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    Redirect::to(&format!(
        "{}{separator}code={code}&state={}",
        consent.redirect_uri,
        percent_encode(&consent.state)
    ))
    .into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    code: String,
    redirect_uri: String,
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    code_verifier: String,
}

fn oauth_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
}

/// The DER of a PKCS#1 PEM key.
fn der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("the fake's keys are PEM")
}

/// A stable subject for a name: GitHub's are numbers, the others' strings.
fn subject(provider: &str, login: &str) -> String {
    let digest = Sha256::digest(format!("{provider}:{login}"));
    if provider == "github" {
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]).to_string()
    } else {
        format!("sub-{}", URL_SAFE_NO_PAD.encode(&digest[..12]))
    }
}

async fn token(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(provider): Path<String>,
    Form(request): Form<TokenRequest>,
) -> Response {
    let (grant, next, base) = {
        let mut shared = shared.lock().unwrap();
        shared.token_requests += 1;
        (
            shared.grants.remove(&request.code),
            shared.next.take(),
            shared.base.clone(),
        )
    };
    if next == Some(Misbehaviour::TokenError) {
        return oauth_error("temporarily_unavailable");
    }
    let Some(grant) = grant else {
        return oauth_error("invalid_grant");
    };
    if request.grant_type != "authorization_code"
        || request.client_id != CLIENT_ID
        || request.client_secret != CLIENT_SECRET
    {
        return oauth_error("invalid_client");
    }
    let verified = URL_SAFE_NO_PAD.encode(Sha256::digest(request.code_verifier.as_bytes()));
    if grant.provider != provider
        || grant.redirect_uri != request.redirect_uri
        || verified != grant.challenge
    {
        return oauth_error("invalid_grant");
    }
    let access = format!("access-{}", ulid::Ulid::new());
    shared
        .lock()
        .unwrap()
        .tokens
        .insert(access.clone(), grant.login.clone());
    let mut body = json!({"access_token": access, "token_type": "bearer", "expires_in": 3600});
    if provider != "github" {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let mut claims = json!({
            "iss": format!("{base}/{provider}"),
            "aud": CLIENT_ID,
            "sub": subject(&provider, &grant.login),
            "iat": now,
            "exp": now + 600,
            "nonce": grant.nonce,
        });
        // What each puts in its ID token to name the account: Google's address (the `email`
        // scope) and name (`profile`), Kakao's nickname.
        if provider == "google" {
            claims["email"] = json!(format!("{}@example.com", grant.login));
            claims["email_verified"] = json!(true);
            claims["name"] = json!(grant.login);
        } else {
            claims["nickname"] = json!(grant.login);
        }
        let mut key = KEY;
        match next {
            Some(Misbehaviour::WrongAudience) => claims["aud"] = json!("another-client"),
            Some(Misbehaviour::Expired) => {
                claims["iat"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            }
            Some(Misbehaviour::BadSignature) => key = OTHER_KEY,
            Some(Misbehaviour::WrongNonce) => claims["nonce"] = json!("not-the-nonce"),
            Some(Misbehaviour::NoIssuer) => {
                claims.as_object_mut().unwrap().remove("iss");
            }
            Some(Misbehaviour::NoAudience) => {
                claims.as_object_mut().unwrap().remove("aud");
            }
            Some(Misbehaviour::SharedAudience) => {
                claims["aud"] = json!([CLIENT_ID, "another-client"])
            }
            Some(Misbehaviour::IssuerList) => {
                claims["iss"] = json!([claims["iss"].clone(), "https://another.example"])
            }
            Some(Misbehaviour::NotYetValid) => claims["nbf"] = json!(now + 3600),
            Some(Misbehaviour::EmptySubject) => claims["sub"] = json!(""),
            Some(Misbehaviour::LongSubject) => claims["sub"] = json!("s".repeat(20_000)),
            _ => {}
        }
        let mut header = Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("fake-1".into());
        let key = EncodingKey::from_rsa_der(&der(key));
        body["id_token"] = json!(jsonwebtoken::encode(&header, &claims, &key).expect("it signs"));
    }
    Json(body).into_response()
}

/// GitHub's `GET /user`.
async fn user(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(provider): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let login = shared.lock().unwrap().tokens.get(token).cloned();
    match login {
        Some(login) => {
            let id: Value = subject(&provider, &login)
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_default();
            Json(json!({"id": id, "login": login})).into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Bad credentials"})),
        )
            .into_response(),
    }
}

/// A query parameter of a URL, decoded.
pub fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(value: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = value.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'%' => {
                let hex: String = bytes.by_ref().take(2).map(char::from).collect();
                out.push(u8::from_str_radix(&hex, 16).expect("a percent escape"));
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// The browser at the provider: the sign-in page's form sent as `login`. Returns where the
/// provider sends it back (the callback, as a path and query under `http://api.test`).
pub async fn consent(authorize_url: &str, login: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the provider's sign-in page");
    let form: Vec<(&str, String)> = [
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "nonce",
    ]
    .iter()
    .map(|name| (*name, param(authorize_url, name).unwrap_or_default()))
    .chain([("login", login.to_owned())])
    .collect();
    let action = authorize_url.split('?').next().unwrap();
    let body: Vec<String> = form
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect();
    let back = client
        .post(action)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303, "the provider sends the browser back");
    let to = back.headers()["location"].to_str().unwrap().to_owned();
    to.strip_prefix("http://api.test")
        .expect("back to our callback")
        .to_owned()
}
