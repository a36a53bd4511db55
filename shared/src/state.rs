//! What a function builds once per execution environment, outside the handler.

use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use secrecy::{ExposeSecret, SecretString};

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::domain::cursor::CursorKeys;
use crate::domain::setting::{self, SecretSource};
use crate::store::{Store, Tables};
use crate::tutor::{ModelAccess, Tutor};

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenKeys,
    pub cursors: CursorKeys,
    pub tutor: Tutor,
    pub oauth: crate::oauth::OAuth,
    pub mailer: crate::mail::Mailer,
    /// The speech server (off when none is configured) and the cache of what it synthesized.
    pub speech: crate::speech::Speech,
    pub audio: crate::store::AudioCache,
    /// The time quotas, expiries and timestamps go by (the system's, except in tests).
    pub clock: crate::domain::time::Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] setting::ConfigError),
    #[error("could not read a secret from Secrets Manager: {0}")]
    Secret(String),
    #[error(
        "{0} is not set (Lambda sets it; elsewhere put the AWS region and credentials in the environment)"
    )]
    AwsEnvironment(&'static str),
}

impl AppState {
    /// `openai_key` is the model's API key; with none, the offline tutor answers.
    pub fn new(
        config: Config,
        store: Store,
        jwt_secret: &SecretString,
        openai_key: Option<SecretString>,
        clock: crate::domain::time::Clock,
    ) -> Arc<Self> {
        let mailer = local_mailer(&config.mail);
        Self::with_mailer(config, store, jwt_secret, openai_key, clock, mailer)
    }

    /// [`AppState::new`] with the mailer given (SES, which needs the AWS access).
    pub fn with_mailer(
        config: Config,
        store: Store,
        jwt_secret: &SecretString,
        openai_key: Option<SecretString>,
        clock: crate::domain::time::Clock,
        mailer: crate::mail::Mailer,
    ) -> Arc<Self> {
        let audio = local_audio(&config);
        let model = ModelAccess::local(&config, openai_key);
        Self::with_parts(config, store, jwt_secret, model, clock, mailer, audio)
    }

    /// [`AppState::with_mailer`] with the audio cache and the model's access given (S3 and
    /// Bedrock need the AWS access).
    pub fn with_parts(
        config: Config,
        store: Store,
        jwt_secret: &SecretString,
        model: ModelAccess,
        clock: crate::domain::time::Clock,
        mailer: crate::mail::Mailer,
        audio: crate::store::AudioCache,
    ) -> Arc<Self> {
        // The speech server's own key, or the model's (one OpenAI account for both).
        let speech_key = match &config.speech.api_key {
            Some(SecretSource::Value(key)) => Some(key.clone()),
            Some(SecretSource::SecretsManager { .. }) => None,
            None => match &model {
                ModelAccess::Key(key) => key.clone(),
                ModelAccess::Bedrock(_) => None,
            },
        };
        let speech = crate::speech::Speech::new(config.speech.clone(), speech_key);
        let tokens = TokenKeys::new(jwt_secret.expose_secret().as_bytes());
        let cursors = CursorKeys::new(jwt_secret.expose_secret().as_bytes());
        let tutor = Tutor::new(&config.tutor, model);
        let oauth = crate::oauth::OAuth::new(config.oauth.clone());
        Arc::new(AppState {
            speech,
            audio,
            mailer,
            oauth,
            config,
            store,
            tokens,
            cursors,
            tutor,
            clock,
        })
    }

    /// Reads the configuration, builds the AWS clients and fetches the signing key: once, at
    /// cold start.
    pub async fn from_env() -> Result<Arc<Self>, StartupError> {
        Self::from_config(Config::from_env()?).await
    }

    /// [`AppState::from_env`] from a configuration already read (the one-process server's, with
    /// its embedded DynamoDB's endpoint and the data directory's signing key added).
    pub async fn from_config(config: Config) -> Result<Arc<Self>, StartupError> {
        let endpoint = config.dynamodb_endpoint.as_deref();
        let aws = AwsAccess::find(endpoint).await?;
        let dynamodb = aws.dynamodb(endpoint);
        let secret = match &config.jwt_secret {
            SecretSource::Value(value) => value.clone(),
            SecretSource::SecretsManager { secret_id } => {
                let secret = read_secret(&aws, secret_id).await?;
                setting::check_secret_length("ROLECHAT_JWT_SECRET_ARN", secret.expose_secret())?;
                secret
            }
        };
        // A Bedrock deployment reads no key: its role is the credential.
        let model = match (&config.tutor.bedrock, &config.tutor.api_key) {
            (Some(bedrock), _) => {
                ModelAccess::Bedrock(Box::new(aws.bedrock(bedrock.endpoint.as_deref())))
            }
            (None, None) => ModelAccess::Key(None),
            (None, Some(SecretSource::Value(key))) => ModelAccess::Key(Some(key.clone())),
            (None, Some(SecretSource::SecretsManager { secret_id })) => {
                ModelAccess::Key(Some(read_secret(&aws, secret_id).await?))
            }
        };
        let mut config = config;
        if let Some(SecretSource::SecretsManager { secret_id }) = config.speech.api_key.clone() {
            config.speech.api_key = Some(SecretSource::Value(read_secret(&aws, &secret_id).await?));
        }
        if let Some(secret_id) = config.oauth.secrets_arn.clone() {
            let secrets = read_secret(&aws, &secret_id).await?;
            config.oauth = config
                .oauth
                .with_secrets(secrets.expose_secret())
                .map_err(StartupError::Secret)?;
        }
        let store = Store::new(dynamodb, Tables::with_prefix(&config.table_prefix));
        let clock = match &config.clock_file {
            Some(path) => crate::domain::time::Clock::from_file(path.clone()),
            None => crate::domain::time::Clock::system(),
        };
        let mailer = match &config.mail.transport {
            crate::mail::MailTransport::Ses => crate::mail::Mailer::ses(
                aws.ses(config.mail.ses_endpoint.as_deref())?,
                config.mail.configuration_set.clone(),
            ),
            _ => local_mailer(&config.mail),
        };
        // The bucket is used whenever it is named: the deletion worker deletes what speech kept
        // even after speech was turned off.
        let audio = match &config.audio.bucket {
            Some(bucket) => crate::store::AudioCache::S3 {
                client: aws.s3(config.audio.s3_endpoint.as_deref()),
                bucket: bucket.clone(),
            },
            _ => local_audio(&config),
        };
        Ok(AppState::with_parts(
            config, store, &secret, model, clock, mailer, audio,
        ))
    }

    /// `from_env` for functions that read no token and call no model (`health`, `fallback`):
    /// they fetch no secret, so their roles may read none. Their signing key is a throwaway that
    /// no token was ever signed with.
    pub async fn from_env_without_secrets() -> Result<Arc<Self>, StartupError> {
        let throwaway: SecretString = format!("{}{}", ulid::Ulid::new(), ulid::Ulid::new()).into();
        let config = Config::from_lookup(|name| match name {
            "ROLECHAT_JWT_SECRET" => Some(throwaway.expose_secret().to_owned()),
            "ROLECHAT_JWT_SECRET_ARN"
            | "OPENAI_API_KEY"
            | "ROLECHAT_OPENAI_KEY_SECRET_ARN"
            | "ROLECHAT_MODEL_PROVIDER"
            | "ROLECHAT_OAUTH_SECRETS_ARN" => None,
            _ => std::env::var(name).ok(),
        })?;
        let endpoint = config.dynamodb_endpoint.as_deref();
        let dynamodb = AwsAccess::find(endpoint).await?.dynamodb(endpoint);
        let store = Store::new(dynamodb, Tables::with_prefix(&config.table_prefix));
        Ok(AppState::new(
            config,
            store,
            &throwaway,
            None,
            crate::domain::time::Clock::system(),
        ))
    }
}

/// Where a function's AWS clients get their region and credentials.
///
/// In Lambda they are in the environment, and are read from there directly: no provider chain
/// (profiles, SSO, STS, instance metadata) is built or linked for what Lambda always hands over
/// this way. A build with the `aws-profiles` feature (`make api` with `AWS_PROFILE` set) uses
/// `aws-config`'s whole chain instead, so the local stack can reach a real table with a profile
/// or SSO.
#[derive(Debug, Clone)]
enum AwsAccess {
    /// A local DynamoDB-compatible endpoint, which takes any credentials.
    Local,
    #[cfg_attr(feature = "aws-profiles", allow(dead_code))]
    Environment {
        region: Region,
        credentials: Credentials,
    },
    #[cfg(feature = "aws-profiles")]
    Chain(aws_config::SdkConfig),
}

impl AwsAccess {
    async fn find(endpoint: Option<&str>) -> Result<Self, StartupError> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let has_credentials = var("AWS_ACCESS_KEY_ID").is_some() || var("AWS_PROFILE").is_some();
        if endpoint.is_some() && !has_credentials {
            return Ok(AwsAccess::Local);
        }
        #[cfg(feature = "aws-profiles")]
        {
            let loader = aws_config::defaults(BehaviorVersion::latest());
            Ok(AwsAccess::Chain(loader.load().await))
        }
        #[cfg(not(feature = "aws-profiles"))]
        {
            let region = var("AWS_REGION")
                .or_else(|| var("AWS_DEFAULT_REGION"))
                .ok_or(StartupError::AwsEnvironment("AWS_REGION"))?;
            let key = var("AWS_ACCESS_KEY_ID")
                .ok_or(StartupError::AwsEnvironment("AWS_ACCESS_KEY_ID"))?;
            let secret = var("AWS_SECRET_ACCESS_KEY")
                .ok_or(StartupError::AwsEnvironment("AWS_SECRET_ACCESS_KEY"))?;
            let token = var("AWS_SESSION_TOKEN");
            Ok(AwsAccess::Environment {
                region: Region::new(region),
                credentials: Credentials::new(key, secret, token, None, "environment"),
            })
        }
    }

    fn dynamodb(&self, endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
        let mut builder = match self {
            AwsAccess::Local => {
                let endpoint = endpoint.expect("local access is chosen only with an endpoint");
                return local_dynamodb_client(endpoint);
            }
            AwsAccess::Environment {
                region,
                credentials,
            } => aws_sdk_dynamodb::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region.clone())
                .credentials_provider(credentials.clone()),
            #[cfg(feature = "aws-profiles")]
            AwsAccess::Chain(config) => aws_sdk_dynamodb::config::Builder::from(config),
        };
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        aws_sdk_dynamodb::Client::from_conf(builder.build())
    }

    fn ses(&self, endpoint: Option<&str>) -> Result<aws_sdk_sesv2::Client, StartupError> {
        let mut builder = match self {
            AwsAccess::Local => aws_sdk_sesv2::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("local", "local", None, None, "local")),
            AwsAccess::Environment {
                region,
                credentials,
            } => aws_sdk_sesv2::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region.clone())
                .credentials_provider(credentials.clone()),
            #[cfg(feature = "aws-profiles")]
            AwsAccess::Chain(config) => aws_sdk_sesv2::config::Builder::from(config),
        };
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(aws_sdk_sesv2::Client::from_conf(builder.build()))
    }

    fn s3(&self, endpoint: Option<&str>) -> aws_sdk_s3::Client {
        let mut builder = match self {
            AwsAccess::Local => local_s3_config(),
            AwsAccess::Environment {
                region,
                credentials,
            } => aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region.clone())
                .credentials_provider(credentials.clone()),
            #[cfg(feature = "aws-profiles")]
            AwsAccess::Chain(config) => aws_sdk_s3::config::Builder::from(config),
        };
        if let Some(endpoint) = endpoint {
            // S3-compatible servers other than AWS's take the bucket in the path.
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }

    fn bedrock(&self, endpoint: Option<&str>) -> aws_sdk_bedrockruntime::config::Builder {
        let builder = match self {
            AwsAccess::Local => local_bedrock_config(),
            AwsAccess::Environment {
                region,
                credentials,
            } => aws_sdk_bedrockruntime::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region.clone())
                .credentials_provider(credentials.clone()),
            #[cfg(feature = "aws-profiles")]
            AwsAccess::Chain(config) => aws_sdk_bedrockruntime::config::Builder::from(config),
        };
        match endpoint {
            Some(endpoint) => builder.endpoint_url(endpoint),
            None => builder,
        }
    }

    fn secrets_manager(&self) -> Result<aws_sdk_secretsmanager::Client, StartupError> {
        let config = match self {
            AwsAccess::Local => {
                return Err(StartupError::AwsEnvironment("AWS_ACCESS_KEY_ID"));
            }
            AwsAccess::Environment {
                region,
                credentials,
            } => aws_sdk_secretsmanager::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region.clone())
                .credentials_provider(credentials.clone())
                .build(),
            #[cfg(feature = "aws-profiles")]
            AwsAccess::Chain(config) => aws_sdk_secretsmanager::Config::from(config),
        };
        Ok(aws_sdk_secretsmanager::Client::from_conf(config))
    }
}

impl ModelAccess {
    /// The access of a process that needs no AWS credentials: the key, or a Bedrock stand-in
    /// (`ROLECHAT_BEDROCK_ENDPOINT`, which takes any credentials).
    pub fn local(config: &Config, openai_key: Option<SecretString>) -> ModelAccess {
        match &config.tutor.bedrock {
            Some(bedrock) => ModelAccess::Bedrock(Box::new(
                AwsAccess::Local.bedrock(bedrock.endpoint.as_deref()),
            )),
            None => ModelAccess::Key(openai_key),
        }
    }
}

/// A Bedrock client's configuration for a local stand-in: a fixed region and credentials.
pub fn local_bedrock_config() -> aws_sdk_bedrockruntime::config::Builder {
    aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "local"))
}

/// The mailer of a configuration that needs no AWS access: SMTP, none, or SES at a local
/// stand-in (`ROLECHAT_SES_ENDPOINT`, which takes any credentials).
pub fn local_mailer(config: &crate::mail::MailConfig) -> crate::mail::Mailer {
    use crate::mail::{MailTransport, Mailer};
    match &config.transport {
        MailTransport::Off => Mailer::Off,
        // Checked when the configuration was read.
        MailTransport::Smtp(url) => Mailer::smtp(url).unwrap_or(Mailer::Off),
        MailTransport::Ses => match AwsAccess::Local.ses(config.ses_endpoint.as_deref()) {
            Ok(client) => Mailer::ses(client, config.configuration_set.clone()),
            Err(_) => Mailer::Off,
        },
    }
}

/// The audio cache of a configuration that needs no AWS access: a directory, none, or a bucket
/// at a local S3-compatible endpoint (`ROLECHAT_S3_ENDPOINT`, which takes any credentials).
pub fn local_audio(config: &Config) -> crate::store::AudioCache {
    use crate::store::AudioCache;
    match (&config.audio.bucket, &config.audio.dir) {
        (Some(bucket), _) => AudioCache::S3 {
            client: AwsAccess::Local.s3(config.audio.s3_endpoint.as_deref()),
            bucket: bucket.clone(),
        },
        (None, Some(dir)) => AudioCache::Dir(dir.clone()),
        (None, None) => AudioCache::Off,
    }
}

/// The configuration of an S3 client for a local S3-compatible endpoint, which accepts any
/// credentials (callers add the endpoint, and may add an interceptor).
pub fn local_s3_config() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "local"))
}

/// A DynamoDB client for `endpoint` (any DynamoDB-compatible server, or a real table) with the
/// credentials the environment gives, or the local ones when it gives none.
pub async fn dynamodb_client_for(endpoint: &str) -> Result<aws_sdk_dynamodb::Client, StartupError> {
    dynamodb_client(Some(endpoint)).await
}

/// A DynamoDB client for `endpoint`, or for AWS's DynamoDB in the environment's Region with its
/// credentials when there is none.
pub async fn dynamodb_client(
    endpoint: Option<&str>,
) -> Result<aws_sdk_dynamodb::Client, StartupError> {
    Ok(AwsAccess::find(endpoint).await?.dynamodb(endpoint))
}

/// A client for a local DynamoDB-compatible endpoint, which accepts any credentials. Building it
/// without the default provider chain avoids probing for AWS credentials that do not exist.
pub fn local_dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(local_dynamodb_config(endpoint).build())
}

/// The configuration of [`local_dynamodb_client`], for callers that add to it (an interceptor).
pub fn local_dynamodb_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let credentials = Credentials::new("local", "local", None, None, "rolechat-local");
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
}

async fn read_secret(aws: &AwsAccess, secret_id: &str) -> Result<SecretString, StartupError> {
    let output = aws
        .secrets_manager()?
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            StartupError::Secret(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string())
        })?;
    let secret = output
        .secret_string()
        .ok_or_else(|| StartupError::Secret("the secret has no string value".into()))?
        .trim()
        .to_owned();
    Ok(secret.into())
}
