//! The end-of-conversation review of a room: what went well, each mistake with its correction,
//! useful words the tutor used, next steps and a CEFR estimate, in the learner's language. Stored
//! on the room and reused until new messages arrive.

use serde::{Deserialize, Serialize};

use crate::room::{Goal, Level, UiLanguage};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expression {
    pub text: String,
    pub meaning: String,
    pub example: String,
}

/// What the model writes: the report without what the service knows itself (the goals, the
/// original lines, the counts).
#[derive(Debug, Deserialize)]
pub struct Review {
    pub summary: String,
    pub strengths: Vec<String>,
    pub mistakes: Vec<ReviewedMistake>,
    pub vocabulary: Vec<Expression>,
    pub next_steps: Vec<String>,
    pub cefr_estimate: Option<Level>,
}

#[derive(Debug, Deserialize)]
pub struct ReviewedMistake {
    pub message_id: String,
    pub corrected: String,
    pub explanation: String,
}

/// The strict JSON schema of a review: a mistake can only name one of `learner_lines` (ids).
pub fn schema(learner_lines: &[&str]) -> serde_json::Value {
    let text = serde_json::json!({"type": "string"});
    let texts = serde_json::json!({"type": "array", "items": {"type": "string"}});
    let levels: Vec<serde_json::Value> = <Level as strum::VariantArray>::VARIANTS
        .iter()
        .map(|level| serde_json::json!(level.code()))
        .chain([serde_json::Value::Null])
        .collect();
    serde_json::json!({
        "type": "object",
        "properties": {
            "summary": text,
            "strengths": texts,
            "mistakes": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "message_id": {"type": "string", "enum": learner_lines},
                    "corrected": text,
                    "explanation": text,
                },
                "required": ["message_id", "corrected", "explanation"],
                "additionalProperties": false,
            }},
            "vocabulary": {"type": "array", "items": {
                "type": "object",
                "properties": {"text": text, "meaning": text, "example": text},
                "required": ["text", "meaning", "example"],
                "additionalProperties": false,
            }},
            "next_steps": texts,
            "cefr_estimate": {"type": ["string", "null"], "enum": levels},
        },
        "required": ["summary", "strengths", "mistakes", "vocabulary", "next_steps", "cefr_estimate"],
        "additionalProperties": false,
    })
}
