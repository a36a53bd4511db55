//! What the handlers do, apart from reading requests and writing replies: sessions, a turn from
//! its start to its last event, feedback, goal checks, deletion, the prompts. Services use the
//! domain, the store and the tutor, never a handler or the HTTP edge (checked by
//! `tests/tests/layers.rs`).

pub mod deletion;
pub mod demo;
pub mod email;
pub mod feedback;
pub mod goals;
pub mod learning;
pub mod meaning;
pub mod prompt;
pub mod reminders;
pub mod report;
pub mod session;
pub mod speech;
pub mod suggestions;
pub mod teaching;
pub mod translation;
pub mod turn;

#[cfg(test)]
mod tests {
    use crate::tutor::schema::{Schema, strict_violations};
    use serde_json::json;

    /// Every schema the service sends, as it sends it.
    fn every_schema() -> Vec<Schema> {
        vec![
            super::feedback::SCHEMA.clone(),
            super::translation::SCHEMA.clone(),
            super::meaning::SCHEMA.clone(),
            super::suggestions::SCHEMA.clone(),
            super::report::schema(&["01A", "01B"], true),
            super::report::schema(&["01A", "01B"], false),
            super::goals::schema(["g1", "g2"].into_iter()),
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
}
