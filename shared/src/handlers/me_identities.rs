use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;

use super::AuthGuard;
use super::me::account_error;
use super::oauth::{Start, begin, provider, site};
use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, query, request_path};
use crate::routes::paths;
use crate::session::{Authenticated, signed_in};

/// `/me/identities/{provider}`: `POST` starts linking a provider to the signed-in account (the
/// reply names the URL to send the browser to; the link is made when it comes back), `DELETE`
/// unlinks it, unless it is the last way to log in.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    signed_in(
        state,
        req,
        &[Method::POST, Method::DELETE],
        |state, user, req| async move {
            let path = request_path(&req).to_owned();
            let provider = provider(&state, &path, paths::ME_IDENTITY)?;
            if req.method() == Method::POST {
                // Each start keeps an item for ten minutes: counted like a login's start.
                AuthGuard::new(&state, &req, None).admit(&state).await?;
                let site = site(&state, &req)?;
                let ui = query(&req).first("ui").map(str::to_owned);
                let url = begin(&state, &req, provider, site, ui, Start::Link(&user)).await?;
                Ok(json_response(
                    StatusCode::OK,
                    &json!({"authorize_url": url}),
                ))
            } else {
                unlink(&state, &user, provider.name).await
            }
        },
    )
    .await
}

async fn unlink(state: &AppState, user: &Authenticated, provider: &str) -> HandlerResult {
    let index = user
        .user
        .identities
        .iter()
        .position(|identity| identity.provider == provider)
        .ok_or(ApiError::NotFound)?;
    if user.user.login_methods().len() < 2 {
        return Err(ApiError::Conflict(
            "This is the only way to log in to this account: set a password or link another provider first.",
        ));
    }
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
