//! `/me/identities/{provider}`: linking and unlinking a provider on the account page.
//!
//! Linking is three steps, each in the browser that started it: `POST` (fresh authentication and
//! the S256 hash of a secret the tab keeps) answers the provider's URL; the provider's callback
//! keeps the account it signed in as, unlinked, and sends the browser back with a code; `GET
//! ?code=` names that account for the learner to recognise, and `PUT` with the code and the
//! secret links it. An authorization URL or a callback sent to someone else links nothing.

use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AuthGuard;
use super::me::{account_error, confirm_it_is_you};
use super::oauth::{begin, binding_hash, binds, provider, site};
use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, parse_json, query};
use crate::oauth::Provider;
use crate::services::session::Authenticated;
use crate::store::{LinkError, LinkedIdentity, PendingLink};

/// `409` when the account has this provider linked already: one account of each provider.
fn not_linked_yet(user: &Authenticated, provider: &Provider) -> Result<(), ApiError> {
    if user
        .user
        .identities
        .iter()
        .any(|identity| identity.provider == provider.name)
    {
        return Err(ApiError::Conflict(
            "This provider is already linked to your account.",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
struct StartFields {
    binding: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Starts linking: the reply names the URL to send the browser to.
pub async fn start(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let (state, user, req) = (&*state, &user, &req);
    let provider = provider(state, req)?;
    let fields: StartFields = parse_json(req)?;
    let binding = binding_hash(fields.binding.as_deref())?;
    let site = site(state, req)?;
    not_linked_yet(user, provider)?;
    confirm_it_is_you(state, user, req, fields.password).await?;
    // Each start keeps an item for ten minutes: counted like a login's start.
    AuthGuard::new(state, req, None).admit(state).await?;
    let ui = query(req).first("ui").map(str::to_owned);
    let url = begin(state, req, provider, site, ui, binding, Some(user)).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"authorize_url": url}),
    ))
}

/// The provider account a link waits to be confirmed for, as the confirmation shows it.
#[derive(Serialize)]
struct Waiting<'a> {
    provider: &'a str,
    account: Option<&'a str>,
    expires_at: String,
}

/// The code the callback sent the browser back with, as a key: anything that is not one of ours
/// finds nothing.
fn link_key(code: Option<&str>) -> Result<String, ApiError> {
    match code {
        Some(code) if !code.is_empty() && code.len() <= 128 => Ok(format!("link#{code}")),
        _ => Err(ApiError::field("code", "is required")),
    }
}

/// Whether a waiting link belongs to this request: the same user, provider and session
/// generation (ending every session ends the link too).
fn is_for(link: &PendingLink, user: &Authenticated, provider: &Provider) -> bool {
    link.user_id == user.user.id
        && link.provider == provider.name
        && link.session_generation == user.owner.generation()
}

/// `GET ?code=`: the account waiting to be linked, or `404`.
pub async fn pending(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let (state, user, req) = (&*state, &user, &req);
    let provider = provider(state, req)?;
    let key = link_key(query(req).first("code"))?;
    let now = state.clock.now().unix_timestamp();
    let link = state
        .store
        .pending_link(&key, now)
        .await?
        .filter(|link| is_for(link, user, provider))
        .ok_or(ApiError::NotFound)?;
    let expires_at =
        time::OffsetDateTime::from_unix_timestamp(link.expires_at).map_err(ApiError::internal)?;
    Ok(json_response(
        StatusCode::OK,
        &Waiting {
            provider: &link.provider,
            account: link.account.as_deref(),
            expires_at: crate::domain::time::rfc3339(expires_at),
        },
    ))
}

#[derive(Deserialize)]
struct ConfirmFields {
    code: Option<String>,
    binding: Option<String>,
}

/// `PUT {code, binding}`: the learner said yes. The waiting link is taken once, whatever comes
/// next: presented with another browser's secret it is used up and links nothing (`404`, as if
/// it never was, so a guess learns nothing).
pub async fn confirm(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let (state, user, req) = (&*state, &user, &req);
    let provider = provider(state, req)?;
    let fields: ConfirmFields = parse_json(req)?;
    let key = link_key(fields.code.as_deref())?;
    let secret = fields
        .binding
        .filter(|secret| !secret.is_empty())
        .ok_or_else(|| ApiError::field("binding", "is required"))?;
    let now = state.clock.now();
    let link = state
        .store
        .take_pending_link(&key, now.unix_timestamp())
        .await?
        .filter(|link| is_for(link, user, provider) && binds(&secret, &link.binding))
        .ok_or(ApiError::NotFound)?;
    not_linked_yet(user, provider)?;
    let linked = LinkedIdentity {
        provider: link.provider,
        subject: link.subject,
        account: link.account,
        linked_at: Some(crate::domain::time::rfc3339(now)),
    };
    match state
        .store
        .link_identity(&user.owner, &user.user, &linked)
        .await
    {
        Ok(()) => {
            let mut after = user.user.clone();
            after.identities.push(linked);
            Ok(json_response(
                StatusCode::OK,
                &json!({"user": after.public()}),
            ))
        }
        Err(LinkError::Taken) => Err(ApiError::Conflict(
            "That provider account already logs in to another Rolechat account.",
        )),
        Err(LinkError::Account(error)) => Err(account_error(error)),
    }
}

#[derive(Deserialize, Default)]
struct UnlinkFields {
    #[serde(default)]
    password: Option<String>,
}

/// `DELETE`: unlinks the provider, unless it is the last way to log in.
pub async fn unlink(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let (state, user, req) = (&*state, &user, &req);
    let provider = provider(state, req)?;
    // The body is optional: a recent sign-in needs none.
    let fields: UnlinkFields = if req.body().is_empty() {
        UnlinkFields::default()
    } else {
        parse_json(req)?
    };
    let index = user
        .user
        .identities
        .iter()
        .position(|identity| identity.provider == provider.name)
        .ok_or(ApiError::NotFound)?;
    if user.user.login_methods().len() < 2 {
        return Err(ApiError::Conflict(
            "This is the only way to log in to this account: set a password or link another provider first.",
        ));
    }
    confirm_it_is_you(state, user, req, fields.password).await?;
    state
        .store
        .unlink_identity(&user.owner, &user.user, index)
        .await
        .map_err(account_error)?;
    let mut after = user.user.clone();
    after.identities.remove(index);
    Ok(json_response(
        StatusCode::OK,
        &json!({"user": after.public()}),
    ))
}
