//! What the handlers do, apart from reading requests and writing replies: sessions, a turn from
//! its start to its last event, feedback, goal checks, deletion, the prompts. Services use the
//! domain, the store and the tutor, never a handler or the HTTP edge (checked by
//! `tests/tests/layers.rs`).

pub mod deletion;
pub mod feedback;
pub mod goals;
pub mod prompt;
pub mod session;
pub mod turn;
