//! Rolechat's domain crate: everything the functions do, testable without AWS.

pub mod auth;
pub mod config;
pub mod domain;
pub mod error;
pub mod handlers;
pub mod http;
pub mod mail;
pub mod oauth;
pub mod routes;
pub mod runtime;
pub mod services;
pub mod speech;
pub mod state;
pub mod store;
pub mod tutor;

pub use error::ApiError;
pub use state::AppState;
