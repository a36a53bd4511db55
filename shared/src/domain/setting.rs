//! What every setting shares: where a secret comes from, and the error a missing or invalid one
//! is. Below every module that reads settings, so none of them needs another's.

use secrecy::{ExposeSecret, SecretString};

/// HS256 keys shorter than the hash output weaken the signature.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Where the JWT signing key comes from: the value itself (local stack, tests) or a Secrets
/// Manager secret read once at cold start (AWS).
/// The value is a `SecretString`, whose `Debug` never shows it.
#[derive(Debug, Clone)]
pub enum SecretSource {
    Value(SecretString),
    SecretsManager { secret_id: String },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "set ROLECHAT_JWT_SECRET (local) or ROLECHAT_JWT_SECRET_ARN (AWS) to the token signing key"
    )]
    MissingJwtSecret,
    #[error("{name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
}

impl SecretSource {
    /// The value, when it is given directly rather than named in Secrets Manager.
    pub fn value(&self) -> Option<&str> {
        match self {
            SecretSource::Value(value) => Some(value.expose_secret()),
            SecretSource::SecretsManager { .. } => None,
        }
    }
}

pub fn check_secret_length(name: &'static str, secret: &str) -> Result<(), ConfigError> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::Invalid {
            name,
            problem: format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
        });
    }
    Ok(())
}
