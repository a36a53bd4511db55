use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;

use super::rooms::ROOMS_LIST;
use crate::AppState;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, page_query};
use crate::session::{Authenticated, signed_in};

/// `GET /rooms`: the caller's rooms, most recently active first. Two round trips: the session,
/// then one query of the activity index.
pub async fn handle(state: Arc<AppState>, req: Request) -> HandlerResult {
    signed_in(state, req, &[Method::GET], list).await
}

async fn list(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let owner = &user.owner;
    let page = page_query(&req)?;
    let start = match &page.cursor {
        None => None,
        Some(cursor) => {
            match <[String; 2]>::try_from(state.cursors.decode(cursor, owner.key(), ROOMS_LIST)?) {
                Ok([sk, activity]) => Some((sk, activity)),
                Err(_) => {
                    return Err(ApiError::internal(
                        "a signed rooms cursor has the wrong shape",
                    ));
                }
            }
        }
    };
    let rooms = state.store.list_rooms(owner, page.limit, start).await?;
    let next_cursor = match rooms.items.last() {
        Some(last) if rooms.more => {
            let activity = last.activity.clone().unwrap_or_default();
            Some(
                state
                    .cursors
                    .encode(owner.key(), ROOMS_LIST, vec![last.sk.clone(), activity]),
            )
        }
        _ => None,
    };
    let items: Vec<_> = rooms.items.iter().map(|room| room.public()).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": next_cursor}),
    ))
}
