//! The domain: what Rolechat is about, with no storage, model or HTTP in it. Every other layer
//! may use these; they use nothing of the others (checked by `tests/tests/layers.rs`).

pub mod cursor;
pub mod email;
pub mod language;
pub mod learner;
pub mod report;
pub mod room;
pub mod scenarios;
pub mod schedule;
pub mod setting;
pub mod speech;
pub mod time;
pub mod usage;
pub mod user;
pub mod validation;
pub mod word;
