use std::sync::Arc;

use bytes::Bytes;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody as FrameStream};
use lambda_http::Request;
use lambda_http::http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::AppState;
use crate::error::ApiError;
use crate::http::StreamBody;
use crate::services::session::Authenticated;
use crate::store::Owner;
use crate::store::{Page, RoomRecord, StoreError};

/// Rooms, messages and notebook items read a page at a time.
const PAGE: usize = 100;

/// `GET /me/export`: everything held about the user, as one JSON document sent as an attachment:
/// `{"format", "exported_at", "user", "rooms": [Room + "report" + "messages"], "vocabulary",
/// "learning": [days, totals, facts]}`.
/// Never a password hash, a session or a counter. `ROLECHAT_EXPORTS_PER_HOUR` a user an hour
/// (each reads the whole account); `429` with the seconds to the next hour after.
///
/// The document is written as it is read, a page of rooms or messages at a time, so its size is
/// bounded by the streamed reply (20 MB through API Gateway), not by one function's memory or a
/// buffered reply's 6 MB: 50 rooms of 200 messages are about 5 MB. The first page is read before
/// the reply starts, so a failure to read at all is an ordinary error reply; a failure later
/// cuts the document short, which leaves it invalid JSON rather than silently incomplete.
pub async fn export(
    state: Arc<AppState>,
    user: Authenticated,
    _req: Request,
) -> Result<Response<StreamBody>, ApiError> {
    let now = state.clock.now();
    let limit = state.config.exports_per_hour;
    let unix = now.unix_timestamp();
    if !state
        .store
        .count_hourly(&user.owner, "export", limit, unix)
        .await?
    {
        return Err(ApiError::RateLimited {
            retry_after_secs: (3600 - unix.rem_euclid(3600)) as u64,
        });
    }
    let first = state.store.list_rooms(&user.owner, PAGE, None).await?;
    let (chunks, receiver) = mpsc::channel::<Bytes>(16);
    let head = json!({
        "format": "rolechat-export",
        "version": 1,
        "exported_at": crate::domain::time::rfc3339(now),
        "user": user.user.public(),
    });
    tokio::spawn(async move {
        if let Err(error) = write_document(&state, &user.owner, head, first, &chunks).await {
            tracing::error!(%error, "the export stopped part way");
        }
    });

    let frames = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let bytes = receiver.recv().await?;
        Some((Ok(Frame::data(bytes)), receiver))
    });
    let name = format!(
        "attachment; filename=\"rolechat-export-{}.json\"",
        now.date()
    );
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(header::CONTENT_DISPOSITION, name)
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
        .body(FrameStream::new(frames).boxed_unsync())
        .expect("a status and valid headers always build"))
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the client went away")]
    Gone,
}

async fn send(chunks: &mpsc::Sender<Bytes>, text: String) -> Result<(), ExportError> {
    chunks
        .send(Bytes::from(text))
        .await
        .map_err(|_| ExportError::Gone)
}

async fn write_document(
    state: &AppState,
    owner: &Owner,
    head: Value,
    mut rooms: Page<RoomRecord>,
    chunks: &mpsc::Sender<Bytes>,
) -> Result<(), ExportError> {
    let head = head.to_string();
    // The head object, left open for the rooms.
    send(chunks, format!("{},\"rooms\":[", &head[..head.len() - 1])).await?;
    let mut first_room = true;
    loop {
        for room in &rooms.items {
            let mut object = serde_json::to_value(room.public()).unwrap_or_default();
            object["report"] = serde_json::to_value(&room.report).unwrap_or_default();
            let object = object.to_string();
            let separator = if first_room { "" } else { "," };
            first_room = false;
            send(
                chunks,
                format!("{separator}{},\"messages\":[", &object[..object.len() - 1]),
            )
            .await?;
            write_messages(state, owner, &room.id, chunks).await?;
            send(chunks, "]}".into()).await?;
        }
        let last = match (rooms.more, rooms.items.last()) {
            (true, Some(last)) => last,
            _ => break,
        };
        let start = (last.sk.clone(), last.activity.clone().unwrap_or_default());
        rooms = state.store.list_rooms(owner, PAGE, Some(start)).await?;
    }
    send(chunks, "],\"vocabulary\":[".into()).await?;
    let mut start = None;
    let mut first_item = true;
    loop {
        let page = state
            .store
            .list_vocabulary(owner, None, PAGE, start.take())
            .await?;
        let mut text = String::new();
        for item in &page.items {
            if !first_item {
                text.push(',');
            }
            first_item = false;
            text += &serde_json::to_string(&super::vocabulary::public(item)).unwrap_or_default();
        }
        send(chunks, text).await?;
        match (page.more, page.items.last()) {
            (true, Some(last)) => start = Some(vec![last.sk.clone()]),
            _ => break,
        }
    }
    // Their study day by day, the totals and the facts they shared.
    send(chunks, "],\"learning\":[".into()).await?;
    let mut start = None;
    let mut first_item = true;
    loop {
        let (items, next) = state.store.learning_page(owner, start.take()).await?;
        let mut text = String::new();
        for item in &items {
            if !first_item {
                text.push(',');
            }
            first_item = false;
            text += &item.to_string();
        }
        send(chunks, text).await?;
        match next {
            Some(next) => start = Some(next),
            None => break,
        }
    }
    send(chunks, "]}".into()).await
}

async fn write_messages(
    state: &AppState,
    owner: &Owner,
    room_id: &str,
    chunks: &mpsc::Sender<Bytes>,
) -> Result<(), ExportError> {
    let mut after: Option<String> = None;
    let mut first = true;
    loop {
        let page = state
            .store
            .messages_in_order(owner, room_id, after.as_deref(), PAGE)
            .await?;
        let mut text = String::new();
        for message in &page.items {
            if !first {
                text.push(',');
            }
            first = false;
            text += &serde_json::to_string(&message.public()).unwrap_or_default();
        }
        send(chunks, text).await?;
        match (page.more, page.items.last()) {
            (true, Some(last)) => after = Some(last.sk.clone()),
            _ => return Ok(()),
        }
    }
}
