//! The structured answers the model gives, as the types they are read into; their JSON schemas
//! are generated from these types, so what is asked and what is read cannot drift. Lists are
//! bounded (`maxItems`) so the longest answer fits its budget.

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::schema::Schema;
use crate::domain::language::Level;
use crate::domain::report::Expression;

/// Feedback on one learner line.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Verdict {
    pub ok: bool,
    pub corrected: String,
    pub explanation: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct Translation {
    pub text: String,
}

/// A notebook word's meaning.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Meaning {
    pub meaning: String,
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

/// The review of a conversation: the report without what the service knows itself (the goals,
/// the original lines, the counts).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Review {
    pub summary: String,
    #[schemars(length(max = 3))]
    pub strengths: Vec<String>,
    #[schemars(length(max = 5))]
    pub mistakes: Vec<ReviewedMistake>,
    #[schemars(length(max = 6))]
    pub vocabulary: Vec<Expression>,
    #[schemars(length(max = 3))]
    pub next_steps: Vec<String>,
    // Its values are set per call (`review`): the levels, or null.
    #[schemars(with = "Option<String>")]
    pub cefr_estimate: Option<Level>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviewedMistake {
    // One of the learner's own line ids, set per call (`review`).
    pub message_id: String,
    pub corrected: String,
    pub explanation: String,
}

pub static FEEDBACK: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Verdict>("feedback"));
pub static TRANSLATION: LazyLock<Schema> =
    LazyLock::new(|| Schema::of::<Translation>("translation"));
pub static MEANING: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Meaning>("meaning"));
pub static SUGGESTIONS: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Suggested>("suggestions"));
static REVIEW: LazyLock<Schema> = LazyLock::new(|| Schema::of::<Review>("report"));

/// The schema of a review in which a mistake can only name one of `learner_lines` (ids), and
/// the estimate only a CEFR level or null.
pub fn review(learner_lines: &[&str]) -> Schema {
    let mut schema = REVIEW.clone();
    let properties = &mut schema.value["properties"];
    properties["mistakes"]["items"]["properties"]["message_id"]["enum"] = json!(learner_lines);
    let levels: Vec<serde_json::Value> = <Level as strum::VariantArray>::VARIANTS
        .iter()
        .map(|level| json!(level.code()))
        .collect();
    // `anyOf` rather than a type array with an enum: grammar-constrained servers
    // (llama.cpp's) drop the enum of a type array, and Gemini takes one type per schema.
    properties["cefr_estimate"] =
        json!({"anyOf": [{"type": "string", "enum": levels}, {"type": "null"}]});
    schema
}

/// The schema of a goal check: one boolean per open goal, named by its id, all required,
/// nothing else, so an answer can only judge the room's real goals.
pub fn goals<'a>(ids: impl Iterator<Item = &'a str>) -> Schema {
    let ids: Vec<&str> = ids.collect();
    let properties: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .map(|id| ((*id).to_owned(), json!({"type": "boolean"})))
        .collect();
    Schema::strict(
        "goals",
        json!({"type": "object", "properties": properties, "required": ids}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tutor::schema::strict_violations;

    /// Every schema the service sends, as it sends it.
    fn every_schema() -> Vec<Schema> {
        vec![
            FEEDBACK.clone(),
            TRANSLATION.clone(),
            MEANING.clone(),
            SUGGESTIONS.clone(),
            review(&["01A", "01B"]),
            goals(["g1", "g2"].into_iter()),
        ]
    }

    #[test]
    fn every_schema_passes_openais_strict_mode_rules() {
        for schema in every_schema() {
            assert_eq!(
                strict_violations(schema.name, &schema.value),
                Vec::<String>::new(),
                "{}: {}",
                schema.name,
                schema.value
            );
            // Valid JSON Schema, so every answer can be validated against it.
            schema.validate(&json!({})).unwrap_err();
            // One type per schema: no dialect has to guess what an enum of a type array means.
            assert!(
                !schema.value.to_string().contains(r#""type":["#),
                "{}",
                schema.value
            );
        }
    }

    #[test]
    fn a_review_names_only_the_learners_lines_and_real_levels() {
        let schema = review(&["01A"]);
        let answer = |id: &str, level: serde_json::Value| {
            json!({"summary": "s", "strengths": ["a"], "next_steps": [],
                "mistakes": [{"message_id": id, "corrected": "c", "explanation": "e"}],
                "vocabulary": [{"text": "t", "meaning": "m", "example": "e"}],
                "cefr_estimate": level})
        };
        assert_eq!(schema.validate(&answer("01A", json!("B1"))), Ok(()));
        assert_eq!(schema.validate(&answer("01A", json!(null))), Ok(()));
        assert!(schema.validate(&answer("01Z", json!("B1"))).is_err());
        assert!(schema.validate(&answer("01A", json!("B7"))).is_err());
        let mut long = answer("01A", json!(null));
        long["strengths"] = json!(["1", "2", "3", "4"]);
        assert!(schema.validate(&long).is_err(), "the lists are bounded");
        let review: Review = serde_json::from_value(answer("01A", json!("C1"))).unwrap();
        assert_eq!(review.cefr_estimate, Some(Level::C1));
    }

    #[test]
    fn a_goal_check_judges_exactly_the_open_goals() {
        let schema = goals(["g1", "g3"].into_iter());
        assert_eq!(schema.validate(&json!({"g1": true, "g3": false})), Ok(()));
        assert!(schema.validate(&json!({"g1": true})).is_err());
        assert!(
            schema
                .validate(&json!({"g1": true, "g3": false, "g2": true}))
                .is_err()
        );
    }
}
