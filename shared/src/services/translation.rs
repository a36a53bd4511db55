//! A line translated into the learner's language: the prompt, the answer's type and its schema.

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::domain::language::UiLanguage;
use crate::services::prompt::{SCENE_IS_DATA, scene};
use crate::store::RoomRecord;
use crate::tutor::PromptMessage;
use crate::tutor::schema::Schema;

/// The prompt of a translation of a line into the learner's language.
pub fn prompt(room: &RoomRecord, line: &str, to: UiLanguage) -> Vec<PromptMessage> {
    let system = format!(
        "Translate the {from} line in the next message into natural {to}, as it would be said \
         in the scene described below. Keep its tone. Answer with the translation in `text` only.\n\
         {SCENE_IS_DATA}\n\
         {scene}",
        from = room.language.english_name(),
        to = to.english_name(),
        scene = scene(&[("situation", &room.situation)]),
    );
    vec![
        PromptMessage::system(system),
        PromptMessage::user(line.to_owned()),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Translation {
    pub text: String,
}

pub static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Translation>("translation"));
