//! Feedback on a learner's line: asked for on the feedback route, or given with a turn's reply
//! when the room has automatic feedback.

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::AppState;
use crate::domain::language::UiLanguage;
use crate::domain::room::Feedback;
use crate::error::ApiError;
use crate::services::prompt::{SCENE_IS_DATA, scene};
use crate::store::{MessageRecord, Owner, RoomRecord};
use crate::tutor::PromptMessage;
use crate::tutor::schema::Schema;
use crate::tutor::{Task, TutorError};

/// The prompt of feedback on a learner's line: correct and natural for the room's language and
/// level? The explanation is in the learner's own language.
pub fn prompt(room: &RoomRecord, line: &str, explain_in: UiLanguage) -> Vec<PromptMessage> {
    let language = room.language.english_name();
    let system = format!(
        "You are a kind, precise teacher of {language}. A learner at CEFR level {level} wrote the line in \
         the next message during a role-play. {SCENE_IS_DATA}\n\
         {scene}\n\
         Decide whether it is correct and natural {language} for that moment.\n\
         Mark as wrong only real errors: grammar, a wrong word or word form, or wording a native \
         speaker would not accept in this situation, or a register clearly wrong for it. Do not \
         mark a simpler wording than you would choose, a style preference, missing capitals or \
         final punctuation in a chat, or anything beyond what a learner at this level is expected \
         to produce.\n\
         - ok: true if the line is acceptable as it is, false only if it has such an error.\n\
         - corrected: when ok is true, exactly the line itself. Otherwise the line with only its \
         errors fixed: change as few words as possible and keep the learner's own words and \
         structure.\n\
         - explanation: one or two short sentences in {explain}: what was wrong and why, or what \
         is good about the line.",
        level = room.level.code(),
        scene = scene(&[
            ("situation", &room.situation),
            ("learner_role", &room.my_role)
        ]),
        explain = explain_in.english_name(),
    );
    vec![
        PromptMessage::system(system),
        PromptMessage::user(line.to_owned()),
    ]
}

/// Feedback on one learner line.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Verdict {
    pub ok: bool,
    pub corrected: String,
    pub explanation: String,
}

pub static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Verdict>("feedback"));

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
    let prompt = prompt(room, &message.content, explain_in);
    let verdict: Verdict = state
        .tutor
        .structured(Task::Feedback, &prompt, &SCHEMA, offline)
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
