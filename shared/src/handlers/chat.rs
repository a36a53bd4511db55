//! `POST /rooms/{id}/messages`: the learner's message and the tutor's reply.

use std::sync::Arc;

use http_body::Frame;
use http_body_util::{BodyExt, StreamBody as FrameStream};
use lambda_http::Request;
use lambda_http::http::{HeaderValue, Response, StatusCode, header};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::domain::room::{Feedback, Goal, Message, Role};
use crate::error::{ApiError, FieldErrors};
use crate::http::event;
use crate::http::room_id;
use crate::http::ui_language;
use crate::http::{ReplyBody, StreamBody, TUTOR_HEADER, json_response, parse_json};
use crate::services::learning::{self, Learner};
use crate::services::session::Authenticated;
use crate::services::turn::{Turn, TurnEvent, refusal_error, usage_today};
use crate::services::{demo, goals};
use crate::store::Owner;
use crate::store::{
    BeginError, IdempotencyState, MessageRecord, Refusal, TurnFailure, TurnStart, Usage,
};
use crate::tutor::{TurnKind, TutorRequest};
use crate::{AppState, domain::time};

pub const MAX_CONTENT_CHARS: usize = 2000;
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 64;

#[derive(Deserialize)]
struct TurnBody {
    content: Option<String>,
}

/// The JSON mode's reply: the learner's stored message (none for `{}`) and the tutor's, and the
/// room's goals when it has any.
#[derive(Serialize)]
struct TurnReply {
    user_message: Option<Message>,
    reply: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    goals: Option<Vec<Goal>>,
}

/// The `feedback` event after the reply: the automatic feedback on the learner's line.
#[derive(Serialize)]
struct FeedbackEvent<'a> {
    message_id: &'a str,
    feedback: Feedback,
}

/// The `goals` event after the reply: the room's goals as the check left them.
#[derive(Serialize)]
struct GoalsEvent {
    goals: Vec<Goal>,
}

/// A `delta` event: the next piece of the reply's text.
#[derive(Serialize)]
struct Delta<'a> {
    text: &'a str,
}

type ChatResult = Result<Response<StreamBody>, ApiError>;

/// Stores the learner's message (if any), then asks the tutor for its turn: the reply streams
/// as server-sent events when the client accepts `text/event-stream`, else comes as JSON.
/// Four DynamoDB round trips: the session, the room, the turn's start (which checks the
/// session again) and its end.
pub async fn turn(state: Arc<AppState>, user: Authenticated, req: Request) -> ChatResult {
    let room_id = room_id(&req)?;
    let (content, idempotency_key) = turn_input(&req)?;
    // The language automatic feedback explains in.
    let explain_in = ui_language(&req, "ui", Some(user.native_language()))?;
    let streaming = wants_events(&req);
    let zone = user.user.time_zone();
    let owner = user.owner;

    let window = state.config.tutor.history_messages;
    let opened = state
        .store
        .open_room(&owner, &room_id, window.max(1))
        .await?
        .ok_or(ApiError::NotFound)?;
    let room = opened.room;
    let memory = learning::memory(&state, &owner, &zone, room.language).await;
    let mut history: Vec<MessageRecord> = opened.messages.items.into_iter().rev().collect();

    let kind = match (&content, history.last()) {
        (Some(_), _) => TurnKind::Reply,
        (None, None) => TurnKind::Opener,
        (None, Some(last)) if last.role == Role::User => TurnKind::Reply,
        (None, Some(_)) => {
            // Nothing to answer, unless this repeats a turn that already happened.
            if let Some(key) = &idempotency_key
                && let Some(reply) = replay(&state, &owner, &room_id, key, streaming).await?
            {
                return Ok(reply);
            }
            return Err(ApiError::Conflict(
                "The tutor has already answered; send a message first.",
            ));
        }
    };

    let content_given = content.is_some();
    let now = state.clock.now();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let lock = state.config.tutor.timeout + std::time::Duration::from_secs(30);
    let user_message = content.map(|text| {
        let id = ulid::Ulid::new().to_string();
        MessageRecord::new(
            owner.key(),
            &room_id,
            &id,
            Role::User,
            &text,
            &time::rfc3339(now),
        )
    });
    // The feedback beside the reply and the goal check after it (once the learner has said
    // something) are charged with it.
    let calls = 1
        + u32::from(room.auto_feedback && content_given)
        + u32::from(goals::worth_checking(
            &room,
            history.iter().chain(&user_message),
        ));
    let start = TurnStart {
        owner: owner.clone(),
        room_id: room_id.clone(),
        seen_message_count: room.message_count,
        turn_id: ulid::Ulid::new().to_string(),
        now_ms,
        lock_until_ms: now_ms + lock.as_millis() as i64,
        user_message,
        usage: Usage {
            calls,
            ..usage_today(&state.config, now)
        },
        idempotency_key,
        concurrent_turns: state.config.concurrent_turns,
    };
    match state.store.begin_turn(&start).await {
        Ok(()) => {}
        Err(BeginError::Refused(Refusal::Repeated)) => {
            let key = start.idempotency_key.as_deref().unwrap_or_default();
            return replay(&state, &owner, &room_id, key, streaming)
                .await?
                .ok_or(ApiError::Conflict(
                    "A turn is already being generated in this room.",
                ));
        }
        Err(BeginError::Refused(refusal)) => return Err(refusal_error(refusal, now)),
        Err(BeginError::Store(error)) => return Err(error.into()),
    }

    history.extend(start.user_message.clone());
    let request = TutorRequest {
        prompt: crate::services::turn::prompt(&room, &history, window, &memory),
        kind,
        offline: demo::reply(&room, &history),
    };
    let room_goals = room.goals.clone();
    let demo = state.tutor.is_offline();
    let learner = Learner { zone, memory };
    let events = Turn::begun(&state, start, request, room, history, explain_in, learner).run(state);
    let mut response = if streaming {
        event_stream(events)
    } else {
        collect(events, room_goals).await?
    };
    // The site shows its demo banner from this.
    if demo {
        response
            .headers_mut()
            .insert(TUTOR_HEADER, HeaderValue::from_static("demo"));
    }
    Ok(response)
}

/// The content (trimmed, 1 to 2000 characters) and the `Idempotency-Key`, if any.
fn turn_input(req: &Request) -> Result<(Option<String>, Option<String>), ApiError> {
    let body: TurnBody = if req.body().is_empty() {
        TurnBody { content: None }
    } else {
        parse_json(req)?
    };
    let mut errors = FieldErrors::new();
    let content = body.content.and_then(|raw| {
        let text = raw.trim();
        let length = text.chars().count();
        if (1..=MAX_CONTENT_CHARS).contains(&length) {
            Some(text.to_owned())
        } else {
            errors.add(
                "content",
                format!("must be 1 to {MAX_CONTENT_CHARS} characters"),
            );
            None
        }
    });
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value.to_str().ok().filter(|key| {
                (1..=MAX_IDEMPOTENCY_KEY_CHARS).contains(&key.len())
                    && key.bytes().all(|b| b.is_ascii_graphic())
            });
            if key.is_none() {
                errors.add(
                    "Idempotency-Key",
                    "must be 1 to 64 visible ASCII characters",
                );
            }
            key.map(str::to_owned)
        }
    };
    errors.finish()?;
    Ok((content, key))
}

fn wants_events(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.contains("text/event-stream"))
}

/// The JSON mode: the turn's events collected into one reply. When the goal check failed, the
/// room's goals as they were.
async fn collect(mut events: mpsc::Receiver<TurnEvent>, room_goals: Vec<Goal>) -> ChatResult {
    let (mut user_message, mut reply, mut feedback, mut goals) = (None, None, None, None);
    while let Some(event) = events.recv().await {
        match event {
            TurnEvent::UserMessage(message) => user_message = Some(message),
            TurnEvent::Delta(_) => {}
            TurnEvent::Reply(message) => reply = Some(message),
            TurnEvent::Feedback { feedback: f, .. } => feedback = Some(f),
            TurnEvent::Goals(checked) => goals = Some(checked),
            TurnEvent::Failed(error) => return Err(error),
        }
    }
    let reply = reply.ok_or_else(|| ApiError::internal("a turn ended without its reply"))?;
    if let (Some(message), Some(feedback)) = (&mut user_message, feedback) {
        message.feedback = Some(feedback);
    }
    let goals = goals.or((!room_goals.is_empty()).then_some(room_goals));
    let body = TurnReply {
        user_message,
        reply,
        goals,
    };
    Ok(json_response(StatusCode::CREATED, &body).map(StreamBody::buffered))
}

/// The streaming mode: each of the turn's events as a server-sent event (`user_message`,
/// `delta`s, `reply`, `feedback`, `goals`, or `error`).
fn event_stream(events: mpsc::Receiver<TurnEvent>) -> Response<StreamBody> {
    let frames = futures_util::stream::unfold(events, |mut events| async move {
        let bytes = match events.recv().await? {
            TurnEvent::UserMessage(message) => event("user_message", &message),
            TurnEvent::Delta(text) => event("delta", &Delta { text: &text }),
            TurnEvent::Reply(message) => event("reply", &message),
            TurnEvent::Feedback {
                message_id,
                feedback,
            } => event(
                "feedback",
                &FeedbackEvent {
                    message_id: &message_id,
                    feedback,
                },
            ),
            TurnEvent::Goals(goals) => event("goals", &GoalsEvent { goals }),
            TurnEvent::Failed(error) => event("error", &error.body()),
        };
        Some((Ok(Frame::data(bytes)), events))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
        .header("x-accel-buffering", "no")
        .body(FrameStream::new(frames).boxed_unsync())
        .expect("a status and constant headers always build")
}

/// The turn a repeated `Idempotency-Key` already produced: `None` if there is none.
async fn replay(
    state: &AppState,
    owner: &Owner,
    room_id: &str,
    key: &str,
    streaming: bool,
) -> Result<Option<Response<StreamBody>>, ApiError> {
    let Some(record) = state.store.get_idempotency(owner, room_id, key).await? else {
        return Ok(None);
    };
    match record.state {
        IdempotencyState::Done => {}
        IdempotencyState::Failed => {
            return Err(record.error.unwrap_or(TurnFailure::UpstreamError).into());
        }
        IdempotencyState::Pending => {
            return Err(ApiError::Conflict(
                "A turn with this Idempotency-Key is still being generated.",
            ));
        }
    }
    let ids: Vec<&str> = record
        .user_message_id
        .iter()
        .chain(record.reply_id.iter())
        .map(String::as_str)
        .collect();
    let messages = state.store.get_messages(owner, room_id, &ids).await?;
    let find = |id: &Option<String>| {
        messages
            .iter()
            .find(|m| Some(&m.id) == id.as_ref())
            .map(MessageRecord::public)
    };
    let (user_message, reply) = (find(&record.user_message_id), find(&record.reply_id));
    let reply = reply.ok_or(ApiError::NotFound)?;
    // The same events the turn gave, from what it stored: read like any turn's.
    let (events, receiver) = mpsc::channel(3);
    for event in user_message.into_iter().map(TurnEvent::UserMessage).chain([
        TurnEvent::Delta(reply.content.clone()),
        TurnEvent::Reply(reply),
    ]) {
        let _ = events.try_send(event);
    }
    drop(events);
    Ok(Some(if streaming {
        event_stream(receiver)
    } else {
        collect(receiver, Vec::new()).await?
    }))
}
