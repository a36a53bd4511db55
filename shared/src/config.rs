//! Configuration, read once from the environment at cold start.

use std::time::Duration;

use lambda_http::http::HeaderValue;

/// Where the JWT signing key comes from: the value itself (local stack, tests) or a Secrets
/// Manager secret read once at cold start (AWS).
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    Value(String),
    SecretsManager { secret_id: String },
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Value(_) => f.write_str("Value(<redacted>)"),
            SecretSource::SecretsManager { secret_id } => write!(f, "SecretsManager({secret_id})"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DYNAMODB_ENDPOINT`: a DynamoDB-compatible endpoint (the embedded one locally); unset in AWS.
    pub dynamodb_endpoint: Option<String>,
    /// `ROLECHAT_TABLE_PREFIX`: prepended to every table's name (`rolechat-` by default).
    pub table_prefix: String,
    /// `ROLECHAT_JWT_SECRET` or `ROLECHAT_JWT_SECRET_ARN`.
    pub jwt_secret: SecretSource,
    /// `ROLECHAT_SESSION_TTL_SECONDS`: how long a login lasts (12 hours by default).
    pub session_ttl: Duration,
    /// `ROLECHAT_ALLOWED_ORIGINS`: comma-separated origins allowed by CORS; none by default.
    pub allowed_origins: Vec<HeaderValue>,
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

pub const DEFAULT_TABLE_PREFIX: &str = "rolechat-";
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// HS256 keys shorter than the hash output weaken the signature.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let jwt_secret = match (get("ROLECHAT_JWT_SECRET"), get("ROLECHAT_JWT_SECRET_ARN")) {
            (Some(value), _) => {
                check_secret_length(&value)?;
                SecretSource::Value(value)
            }
            (None, Some(secret_id)) => SecretSource::SecretsManager { secret_id },
            (None, None) => return Err(ConfigError::MissingJwtSecret),
        };

        let session_ttl = match get("ROLECHAT_SESSION_TTL_SECONDS") {
            None => DEFAULT_SESSION_TTL,
            Some(text) => match text.parse::<u64>() {
                Ok(secs) if (60..=30 * 24 * 3600).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "ROLECHAT_SESSION_TTL_SECONDS",
                        problem: "must be a whole number of seconds from 60 to 2592000".into(),
                    });
                }
            },
        };

        let allowed_origins = get("ROLECHAT_ALLOWED_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                if origin == "*" {
                    return Err(ConfigError::Invalid {
                        name: "ROLECHAT_ALLOWED_ORIGINS",
                        problem: "list the site's origins; `*` is not allowed".into(),
                    });
                }
                HeaderValue::from_str(origin).map_err(|_| ConfigError::Invalid {
                    name: "ROLECHAT_ALLOWED_ORIGINS",
                    problem: format!("`{origin}` is not a valid origin"),
                })
            })
            .collect::<Result<_, _>>()?;

        Ok(Config {
            dynamodb_endpoint: get("DYNAMODB_ENDPOINT"),
            table_prefix: get("ROLECHAT_TABLE_PREFIX")
                .unwrap_or_else(|| DEFAULT_TABLE_PREFIX.into()),
            jwt_secret,
            session_ttl,
            allowed_origins,
        })
    }
}

pub fn check_secret_length(secret: &str) -> Result<(), ConfigError> {
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::Invalid {
            name: "ROLECHAT_JWT_SECRET",
            problem: format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults() {
        let config = config(&[("ROLECHAT_JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(config.table_prefix, "rolechat-");
        assert_eq!(config.session_ttl, DEFAULT_SESSION_TTL);
        assert!(config.allowed_origins.is_empty());
        assert_eq!(config.dynamodb_endpoint, None);
        assert_eq!(config.jwt_secret, SecretSource::Value(SECRET.into()));
        assert!(
            !format!("{config:?}").contains(SECRET),
            "the secret must not be printable"
        );
    }

    #[test]
    fn the_signing_key_is_required_and_long_enough() {
        assert_eq!(config(&[]).unwrap_err(), ConfigError::MissingJwtSecret);
        assert!(matches!(
            config(&[("ROLECHAT_JWT_SECRET", "short")]).unwrap_err(),
            ConfigError::Invalid {
                name: "ROLECHAT_JWT_SECRET",
                ..
            }
        ));
        let from_arn = config(&[("ROLECHAT_JWT_SECRET_ARN", "arn:aws:secretsmanager:x")]).unwrap();
        assert_eq!(
            from_arn.jwt_secret,
            SecretSource::SecretsManager {
                secret_id: "arn:aws:secretsmanager:x".into()
            }
        );
    }

    #[test]
    fn origins_and_ttl() {
        let config = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            (
                "ROLECHAT_ALLOWED_ORIGINS",
                " http://127.0.0.1:5173 , https://example.org,",
            ),
            ("ROLECHAT_SESSION_TTL_SECONDS", "3600"),
        ])
        .unwrap();
        assert_eq!(
            config.allowed_origins,
            ["http://127.0.0.1:5173", "https://example.org"]
        );
        assert_eq!(config.session_ttl, Duration::from_secs(3600));

        for (name, value) in [
            ("ROLECHAT_ALLOWED_ORIGINS", "*"),
            ("ROLECHAT_SESSION_TTL_SECONDS", "ten"),
            ("ROLECHAT_SESSION_TTL_SECONDS", "5"),
        ] {
            let error = super::tests::config(&[("ROLECHAT_JWT_SECRET", SECRET), (name, value)]);
            assert!(
                matches!(error, Err(ConfigError::Invalid { .. })),
                "{name}={value}"
            );
        }
    }
}
