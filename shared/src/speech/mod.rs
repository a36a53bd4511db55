//! Speech through an OpenAI-compatible audio API: text to speech (`POST /audio/speech`) and
//! speech to text (`POST /audio/transcriptions`, multipart), at a base URL, key and models of
//! their own, so a deployer can use OpenAI, Groq, or a self-hosted server (Speaches,
//! Kokoro-FastAPI). Knows nothing of rooms or users: it is handed text and audio.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::domain::language::{Language, Level};
use crate::domain::setting::SecretSource;
use crate::domain::speech::Speed;

/// OpenAI's current speech model: steerable by instructions, $0.60 per million input tokens and
/// $12 per million audio tokens (about 1.5 ¢ a minute of speech).
pub const DEFAULT_TTS_MODEL: &str = "gpt-4o-mini-tts";
pub const DEFAULT_TTS_VOICE: &str = "coral";
/// OpenAI's cheaper transcription model (0.3 ¢ a minute), which takes the language as a hint.
pub const DEFAULT_STT_MODEL: &str = "gpt-4o-mini-transcribe";

#[derive(Debug, Clone)]
pub struct SpeechConfig {
    /// `ROLECHAT_SPEECH_BASE_URL`: the audio API (`…/v1`); unset, the browser's own speech is
    /// used and the server synthesizes and transcribes nothing.
    pub base_url: Option<String>,
    /// `ROLECHAT_SPEECH_API_KEY` or `ROLECHAT_SPEECH_KEY_SECRET_ARN`; with neither, the model's
    /// key (the same OpenAI account).
    pub api_key: Option<SecretSource>,
    /// `ROLECHAT_TTS_MODEL`, `ROLECHAT_TTS_VOICE`.
    pub tts_model: String,
    pub voice: String,
    /// `ROLECHAT_TTS_VOICES`: a voice per conversation language (`ja-JP=jf_alpha,…`), for servers
    /// whose voices speak one language each (Kokoro).
    pub voices: BTreeMap<Language, String>,
    /// `ROLECHAT_STT_MODEL`.
    pub stt_model: String,
    /// `ROLECHAT_SPEECH_TIMEOUT_SECONDS`: one request's limit (20 s by default).
    pub timeout: Duration,
}

impl SpeechConfig {
    pub fn voice_for(&self, language: Language) -> &str {
        self.voices.get(&language).unwrap_or(&self.voice)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpeechError {
    #[error("no speech server is configured")]
    Off,
    #[error("the speech server did not answer in time")]
    Timeout,
    /// Throttled, down, or unreachable: worth another try later.
    #[error("the speech server is unavailable: {0}")]
    Unavailable(String),
    /// The server refuses this deployment's requests (key, model, voice): the operator's to fix.
    #[error("the speech server refuses this deployment's requests: {0}")]
    Misconfigured(String),
    /// The server could not use the learner's recording.
    #[error("the speech server could not use the recording: {0}")]
    Rejected(String),
}

/// Audio the server made, with its media type.
#[derive(Debug, Clone)]
pub struct Synthesis {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

pub const AUDIO_FORMAT: &str = "mp3";
pub const AUDIO_TYPE: &str = "audio/mpeg";

pub struct Speech {
    /// Built on first use: most functions never speak, and pay nothing for it at cold start.
    http: std::sync::OnceLock<reqwest::Client>,
    config: SpeechConfig,
    key: Option<SecretString>,
}

impl std::fmt::Debug for Speech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speech")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

/// How the tutor's voice is asked to speak: as a patient teacher would for the learner's level.
/// Only models that take instructions get them (OpenAI's `gpt-…-tts`).
pub fn instructions(language: Language, level: Level) -> String {
    let pace = match level {
        Level::A1 | Level::A2 => {
            "Speak slowly and very clearly, with a short pause between phrases, as a patient teacher speaks to a beginner."
        }
        Level::B1 | Level::B2 => {
            "Speak clearly at a relaxed, natural pace, as a friendly teacher speaks to an intermediate learner."
        }
        Level::C1 | Level::C2 => {
            "Speak naturally, at the pace of a native speaker in conversation."
        }
    };
    format!(
        "You are voicing a character in a role-play for a learner of {}. Use a standard accent. {pace} Read the text exactly as written.",
        language.english_name()
    )
}

impl Speech {
    pub fn new(config: SpeechConfig, key: Option<SecretString>) -> Self {
        Speech {
            http: std::sync::OnceLock::new(),
            config,
            key,
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(self.config.timeout.min(Duration::from_secs(5)))
                .timeout(self.config.timeout)
                .build()
                .expect("a client with timeouts builds")
        })
    }

    pub fn enabled(&self) -> bool {
        self.config.base_url.is_some()
    }

    pub fn config(&self) -> &SpeechConfig {
        &self.config
    }

    fn url(&self, path: &str) -> Result<String, SpeechError> {
        let base = self.config.base_url.as_deref().ok_or(SpeechError::Off)?;
        Ok(format!("{}/{path}", base.trim_end_matches('/')))
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(key) => request.bearer_auth(key.expose_secret()),
            None => request,
        }
    }

    /// The line as audio (MP3), in the language's voice, at `speed`.
    #[tracing::instrument(name = "speech.synthesize", skip_all, fields(chars = text.chars().count()))]
    pub async fn synthesize(
        &self,
        text: &str,
        language: Language,
        level: Level,
        speed: Speed,
    ) -> Result<Synthesis, SpeechError> {
        let url = self.url("audio/speech")?;
        let mut body = json!({
            "model": self.config.tts_model,
            "input": text,
            "voice": self.config.voice_for(language),
            "response_format": AUDIO_FORMAT,
            "speed": speed.factor(),
        });
        if self.config.tts_model.starts_with("gpt-") {
            body["instructions"] = instructions(language, level).into();
        }
        let bytes = self
            .send(|| self.authorized(self.http().post(&url)).json(&body))
            .await?;
        // A server that answers 200 with no audio (or an error page) has not spoken.
        if bytes.len() < 64 {
            return Err(SpeechError::Unavailable(format!(
                "the audio has {} bytes",
                bytes.len()
            )));
        }
        Ok(Synthesis {
            bytes,
            content_type: AUDIO_TYPE,
        })
    }

    /// What the recording (a WAV) says, heard as `language`.
    #[tracing::instrument(name = "speech.transcribe", skip_all, fields(bytes = wav.len()))]
    pub async fn transcribe(&self, wav: &[u8], language: Language) -> Result<String, SpeechError> {
        let url = self.url("audio/transcriptions")?;
        let code = language.code().split('-').next().unwrap_or("en").to_owned();
        let bytes = self
            .send(|| {
                // The file's name carries its format: the services read the extension.
                let file = reqwest::multipart::Part::bytes(wav.to_vec())
                    .file_name("speech.wav")
                    .mime_str("audio/wav")
                    .expect("a fixed media type parses");
                let form = reqwest::multipart::Form::new()
                    .part("file", file)
                    .text("model", self.config.stt_model.clone())
                    .text("language", code.clone())
                    .text("response_format", "json");
                self.authorized(self.http().post(&url)).multipart(form)
            })
            .await?;
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|_| SpeechError::Unavailable("the transcription is not JSON".into()))?;
        answer
            .get("text")
            .and_then(Value::as_str)
            .map(|text| text.trim().to_owned())
            .ok_or_else(|| SpeechError::Unavailable("the transcription has no text".into()))
    }

    /// Sends a request, once more after a short wait when the server was busy or failed.
    async fn send(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, SpeechError> {
        let mut last = SpeechError::Unavailable("not tried".into());
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            let response = match request().send().await {
                Ok(response) => response,
                Err(error) if error.is_timeout() => return Err(SpeechError::Timeout),
                Err(error) => {
                    last = SpeechError::Unavailable(error.to_string());
                    continue;
                }
            };
            let status = response.status();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(error) if error.is_timeout() => return Err(SpeechError::Timeout),
                Err(error) => {
                    last = SpeechError::Unavailable(error.to_string());
                    continue;
                }
            };
            if status.is_success() {
                return Ok(body.to_vec());
            }
            let message = error_message(&body);
            last = match status.as_u16() {
                429 | 500..=599 => SpeechError::Unavailable(format!("{status}: {message}")),
                400 | 413 | 415 | 422 if about_audio(&message) => {
                    return Err(SpeechError::Rejected(message));
                }
                _ => return Err(SpeechError::Misconfigured(format!("{status}: {message}"))),
            };
        }
        Err(last)
    }
}

/// The server's own words: OpenAI's `{"error": {"message"}}`, FastAPI's `{"detail"}`, or the text.
fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    parsed
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("detail"))
                .or_else(|| v.get("message"))
        })
        .map(|m| {
            m.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| m.to_string())
        })
        .unwrap_or_else(|| text.chars().take(300).collect())
}

/// Whether a refusal is about the recording rather than the request's settings.
fn about_audio(message: &str) -> bool {
    let message = message.to_lowercase();
    [
        "audio",
        "file format",
        "decode",
        "too short",
        "corrupt",
        "duration",
    ]
    .iter()
    .any(|word| message.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_read_in_the_servers_words() {
        let openai = br#"{"error": {"message": "Audio file is too short. Minimum audio length is 0.1 seconds.", "type": "invalid_request_error", "param": "file", "code": "audio_too_short"}}"#;
        assert!(about_audio(&error_message(openai)));
        let fastapi = br#"{"detail": "Invalid voice: xx"}"#;
        assert_eq!(error_message(fastapi), "Invalid voice: xx");
        assert!(!about_audio("Invalid voice: xx"));
    }

    #[test]
    fn beginners_hear_a_slower_clearer_voice() {
        assert!(instructions(Language::JaJp, Level::A1).contains("slowly"));
        assert!(instructions(Language::JaJp, Level::A1).contains("Japanese"));
        assert!(!instructions(Language::FrFr, Level::C1).contains("slowly"));
    }
}
