//! A stand-in for OpenAI's audio API, strict as it is: `POST /v1/audio/speech` (JSON in, real MP3
//! out: espeak-ng speaks the text, LAME encodes it, so the audio has the length speech of that
//! text has) and `POST /v1/audio/transcriptions` (multipart in, JSON out). It refuses what OpenAI
//! refuses, in its words: a wrong key, an unknown model or voice, a speed out of range, input over
//! 4,096 characters, a file whose name has no supported extension or whose bytes are not that
//! format (`Invalid file format. Supported formats: [...]`), audio under 0.1 s, over 25 MB, a
//! language that is not ISO-639-1, a `response_format` the model lacks. It answers after the
//! delays OpenAI's users measure (about 300 ms to the speech, 200 ms plus 5% of the audio's length
//! to a transcript), fails on demand, and keeps every request for the tests to read.
//!
//! What a transcription says cannot come from recognising speech here: a test queues the text
//! (`script`), and the fake checks that what it was sent is a real recording that holds sound.
//! With nothing queued, a recording with sound is heard as `(N.N seconds of speech)`, one with
//! none as `""` (as Whisper hears silence).

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub const KEY: &str = "sk-speech-test-key";
const TTS_MODELS: &[&str] = &[
    "tts-1",
    "tts-1-hd",
    "gpt-4o-mini-tts",
    "gpt-4o-mini-tts-2025-12-15",
];
const STT_MODELS: &[&str] = &[
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
];
const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse",
    "marin", "cedar",
];
const FORMATS: &str = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";
const ISO_639_1: &[&str] = &[
    "af", "ar", "hy", "az", "be", "bs", "bg", "ca", "zh", "hr", "cs", "da", "nl", "en", "et", "fi",
    "fr", "gl", "de", "el", "he", "hi", "hu", "is", "id", "it", "ja", "kn", "kk", "ko", "lv", "lt",
    "mk", "ms", "mr", "mi", "ne", "no", "fa", "pl", "pt", "ro", "ru", "sr", "sk", "sl", "es", "sw",
    "sv", "tl", "ta", "th", "tr", "uk", "ur", "vi", "cy",
];
const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;

/// A request the fake took, as the tests read it.
#[derive(Debug, Clone)]
pub enum SpeechRequest {
    Speech {
        body: Value,
        bytes_out: usize,
    },
    Transcription {
        model: String,
        language: Option<String>,
        file_name: String,
        seconds: f64,
        bytes: usize,
    },
}

#[derive(Default)]
struct Shared {
    transcripts: VecDeque<String>,
    /// Statuses the next requests get (429, 500, 503), one each.
    failures: VecDeque<u16>,
    requests: Vec<SpeechRequest>,
    /// Added to each answer's delay.
    extra_delay: Duration,
}

#[derive(Clone)]
pub struct FakeSpeech {
    /// The base URL the service is configured with (`…/v1`).
    pub url: String,
    shared: Arc<Mutex<Shared>>,
}

fn refuse(status: StatusCode, message: &str, param: Option<&str>, code: Option<&str>) -> Response {
    let kind = if status == StatusCode::UNAUTHORIZED {
        "invalid_request_error"
    } else if status.is_server_error() {
        "server_error"
    } else {
        "invalid_request_error"
    };
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "param": param, "code": code}})),
    )
        .into_response()
}

impl FakeSpeech {
    pub async fn start(port: u16) -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let url = format!("http://{}/v1", listener.local_addr()?);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let router = Router::new()
            .route("/v1/audio/speech", post(speech))
            .route("/v1/audio/transcriptions", post(transcription))
            // The browser tests, in another process, queue transcripts and failures here.
            .route("/control/transcripts", post(control_transcript))
            .route("/control/failures", post(control_failure))
            .route("/control/requests", get(control_requests))
            .layer(axum::extract::DefaultBodyLimit::max(
                MAX_FILE_BYTES + 1024 * 1024,
            ))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(FakeSpeech { url, shared })
    }

    /// The settings that point the service at this fake, its audio kept in `audio_dir`.
    pub fn settings(&self, audio_dir: &std::path::Path) -> Vec<(String, String)> {
        vec![
            ("ROLECHAT_SPEECH_BASE_URL".into(), self.url.clone()),
            ("ROLECHAT_SPEECH_API_KEY".into(), KEY.into()),
            ("ROLECHAT_AUDIO_DIR".into(), audio_dir.display().to_string()),
        ]
    }

    /// What the next transcription hears.
    pub fn script(&self, text: &str) {
        self.shared
            .lock()
            .unwrap()
            .transcripts
            .push_back(text.into());
    }

    pub fn fail_next(&self, status: u16) {
        self.shared.lock().unwrap().failures.push_back(status);
    }

    pub fn slow_down(&self, delay: Duration) {
        self.shared.lock().unwrap().extra_delay = delay;
    }

    pub fn requests(&self) -> Vec<SpeechRequest> {
        self.shared.lock().unwrap().requests.clone()
    }

    pub fn syntheses(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| matches!(r, SpeechRequest::Speech { .. }))
            .count()
    }
}

/// `None` when the key is right; otherwise OpenAI's refusal.
fn refused_key(headers: &HeaderMap) -> Option<Response> {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(KEY) => None,
        Some(other) => Some(refuse(
            StatusCode::UNAUTHORIZED,
            &format!(
                "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                mask(other)
            ),
            None,
            Some("invalid_api_key"),
        )),
        None => Some(refuse(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            None,
            None,
        )),
    }
}

fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

fn next_failure(shared: &Mutex<Shared>) -> Option<Response> {
    let status = shared.lock().unwrap().failures.pop_front()?;
    Some(match status {
        429 => refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit reached for requests. Please try again in 1s.",
            None,
            Some("rate_limit_exceeded"),
        ),
        other => refuse(
            StatusCode::from_u16(other).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "The server had an error while processing your request. Sorry about that!",
            None,
            None,
        ),
    })
}

async fn speech(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let extra = shared.lock().unwrap().extra_delay;
    tokio::time::sleep(Duration::from_millis(300) + extra).await;
    if let Some(refused) = refused_key(&headers) {
        return refused;
    }
    if let Some(failure) = next_failure(&shared) {
        return failure;
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.",
            None,
            None,
        );
    };
    let model = request["model"].as_str().unwrap_or_default();
    if !TTS_MODELS.contains(&model) {
        return refuse(
            StatusCode::NOT_FOUND,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            None,
            Some("model_not_found"),
        );
    }
    let Some(input) = request["input"].as_str().filter(|i| !i.is_empty()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Missing required parameter: 'input'.",
            Some("input"),
            Some("missing_required_parameter"),
        );
    };
    if input.chars().count() > 4096 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "[{'type': 'string_too_long', 'loc': ('body', 'input'), 'msg': 'String should have at most 4096 characters', 'ctx': {'max_length': 4096}}]",
            None,
            None,
        );
    }
    let voice = request["voice"].as_str().unwrap_or_default();
    if !VOICES.contains(&voice) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "Invalid value: '{voice}'. Supported values are: {}.",
                VOICES
                    .iter()
                    .map(|v| format!("'{v}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some("voice"),
            Some("invalid_value"),
        );
    }
    let format = request["response_format"].as_str().unwrap_or("mp3");
    if !["mp3", "wav"].contains(&format) {
        // Real: opus, aac, flac and pcm too; this fake makes the two Rolechat could ask for.
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "Invalid value: '{format}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'."
            ),
            Some("response_format"),
            Some("invalid_value"),
        );
    }
    let speed = request["speed"].as_f64().unwrap_or(1.0);
    if !(0.25..=4.0).contains(&speed) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("{speed} is greater than the maximum of 4 - 'speed'"),
            Some("speed"),
            None,
        );
    }
    if request.get("instructions").is_some() && model.starts_with("tts-1") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Instructions are not supported for this model.",
            Some("instructions"),
            None,
        );
    }
    let audio = match speak(input, speed, format).await {
        Ok(audio) => audio,
        Err(error) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &error, None, None),
    };
    shared.lock().unwrap().requests.push(SpeechRequest::Speech {
        body: request.clone(),
        bytes_out: audio.len(),
    });
    let content_type = if format == "mp3" {
        "audio/mpeg"
    } else {
        "audio/wav"
    };
    ([("content-type", content_type)], audio).into_response()
}

/// The text spoken by espeak-ng (a voice for its script), as WAV or encoded by LAME as MP3.
async fn speak(text: &str, speed: f64, format: &str) -> Result<Vec<u8>, String> {
    let voice = if text.chars().any(|c| ('\u{AC00}'..='\u{D7AF}').contains(&c)) {
        "ko"
    } else if text.chars().any(|c| ('\u{3040}'..='\u{30FF}').contains(&c)) {
        "ja"
    } else if text.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
        "cmn"
    } else {
        "en-us"
    };
    let words_per_minute = ((175.0 * speed) as u32).clamp(80, 450).to_string();
    let wav = tokio::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", &words_per_minute, "--stdout", text])
        .output()
        .await
        .map_err(|e| format!("espeak-ng: {e} (install espeak-ng)"))?;
    if !wav.status.success() || wav.stdout.len() < 44 {
        return Err(format!(
            "espeak-ng failed: {}",
            String::from_utf8_lossy(&wav.stderr)
        ));
    }
    if format == "wav" {
        return Ok(wav.stdout);
    }
    let mut lame = tokio::process::Command::new("lame")
        .args(["--quiet", "-b", "64", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("lame: {e} (install lame)"))?;
    let mut stdin = lame.stdin.take().expect("piped");
    let input = wav.stdout;
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = stdin.write_all(&input).await;
    });
    let output = lame.wait_with_output().await.map_err(|e| e.to_string())?;
    let _ = writer.await;
    if !output.status.success() || output.stdout.is_empty() {
        return Err("lame failed".into());
    }
    Ok(output.stdout)
}

/// The format a file's bytes are, by their magic numbers.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        Some("wav")
    } else if bytes.starts_with(b"ID3")
        || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
    {
        Some("mp3")
    } else if bytes.starts_with(b"OggS") {
        Some("ogg")
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("webm")
    } else if bytes.starts_with(b"fLaC") {
        Some("flac")
    } else {
        None
    }
}

/// The seconds and loudness (RMS of the samples, 0 to 1) of a WAV.
fn wav_measure(bytes: &[u8]) -> Option<(f64, f64)> {
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes)).ok()?;
    let spec = reader.spec();
    // A streamed WAV (espeak-ng's, ffmpeg's to a pipe) claims the largest size: count what is there.
    let frame = u64::from(spec.channels) * u64::from(spec.bits_per_sample).div_ceil(8);
    let present = (bytes.len() as u64).saturating_sub(44) / frame.max(1);
    let frames = u64::from(reader.duration()).min(present);
    let seconds = frames as f64 / f64::from(spec.sample_rate.max(1));
    let (mut sum, mut count) = (0f64, 0u64);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for sample in reader.samples::<f32>().map_while(Result::ok) {
                sum += f64::from(sample).powi(2);
                count += 1;
            }
        }
        hound::SampleFormat::Int => {
            let scale = f64::from(1u32 << (spec.bits_per_sample - 1));
            for sample in reader.samples::<i32>().map_while(Result::ok) {
                sum += (f64::from(sample) / scale).powi(2);
                count += 1;
            }
        }
    }
    Some((seconds, (sum / count.max(1) as f64).sqrt()))
}

async fn transcription(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    if let Some(refused) = refused_key(&headers) {
        return refused;
    }
    let (mut file, mut file_name, mut model, mut language, mut format) =
        (None, String::new(), None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default() {
            "file" => {
                file_name = field.file_name().unwrap_or_default().to_owned();
                file = field.bytes().await.ok();
            }
            "model" => model = field.text().await.ok(),
            "language" => language = field.text().await.ok(),
            "response_format" => format = field.text().await.ok(),
            _ => {}
        }
    }
    let Some(model) = model else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "you must provide a model parameter",
            None,
            None,
        );
    };
    let Some(file) = file else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "1 validation error for Request\nbody -> file\n  field required (type=value_error.missing)",
            None,
            None,
        );
    };
    if file.len() > MAX_FILE_BYTES {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "Maximum content size limit (26214400) exceeded ({} bytes read)",
                file.len()
            ),
            None,
            None,
        );
    }
    if !STT_MODELS.contains(&model.as_str()) {
        return refuse(
            StatusCode::NOT_FOUND,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            None,
            Some("model_not_found"),
        );
    }
    // The format is the name's extension, and the bytes must be that format.
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let sniffed = sniff(&file);
    let matches = match extension.as_str() {
        "wav" => sniffed == Some("wav"),
        "mp3" | "mpeg" | "mpga" => sniffed == Some("mp3"),
        "ogg" | "oga" => sniffed == Some("ogg"),
        "webm" => sniffed == Some("webm"),
        "flac" => sniffed == Some("flac"),
        _ => false,
    };
    if !matches {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!("Invalid file format. Supported formats: {FORMATS}"),
            None,
            None,
        );
    }
    if let Some(language) = &language
        && !ISO_639_1.contains(&language.as_str())
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format."
            ),
            Some("language"),
            None,
        );
    }
    let format = format.unwrap_or_else(|| "json".into());
    let formats: &[&str] = if model == "whisper-1" {
        &["json", "text", "srt", "verbose_json", "vtt"]
    } else {
        &["json", "text"]
    };
    if !formats.contains(&format.as_str()) {
        return refuse(
            StatusCode::BAD_REQUEST,
            &format!(
                "response_format '{format}' is not compatible with model '{model}'. Use 'json' or 'text' instead."
            ),
            Some("response_format"),
            Some("unsupported_value"),
        );
    }
    let (seconds, loudness) = if extension == "wav" {
        match wav_measure(&file) {
            Some(measured) => measured,
            None => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "Audio file might be corrupted or unsupported",
                    Some("file"),
                    Some("invalid_value"),
                );
            }
        }
    } else {
        (1.0, 0.1)
    };
    if seconds < 0.1 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Audio file is too short. Minimum audio length is 0.1 seconds.",
            Some("file"),
            Some("audio_too_short"),
        );
    }
    let extra = shared.lock().unwrap().extra_delay;
    tokio::time::sleep(
        Duration::from_millis(200) + Duration::from_secs_f64(seconds * 0.05) + extra,
    )
    .await;
    if let Some(failure) = next_failure(&shared) {
        return failure;
    }
    let text = {
        let mut shared = shared.lock().unwrap();
        shared.requests.push(SpeechRequest::Transcription {
            model: model.clone(),
            language: language.clone(),
            file_name: file_name.clone(),
            seconds,
            bytes: file.len(),
        });
        if loudness < 0.003 {
            String::new()
        } else {
            shared
                .transcripts
                .pop_front()
                .unwrap_or_else(|| format!("({seconds:.1} seconds of speech)"))
        }
    };
    if format == "text" {
        return text.into_response();
    }
    Json(json!({"text": text, "usage": {"type": "duration", "seconds": seconds.ceil() as u64}}))
        .into_response()
}

async fn control_transcript(
    State(shared): State<Arc<Mutex<Shared>>>,
    Json(body): Json<Value>,
) -> StatusCode {
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    shared.lock().unwrap().transcripts.push_back(text);
    StatusCode::NO_CONTENT
}

async fn control_failure(
    State(shared): State<Arc<Mutex<Shared>>>,
    Json(body): Json<Value>,
) -> StatusCode {
    let mut shared = shared.lock().unwrap();
    if let Some(status) = body["status"].as_u64() {
        shared.failures.push_back(status as u16);
    }
    if let Some(ms) = body["delay_ms"].as_u64() {
        shared.extra_delay = Duration::from_millis(ms);
    }
    StatusCode::NO_CONTENT
}

async fn control_requests(State(shared): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let shared = shared.lock().unwrap();
    let list: Vec<Value> = shared
        .requests
        .iter()
        .map(|request| match request {
            SpeechRequest::Speech { body, bytes_out } => {
                json!({"kind": "speech", "body": body, "bytes": bytes_out})
            }
            SpeechRequest::Transcription {
                model,
                language,
                file_name,
                seconds,
                bytes,
            } => json!({
                "kind": "transcription", "model": model, "language": language,
                "file_name": file_name, "seconds": seconds, "bytes": bytes
            }),
        })
        .collect();
    Json(json!({"requests": list}))
}
