//! Sign-up and login through GitHub (OAuth 2.0 and its user API), Kakao and Google (OpenID
//! Connect). The `oauth2` crate builds the authorization request (state, PKCE S256) and makes the
//! code exchange; an ID token is verified with `jsonwebtoken` against the provider's JWKS
//! (signature, issuer, audience, expiry) and its nonce against the one kept for the login.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use oauth2::basic::{BasicErrorResponse, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::setting::ConfigError;

/// How long a login may take between leaving for the provider and coming back.
pub const STATE_TTL: Duration = Duration::from_secs(600);
/// How long the site has to exchange the one-time code.
pub const CODE_TTL: Duration = Duration::from_secs(120);
/// How long a provider's signing keys are kept before they are fetched again.
const JWKS_TTL: Duration = Duration::from_secs(3600);

pub const PROVIDERS: [&str; 3] = ["github", "kakao", "google"];

/// How a provider says who the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identify {
    /// OAuth 2.0 only: the user API, called with the access token (GitHub's `GET /user`).
    UserApi { url: String },
    /// OpenID Connect: a signed ID token, from one of `issuers`.
    IdToken {
        issuers: Vec<String>,
        jwks_url: String,
    },
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub name: &'static str,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub authorize_url: String,
    pub token_url: String,
    pub identify: Identify,
    pub scopes: Vec<&'static str>,
}

/// The configured providers and where the flow comes back.
#[derive(Debug, Clone, Default)]
pub struct OAuthConfig {
    pub providers: Vec<Provider>,
    /// `ROLECHAT_OAUTH_CALLBACK_BASE`: the API's public URL, callbacks being
    /// `{base}/auth/oauth/{provider}/callback`. Unset, it is the URL the request came to (API
    /// Gateway's domain and stage), which is right unless a proxy sits in front.
    pub callback_base: Option<String>,
    /// `ROLECHAT_OAUTH_SECRETS_ARN`: a Secrets Manager secret with the client secrets, as JSON
    /// (`{"github": "...", ...}`), read at cold start.
    pub secrets_arn: Option<String>,
}

impl OAuthConfig {
    /// Reads `ROLECHAT_OAUTH_{GITHUB,KAKAO,GOOGLE}_CLIENT_ID` (a provider without one is not
    /// offered), `..._CLIENT_SECRET` and `..._BASE_URL` (a provider's endpoints under one base, for
    /// a stand-in such as the local stack's fake provider).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut providers = Vec::new();
        for name in PROVIDERS {
            let var =
                |suffix: &str| get(&format!("ROLECHAT_OAUTH_{}_{suffix}", name.to_uppercase()));
            let Some(client_id) = var("CLIENT_ID") else {
                continue;
            };
            let base = var("BASE_URL").map(|base| base.trim_end_matches('/').to_owned());
            providers.push(Provider::new(
                name,
                client_id,
                var("CLIENT_SECRET").map(SecretString::from),
                base.as_deref(),
            ));
        }
        let callback_base = get("ROLECHAT_OAUTH_CALLBACK_BASE");
        if callback_base
            .as_ref()
            .is_some_and(|base| !base.starts_with("http"))
        {
            return Err(ConfigError::Invalid {
                name: "ROLECHAT_OAUTH_CALLBACK_BASE",
                problem: "must be the API's public URL (http:// or https://)".into(),
            });
        }
        Ok(OAuthConfig {
            providers,
            callback_base: callback_base.map(|base| base.trim_end_matches('/').to_owned()),
            secrets_arn: get("ROLECHAT_OAUTH_SECRETS_ARN"),
        })
    }

    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// Fills each provider's client secret from the JSON of a Secrets Manager secret.
    pub fn with_secrets(mut self, json: &str) -> Result<Self, String> {
        let secrets: HashMap<String, String> = serde_json::from_str(json)
            .map_err(|_| "the OAuth secret is not a JSON object of strings")?;
        for provider in &mut self.providers {
            if let Some(secret) = secrets.get(provider.name) {
                provider.client_secret = Some(secret.clone().into());
            }
        }
        Ok(self)
    }
}

impl Provider {
    fn new(
        name: &'static str,
        client_id: String,
        client_secret: Option<SecretString>,
        base: Option<&str>,
    ) -> Self {
        let at = |real: &str, path: &str| base.map_or(real.to_owned(), |b| format!("{b}{path}"));
        let (authorize_url, token_url, identify, scopes) = match name {
            "github" => (
                at("https://github.com/login/oauth/authorize", "/authorize"),
                at("https://github.com/login/oauth/access_token", "/token"),
                Identify::UserApi {
                    url: at("https://api.github.com/user", "/user"),
                },
                vec!["read:user"],
            ),
            "kakao" => (
                at("https://kauth.kakao.com/oauth/authorize", "/authorize"),
                at("https://kauth.kakao.com/oauth/token", "/token"),
                Identify::IdToken {
                    issuers: vec![base.unwrap_or("https://kauth.kakao.com").to_owned()],
                    jwks_url: at("https://kauth.kakao.com/.well-known/jwks.json", "/jwks"),
                },
                vec!["openid"],
            ),
            _ => (
                at("https://accounts.google.com/o/oauth2/v2/auth", "/authorize"),
                at("https://oauth2.googleapis.com/token", "/token"),
                Identify::IdToken {
                    // Google documents both forms of its issuer.
                    issuers: match base {
                        Some(base) => vec![base.to_owned()],
                        None => vec![
                            "https://accounts.google.com".to_owned(),
                            "accounts.google.com".to_owned(),
                        ],
                    },
                    jwks_url: at("https://www.googleapis.com/oauth2/v3/certs", "/jwks"),
                },
                // The address names the account in the link's confirmation.
                vec!["openid", "email", "profile"],
            ),
        };
        Provider {
            name,
            client_id,
            client_secret,
            authorize_url,
            token_url,
            identify,
            scopes,
        }
    }
}

/// Why a provider login did not give an identity. Each is told to the site by its code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OAuthFailure {
    #[error("the provider refused the login or the code")]
    Refused,
    #[error("the provider could not be reached or answered nonsense")]
    Unreachable,
    #[error("the provider's ID token did not verify: {0}")]
    BadToken(String),
}

impl OAuthFailure {
    pub fn code(&self) -> &'static str {
        match self {
            OAuthFailure::Refused => "provider_refused",
            OAuthFailure::Unreachable => "provider_unreachable",
            OAuthFailure::BadToken(_) => "provider_token_invalid",
        }
    }
}

/// Who the provider says the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUser {
    pub subject: String,
    /// A name to start the generated username from (GitHub's login), when there is one.
    pub name_hint: Option<String>,
    /// How the provider account shows itself (an address, a login, a nickname), for the learner
    /// to recognise before a link is made and on the account page after.
    pub account: Option<String>,
}

/// The longest account label kept: enough for any address a provider gives.
const MAX_ACCOUNT_LABEL: usize = 120;

/// A provider's label for display: trimmed, without control characters, bounded.
fn account_label(candidates: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    candidates.into_iter().flatten().find_map(|label| {
        let label: String = label
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_ACCOUNT_LABEL)
            .collect();
        (!label.is_empty()).then_some(label)
    })
}

/// The extra field of an OpenID Connect token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdTokenField {
    #[serde(default)]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type Tokens = StandardTokenResponse<IdTokenField, BasicTokenType>;

/// The parts of a login that the callback needs back.
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The claims of an ID token that are checked beyond what `Validation` checks. `iss` and `aud`
/// are read as their one accepted shape (a string; a string or a list), so a token with an
/// issuer list fails to read.
#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    #[allow(dead_code)]
    iss: String,
    aud: Audience,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    /// Google's, with the `email` scope.
    #[serde(default)]
    email: Option<String>,
    /// Kakao's.
    #[serde(default)]
    nickname: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The longest subject OpenID Connect allows (255 ASCII characters): a longer one is not a
/// provider's, and would not fit a key.
const MAX_SUBJECT: usize = 255;

impl IdClaims {
    /// OpenID Connect Core 3.1.3.7: the audience is this client alone, or a list with it whose
    /// `azp` is this client; any `azp` is this client; the subject is a sane identifier.
    fn check(&self, client_id: &str) -> Result<(), OAuthFailure> {
        let bad = |why: &str| Err(OAuthFailure::BadToken(why.into()));
        match &self.aud {
            Audience::One(one) if one == client_id => {}
            Audience::Many(list) if list.len() == 1 && list[0] == client_id => {}
            Audience::Many(list)
                if list.iter().any(|aud| aud == client_id)
                    && self.azp.as_deref() == Some(client_id) => {}
            _ => return bad("the token is not for this client alone"),
        }
        if self.azp.as_deref().is_some_and(|azp| azp != client_id) {
            return bad("the token was issued to another party");
        }
        if self.sub.is_empty()
            || self.sub.len() > MAX_SUBJECT
            || !self.sub.chars().all(|c| c.is_ascii_graphic())
        {
            return bad("the subject is not a provider's identifier");
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct GitHubUser {
    id: serde_json::Value,
    #[serde(default)]
    login: Option<String>,
}

/// Talks to the providers; keeps their signing keys for an hour.
pub struct OAuth {
    pub config: OAuthConfig,
    /// Built on the first call to a provider: every function holds an `OAuth`, and only the
    /// one that finishes logins talks to providers, so no other pays for a client at cold start.
    http: std::sync::OnceLock<reqwest::Client>,
    jwks: Mutex<HashMap<String, (Instant, JwkSet)>>,
}

impl OAuth {
    pub fn new(config: OAuthConfig) -> Self {
        OAuth {
            config,
            http: std::sync::OnceLock::new(),
            jwks: Mutex::default(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a plain HTTPS client builds")
        })
    }

    /// The authorization request: a random state, a nonce (OpenID Connect) and a PKCE S256
    /// challenge, whose verifier stays on the server.
    pub fn start(&self, provider: &Provider, redirect_url: &str) -> Result<Started, OAuthFailure> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random().secret().clone();
        let client = oauth2::basic::BasicClient::new(ClientId::new(provider.client_id.clone()))
            .set_auth_uri(
                AuthUrl::new(provider.authorize_url.clone())
                    .map_err(|_| OAuthFailure::Unreachable)?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect_url.to_owned()).map_err(|_| OAuthFailure::Unreachable)?,
            );
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for scope in &provider.scopes {
            request = request.add_scope(Scope::new((*scope).to_owned()));
        }
        if matches!(provider.identify, Identify::IdToken { .. }) {
            request = request.add_extra_param("nonce", nonce.clone());
        }
        let (url, state) = request.url();
        Ok(Started {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            nonce,
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and finds out who logged in.
    pub async fn finish(
        &self,
        provider: &Provider,
        redirect_url: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<ProviderUser, OAuthFailure> {
        let secret = provider
            .client_secret
            .as_ref()
            .map(|secret| ClientSecret::new(secret.expose_secret().to_owned()));
        let client = oauth2::Client::<
            BasicErrorResponse,
            Tokens,
            oauth2::basic::BasicTokenIntrospectionResponse,
            oauth2::StandardRevocableToken,
            oauth2::basic::BasicRevocationErrorResponse,
        >::new(ClientId::new(provider.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(
            TokenUrl::new(provider.token_url.clone()).map_err(|_| OAuthFailure::Unreachable)?,
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_url.to_owned()).map_err(|_| OAuthFailure::Unreachable)?,
        );
        let client = match secret {
            Some(secret) => client.set_client_secret(secret),
            None => client,
        };
        let http = Http(self.http());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&http)
            .await
            .map_err(|error| match error {
                oauth2::RequestTokenError::ServerResponse(_) => OAuthFailure::Refused,
                _ => OAuthFailure::Unreachable,
            })?;
        match &provider.identify {
            Identify::UserApi { url } => self.user_api(url, tokens.access_token().secret()).await,
            Identify::IdToken { issuers, jwks_url } => {
                let token = tokens
                    .extra_fields()
                    .id_token
                    .as_deref()
                    .ok_or_else(|| OAuthFailure::BadToken("no ID token".into()))?;
                let claims = self
                    .verify(token, issuers, &provider.client_id, jwks_url)
                    .await?;
                if claims.nonce.as_deref() != Some(nonce) {
                    return Err(OAuthFailure::BadToken(
                        "the nonce is not this login's".into(),
                    ));
                }
                Ok(ProviderUser {
                    account: account_label([claims.email, claims.nickname, claims.name]),
                    subject: claims.sub,
                    name_hint: None,
                })
            }
        }
    }

    async fn user_api(&self, url: &str, access_token: &str) -> Result<ProviderUser, OAuthFailure> {
        let response = self
            .http()
            .get(url)
            .bearer_auth(access_token)
            .header("accept", "application/vnd.github+json")
            .header("user-agent", "rolechat")
            .send()
            .await
            .map_err(|_| OAuthFailure::Unreachable)?;
        if !response.status().is_success() {
            return Err(OAuthFailure::Refused);
        }
        let user: GitHubUser = response
            .json()
            .await
            .map_err(|_| OAuthFailure::Unreachable)?;
        let subject = match user.id {
            serde_json::Value::Number(id) => id.to_string(),
            serde_json::Value::String(id)
                if !id.is_empty()
                    && id.len() <= MAX_SUBJECT
                    && id.chars().all(|c| c.is_ascii_graphic()) =>
            {
                id
            }
            _ => return Err(OAuthFailure::Unreachable),
        };
        Ok(ProviderUser {
            subject,
            account: account_label([user.login.clone()]),
            name_hint: user.login,
        })
    }

    /// Verifies an ID token: RS256 only, signed by a key of the provider's JWKS (fetched again
    /// once when the token names a key not known yet, for a rotation); `exp`, `iss`, `aud` and
    /// `sub` required; the issuer; this client as the audience (see `IdClaims::check`); not
    /// expired, not before its `nbf`; a subject of sane length.
    async fn verify(
        &self,
        token: &str,
        issuers: &[String],
        audience: &str,
        jwks_url: &str,
    ) -> Result<IdClaims, OAuthFailure> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| OAuthFailure::BadToken(error.to_string()))?;
        let kid = header.kid.unwrap_or_default();
        let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(issuers);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        for refresh in [false, true] {
            let keys = self.keys(jwks_url, refresh).await?;
            let Some(jwk) = keys.find(&kid) else { continue };
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|error| OAuthFailure::BadToken(error.to_string()))?;
            let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
                .map(|data| data.claims)
                .map_err(|error| OAuthFailure::BadToken(error.to_string()))?;
            claims.check(audience)?;
            return Ok(claims);
        }
        Err(OAuthFailure::BadToken(
            "signed by a key the provider does not list".into(),
        ))
    }

    async fn keys(&self, url: &str, refresh: bool) -> Result<JwkSet, OAuthFailure> {
        if !refresh {
            let cached = self.jwks.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, keys)) = cached.get(url)
                && at.elapsed() < JWKS_TTL
            {
                return Ok(keys.clone());
            }
        }
        let keys: JwkSet = self
            .http()
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|_| OAuthFailure::Unreachable)?
            .json()
            .await
            .map_err(|_| OAuthFailure::Unreachable)?;
        self.jwks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }
}

/// Our HTTP client for the `oauth2` crate's requests (its own would bring a second reqwest).
struct Http<'a>(&'a reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Http<'_> {
    type Error = reqwest::Error;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<oauth2::HttpResponse, reqwest::Error>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut outgoing = self
                .0
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in &parts.headers {
                outgoing = outgoing.header(name, value);
            }
            let response = outgoing.send().await?;
            let mut builder = lambda_http::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            Ok(builder
                .body(body)
                .expect("a status and headers from a response build"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<OAuthConfig, ConfigError> {
        OAuthConfig::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn a_provider_is_offered_only_with_a_client_id_and_keeps_its_real_endpoints() {
        let none = config(&[]).unwrap();
        assert!(none.providers.is_empty() && none.provider("github").is_none());
        let some = config(&[
            ("ROLECHAT_OAUTH_KAKAO_CLIENT_ID", "kakao-key"),
            ("ROLECHAT_OAUTH_GOOGLE_CLIENT_ID", "google-id"),
            ("ROLECHAT_OAUTH_GOOGLE_CLIENT_SECRET", "shh"),
        ])
        .unwrap();
        let names: Vec<_> = some.providers.iter().map(|p| p.name).collect();
        assert_eq!(names, ["kakao", "google"]);
        let kakao = some.provider("kakao").unwrap();
        assert_eq!(kakao.token_url, "https://kauth.kakao.com/oauth/token");
        assert!(kakao.client_secret.is_none());
        let google = some.provider("google").unwrap();
        assert_eq!(
            google.identify,
            Identify::IdToken {
                issuers: vec![
                    "https://accounts.google.com".into(),
                    "accounts.google.com".into()
                ],
                jwks_url: "https://www.googleapis.com/oauth2/v3/certs".into(),
            }
        );
        assert_eq!(google.scopes, ["openid", "email", "profile"]);
    }

    #[test]
    fn a_stand_in_serves_every_endpoint_under_its_base_and_secrets_come_from_json() {
        let stand_in = config(&[
            ("ROLECHAT_OAUTH_GITHUB_CLIENT_ID", "id"),
            (
                "ROLECHAT_OAUTH_GITHUB_BASE_URL",
                "http://127.0.0.1:9004/github/",
            ),
            ("ROLECHAT_OAUTH_CALLBACK_BASE", "http://127.0.0.1:9000/"),
        ])
        .unwrap();
        let github = stand_in.provider("github").unwrap();
        assert_eq!(
            github.authorize_url,
            "http://127.0.0.1:9004/github/authorize"
        );
        assert_eq!(
            github.identify,
            Identify::UserApi {
                url: "http://127.0.0.1:9004/github/user".into()
            }
        );
        assert_eq!(
            stand_in.callback_base.as_deref(),
            Some("http://127.0.0.1:9000")
        );
        let filled = stand_in
            .with_secrets(r#"{"github": "from-the-secret"}"#)
            .unwrap();
        assert_eq!(
            filled.providers[0]
                .client_secret
                .as_ref()
                .unwrap()
                .expose_secret(),
            "from-the-secret"
        );
        assert!(config(&[]).unwrap().with_secrets("not json").is_err());
        assert!(matches!(
            config(&[("ROLECHAT_OAUTH_CALLBACK_BASE", "api.example")]),
            Err(ConfigError::Invalid {
                name: "ROLECHAT_OAUTH_CALLBACK_BASE",
                ..
            })
        ));
    }

    #[test]
    fn the_authorization_request_carries_state_pkce_and_for_oidc_a_nonce() {
        let oauth = OAuth::new(
            config(&[
                ("ROLECHAT_OAUTH_GITHUB_CLIENT_ID", "gh"),
                ("ROLECHAT_OAUTH_KAKAO_CLIENT_ID", "kk"),
            ])
            .unwrap(),
        );
        let callback = "https://api.example/v1/auth/oauth/kakao/callback";
        let kakao = oauth
            .start(oauth.config.provider("kakao").unwrap(), callback)
            .unwrap();
        let url = reqwest::Url::parse(&kakao.authorize_url).unwrap();
        let query: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["state"], kakao.state);
        assert_eq!(query["nonce"], kakao.nonce);
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["redirect_uri"], callback);
        assert_eq!(query["client_id"], "kk");
        assert!(
            !kakao.authorize_url.contains(&kakao.pkce_verifier),
            "the verifier stays here"
        );
        let github = oauth
            .start(oauth.config.provider("github").unwrap(), callback)
            .unwrap();
        assert!(!github.authorize_url.contains("nonce="));
        assert_ne!(github.state, kakao.state);
    }

    #[test]
    fn an_id_token_is_for_this_client_alone_or_names_it_as_the_authorized_party() {
        let claims = |aud: serde_json::Value, azp: Option<&str>, sub: &str| {
            serde_json::from_value::<IdClaims>(serde_json::json!({
                "sub": sub, "iss": "https://issuer", "aud": aud, "azp": azp}))
            .unwrap()
        };
        let ok = |c: IdClaims| c.check("me").is_ok();
        assert!(ok(claims(serde_json::json!("me"), None, "1")));
        assert!(ok(claims(serde_json::json!(["me"]), None, "1")));
        assert!(ok(claims(
            serde_json::json!(["me", "other"]),
            Some("me"),
            "1"
        )));
        assert!(!ok(claims(serde_json::json!(["me", "other"]), None, "1")));
        assert!(!ok(claims(
            serde_json::json!(["me", "other"]),
            Some("other"),
            "1"
        )));
        assert!(!ok(claims(serde_json::json!("me"), Some("other"), "1")));
        assert!(!ok(claims(serde_json::json!("other"), None, "1")));
        assert!(!ok(claims(serde_json::json!("me"), None, "")));
        assert!(!ok(claims(serde_json::json!("me"), None, &"s".repeat(256))));
        assert!(!ok(claims(serde_json::json!("me"), None, "a\nb")));
        assert!(
            serde_json::from_value::<IdClaims>(serde_json::json!({
            "sub": "1", "iss": ["a", "b"], "aud": "me"}))
            .is_err()
        );
    }
}
