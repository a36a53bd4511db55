//! `/auth/oauth/...`: sign-up and login through a provider (function `oauth`).
//!
//! `GET providers` names the configured ones. `GET {provider}/start?site=` sends the browser to
//! the provider with a state, a nonce and a PKCE challenge, all kept here. `GET
//! {provider}/callback` takes the state once, exchanges the code, finds or makes the user (or
//! links the identity, for a link started from the account page), and sends the browser back to
//! the site with a one-time code, never a token. `POST exchange` turns that code into the usual
//! login body.

use std::sync::Arc;

use lambda_http::http::{Response, StatusCode, header};
use lambda_http::{Body, Request};
use serde::Deserialize;
use serde_json::json;

use super::{AuthGuard, LoginReply};
use crate::AppState;
use crate::domain::language::UiLanguage;
use crate::domain::user::Username;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, parse_json, path_param, query};
use crate::oauth::{CODE_TTL, Provider, STATE_TTL};
use crate::store::{
    CreateUserError, IdentityRecord, LinkedIdentity, LoginCode, OAuthState, PendingLink, UserRecord,
};
use crate::{domain::time, services::session};

/// `GET providers`: the configured providers' names.
pub async fn providers(state: Arc<AppState>, _req: Request) -> HandlerResult {
    let names: Vec<_> = state
        .oauth
        .config
        .providers
        .iter()
        .map(|p| p.name)
        .collect();
    Ok(json_response(StatusCode::OK, &json!({"providers": names})))
}

/// `POST exchange`: a one-time code for the usual login body.
pub async fn exchange(state: Arc<AppState>, req: Request) -> HandlerResult {
    // Counted with signups and logins from the address: codes cannot be guessed en masse.
    AuthGuard::new(&state, &req, None).admit(&state).await?;
    exchange_code(&state, &req).await
}

/// `GET {provider}/start`: sends the browser to the provider.
pub async fn start(state: Arc<AppState>, req: Request) -> HandlerResult {
    let provider = provider(&state, &req)?;
    // Each start keeps an item for ten minutes: an address may start as often as it may log in.
    AuthGuard::new(&state, &req, None).admit(&state).await?;
    let site = site(&state, &req)?;
    let ui = query(&req).first("ui").map(str::to_owned);
    let binding = binding_hash(query(&req).first("binding"))?;
    let url = begin(&state, &req, provider, site, ui, binding, None).await?;
    Ok(redirect(&url))
}

/// `GET {provider}/callback`: where the provider sends the browser back.
pub async fn callback(state: Arc<AppState>, req: Request) -> HandlerResult {
    let provider = provider(&state, &req)?;
    come_back(&state, provider, &req).await
}

/// The provider named in the path: `404` when it is not configured.
pub(super) fn provider<'s>(state: &'s AppState, req: &Request) -> Result<&'s Provider, ApiError> {
    path_param(req, "provider")
        .and_then(|name| state.oauth.config.provider(name))
        .ok_or(ApiError::NotFound)
}

/// Where the browser goes back to: one of the configured site origins, named by `?site=` (the
/// first one if none is named). Never anything else, so the flow cannot be turned into an open
/// redirect.
pub(super) fn site(state: &AppState, req: &Request) -> Result<String, ApiError> {
    let mut origins = state
        .config
        .allowed_origins
        .iter()
        .filter_map(|origin| origin.to_str().ok());
    match query(req).first("site") {
        Some(site) if origins.any(|origin| origin == site) => Ok(site.to_owned()),
        Some(_) => Err(ApiError::field("site", "must be one of the site's origins")),
        None => first_site(state).ok_or(ApiError::NotFound),
    }
}

fn first_site(state: &AppState) -> Option<String> {
    state
        .config
        .allowed_origins
        .first()
        .and_then(|origin| origin.to_str().ok())
        .map(str::to_owned)
}

/// `binding`: the S256 hash (base64url SHA-256, 43 characters) of a secret the site made when
/// the learner pressed "Continue with …" or "Link" and keeps in the tab's `sessionStorage`. The
/// code the flow ends with is used only with that secret, so a code (or a provider callback)
/// sent to someone else's browser logs no one in and links nothing there (login CSRF, RFC 9700
/// 4.4.1.8).
pub(super) fn binding_hash(hash: Option<&str>) -> Result<String, ApiError> {
    match hash {
        Some(hash)
            if hash.len() == 43
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(hash.to_owned())
        }
        _ => Err(ApiError::field(
            "binding",
            "must be the S256 hash (base64url SHA-256) of the secret the site keeps",
        )),
    }
}

/// Whether `secret` is the one whose S256 hash the flow was started with, compared in time
/// that does not depend on where they differ.
pub(super) fn binds(secret: &str, hash: &str) -> bool {
    let valid = (43..=128).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !valid || hash.len() != 43 {
        return false;
    }
    let challenge = oauth2::PkceCodeChallenge::from_code_verifier_sha256(
        &oauth2::PkceCodeVerifier::new(secret.to_owned()),
    );
    challenge
        .as_str()
        .bytes()
        .zip(hash.bytes())
        .fold(0u8, |differ, (a, b)| differ | (a ^ b))
        == 0
}

/// Keeps what the callback will need and returns the provider's authorization URL: for a login,
/// or (`link`) for linking the provider to the signed-in account; either bound to the browser
/// that holds the secret whose S256 hash `binding` is.
#[allow(clippy::too_many_arguments)]
pub(super) async fn begin(
    state: &AppState,
    req: &Request,
    provider: &Provider,
    site: String,
    ui: Option<String>,
    binding: String,
    link: Option<&session::Authenticated>,
) -> Result<String, ApiError> {
    let redirect_uri = format!(
        "{}/auth/oauth/{}/callback",
        api_url(state, req)?,
        provider.name
    );
    let started = state
        .oauth
        .start(provider, &redirect_uri)
        .map_err(ApiError::internal)?;
    let record = OAuthState {
        pk: format!("oauth#{}", started.state),
        provider: provider.name.to_owned(),
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        redirect_uri,
        site,
        link_user_id: link.map(|user| user.user.id.clone()),
        link_user_key: link.map(|user| user.user.pk.clone()),
        link_generation: link.map_or(0, |user| user.owner.generation()),
        ui,
        binding: Some(binding),
        expires_at: state.clock.now().unix_timestamp() + STATE_TTL.as_secs() as i64,
    };
    state.store.put_oauth_state(&record).await?;
    Ok(started.authorize_url)
}

/// The API's public URL: configured, or the one API Gateway says this request came to.
fn api_url(state: &AppState, req: &Request) -> Result<String, ApiError> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    if let Some(base) = &state.oauth.config.callback_base {
        return Ok(base.clone());
    }
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => match (&context.domain_name, &context.stage)
        {
            (Some(domain), Some(stage)) => Ok(format!("https://{domain}/{stage}")),
            _ => Err(ApiError::internal("the request names no domain and stage")),
        },
        _ => Err(ApiError::internal(
            "set ROLECHAT_OAUTH_CALLBACK_BASE: the request does not say where the API is",
        )),
    }
}

fn redirect(location: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Empty)
        .expect("a status and a location always build")
}

/// The site's page for the outcome: `#/oauth?code=` or `?error=` for a login, `#/account?link=`
/// (with `code=`) or `?link_error=` for a link.
fn back_to(site: &str, page: &str, name: &str, value: &str) -> Response<Body> {
    redirect(&format!("{site}/#/{page}?{}", query_of(&[(name, value)])))
}

/// `a=1&b=2`, each part form-encoded, as the site's `URLSearchParams` reads it.
fn query_of(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn come_back(state: &AppState, provider: &Provider, req: &Request) -> HandlerResult {
    let params = query(req);
    let now = state.clock.now().unix_timestamp();
    // The state is taken once: a replayed or forged one finds nothing. Its site is where the
    // browser goes back; without one, the first configured origin.
    let taken = match params.first("state") {
        // Ours are 22 characters; anything long is not one (and could not be a key).
        Some(id) if id.len() <= 128 => {
            state
                .store
                .take_oauth_state(&format!("oauth#{id}"), now)
                .await?
        }
        _ => None,
    };
    let Some(flow) = taken.filter(|flow| flow.provider == provider.name) else {
        let site = first_site(state).ok_or(ApiError::NotFound)?;
        return Ok(back_to(&site, "oauth", "error", "state_invalid"));
    };
    let page = if flow.link_user_id.is_some() {
        ("account", "link_error")
    } else {
        ("oauth", "error")
    };
    let fail = |code: &str| Ok(back_to(&flow.site, page.0, page.1, code));
    if params.first("error").is_some() {
        return fail("provider_refused");
    }
    let Some(code) = params.first("code") else {
        return fail("provider_refused");
    };
    let who = match state
        .oauth
        .finish(
            provider,
            &flow.redirect_uri,
            code,
            &flow.pkce_verifier,
            &flow.nonce,
        )
        .await
    {
        Ok(who) => who,
        Err(failure) => {
            tracing::warn!(provider = provider.name, %failure, "a provider login was refused");
            return fail(failure.code());
        }
    };

    if let (Some(user_id), Some(user_key)) = (&flow.link_user_id, &flow.link_user_key) {
        // Nothing is linked yet: the account waits for the learner's yes in the browser that
        // started the link (see `me_identities::confirm`).
        let Some(user) = state
            .store
            .get_user(user_key)
            .await?
            .filter(|u| &u.id == user_id && u.session_generation == flow.link_generation)
        else {
            return fail("session_ended");
        };
        if user.identities.iter().any(|i| i.provider == provider.name) {
            return fail("already_linked");
        }
        if let Some(owner) = state
            .store
            .find_identity(provider.name, &who.subject)
            .await?
        {
            return fail(if owner.user_id == user.id {
                "already_linked"
            } else {
                "identity_taken"
            });
        }
        let code = oauth2::CsrfToken::new_random_len(32).secret().clone();
        state
            .store
            .put_pending_link(&PendingLink {
                pk: format!("link#{code}"),
                user_key: user.pk.clone(),
                user_id: user.id.clone(),
                session_generation: user.session_generation,
                provider: provider.name.to_owned(),
                subject: who.subject,
                account: who.account,
                binding: flow.binding.clone().unwrap_or_default(),
                expires_at: now + STATE_TTL.as_secs() as i64,
            })
            .await?;
        let query = query_of(&[("link", provider.name), ("code", &code)]);
        return Ok(redirect(&format!("{}/#/account?{query}", flow.site)));
    }

    let user = match state
        .store
        .find_identity(provider.name, &who.subject)
        .await?
    {
        Some(identity) => match state.store.get_user(&identity.user_key).await? {
            Some(user) if user.id == identity.user_id => user,
            _ => return fail("session_ended"),
        },
        None => new_user(state, provider, &who, flow.ui.as_deref()).await?,
    };
    // 32 random bytes (base64url), from the same generator as the state.
    let code = oauth2::CsrfToken::new_random_len(32).secret().clone();
    state
        .store
        .put_login_code(&LoginCode {
            pk: format!("login#{code}"),
            user_key: user.pk.clone(),
            user_id: user.id.clone(),
            session_generation: user.session_generation,
            binding: flow.binding.clone().unwrap_or_default(),
            expires_at: now + CODE_TTL.as_secs() as i64,
        })
        .await?;
    Ok(back_to(&flow.site, "oauth", "code", &code))
}

/// A new user for an identity no one has: a generated username the learner may change once,
/// no password.
async fn new_user(
    state: &AppState,
    provider: &Provider,
    who: &crate::oauth::ProviderUser,
    ui: Option<&str>,
) -> Result<UserRecord, ApiError> {
    let stem: String = who
        .name_hint
        .as_deref()
        .unwrap_or(provider.name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .take(20)
        .collect();
    let stem = if stem.len() < 3 {
        provider.name.to_owned()
    } else {
        stem
    };
    let native_language = ui
        .and_then(|code| UiLanguage::parse(code).ok())
        .unwrap_or(UiLanguage::Ko);
    for _ in 0..5 {
        let suffix = ulid::Ulid::new().to_string()[20..].to_lowercase();
        let username = Username::parse(&format!("{stem}-{suffix}"))
            .map_err(|_| ApiError::internal("a generated username is not valid"))?;
        let user = UserRecord {
            pk: username.key(),
            id: UserRecord::new_id(),
            username: username.as_str().to_owned(),
            password_hash: None,
            created_at: time::rfc3339(state.clock.now()),
            display_name: None,
            native_language,
            identities: vec![LinkedIdentity {
                provider: provider.name.to_owned(),
                subject: who.subject.clone(),
                account: who.account.clone(),
                linked_at: Some(time::rfc3339(state.clock.now())),
            }],
            username_changeable: true,
            ..UserRecord::default()
        };
        let identity = IdentityRecord::new(&user, provider.name, &who.subject);
        match state
            .store
            .create_user_with_identity(&user, &identity)
            .await
        {
            Ok(()) => return Ok(user),
            // The name was taken, or the identity was made by a login racing this one.
            Err(CreateUserError::UsernameTaken) => {
                if let Some(identity) = state
                    .store
                    .find_identity(provider.name, &who.subject)
                    .await?
                    && let Some(user) = state.store.get_user(&identity.user_key).await?
                {
                    return Ok(user);
                }
            }
            Err(CreateUserError::Store(error)) => return Err(error.into()),
        }
    }
    Err(ApiError::Conflict("No free username was found; try again."))
}

#[derive(Deserialize)]
struct Exchange {
    code: Option<String>,
    /// The secret the site kept since the login started in this tab.
    binding: Option<String>,
}

/// The one-time code, taken once, for the login body, with the secret of the browser that
/// started the login: a replayed, expired or made-up code, one presented with another secret
/// (it is used up all the same), or one issued before the user's sessions were all ended, is
/// `401 invalid_credentials`.
async fn exchange_code(state: &AppState, req: &Request) -> HandlerResult {
    let body: Exchange = parse_json(req)?;
    let code = body
        .code
        .filter(|code| !code.is_empty() && code.len() <= 128)
        .ok_or_else(|| ApiError::field("code", "is required"))?;
    let binding = body
        .binding
        .filter(|binding| !binding.is_empty() && binding.len() <= 128)
        .ok_or_else(|| ApiError::field("binding", "is required"))?;
    let now = state.clock.now();
    let taken = state
        .store
        .take_login_code(&format!("login#{code}"), now.unix_timestamp())
        .await?
        .filter(|taken| binds(&binding, &taken.binding))
        .ok_or(ApiError::InvalidCredentials)?;
    let user = state
        .store
        .get_user(&taken.user_key)
        .await?
        .filter(|user| {
            user.id == taken.user_id && user.session_generation == taken.session_generation
        })
        .ok_or(ApiError::InvalidCredentials)?;
    let (session, token) = session::start(&state.tokens, state.config.session_ttl, &user, now);
    if !state.store.start_session(&user, &session).await? {
        return Err(ApiError::InvalidCredentials);
    }
    Ok(json_response(
        StatusCode::OK,
        &LoginReply::new(state, token, user.public()),
    ))
}

#[cfg(test)]
mod tests {
    use super::binds;

    #[test]
    fn a_secret_binds_only_its_own_s256_hash() {
        // RFC 7636, appendix B.
        let secret = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let hash = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(binds(secret, hash));
        assert!(!binds(&secret.replace('d', "e"), hash));
        assert!(!binds(secret, ""));
        assert!(!binds("short", hash));
        assert!(!binds(&format!("{secret} "), hash));
    }
}
