use std::sync::Arc;

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::aids::charged;
use crate::AppState;
use crate::domain::language::UiLanguage;
use crate::error::ApiError;
use crate::http::room_id;
use crate::http::{HandlerResult, json_response, query};
use crate::services::demo;
use crate::services::session::Authenticated;
use crate::services::suggestions::{self, Suggested};
use crate::tutor::{Task, TurnKind, TutorError, TutorRequest};

/// The most suggestions one request may ask for.
const MAX_SUGGESTIONS: usize = 3;

/// One line the learner could say, and what it means in their language when it was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Suggestion {
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    translation: Option<String>,
}

/// `POST /rooms/{id}/suggestions?count=1..3&ui=ko|en|ja`: lines the learner could say next, in
/// the room's language and at its level, each with its meaning in `ui` when given. Nothing is
/// stored; one model call, counted against the daily limit, however many are asked for. Three
/// DynamoDB round trips: the session, the room, the charge (which checks the session again).
pub async fn suggest(state: Arc<AppState>, user: Authenticated, req: Request) -> HandlerResult {
    let room_id = room_id(&req)?;
    let (count, translate_into) = wanted(&req)?;
    let window = state.config.tutor.history_messages;
    let opened = state
        .store
        .open_room(&user.owner, &room_id, window)
        .await?
        .ok_or(ApiError::NotFound)?;
    let suggestions = charged(&state, &user.owner, "suggestions", async || {
        let history: Vec<_> = opened.messages.items.into_iter().rev().collect();
        let room = &opened.room;

        let suggestions = if count == 1 && translate_into.is_none() {
            // One bare line, as the route first answered: a plain completion.
            let request = TutorRequest {
                prompt: suggestions::line_prompt(room, &history, window),
                kind: TurnKind::Suggestion,
                offline: demo::suggestion(room, &history, UiLanguage::En).text,
            };
            let text = state.tutor.complete(&request).await?.text;
            vec![Suggestion {
                text: unquoted(&text).to_owned(),
                translation: None,
            }]
        } else {
            let into = translate_into.unwrap_or(UiLanguage::En);
            let prompt = suggestions::prompt(room, &history, window, count, into);
            let offline = Suggested {
                suggestions: vec![demo::suggestion(room, &history, into)],
            };
            let answer: Suggested = state
                .tutor
                .structured(Task::Suggestions, &prompt, &suggestions::SCHEMA, offline)
                .await?;
            let drafted = answer.suggestions.into_iter().map(|line| Suggestion {
                text: line.text,
                translation: Some(line.translation),
            });
            tidy(drafted, count, translate_into.is_some())
        };
        Ok(suggestions)
    })
    .await?;
    if suggestions.is_empty() {
        return Err(TutorError::Upstream("the model suggested nothing".into()).into());
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"suggestion": suggestions[0].text, "suggestions": suggestions}),
    ))
}

/// `count` (1 to 3, 1 when absent) and `ui` (none when absent) from the query.
fn wanted(req: &Request) -> Result<(usize, Option<UiLanguage>), ApiError> {
    let query = query(req);
    let count = match query.first("count") {
        None => 1,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SUGGESTIONS).contains(n))
            .ok_or_else(|| ApiError::field("count", "must be a whole number from 1 to 3"))?,
    };
    let ui = query
        .first("ui")
        .map(|code| UiLanguage::parse(code).map_err(|problem| ApiError::field("ui", problem)))
        .transpose()?;
    Ok((count, ui))
}

/// The model's lines without quotation marks, empty ones or repeats, at most `count`, with
/// their translations only when asked for.
fn tidy(
    drafted: impl IntoIterator<Item = Suggestion>,
    count: usize,
    translated: bool,
) -> Vec<Suggestion> {
    let mut kept: Vec<Suggestion> = Vec::new();
    for suggestion in drafted {
        let text = unquoted(&suggestion.text).to_owned();
        if text.is_empty() || kept.iter().any(|k| k.text == text) {
            continue;
        }
        let translation = suggestion
            .translation
            .map(|t| t.trim().to_owned())
            .filter(|t| translated && !t.is_empty());
        kept.push(Suggestion { text, translation });
        if kept.len() == count {
            break;
        }
    }
    kept
}

fn unquoted(text: &str) -> &str {
    text.trim()
        .trim_matches(|c| matches!(c, '"' | '“' | '”' | '「' | '」'))
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drafted(text: &str, translation: &str) -> Suggestion {
        Suggestion {
            text: text.into(),
            translation: Some(translation.into()),
        }
    }

    #[test]
    fn tidies_the_models_lines() {
        let kept = tidy(
            vec![
                drafted(" “One latte, please.” ", " 라테 한 잔 주세요. "),
                drafted("", "빈 줄"),
                drafted("One latte, please.", "다시"),
                drafted("Do you have oat milk?", ""),
                drafted("A croissant too.", "크루아상도요."),
            ],
            2,
            true,
        );
        assert_eq!(
            kept,
            [
                drafted("One latte, please.", "라테 한 잔 주세요."),
                Suggestion {
                    text: "Do you have oat milk?".into(),
                    translation: None
                },
            ]
        );
        let untranslated = tidy(vec![drafted("Hi!", "안녕!")], 3, false);
        assert_eq!(untranslated[0].translation, None);
    }
}
