//! Sending mail: Amazon SES v2 in AWS (the raw message, so every header goes as built), SMTP
//! elsewhere (the local stack's mail server, or a deployer's own relay), or nowhere.
//!
//! The messages themselves (multipart text and HTML, in the learner's language) are built in
//! [`letters`].

pub mod letters;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

pub use letters::Letter;

/// Where mail goes (`ROLECHAT_MAIL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// No mail is sent: the account works, but recovery and reminders are not offered.
    Off,
    /// An SMTP server, as a URL (`smtp://127.0.0.1:2525`, `smtp://user:pass@host:587?tls=required`).
    Smtp(String),
    /// Amazon SES v2 in the function's region, with the function's role.
    Ses,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// `ROLECHAT_MAIL_FROM`: the sender, `Rolechat <no-reply@example.com>`; in SES, a verified
    /// identity.
    pub from: Mailbox,
    /// `ROLECHAT_SES_CONFIGURATION_SET`: the set whose bounces and complaints reach the
    /// `mail-events` function.
    pub configuration_set: Option<String>,
    /// `ROLECHAT_SES_ENDPOINT`: another SES endpoint (a local stand-in speaking its API).
    pub ses_endpoint: Option<String>,
    /// `ROLECHAT_SITE_URL`: where links in mail lead (the first allowed origin by default).
    pub site_url: String,
    /// `ROLECHAT_API_URL`: the API's public address, for the one-click unsubscribe (RFC 8058).
    pub api_url: Option<String>,
    /// `ROLECHAT_MAIL_PER_SECOND`: the most mails the scheduled run sends a second (SES's
    /// sending rate; 1 in its sandbox, 14 when production access starts).
    pub per_second: u32,
}

/// Why a mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Mail is off in this deployment.
    #[error("mail is not configured")]
    Off,
    /// The service refused this message for good (an address it will not send to): sending it
    /// again would fail again.
    #[error("the mail was refused: {0}")]
    Refused(String),
    /// The service will send nothing as this deployment is set up (the sender's identity not
    /// verified, a recipient outside SES's sandbox, the account suspended): its operator must
    /// act; the message may go once they have.
    #[error("the mail service refuses this deployment's mail: {0}")]
    Misconfigured(String),
    /// The service could not take it now (throttled, unreachable): it may go later.
    #[error("the mail service is unavailable: {0}")]
    Unavailable(String),
    #[error("the mail could not be built: {0}")]
    Build(String),
}

/// The sender of a function, built once at cold start.
#[derive(Clone)]
pub enum Mailer {
    Off,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Ses {
        client: aws_sdk_sesv2::Client,
        configuration_set: Option<String>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::Off => "Mailer::Off",
            Mailer::Smtp(_) => "Mailer::Smtp",
            Mailer::Ses { .. } => "Mailer::Ses",
        })
    }
}

/// How long one mail may take to hand over: a request never waits on a stuck server for longer.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);

impl Mailer {
    /// The SMTP sender of `url`; the URL was checked with the configuration.
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| MailError::Build(error.to_string()))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Mailer::Smtp(transport))
    }

    pub fn ses(client: aws_sdk_sesv2::Client, configuration_set: Option<String>) -> Self {
        Mailer::Ses {
            client,
            configuration_set,
        }
    }

    pub fn is_off(&self) -> bool {
        matches!(self, Mailer::Off)
    }

    /// Sends one letter from `from`. Never logs the letter's body: it may hold a one-time link.
    #[tracing::instrument(name = "mail.send", skip_all, fields(kind = letter.kind))]
    pub async fn send(&self, from: &Mailbox, letter: &Letter) -> Result<(), MailError> {
        let message = letter.message(from)?;
        match self {
            Mailer::Off => Err(MailError::Off),
            Mailer::Smtp(transport) => {
                match tokio::time::timeout(SEND_TIMEOUT, transport.send(message)).await {
                    Err(_) => Err(MailError::Unavailable(
                        "the SMTP server did not answer".into(),
                    )),
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) if error.is_permanent() => {
                        Err(MailError::Refused(error.to_string()))
                    }
                    Ok(Err(error)) => Err(MailError::Unavailable(error.to_string())),
                }
            }
            Mailer::Ses {
                client,
                configuration_set,
            } => send_ses(client, configuration_set.as_deref(), &message).await,
        }
    }
}

async fn send_ses(
    client: &aws_sdk_sesv2::Client,
    configuration_set: Option<&str>,
    message: &lettre::Message,
) -> Result<(), MailError> {
    use aws_sdk_sesv2::error::ProvideErrorMetadata;
    use aws_sdk_sesv2::primitives::Blob;
    use aws_sdk_sesv2::types::{EmailContent, RawMessage};

    let raw = RawMessage::builder()
        .data(Blob::new(message.formatted()))
        .build()
        .map_err(|error| MailError::Build(error.to_string()))?;
    let request = client
        .send_email()
        .content(EmailContent::builder().raw(raw).build())
        .set_configuration_set_name(configuration_set.map(str::to_owned));
    match tokio::time::timeout(SEND_TIMEOUT, request.send()).await {
        Err(_) => Err(MailError::Unavailable("SES did not answer in time".into())),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => {
            let code = error.code().unwrap_or_default().to_owned();
            let text = aws_sdk_sesv2::error::DisplayErrorContext(&error).to_string();
            // SES refuses a message synchronously only for how the deployment is set up (an
            // unverified sender, a sandboxed account's unverified recipient, a configuration set
            // that is not there, a suspended account): a bad recipient bounces later, through
            // `mail-events`. A malformed request is ours. Throttling, a paused account and the
            // network pass.
            match code.as_str() {
                "MessageRejected"
                | "MailFromDomainNotVerifiedException"
                | "AccountSuspendedException"
                | "NotFoundException" => Err(MailError::Misconfigured(format!("{code}: {text}"))),
                "BadRequestException" => Err(MailError::Build(format!("{code}: {text}"))),
                _ => Err(MailError::Unavailable(text)),
            }
        }
    }
}
