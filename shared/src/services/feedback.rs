//! Feedback on a learner's line: asked for on the feedback route, or given with a turn's reply
//! when the room has automatic feedback.

use crate::AppState;
use crate::domain::language::UiLanguage;
use crate::domain::room::Feedback;
use crate::error::ApiError;
use crate::services::prompt;
use crate::store::{MessageRecord, Owner, RoomRecord};
use crate::tutor::answers::{self, Verdict};
use crate::tutor::{Task, TutorError};

/// Feedback on a learner's line, judged by one structured model call and stored once on the
/// message: what is stored afterwards (the first feedback, if another request stored one
/// meanwhile). The caller has charged the call. The chat runs it beside a turn's reply when
/// the room has `auto_feedback`.
pub async fn check_line(
    state: &AppState,
    owner: &Owner,
    room: &RoomRecord,
    message: &MessageRecord,
    explain_in: UiLanguage,
) -> Result<Feedback, ApiError> {
    // The offline demo judges nothing, so it says so and gives no verdict; nothing is stored,
    // and the line can be checked once a model is connected.
    if state.tutor.is_offline() {
        return Ok(Feedback {
            checked: false,
            ok: false,
            corrected: message.content.clone(),
            explanation: not_checked(explain_in).into(),
            ui_language: explain_in,
        });
    }
    // Never given (the offline tutor returned above); `structured` asks for one.
    let offline = Verdict {
        ok: false,
        corrected: message.content.clone(),
        explanation: not_checked(explain_in).into(),
    };
    let prompt = prompt::feedback(room, &message.content, explain_in);
    let verdict: Verdict = state
        .tutor
        .structured(Task::Feedback, &prompt, &answers::FEEDBACK, offline)
        .await?;
    if verdict.corrected.trim().is_empty() || verdict.explanation.trim().is_empty() {
        return Err(TutorError::Upstream("the model's feedback has empty fields".into()).into());
    }
    let feedback = Feedback {
        checked: true,
        // A line the model "corrected" into itself was fine.
        ok: verdict.ok || verdict.corrected.trim() == message.content.trim(),
        corrected: verdict.corrected.trim().to_owned(),
        explanation: verdict.explanation.trim().to_owned(),
        ui_language: explain_in,
    };
    state
        .store
        .store_feedback(owner, &room.id, &message.id, &feedback)
        .await?
        .ok_or(ApiError::NotFound)
}

/// What the offline demo says instead of a verdict, in the learner's language.
fn not_checked(language: UiLanguage) -> &'static str {
    match language {
        UiLanguage::Ko => {
            "(오프라인 데모라 언어 모델이 연결되어 있지 않아요. 이 문장은 확인하지 않았어요.)"
        }
        UiLanguage::En => {
            "(Offline demo: no language model is connected, so this line was not checked.)"
        }
        UiLanguage::Ja => {
            "（オフラインのデモで、言語モデルにつながっていません。この文は確認していません。）"
        }
    }
}
