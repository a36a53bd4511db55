//! The local mail server of the tests: aiosmtpd (a real SMTP server, from the project's `.venv`)
//! keeping each mail it receives in a Maildir, which the tests read back and parse.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct MailServer {
    /// `smtp://127.0.0.1:{port}`, for `ROLECHAT_MAIL`.
    pub url: String,
    pub maildir: PathBuf,
}

/// One mail as received: its envelope recipient, headers and decoded parts.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Mail {
    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let at = self.text.find(prefix)?;
        let rest = &self.text[at..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }

    /// The `token` parameter of the first link starting with `prefix`.
    pub fn token(&self, prefix: &str) -> Option<String> {
        let link = self.link(prefix)?;
        let (_, token) = link.split_once("token=")?;
        Some(token.split('&').next()?.to_owned())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let message = mail_parser::MessageParser::default().parse(self.raw.as_bytes())?;
        message
            .header_raw(name)
            .map(|value| value.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// The mail server of this test run, started on first use; it ends with the test process.
pub fn mail_server() -> &'static MailServer {
    static SERVER: OnceLock<MailServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "the local mail server is installed by `make tools` (aiosmtpd in .venv)"
        );
        let port = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        // aiosmtpd makes the Maildir itself, and only where nothing is yet.
        let maildir = std::env::temp_dir().join(format!("rolechat-mail-{}", ulid::Ulid::new()));
        let mut command = std::process::Command::new(python);
        command.args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ]);
        command.arg(&maildir);
        crate::spawn_for_this_process(command);
        crate::wait_for_port(port, 20, "the mail server");
        MailServer {
            url: format!("smtp://127.0.0.1:{port}"),
            maildir,
        }
    })
}

impl MailServer {
    /// Every mail received for `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        read_maildir(&self.maildir)
            .into_iter()
            .filter(|mail| mail.to.eq_ignore_ascii_case(to))
            .collect()
    }

    /// Waits up to five seconds for the `count`th mail to `to`.
    pub async fn wait_for(&self, to: &str, count: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let mails = self.mails_to(to);
            if mails.len() >= count || started.elapsed() > Duration::from_secs(5) {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The mails of a Maildir (`new/`), in the order received.
pub fn read_maildir(maildir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let modified = entry.metadata().ok()?.modified().ok()?;
            Some((modified, entry.path()))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|(_, path)| std::fs::read(path).ok())
        .filter_map(|bytes| parse(&bytes))
        .collect()
}

fn parse(bytes: &[u8]) -> Option<Mail> {
    let message = mail_parser::MessageParser::default().parse(bytes)?;
    let to = message
        .header_raw("X-RcptTo")
        .unwrap_or_default()
        .trim()
        .to_owned();
    Some(Mail {
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        html: message.body_html(0).unwrap_or_default().into_owned(),
        raw: String::from_utf8_lossy(bytes).into_owned(),
    })
}
