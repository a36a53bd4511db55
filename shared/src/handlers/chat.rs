//! `POST /rooms/{id}/messages`: the learner's message and the tutor's reply.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody as FrameStream};
use lambda_http::Request;
use lambda_http::http::{HeaderValue, Response, StatusCode, header};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::aids::ui_language;
use super::feedback;
use super::rooms::room_id;
use crate::domain::language::UiLanguage;
use crate::domain::room::{Feedback, Goal, Message, Role};
use crate::error::{ApiError, FieldErrors};
use crate::http::event;
use crate::http::{ReplyBody, StreamBody, json_response, parse_json};
use crate::services::prompt;
use crate::services::session::Authenticated;
use crate::services::turn::{refusal_error, usage_today};
use crate::store::Owner;
use crate::store::{
    BeginError, IdempotencyState, MessageRecord, Refusal, RoomRecord, TurnFailure, TurnStart, Usage,
};
use crate::tutor::{Finish, Piece, TurnKind, TutorRequest};
use crate::{AppState, domain::time, services::goals};

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
    let owner = user.owner;

    let window = state.config.tutor.history_messages;
    let opened = state
        .store
        .open_room(&owner, &room_id, window.max(1))
        .await?
        .ok_or(ApiError::NotFound)?;
    let room = opened.room;
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
    let start = TurnStart {
        owner: owner.clone(),
        room_id: room_id.clone(),
        seen_message_count: room.message_count,
        turn_id: ulid::Ulid::new().to_string(),
        now_ms,
        lock_until_ms: now_ms + lock.as_millis() as i64,
        user_message: content.map(|text| {
            let id = ulid::Ulid::new().to_string();
            MessageRecord::new(
                owner.key(),
                &room_id,
                &id,
                Role::User,
                &text,
                &time::rfc3339(now),
            )
        }),
        usage: Usage {
            // The feedback beside the reply and the goal check after it are charged with it.
            calls: 1
                + u32::from(room.auto_feedback && content_given)
                + u32::from(room.open_goals().next().is_some()),
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
        prompt: prompt::turn(&room, &history, window),
        language: room.language,
        kind,
    };
    // Feedback needs only the learner's line and the room: it runs beside the reply, or after
    // it with a server that answers one request at a time.
    let feedback = match (&start.user_message, room.auto_feedback) {
        (Some(_), true) if state.tutor.one_at_a_time() => Some(Checking::After(explain_in)),
        (Some(line), true) => {
            let (state, owner, room, line) =
                (state.clone(), owner.clone(), room.clone(), line.clone());
            Some(Checking::Beside(tokio::spawn(async move {
                feedback::check_line(&state, &owner, &room, &line, explain_in).await
            })))
        }
        _ => None,
    };
    let turn = Turn {
        start,
        request,
        room,
        history,
        feedback,
    };
    if streaming {
        Ok(stream_turn(state, turn))
    } else {
        reply_turn(&state, turn).await
    }
}

/// A turn that has begun: what it asks the model, and the room and conversation it is part of.
struct Turn {
    start: TurnStart,
    request: TutorRequest,
    room: RoomRecord,
    /// The messages the model sees, the learner's new one included.
    history: Vec<MessageRecord>,
    /// Automatic feedback on the learner's line.
    feedback: Option<Checking>,
}

/// The automatic feedback of a turn: running beside the reply, or waiting for it (on the turn's
/// learner line, explained in this language).
enum Checking {
    Beside(JoinHandle<Result<Feedback, ApiError>>),
    After(UiLanguage),
}

impl Turn {
    /// The automatic feedback, once it is done: `None` when the room has none or it failed (it
    /// can still be asked for with the feedback route).
    async fn feedback(&mut self, state: &AppState) -> Option<Feedback> {
        let outcome = match self.feedback.take()? {
            Checking::Beside(running) => running.await,
            Checking::After(explain_in) => {
                let line = self.start.user_message.as_ref()?;
                Ok(
                    feedback::check_line(state, &self.start.owner, &self.room, line, explain_in)
                        .await,
                )
            }
        };
        match outcome {
            Ok(Ok(feedback)) => Some(feedback),
            Ok(Err(error)) => {
                tracing::warn!(
                    code = error.code(),
                    "automatic feedback failed; the turn stands"
                );
                None
            }
            Err(error) => {
                tracing::warn!(%error, "automatic feedback stopped; the turn stands");
                None
            }
        }
    }

    /// The room's goals after the reply: judged, and stored when some are newly met. `None`
    /// when the room has none, or the check failed.
    async fn goals(&self, state: &AppState, reply: &MessageRecord) -> Option<Vec<Goal>> {
        if self.room.goals.is_empty() {
            return None;
        }
        let mut conversation = self.history.clone();
        conversation.push(reply.clone());
        let with = goals::GoalCheck {
            tutor: &state.tutor,
            store: &state.store,
            now: state.clock.now(),
            window: state.config.tutor.history_messages,
        };
        goals::check(with, &self.start.owner, &self.room, &conversation).await
    }
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

fn reply_record(
    start: &TurnStart,
    text: &str,
    finish: Finish,
    at: ::time::OffsetDateTime,
) -> MessageRecord {
    let id = ulid::Ulid::new().to_string();
    let mut reply = MessageRecord::new(
        start.owner.key(),
        &start.room_id,
        &id,
        Role::Assistant,
        text,
        &crate::domain::time::rfc3339(at),
    );
    reply.cut = finish.cut;
    reply.usage = finish.usage;
    reply
}

/// The JSON mode: the whole reply, stored, then answered.
async fn reply_turn(state: &AppState, mut turn: Turn) -> ChatResult {
    let (start, request) = (&turn.start, &turn.request);
    let completed = match state.tutor.complete(request).await {
        Ok(completed) => completed,
        Err(error) => {
            let error = ApiError::from(error);
            state.store.abandon_turn(start, (&error).into()).await;
            return Err(error);
        }
    };
    let reply = reply_record(start, &completed.text, completed.finish, state.clock.now());
    if !state.store.finish_turn(start, &reply).await? {
        return Err(ApiError::NotFound);
    }
    let mut user_message = start.user_message.as_ref().map(MessageRecord::public);
    if let (Some(message), Some(feedback)) = (&mut user_message, turn.feedback(state).await) {
        message.feedback = Some(feedback);
    }
    let goals = match turn.goals(state, &reply).await {
        None if !turn.room.goals.is_empty() => Some(turn.room.goals.clone()),
        goals => goals,
    };
    let body = TurnReply {
        user_message,
        reply: reply.public(),
        goals,
    };
    Ok(json_response(StatusCode::CREATED, &body).map(StreamBody::buffered))
}

/// The streaming mode: `user_message`, then `delta`s as the model writes, then the stored
/// `reply`, or an `error`. The turn is finished even if the client goes away meanwhile.
fn stream_turn(state: Arc<AppState>, mut turn: Turn) -> Response<StreamBody> {
    let (events, receiver) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        let send = |bytes: Bytes| {
            let events = events.clone();
            async move {
                // A client that left does not stop the turn.
                let _ = events.send(bytes).await;
            }
        };
        let (start, request) = (&turn.start, &turn.request);
        if let Some(message) = &start.user_message {
            send(event("user_message", &message.public())).await;
        }
        let outcome = async {
            let mut pieces = state.tutor.stream(request).await?;
            let mut text = String::new();
            let mut finish = Finish::default();
            while let Some(piece) = pieces.next().await {
                match piece? {
                    Piece::Text(piece) => {
                        send(event("delta", &Delta { text: &piece })).await;
                        text.push_str(&piece);
                    }
                    Piece::Finished(finished) => finish = finished,
                }
            }
            Ok::<_, crate::tutor::TutorError>((text, finish))
        }
        .await;
        let failure = match outcome {
            Ok((text, finish)) if !text.trim().is_empty() => {
                let reply = reply_record(start, text.trim(), finish, state.clock.now());
                match state.store.finish_turn(start, &reply).await {
                    Ok(true) => {
                        send(event("reply", &reply.public())).await;
                        if let (Some(feedback), Some(line)) =
                            (turn.feedback(&state).await, &turn.start.user_message)
                        {
                            let message_id = &line.id;
                            send(event(
                                "feedback",
                                &FeedbackEvent {
                                    message_id,
                                    feedback,
                                },
                            ))
                            .await;
                        }
                        if let Some(goals) = turn.goals(&state, &reply).await {
                            send(event("goals", &GoalsEvent { goals })).await;
                        }
                        return;
                    }
                    Ok(false) => ApiError::NotFound,
                    Err(error) => ApiError::from(error),
                }
            }
            Ok(_) => ApiError::from(crate::tutor::TutorError::Upstream(
                "the model wrote nothing".into(),
            )),
            Err(error) => ApiError::from(error),
        };
        state.store.abandon_turn(start, (&failure).into()).await;
        send(event("error", &failure.body())).await;
    });
    event_stream(receiver)
}

fn event_stream(receiver: mpsc::Receiver<Bytes>) -> Response<StreamBody> {
    let frames = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let bytes = receiver.recv().await?;
        Some((Ok(Frame::data(bytes)), receiver))
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
    if !streaming {
        let body = TurnReply {
            user_message,
            reply,
            goals: None,
        };
        return Ok(Some(
            json_response(StatusCode::CREATED, &body).map(StreamBody::buffered),
        ));
    }
    let (events, receiver) = mpsc::channel(4);
    for bytes in user_message
        .iter()
        .map(|message| event("user_message", message))
        .chain([
            event(
                "delta",
                &Delta {
                    text: &reply.content,
                },
            ),
            event("reply", &reply),
        ])
    {
        let _ = events.try_send(bytes);
    }
    Ok(Some(event_stream(receiver)))
}
