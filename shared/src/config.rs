//! Configuration, read once from the environment at cold start.

use std::time::Duration;

use lambda_http::http::HeaderValue;

use crate::domain::setting::{ConfigError, SecretSource, check_secret_length};
use crate::tutor::TutorConfig;

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
    pub tutor: TutorConfig,
    /// `ROLECHAT_DAILY_TURNS`: model calls (turns, suggestions) a user may make per UTC day.
    pub daily_turns: u32,
    /// `ROLECHAT_AUTH_RATE_PER_MINUTE`: signups and logins a minute from one source IP, and
    /// failed logins a minute for one username from one IP (ten times that from all IPs);
    /// `0` turns the limit off.
    pub auth_rate_per_minute: u32,
    /// `ROLECHAT_CONCURRENT_TURNS`: chat turns one user may have running at once (3 by default).
    pub concurrent_turns: u32,
    /// `ROLECHAT_CONCURRENT_AIDS`: calls of each learning aid (suggestions, feedback,
    /// translation, report, meaning) one user may have running at once (2 by default).
    pub concurrent_aids: u32,
    /// `ROLECHAT_EXPORTS_PER_HOUR`: exports of everything one user may download an hour (10 by
    /// default): each reads the whole account.
    pub exports_per_hour: u32,
    /// `ROLECHAT_MAX_ROOMS`: rooms one user may own (500 by default).
    pub max_rooms: u32,
    /// `ROLECHAT_MAX_WORDS`: words one user's notebook may hold (5,000 by default).
    pub max_words: u32,
    pub deletion: DeletionConfig,
    /// The social logins (see `oauth`).
    pub oauth: crate::oauth::OAuthConfig,
    /// Mail: where it goes, from whom, and where its links lead (see `mail`).
    pub mail: crate::mail::MailConfig,
    /// Server speech (see `speech`) and where its audio is kept.
    pub speech: crate::speech::SpeechConfig,
    pub audio: AudioConfig,
    /// `ROLECHAT_CLOCK_FILE`: a file holding seconds to shift the clock by, for browser tests
    /// that move to the next day. Only with `DYNAMODB_ENDPOINT` (a local stack): refused in AWS.
    pub clock_file: Option<std::path::PathBuf>,
}

/// Where synthesized speech is kept: `ROLECHAT_AUDIO_BUCKET` (S3, in AWS) or `ROLECHAT_AUDIO_DIR`
/// (a directory, locally); one of them is needed when speech is on.
#[derive(Debug, Clone, Default)]
pub struct AudioConfig {
    pub bucket: Option<String>,
    pub dir: Option<std::path::PathBuf>,
    /// `ROLECHAT_S3_ENDPOINT`: an S3-compatible endpoint (a local one in tests); unset in AWS.
    pub s3_endpoint: Option<String>,
}

/// How the deletion worker paces itself.
#[derive(Debug, Clone)]
pub struct DeletionConfig {
    /// `ROLECHAT_DELETION_ROUND_SECONDS`: how long one run of the worker deletes before it hands
    /// the rest to the next run (40 s by default, inside the function's 60 s).
    pub round_time: Duration,
    /// `ROLECHAT_DELETION_ROUND_ITEMS`: the most items one run deletes (100,000 by default).
    pub round_items: u64,
    /// `ROLECHAT_DELETION_SWEEP_AFTER_SECONDS`: a job no run has touched for this long is taken
    /// up by the sweep (15 minutes by default; the local stack, which has no stream, uses 0).
    pub sweep_after: Duration,
}

pub const DEFAULT_TABLE_PREFIX: &str = "rolechat-";
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// OpenAI's efficient current model (reasoning from `none` up, $0.10 in and $0.50 out per
/// million tokens): the cheapest of the current line-up, and with no reasoning as fast to its
/// first token as the non-reasoning models it replaces (gpt-4o-mini shuts down on 2027-01-14).
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-6-luna";
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

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
                check_secret_length("ROLECHAT_JWT_SECRET", &value)?;
                SecretSource::Value(value.into())
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

        let allowed_origins: Vec<HeaderValue> = get("ROLECHAT_ALLOWED_ORIGINS")
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

        let number = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
            match get(name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| ConfigError::Invalid {
                        name,
                        problem: format!(
                            "must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    }),
            }
        };
        let timeout = Duration::from_secs(number("ROLECHAT_MODEL_TIMEOUT_SECONDS", 60, 1..=900)?);
        let tutor = TutorConfig {
            api_key: match (get("OPENAI_API_KEY"), get("ROLECHAT_OPENAI_KEY_SECRET_ARN")) {
                (Some(key), _) => Some(SecretSource::Value(key.into())),
                (None, Some(secret_id)) => Some(SecretSource::SecretsManager { secret_id }),
                (None, None) => None,
            },
            base_url: get("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
            model: get("OPENAI_MODEL").unwrap_or_else(|| DEFAULT_OPENAI_MODEL.into()),
            provider: match get("ROLECHAT_MODEL_PROVIDER") {
                Some(name) if name.eq_ignore_ascii_case("bedrock") => {
                    crate::tutor::provider::Provider::Generic
                }
                Some(name) => {
                    name.to_ascii_lowercase()
                        .parse()
                        .map_err(|_| ConfigError::Invalid {
                            name: "ROLECHAT_MODEL_PROVIDER",
                            problem: format!(
                                "`{name}` is not a known provider (bedrock or one of {})",
                                <crate::tutor::provider::Provider as strum::VariantArray>::VARIANTS
                                    .iter()
                                    .map(|p| p.name())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        })?
                }
                None => crate::tutor::provider::Provider::recognise(
                    &get("OPENAI_BASE_URL").unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.into()),
                ),
            },
            bedrock: get("ROLECHAT_MODEL_PROVIDER")
                .filter(|name| name.eq_ignore_ascii_case("bedrock"))
                .map(|_| crate::tutor::bedrock::BedrockConfig {
                    model: get("ROLECHAT_BEDROCK_MODEL")
                        .unwrap_or_else(|| crate::tutor::bedrock::DEFAULT_BEDROCK_MODEL.into()),
                    endpoint: get("ROLECHAT_BEDROCK_ENDPOINT"),
                }),
            azure_api_version: get("AZURE_OPENAI_API_VERSION"),
            tasks: {
                let tasks = crate::tutor::task::TaskTable::parse(
                    &get("ROLECHAT_MODEL_TASKS").unwrap_or_default(),
                )
                .map_err(|problem| ConfigError::Invalid {
                    name: "ROLECHAT_MODEL_TASKS",
                    problem,
                })?;
                match get("ROLECHAT_MAX_TOKENS") {
                    Some(_) => tasks.with_reply_budget(number(
                        "ROLECHAT_MAX_TOKENS",
                        400,
                        16..=4000,
                    )? as u32),
                    None => tasks,
                }
            },
            structured_timeout: Duration::from_secs(number(
                "ROLECHAT_MODEL_STRUCTURED_SECONDS",
                25,
                1..=900,
            )?),
            one_at_a_time: match get("ROLECHAT_MODEL_ONE_AT_A_TIME").as_deref() {
                None => None,
                Some("1" | "true" | "yes") => Some(true),
                Some("0" | "false" | "no") => Some(false),
                Some(_) => {
                    return Err(ConfigError::Invalid {
                        name: "ROLECHAT_MODEL_ONE_AT_A_TIME",
                        problem: "must be true or false".into(),
                    });
                }
            },
            timeout,
            first_token_timeout: Duration::from_secs(number(
                "ROLECHAT_MODEL_FIRST_TOKEN_SECONDS",
                20,
                1..=900,
            )?),
            idle_timeout: Duration::from_secs(number("ROLECHAT_MODEL_IDLE_SECONDS", 20, 1..=900)?),
            connect_timeout: timeout.min(Duration::from_secs(5)),
            retries: number("ROLECHAT_MODEL_RETRIES", 2, 0..=5)? as u32,
            retry_backoff: Duration::from_millis(number(
                "ROLECHAT_MODEL_RETRY_BACKOFF_MS",
                500,
                0..=10_000,
            )?),
            history_messages: number("ROLECHAT_HISTORY_MESSAGES", 20, 0..=200)? as usize,
            offline_word_delay: Duration::from_millis(number(
                "ROLECHAT_OFFLINE_WORD_DELAY_MS",
                40,
                0..=1000,
            )?),
        };
        let daily_turns = number("ROLECHAT_DAILY_TURNS", 200, 1..=100_000)? as u32;
        let auth_rate_per_minute = number("ROLECHAT_AUTH_RATE_PER_MINUTE", 30, 0..=100_000)? as u32;
        let concurrent_turns = number("ROLECHAT_CONCURRENT_TURNS", 3, 1..=100)? as u32;
        let concurrent_aids = number("ROLECHAT_CONCURRENT_AIDS", 2, 1..=100)? as u32;
        let exports_per_hour = number("ROLECHAT_EXPORTS_PER_HOUR", 10, 1..=100_000)? as u32;
        let max_rooms = number("ROLECHAT_MAX_ROOMS", 500, 1..=100_000)? as u32;
        let max_words = number("ROLECHAT_MAX_WORDS", 5000, 1..=1_000_000)? as u32;
        let deletion = DeletionConfig {
            round_time: Duration::from_secs(number(
                "ROLECHAT_DELETION_ROUND_SECONDS",
                40,
                1..=840,
            )?),
            round_items: number("ROLECHAT_DELETION_ROUND_ITEMS", 100_000, 25..=10_000_000)?,
            sweep_after: Duration::from_secs(number(
                "ROLECHAT_DELETION_SWEEP_AFTER_SECONDS",
                900,
                0..=86_400,
            )?),
        };

        let oauth = crate::oauth::OAuthConfig::from_lookup(get)?;
        let dynamodb_endpoint = get("DYNAMODB_ENDPOINT");
        let clock_file = get("ROLECHAT_CLOCK_FILE").map(std::path::PathBuf::from);
        if clock_file.is_some() && dynamodb_endpoint.is_none() {
            return Err(ConfigError::Invalid {
                name: "ROLECHAT_CLOCK_FILE",
                problem: "is for a local stack only (with DYNAMODB_ENDPOINT)".into(),
            });
        }
        let mail = mail_config(&get, &allowed_origins)?;
        let (speech, audio) = speech_config(&get)?;
        Ok(Config {
            speech,
            audio,
            mail,
            clock_file,
            oauth,
            tutor,
            daily_turns,
            concurrent_turns,
            concurrent_aids,
            exports_per_hour,
            max_rooms,
            max_words,
            deletion,
            auth_rate_per_minute,
            dynamodb_endpoint,
            table_prefix: get("ROLECHAT_TABLE_PREFIX")
                .unwrap_or_else(|| DEFAULT_TABLE_PREFIX.into()),
            jwt_secret,
            session_ttl,
            allowed_origins,
        })
    }
}

/// Server speech: on when `ROLECHAT_SPEECH_BASE_URL` is set, with a place to keep its audio.
fn speech_config(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<(crate::speech::SpeechConfig, AudioConfig), ConfigError> {
    use crate::speech::{DEFAULT_STT_MODEL, DEFAULT_TTS_MODEL, DEFAULT_TTS_VOICE, SpeechConfig};
    let invalid = |name: &'static str, problem: &str| ConfigError::Invalid {
        name,
        problem: problem.into(),
    };
    let base_url = match get("ROLECHAT_SPEECH_BASE_URL") {
        None => None,
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Some(url.trim_end_matches('/').to_owned())
        }
        Some(_) => {
            return Err(invalid(
                "ROLECHAT_SPEECH_BASE_URL",
                "must be an http(s) URL, such as https://api.openai.com/v1",
            ));
        }
    };
    let voices = get("ROLECHAT_TTS_VOICES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (language, voice) = pair.split_once('=').ok_or_else(|| {
                invalid(
                    "ROLECHAT_TTS_VOICES",
                    "must be language=voice pairs, such as ja-JP=jf_alpha",
                )
            })?;
            let language = crate::domain::language::Language::parse(language.trim())
                .map_err(|problem| invalid("ROLECHAT_TTS_VOICES", &problem))?;
            Ok((language, voice.trim().to_owned()))
        })
        .collect::<Result<_, ConfigError>>()?;
    let timeout = match get("ROLECHAT_SPEECH_TIMEOUT_SECONDS") {
        None => 20,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=300).contains(n))
            .ok_or_else(|| {
                invalid(
                    "ROLECHAT_SPEECH_TIMEOUT_SECONDS",
                    "must be a whole number from 1 to 300",
                )
            })?,
    };
    let speech = SpeechConfig {
        api_key: match (
            get("ROLECHAT_SPEECH_API_KEY"),
            get("ROLECHAT_SPEECH_KEY_SECRET_ARN"),
        ) {
            (Some(key), _) => Some(SecretSource::Value(key.into())),
            (None, Some(secret_id)) => Some(SecretSource::SecretsManager { secret_id }),
            (None, None) => None,
        },
        tts_model: get("ROLECHAT_TTS_MODEL").unwrap_or_else(|| DEFAULT_TTS_MODEL.into()),
        voice: get("ROLECHAT_TTS_VOICE").unwrap_or_else(|| DEFAULT_TTS_VOICE.into()),
        voices,
        stt_model: get("ROLECHAT_STT_MODEL").unwrap_or_else(|| DEFAULT_STT_MODEL.into()),
        timeout: Duration::from_secs(timeout),
        base_url,
    };
    let audio = AudioConfig {
        bucket: get("ROLECHAT_AUDIO_BUCKET"),
        dir: get("ROLECHAT_AUDIO_DIR").map(std::path::PathBuf::from),
        s3_endpoint: get("ROLECHAT_S3_ENDPOINT"),
    };
    if speech.base_url.is_some() && audio.bucket.is_none() && audio.dir.is_none() {
        return Err(invalid(
            "ROLECHAT_SPEECH_BASE_URL",
            "needs a place for the audio: ROLECHAT_AUDIO_BUCKET (S3) or ROLECHAT_AUDIO_DIR",
        ));
    }
    Ok((speech, audio))
}

/// `ROLECHAT_MAIL` (`off`, `ses`, or an SMTP URL) and what mail needs beside it.
fn mail_config(
    get: &impl Fn(&str) -> Option<String>,
    allowed_origins: &[HeaderValue],
) -> Result<crate::mail::MailConfig, ConfigError> {
    use crate::mail::{MailConfig, MailTransport};
    let transport = match get("ROLECHAT_MAIL").as_deref() {
        None | Some("off") => MailTransport::Off,
        Some("ses") => MailTransport::Ses,
        Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => {
            crate::mail::Mailer::smtp(url).map_err(|_| ConfigError::Invalid {
                name: "ROLECHAT_MAIL",
                problem: "is not an SMTP URL such as smtp://127.0.0.1:2525".into(),
            })?;
            MailTransport::Smtp(url.to_owned())
        }
        Some(_) => {
            return Err(ConfigError::Invalid {
                name: "ROLECHAT_MAIL",
                problem: "must be off, ses, or an SMTP URL (smtp://host:port)".into(),
            });
        }
    };
    let from = get("ROLECHAT_MAIL_FROM")
        .unwrap_or_else(|| "Rolechat <no-reply@rolechat.localhost>".into())
        .parse()
        .map_err(|_| ConfigError::Invalid {
            name: "ROLECHAT_MAIL_FROM",
            problem: "must be an address, such as Rolechat <no-reply@example.com>".into(),
        })?;
    let url = |name: &'static str, value: Option<String>| -> Result<Option<String>, ConfigError> {
        match value {
            None => Ok(None),
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Ok(Some(url.trim_end_matches('/').to_owned()))
            }
            Some(_) => Err(ConfigError::Invalid {
                name,
                problem: "must be an http(s) URL".into(),
            }),
        }
    };
    let first_origin = allowed_origins
        .first()
        .and_then(|origin| origin.to_str().ok())
        .map(str::to_owned);
    let site_url = url(
        "ROLECHAT_SITE_URL",
        get("ROLECHAT_SITE_URL").or(first_origin),
    )?;
    if transport != MailTransport::Off && site_url.is_none() {
        return Err(ConfigError::Invalid {
            name: "ROLECHAT_SITE_URL",
            problem: "is needed for the links in mail (or set ROLECHAT_ALLOWED_ORIGINS)".into(),
        });
    }
    let per_second = match get("ROLECHAT_MAIL_PER_SECOND") {
        None => 1,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or(ConfigError::Invalid {
                name: "ROLECHAT_MAIL_PER_SECOND",
                problem: "must be a whole number from 1 to 1000".into(),
            })?,
    };
    Ok(MailConfig {
        transport,
        from,
        configuration_set: get("ROLECHAT_SES_CONFIGURATION_SET"),
        ses_endpoint: url("ROLECHAT_SES_ENDPOINT", get("ROLECHAT_SES_ENDPOINT"))?,
        site_url: site_url.unwrap_or_default(),
        api_url: url("ROLECHAT_API_URL", get("ROLECHAT_API_URL"))?,
        per_second,
    })
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
        assert_eq!(config.jwt_secret.value(), Some(SECRET));
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
        assert!(matches!(
            &from_arn.jwt_secret,
            SecretSource::SecretsManager { secret_id } if secret_id == "arn:aws:secretsmanager:x"
        ));
    }

    #[test]
    fn the_model_key_is_secret() {
        let config = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("OPENAI_API_KEY", "sk-test-key-value"),
        ])
        .unwrap();
        assert_eq!(
            config.tutor.api_key.as_ref().and_then(SecretSource::value),
            Some("sk-test-key-value")
        );
        assert!(!format!("{config:?}").contains("sk-test-key-value"));
    }

    #[test]
    fn bedrock_is_a_provider_with_its_own_model() {
        let on_bedrock = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("ROLECHAT_MODEL_PROVIDER", "Bedrock"),
        ])
        .unwrap()
        .tutor;
        let bedrock = on_bedrock.bedrock.expect("the Bedrock tutor");
        assert_eq!(bedrock.model, crate::tutor::bedrock::DEFAULT_BEDROCK_MODEL);
        assert_eq!(bedrock.endpoint, None);
        let chosen = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("ROLECHAT_MODEL_PROVIDER", "bedrock"),
            (
                "ROLECHAT_BEDROCK_MODEL",
                "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ),
        ])
        .unwrap()
        .tutor;
        assert_eq!(
            chosen.bedrock.unwrap().model,
            "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        let openai = config(&[("ROLECHAT_JWT_SECRET", SECRET)]).unwrap().tutor;
        assert!(openai.bedrock.is_none());
    }

    #[test]
    fn the_model_provider_is_named_or_recognised() {
        use crate::tutor::provider::Provider;
        use crate::tutor::task::Task;
        let defaults = config(&[("ROLECHAT_JWT_SECRET", SECRET)]).unwrap().tutor;
        assert_eq!(defaults.provider, Provider::OpenAi);
        assert_eq!(defaults.model, "gpt-6-luna");
        assert_eq!(defaults.one_at_a_time, None);
        let local = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"),
            ("ROLECHAT_MAX_TOKENS", "250"),
            ("ROLECHAT_MODEL_TASKS", "report.max_tokens=4000"),
        ])
        .unwrap()
        .tutor;
        assert_eq!(local.provider, Provider::Ollama);
        assert_eq!(local.tasks.get(Task::Reply).max_tokens, 250);
        assert_eq!(local.tasks.get(Task::Report).max_tokens, 4000);
        let named = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("ROLECHAT_MODEL_PROVIDER", "LLAMA-CPP-PYTHON"),
            ("ROLECHAT_MODEL_ONE_AT_A_TIME", "false"),
        ])
        .unwrap()
        .tutor;
        assert_eq!(named.provider, Provider::LlamaCppPython);
        assert_eq!(named.one_at_a_time, Some(false));
    }

    #[test]
    fn speech_is_off_until_a_server_is_named_and_needs_a_place_for_its_audio() {
        use crate::domain::language::Language;
        let off = config(&[("ROLECHAT_JWT_SECRET", SECRET)]).unwrap();
        assert_eq!(off.speech.base_url, None);
        let no_place = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("ROLECHAT_SPEECH_BASE_URL", "http://127.0.0.1:8880/v1"),
        ]);
        assert!(matches!(
            no_place,
            Err(ConfigError::Invalid {
                name: "ROLECHAT_SPEECH_BASE_URL",
                ..
            })
        ));
        let on = config(&[
            ("ROLECHAT_JWT_SECRET", SECRET),
            ("ROLECHAT_SPEECH_BASE_URL", "http://127.0.0.1:8880/v1/"),
            ("ROLECHAT_AUDIO_DIR", "/tmp/audio"),
            ("ROLECHAT_TTS_VOICES", "ja-JP=jf_alpha, ko-KR=km_omega"),
            ("ROLECHAT_SPEECH_API_KEY", "sk-speech-key"),
        ])
        .unwrap();
        assert_eq!(
            on.speech.base_url.as_deref(),
            Some("http://127.0.0.1:8880/v1")
        );
        assert_eq!(on.speech.voice_for(Language::JaJp), "jf_alpha");
        assert_eq!(on.speech.voice_for(Language::FrFr), "coral");
        assert_eq!(on.speech.tts_model, "gpt-4o-mini-tts");
        assert!(!format!("{on:?}").contains("sk-speech-key"));
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
            ("ROLECHAT_DAILY_TURNS", "0"),
            ("ROLECHAT_MODEL_TIMEOUT_SECONDS", "soon"),
            ("ROLECHAT_HISTORY_MESSAGES", "-1"),
            ("ROLECHAT_MODEL_PROVIDER", "skynet"),
            ("ROLECHAT_MODEL_TASKS", "report.max_tokens=1"),
            ("ROLECHAT_MODEL_ONE_AT_A_TIME", "sometimes"),
            ("ROLECHAT_SPEECH_BASE_URL", "speaches.local"),
            ("ROLECHAT_TTS_VOICES", "ja-JP"),
            ("ROLECHAT_TTS_VOICES", "xx-XX=nova"),
        ] {
            let error = super::tests::config(&[("ROLECHAT_JWT_SECRET", SECRET), (name, value)]);
            assert!(
                matches!(error, Err(ConfigError::Invalid { .. })),
                "{name}={value}"
            );
        }
    }
}
