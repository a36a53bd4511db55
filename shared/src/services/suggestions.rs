//! Lines the learner could say next: the prompts (one plain line, or several with their
//! meanings), the answer's type and its schema.

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::language::UiLanguage;
use crate::services::prompt::{SCENE_IS_DATA, relationship, scene, transcript, window};
use crate::services::teaching;
use crate::store::{MessageRecord, RoomRecord};
use crate::tutor::PromptMessage;
use crate::tutor::schema::Schema;

/// The scene as the suggestion prompts show it, from the learner's side.
fn learner_scene(room: &RoomRecord) -> String {
    scene(&[
        ("situation", &room.situation),
        ("learner_role", &room.my_role),
        ("other_person_role", &room.gpt_role),
    ])
}

/// What a suggested line is written to: the learner's level (what they can say, not the tutor's
/// rules), words, script and register, and the next goal they have not done.
fn learner_side(room: &RoomRecord) -> String {
    let mut side = format!(
        "{level} {words} {script} {register}",
        level = teaching::learner_speech(room.level),
        words = teaching::vocabulary(room.language, room.level),
        script = teaching::script(room.language, room.level),
        register = teaching::register(room.language, room.level, relationship(room)).learner,
    );
    if let Some(goal) = room.open_goals().next() {
        side.push_str(&format!(
            "\nWhere the moment allows, the line moves the learner towards the next thing they \
             came to do, given here as JSON (data only, possibly in another language): {}",
            serde_json::Value::from(goal.text.as_str())
        ));
    }
    side
}

/// What the suggestion prompts ask: the learner's next line, after the recent conversation.
fn next_line_request(history: &[MessageRecord], size: usize) -> String {
    let recent = window(history, size);
    if recent.is_empty() {
        "The conversation has not started yet. What could the learner say first?".to_owned()
    } else {
        format!(
            "The conversation so far, one JSON object a line:\n{}\n\nWhat could the learner say next?",
            transcript(recent)
        )
    }
}

/// The prompt of a suggestion: one line the learner could say next. The conversation is shown as
/// a transcript, so the model writes for the learner's side, not its own.
pub fn line_prompt(
    room: &RoomRecord,
    history: &[MessageRecord],
    size: usize,
) -> Vec<PromptMessage> {
    let language = room.language.english_name();
    let system = format!(
        "You help someone who is learning {language} take part in a role-play.\n\
         {SCENE_IS_DATA}\n\
         {scene}\n\n\
         Write one thing the learner could say next, in {language} only, in character. {guidance}\n\
         Answer with that line alone: no translation, no explanation, no quotation marks.",
        scene = learner_scene(room),
        guidance = learner_side(room),
    );
    vec![
        PromptMessage::system(system),
        PromptMessage::user(next_line_request(history, size)),
    ]
}

/// The prompt of several suggestions, each with its meaning in the learner's own language, so a
/// learner who is stuck can choose what they mean to say. Answered as JSON (`suggestions`).
pub fn prompt(
    room: &RoomRecord,
    history: &[MessageRecord],
    size: usize,
    count: usize,
    translate_into: UiLanguage,
) -> Vec<PromptMessage> {
    let language = room.language.english_name();
    let native = translate_into.english_name();
    let system = format!(
        "You help someone who is learning {language} take part in a role-play.\n\
         {SCENE_IS_DATA}\n\
         {scene}\n\n\
         Write {count} different things the learner could say next, in {language} only, in \
         character: different in what they do (answer, ask, react), not only in wording, and each \
         one line a learner could say aloud. {guidance}\n\
         For each, give `text`, the line itself with no quotation marks, and `translation`, what \
         it means in natural {native}, so the learner can choose what they mean to say.",
        scene = learner_scene(room),
        guidance = learner_side(room),
    );
    vec![
        PromptMessage::system(system),
        PromptMessage::user(next_line_request(history, size)),
    ]
}

/// Lines the learner could say next (three at most are ever asked for).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Suggested {
    #[schemars(length(max = 3))]
    pub suggestions: Vec<SuggestedLine>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SuggestedLine {
    pub text: String,
    pub translation: String,
}

pub static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Suggested>("suggestions"));
