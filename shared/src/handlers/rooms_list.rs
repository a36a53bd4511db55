use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;

use crate::AppState;
use crate::domain::cursor::ROOMS_LIST;
use crate::error::ApiError;
use crate::http::{HandlerResult, json_response, page_query, query};
use crate::services::session::Authenticated;

/// `GET /rooms?q=`: the caller's rooms, most recently active first; with `q`, only those whose
/// title or situation contains it (any case). Two round trips: the session, then one query of the
/// activity index (a search reads on through the owner's rooms until it has a page).
pub async fn list(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
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
    let rooms = match search_text(&req)? {
        Some(needle) => {
            state
                .store
                .search_rooms(owner, &needle, page.limit, start)
                .await?
        }
        None => state.store.list_rooms(owner, page.limit, start).await?,
    };
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

/// The most a search may be, in characters.
const MAX_SEARCH_CHARS: usize = 100;

/// `q`, trimmed: `None` when absent or blank.
fn search_text(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(raw) = query(req).first("q").map(str::trim).map(str::to_owned) else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::field(
            "q",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok(Some(raw))
}
