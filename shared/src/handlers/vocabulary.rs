//! The vocabulary notebook: `/vocabulary` (save, list), `/vocabulary/due`, `/vocabulary/{id}`
//! (delete) and `/vocabulary/{id}/review`, one function for the family.

use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::aids::charged;
use crate::domain::language::{Language, UiLanguage};
use crate::domain::schedule::Rating;
use crate::domain::word::WordDetails;
use crate::error::{ApiError, FieldErrors};
use crate::http::path_id;
use crate::http::ui_language;
use crate::http::{HandlerResult, json_response, no_content, page_query, parse_json, query};
use crate::services::demo;
use crate::services::learning;
use crate::services::meaning::{self, Meaning};
use crate::services::session::Authenticated;
use crate::store::vocabulary_due_key;
use crate::store::{Activity, Added, NewItem, VocabularyRecord};
use crate::tutor::{Task, TutorError};
use crate::{AppState, domain::time};

pub const TEXT_MAX_CHARS: usize = 100;
pub const NOTE_MAX_CHARS: usize = 300;

/// A notebook item as the API shows it.
#[derive(Debug, Serialize)]
pub struct VocabularyItem<'a> {
    id: &'a str,
    text: &'a str,
    language: Language,
    meaning: &'a str,
    details: &'a WordDetails,
    example: &'a str,
    room_id: Option<&'a str>,
    message_id: Option<&'a str>,
    created_at: &'a str,
    due_at: String,
    state: crate::domain::schedule::CardState,
    reps: u32,
    lapses: u32,
    last_reviewed_at: Option<String>,
}

pub(crate) fn public(item: &VocabularyRecord) -> VocabularyItem<'_> {
    VocabularyItem {
        id: &item.id,
        text: &item.text,
        language: item.language,
        meaning: &item.meaning,
        details: &item.details,
        example: &item.example,
        room_id: item.room_id.as_deref(),
        message_id: item.message_id.as_deref(),
        created_at: &item.created_at,
        due_at: time::rfc3339_unix(item.schedule.due),
        state: item.schedule.state,
        reps: item.schedule.reps,
        lapses: item.schedule.lapses,
        last_reviewed_at: item.schedule.last_review.map(time::rfc3339_unix),
    }
}

#[derive(Deserialize)]
struct NewItemBody {
    text: Option<String>,
    language: Option<String>,
    meaning: Option<String>,
    example: Option<String>,
    room_id: Option<String>,
    message_id: Option<String>,
}

/// Trimmed text of 1 to `max` characters (`None` for an empty optional one).
fn note(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: Option<String>,
    max: usize,
) -> Option<String> {
    let text = raw?.trim().to_owned();
    if text.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        return None;
    }
    (!text.is_empty()).then_some(text)
}

/// `POST /vocabulary`: saves a word or phrase. The same text in the same language again is the
/// existing item (`200`, no model call); a meaning not given is the model's, in `ui`.
pub async fn save(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let (state, owner, req) = (&*state, &user.owner, &req);
    let ui = ui_language(req, "ui", Some(UiLanguage::Ko))?;
    let body: NewItemBody = parse_json(req)?;
    let mut errors = FieldErrors::new();
    let text = match note(&mut errors, "text", body.text, TEXT_MAX_CHARS) {
        Some(text) => Some(text),
        None => {
            errors.add("text", format!("must be 1 to {TEXT_MAX_CHARS} characters"));
            None
        }
    };
    let language = match body.language {
        Some(code) => errors.check("language", Language::parse(&code)),
        None => {
            errors.add("language", "is required");
            None
        }
    };
    let meaning = note(&mut errors, "meaning", body.meaning, NOTE_MAX_CHARS);
    let mut example = note(&mut errors, "example", body.example, NOTE_MAX_CHARS);
    if body.message_id.is_some() && body.room_id.is_none() {
        errors.add("room_id", "is required with message_id");
    }
    errors.finish()?;
    let (Some(text), Some(language)) = (text, language) else {
        return Err(ApiError::internal("checked fields are missing"));
    };

    // Where it was met must be the caller's own.
    let canonical = |id: &str| {
        ulid::Ulid::from_string(id)
            .map(|id| id.to_string())
            .map_err(|_| ApiError::NotFound)
    };
    let room_id = body.room_id.as_deref().map(canonical).transpose()?;
    let message_id = body.message_id.as_deref().map(canonical).transpose()?;
    match (&room_id, &message_id) {
        (Some(room), Some(message)) => {
            let (room, message) = state.store.room_and_message(owner, room, message).await?;
            let (Some(_), Some(message)) = (room, message) else {
                return Err(ApiError::NotFound);
            };
            // Saved from a line: that line is its example.
            example.get_or_insert(message.content);
        }
        (Some(room), None) => {
            state
                .store
                .get_room(owner, room)
                .await?
                .ok_or(ApiError::NotFound)?;
        }
        _ => {}
    }

    if let Some(existing) = state.store.find_vocabulary(owner, language, &text).await? {
        return Ok(json_response(StatusCode::OK, &public(&existing)));
    }
    let (meaning, details) = match meaning {
        Some(meaning) => (meaning, WordDetails::default()),
        None => {
            // A full notebook is said before the model is paid for a meaning it cannot keep.
            if state.store.vocabulary_count(owner).await? >= u64::from(state.config.max_words) {
                return Err(notebook_full());
            }
            charged(state, owner, "meaning", async || {
                look_up(state, language, &text, example.as_deref(), ui).await
            })
            .await?
        }
    };
    let record = VocabularyRecord::new(
        owner,
        NewItem {
            text: text.clone(),
            language,
            meaning,
            details,
            example: example.unwrap_or_default(),
            room_id,
            message_id,
        },
        state.clock.now(),
    );
    match state
        .store
        .add_vocabulary(owner, &record, state.config.max_words)
        .await?
    {
        Added::New => {
            let activity = Activity {
                words_saved: 1,
                ..Activity::default()
            };
            learning::record(state, owner, &user.user.time_zone(), activity).await;
            return Ok(json_response(StatusCode::CREATED, &public(&record)));
        }
        Added::Full => return Err(notebook_full()),
        Added::OwnerGone => return Err(ApiError::Unauthorized),
        Added::Exists => {}
    }
    // Saved meanwhile by another request: that one is the item.
    let existing = state
        .store
        .find_vocabulary(owner, language, &text)
        .await?
        .ok_or(ApiError::Conflict(
            "The item was saved and removed meanwhile; try again.",
        ))?;
    Ok(json_response(StatusCode::OK, &public(&existing)))
}

/// The meaning of `text`, as a learner's dictionary gives it, in `ui`, with its details: one
/// model call.
async fn look_up(
    state: &AppState,
    language: Language,
    text: &str,
    example: Option<&str>,
    ui: UiLanguage,
) -> Result<(String, WordDetails), ApiError> {
    // The demo knows the meanings of its script's words; any other the learner writes.
    if state.tutor.is_offline() {
        return demo::meaning(language, text, ui).ok_or_else(|| {
            ApiError::field(
                "meaning",
                "is required while no language model is connected to look it up",
            )
        });
    }
    // Never given (the offline tutor returned above).
    let offline = Meaning {
        meaning: String::new(),
        reading: None,
        dictionary_form: None,
        grammar: None,
    };
    let prompt = meaning::prompt(language, text, example, ui);
    let found: Meaning = state
        .tutor
        .structured(Task::Meaning, &prompt, &meaning::SCHEMA, offline)
        .await?;
    let meaning: String = found.meaning.trim().chars().take(NOTE_MAX_CHARS).collect();
    if meaning.is_empty() {
        return Err(TutorError::Upstream("the model's meaning is empty".into()).into());
    }
    Ok((meaning, found.details(text)))
}

/// `GET /vocabulary?language=&limit=&cursor=`: the notebook, newest first.
pub async fn list(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let (state, owner, req) = (&*state, &user.owner, &req);
    let page = page_query(req)?;
    let language = match query(req).first("language") {
        None | Some("") => None,
        Some(code) => {
            Some(Language::parse(code).map_err(|problem| ApiError::field("language", problem))?)
        }
    };
    let list = format!(
        "vocabulary:{}",
        language.map(Language::code).unwrap_or("all")
    );
    let start = match &page.cursor {
        None => None,
        Some(cursor) => Some(state.cursors.decode(cursor, owner.key(), &list)?),
    };
    let items = state
        .store
        .list_vocabulary(owner, language, page.limit, start)
        .await?;
    let next_cursor = match items.items.last() {
        Some(last) if items.more => {
            let mut position = vec![last.sk.clone()];
            if language.is_some() {
                position.push(last.language_key.clone());
            }
            Some(state.cursors.encode(owner.key(), &list, position))
        }
        _ => None,
    };
    let shown: Vec<_> = items.items.iter().map(public).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"items": shown, "next_cursor": next_cursor}),
    ))
}

/// `GET /vocabulary/due?limit=`: the items due now, earliest first, and how many are due.
pub async fn due(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let page = page_query(&req)?;
    let now = state.clock.now().unix_timestamp();
    // `~` sorts after every id, so an item due this very second is due.
    let (items, due_count) = state
        .store
        .due_vocabulary(&user.owner, &vocabulary_due_key(now, "~"), page.limit)
        .await?;
    let shown: Vec<_> = items.iter().map(public).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({"items": shown, "due_count": due_count}),
    ))
}

#[derive(Deserialize)]
struct ReviewBody {
    rating: Option<String>,
}

/// `POST /vocabulary/{id}/review`: the item rescheduled by FSRS for the learner's rating.
pub async fn review(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let id = path_id(&req, "id")?;
    let body: ReviewBody = parse_json(&req)?;
    let rating = match body.rating {
        Some(text) => Rating::parse(&text).map_err(|problem| ApiError::field("rating", problem))?,
        None => return Err(ApiError::field("rating", "is required")),
    };
    let item = state
        .store
        .get_vocabulary(&user.owner, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let schedule = item.schedule.review(rating, state.clock.now());
    let updated = state
        .store
        .reschedule_vocabulary(&user.owner, &item, &schedule)
        .await?
        .ok_or(ApiError::Conflict(
            "The item was reviewed meanwhile; load it again.",
        ))?;
    let activity = Activity {
        reviews: 1,
        remembered: u64::from(matches!(rating, Rating::Good | Rating::Easy)),
        ..Activity::default()
    };
    learning::record(&state, &user.owner, &user.user.time_zone(), activity).await;
    Ok(json_response(StatusCode::OK, &public(&updated)))
}

/// `DELETE /vocabulary/{id}`.
pub async fn delete(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let id = path_id(&req, "id")?;
    let item = state
        .store
        .get_vocabulary(&user.owner, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if state.store.delete_vocabulary(&user.owner, &item).await? {
        let activity = Activity {
            words_saved: -1,
            ..Activity::default()
        };
        learning::record(&state, &user.owner, &user.user.time_zone(), activity).await;
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

fn notebook_full() -> ApiError {
    ApiError::Conflict("The notebook is full: delete words you know to make room.")
}
