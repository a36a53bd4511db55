//! The end-of-conversation review of a room: what went well, each mistake with its correction,
//! useful words the tutor used, next steps and a CEFR estimate, in the learner's language. Stored
//! on the room and reused until new messages arrive.

use serde::{Deserialize, Serialize};

use crate::domain::language::{Level, UiLanguage};
use crate::domain::room::Goal;

/// The most recent messages a report reads: a long room is reviewed on its latest part (the
/// goals, which span the whole room, come from the room itself).
pub const REPORT_WINDOW: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub created_at: String,
    /// The room's message count when the report was made: a later message makes it stale.
    pub message_count: u64,
    pub summary: String,
    pub goals: Vec<Goal>,
    pub strengths: Vec<String>,
    pub mistakes: Vec<Mistake>,
    pub vocabulary: Vec<Expression>,
    pub next_steps: Vec<String>,
    pub cefr_estimate: Option<Level>,
    pub ui_language: UiLanguage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mistake {
    pub message_id: String,
    pub original: String,
    pub corrected: String,
    pub explanation: String,
    /// What went wrong, named the same for every mistake of one pattern (reports made before
    /// patterns have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Expression {
    pub text: String,
    pub meaning: String,
    pub example: String,
}
