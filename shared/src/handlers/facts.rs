//! `/me/facts`: what the learner chose to let the tutor remember about them, to see, add and
//! delete. Only what they keep here is ever given to the tutor.

use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;
use crate::domain::learner::{self, MAX_FACTS};
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, no_content, parse_json, path_id};
use crate::services::session::Authenticated;
use crate::store::{FactRecord, FactRefusal, RecordError};

#[derive(Serialize)]
struct Fact<'a> {
    id: &'a str,
    text: &'a str,
    created_at: &'a str,
}

fn public(fact: &FactRecord) -> Fact<'_> {
    Fact {
        id: &fact.id,
        text: &fact.text,
        created_at: &fact.created_at,
    }
}

/// `GET /me/facts`: every fact kept, oldest first.
pub async fn list(state: Arc<AppState>, user: Authenticated, _req: Request) -> HandlerResult {
    let facts = state.store.facts(&user.owner).await?;
    let facts: Vec<Fact> = facts.iter().map(public).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"facts": facts, "limit": MAX_FACTS}),
    ))
}

#[derive(Deserialize)]
struct FactBody {
    text: Option<String>,
}

/// `POST /me/facts`: keeps a fact (`201`); the same text again is the one kept (`200`).
pub async fn add(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let body: FactBody = parse_json(&req)?;
    let text = match body.text {
        Some(text) => learner::fact(&text).map_err(|problem| ApiError::field("text", problem))?,
        None => return Err(ApiError::field("text", "is required")),
    };
    let now = state.clock.now();
    match state.store.add_fact(&user.owner, &text, now).await {
        Ok(Ok((fact, created))) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(json_response(status, &public(&fact)))
        }
        Ok(Err(FactRefusal::Full)) => Err(ApiError::Conflict(
            "The tutor keeps at most 20 facts: delete one to add another.",
        )),
        Err(RecordError::NotLive) => Err(ApiError::Unauthorized),
        Err(RecordError::Store(error)) => Err(error.into()),
    }
}

/// `DELETE /me/facts/{id}`: forgets a fact; `404` when there is none of that id.
pub async fn delete(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let id = path_id(&req, "id")?;
    if state.store.delete_fact(&user.owner, &id).await? {
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}
