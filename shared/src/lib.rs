//! Rolechat's domain crate: everything the functions do, testable without AWS.

pub mod auth;
pub mod config;
pub mod cursor;
pub mod deletion;
pub mod error;
pub mod goals;
pub mod handlers;
pub mod http;
pub mod oauth;
pub mod report;
pub mod review;
pub mod room;
pub mod routes;
pub mod scenarios;
pub mod session;
pub mod state;
pub mod store;
pub mod time;
pub mod turn;
pub mod tutor;
pub mod user;
pub mod validation;

pub use error::ApiError;
pub use state::AppState;
