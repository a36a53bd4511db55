//! Server speech against the strict fake audio API: lines synthesized once and kept, recordings
//! transcribed in the room's language, a line said again marked word by word, the limits, the
//! failures, speech off, and the audio deleted with the room and the account.

use rolechat_tests::fake_speech::SpeechRequest;
use rolechat_tests::{TestApp, TestRequest, TestResponse};
use serde_json::{Value, json};

/// Speech as espeak-ng says it: a real WAV (22,050 Hz, 16-bit, mono) of realistic length.
fn spoken(text: &str, voice: &str) -> Vec<u8> {
    let output = std::process::Command::new("espeak-ng")
        .args(["-v", voice, "--stdout", text])
        .output()
        .expect("espeak-ng runs (make tools installs it)");
    assert!(output.status.success());
    output.stdout
}

/// A WAV of `seconds` of a tone, or of silence.
fn tone(seconds: f64, rate: u32, loud: bool) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    for i in 0..(seconds * f64::from(rate)) as u32 {
        let wave = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin();
        writer
            .write_sample(if loud { (wave * 8000.0) as i16 } else { 0 })
            .unwrap();
    }
    writer.finalize().unwrap();
    out.into_inner()
}

fn assert_error(response: &TestResponse, status: u16, code: &str) {
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (status, code),
        "{}",
        response.text()
    );
}

/// A learner in a room (`language`) with the tutor's opening line and one line of theirs.
async fn conversation(app: &TestApp, name: &str, language: &str) -> (String, String, Value, Value) {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    let room = app
        .create_room(
            &token,
            &json!({"language": language, "level": "A2", "situation": "At a café",
                    "my_role": "customer", "gpt_role": "waiter"}),
        )
        .await;
    let path = format!("/rooms/{room}/messages");
    let opener = app
        .send(TestRequest::post(&path).token(&token).json(&json!({})))
        .await
        .json()["reply"]
        .clone();
    let turn = app
        .send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "I want coffee"})),
        )
        .await;
    assert_eq!(turn.status, 201, "{}", turn.text());
    (token, room, opener, turn.json()["user_message"].clone())
}

fn speak(token: &str, room: &str, message: &Value, query: &str) -> TestRequest {
    let id = message["id"].as_str().unwrap();
    TestRequest::post(&format!("/rooms/{room}/messages/{id}/speech{query}")).token(token)
}

fn upload(path: &str, token: &str, wav: Vec<u8>) -> TestRequest {
    TestRequest::post(path)
        .token(token)
        .header("content-type", "audio/wav")
        .raw(wav)
}

fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        files_under(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_line_is_synthesized_once_per_speed_and_kept() {
    let app = TestApp::spawn().await;
    let (token, room, opener, _) = conversation(&app, "sora", "ja-JP").await;

    let first = app.send(speak(&token, &room, &opener, "")).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.headers["content-type"], "audio/mpeg");
    assert_eq!(first.headers["x-rolechat-speech-cache"], "miss");
    // Real MP3 frames (LAME's), of speech's length: kilobytes, not a placeholder.
    assert!(first.body[0] == 0xFF || first.body.starts_with(b"ID3"));
    assert!(first.body.len() > 4_000, "{} bytes", first.body.len());

    let again = app.send(speak(&token, &room, &opener, "?speed=1")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.headers["x-rolechat-speech-cache"], "hit");
    assert_eq!(again.body, first.body);
    assert_eq!(
        app.speech.syntheses(),
        1,
        "a second request costs no synthesis"
    );

    let slow = app.send(speak(&token, &room, &opener, "?speed=0.6")).await;
    assert_eq!(slow.headers["x-rolechat-speech-cache"], "miss");
    assert!(
        slow.body.len() > first.body.len(),
        "slower speech is longer"
    );
    let sent: Vec<Value> = app
        .speech
        .requests()
        .into_iter()
        .filter_map(|r| match r {
            SpeechRequest::Speech { body, .. } => Some(body),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["speed"], 0.6);
    assert_eq!(sent[1]["voice"], "coral");
    assert_eq!(sent[1]["model"], "gpt-4o-mini-tts");
    assert_eq!(sent[1]["input"], opener["content"]);
    let instructions = sent[1]["instructions"].as_str().unwrap();
    assert!(
        instructions.contains("Japanese") && instructions.contains("slowly"),
        "{instructions}"
    );
    assert_eq!(files_under(&app.audio_dir), 2);

    let bad_speed = app.send(speak(&token, &room, &opener, "?speed=3")).await;
    assert_error(&bad_speed, 400, "validation_failed");
    assert!(bad_speed.json()["error"]["fields"]["speed"].is_string());
}

#[tokio::test]
async fn a_learners_line_is_spoken_as_its_correction_once_it_has_one() {
    let app = TestApp::spawn().await;
    let (token, room, _, line) = conversation(&app, "mina", "en-US").await;
    let early = app.send(speak(&token, &room, &line, "")).await;
    assert_error(&early, 409, "conflict");
    let id = line["id"].as_str().unwrap();
    let feedback = app
        .send(TestRequest::post(&format!("/rooms/{room}/messages/{id}/feedback")).token(&token))
        .await;
    assert_eq!(feedback.status, 200, "{}", feedback.text());
    let spoken = app.send(speak(&token, &room, &line, "")).await;
    assert_eq!(spoken.status, 200, "{}", spoken.text());
    let SpeechRequest::Speech { body, .. } = app.speech.requests().pop().unwrap() else {
        panic!("a synthesis")
    };
    let correction = feedback.json()["feedback"]["corrected"].clone();
    assert_eq!(body["input"], correction);
}

#[tokio::test]
async fn speech_costs_the_daily_allowance_and_a_kept_line_costs_nothing() {
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "6")]).await;
    let (token, room, opener, _) = conversation(&app, "leo", "fr-FR").await;
    let kept = app.send(speak(&token, &room, &opener, "?speed=1")).await;
    assert_eq!(kept.status, 200, "{}", kept.text());
    let mut refused = None;
    for speed in ["0.8", "0.6"] {
        let response = app
            .send(speak(&token, &room, &opener, &format!("?speed={speed}")))
            .await;
        if response.status != 200 {
            refused = Some(response);
            break;
        }
    }
    // Whatever the turns used, the allowance ends, and then a new synthesis is refused...
    let mut refused = refused;
    while refused.is_none() {
        let transcribed = app
            .send(upload(
                &format!("/rooms/{room}/transcriptions"),
                &token,
                tone(1.0, 16_000, true),
            ))
            .await;
        if transcribed.status != 200 {
            refused = Some(transcribed);
        }
    }
    assert_error(&refused.unwrap(), 429, "rate_limited");
    // ...while a line already kept is still heard.
    let again = app.send(speak(&token, &room, &opener, "?speed=1")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.headers["x-rolechat-speech-cache"], "hit");
}

#[tokio::test]
async fn a_recording_is_transcribed_in_the_rooms_language() {
    let app = TestApp::spawn().await;
    let (token, room, _, _) = conversation(&app, "yuna", "ko-KR").await;
    app.speech.script("커피 한 잔 주세요");
    let response = app
        .send(upload(
            &format!("/rooms/{room}/transcriptions"),
            &token,
            spoken("커피 한 잔 주세요", "ko"),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["text"], "커피 한 잔 주세요");
    let seconds = response.json()["seconds"].as_f64().unwrap();
    assert!((0.8..5.0).contains(&seconds), "{seconds}");
    let Some(SpeechRequest::Transcription {
        model,
        language,
        file_name,
        ..
    }) = app.speech.requests().pop()
    else {
        panic!("a transcription")
    };
    assert_eq!(
        (model.as_str(), language.as_deref(), file_name.as_str()),
        ("gpt-4o-mini-transcribe", Some("ko"), "speech.wav")
    );

    // Another learner's room is not there for them.
    let other = app.sign_up("other", "other's password").await;
    let theirs = app
        .send(upload(
            &format!("/rooms/{room}/transcriptions"),
            &other,
            tone(1.0, 16_000, true),
        ))
        .await;
    assert_error(&theirs, 404, "not_found");
}

#[tokio::test]
async fn recordings_beyond_the_limits_are_refused_before_anything_is_sent() {
    let app = TestApp::spawn().await;
    let (token, room, _, _) = conversation(&app, "ines", "es-ES").await;
    let path = format!("/rooms/{room}/transcriptions");
    let sent_before = app.speech.requests().len();

    let big = app
        .send(upload(&path, &token, vec![0u8; 2 * 1024 * 1024 + 10]))
        .await;
    assert_error(&big, 413, "payload_too_large");
    // 31 s at 8 kHz is under 2 MiB, and still too long.
    let long = app
        .send(upload(&path, &token, tone(31.0, 8_000, true)))
        .await;
    assert_error(&long, 413, "payload_too_large");
    for (body, what) in [
        (b"OggS\0\x02not a wav".to_vec(), "WAV"),
        (tone(0.1, 16_000, true), "too short"),
        (Vec::new(), "missing"),
    ] {
        let refused = app.send(upload(&path, &token, body)).await;
        assert_error(&refused, 400, "validation_failed");
        let problem = refused.json()["error"]["fields"]["audio"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(problem.contains(what), "{problem}");
    }
    assert_eq!(
        app.speech.requests().len(),
        sent_before,
        "nothing reached the speech server"
    );

    // Silence reaches the server, which hears nothing in it.
    let silent = app
        .send(upload(&path, &token, tone(2.0, 16_000, false)))
        .await;
    assert_error(&silent, 400, "validation_failed");
    assert!(silent.text().contains("no speech"), "{}", silent.text());
}

#[tokio::test]
async fn a_line_said_again_is_marked_word_by_word() {
    let app = TestApp::spawn().await;
    let (token, room, opener, _) = conversation(&app, "noah", "en-US").await;
    let target = opener["content"].as_str().unwrap().to_owned();
    let words: Vec<&str> = target.split_whitespace().collect();
    assert!(words.len() >= 3, "{target}");
    // Said with its second word missing.
    let missing = words[1]
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    let said: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, w)| *w)
        .collect();
    app.speech.script(&said.join(" "));
    let id = opener["id"].as_str().unwrap();
    let response = app
        .send(upload(
            &format!("/rooms/{room}/messages/{id}/attempts"),
            &token,
            spoken(&said.join(" "), "en-us"),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let attempt = response.json();
    assert_eq!(attempt["target"], target.as_str());
    assert_eq!(attempt["assessment"], "recognition");
    let unheard: Vec<&str> = attempt["words"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["heard"] == false)
        .map(|w| w["text"].as_str().unwrap())
        .collect();
    assert_eq!(unheard, [missing.as_str()]);
    assert!(attempt["heard_share"].as_f64().unwrap() < 1.0);

    // Said in silence: nothing heard, and said so, rather than every word marked.
    let silent = app
        .send(upload(
            &format!("/rooms/{room}/messages/{id}/attempts"),
            &token,
            tone(2.0, 16_000, false),
        ))
        .await;
    assert_error(&silent, 400, "validation_failed");
}

#[tokio::test]
async fn the_speech_servers_failures_are_said_and_retried_once() {
    let app = TestApp::spawn().await;
    let (token, room, opener, _) = conversation(&app, "ada", "de-DE").await;
    // Busy once: retried, and heard.
    app.speech.fail_next(429);
    let retried = app.send(speak(&token, &room, &opener, "")).await;
    assert_eq!(retried.status, 200, "{}", retried.text());
    // Down twice: the learner is told, nothing is kept, and the next try synthesizes.
    app.speech.fail_next(503);
    app.speech.fail_next(503);
    let down = app.send(speak(&token, &room, &opener, "?speed=0.8")).await;
    assert_error(&down, 502, "upstream_error");
    let up = app.send(speak(&token, &room, &opener, "?speed=0.8")).await;
    assert_eq!(up.headers["x-rolechat-speech-cache"], "miss");

    // A deployment whose voice the server does not have: the operator's to fix, said as such.
    let wrong = TestApp::spawn_with(&[("ROLECHAT_TTS_VOICE", "jf_alpha")]).await;
    let (token, room, opener, _) = conversation(&wrong, "bea", "de-DE").await;
    let refused = wrong.send(speak(&token, &room, &opener, "")).await;
    assert_error(&refused, 502, "upstream_error");
    assert!(refused.text().contains("operator"), "{}", refused.text());
    let key = TestApp::spawn_with(&[("ROLECHAT_SPEECH_API_KEY", "sk-wrong-key-123")]).await;
    let (token, room, _, _) = conversation(&key, "cyd", "de-DE").await;
    let unauthorized = key
        .send(upload(
            &format!("/rooms/{room}/transcriptions"),
            &token,
            tone(1.0, 16_000, true),
        ))
        .await;
    assert_error(&unauthorized, 502, "upstream_error");
}

#[tokio::test]
async fn with_no_speech_server_the_browser_speaks_and_the_routes_say_so() {
    let app = TestApp::spawn_with(&[("ROLECHAT_SPEECH_BASE_URL", "")]).await;
    let (token, room, opener, _) = conversation(&app, "eve", "en-US").await;
    let settings = app.send(TestRequest::get("/speech").token(&token)).await;
    assert_eq!(settings.status, 200);
    assert_eq!(settings.json()["server"], false);
    assert_error(
        &app.send(speak(&token, &room, &opener, "")).await,
        503,
        "speech_unavailable",
    );
    let id = opener["id"].as_str().unwrap();
    for path in [
        format!("/rooms/{room}/transcriptions"),
        format!("/rooms/{room}/messages/{id}/attempts"),
    ] {
        let response = app
            .send(upload(&path, &token, tone(1.0, 16_000, true)))
            .await;
        assert_error(&response, 503, "speech_unavailable");
    }
    let on = TestApp::spawn().await;
    let token = on.sign_up("fay", "fay's password").await;
    let settings = on
        .send(TestRequest::get("/speech").token(&token))
        .await
        .json();
    assert_eq!(
        (settings["server"].clone(), settings["max_seconds"].clone()),
        (json!(true), json!(30.0))
    );
}

#[tokio::test]
async fn the_audio_goes_with_the_room_and_with_the_account() {
    let app = TestApp::spawn().await;
    let password = "gus's password";
    let token = app.sign_up("gus", password).await;
    let mut rooms = Vec::new();
    for _ in 0..2 {
        let room = app
            .create_room(
                &token,
                &json!({"language": "zh-CN", "level": "A1", "situation": "在商店",
                                         "my_role": "顾客", "gpt_role": "店员"}),
            )
            .await;
        let opener = app
            .send(
                TestRequest::post(&format!("/rooms/{room}/messages"))
                    .token(&token)
                    .json(&json!({})),
            )
            .await
            .json()["reply"]
            .clone();
        assert_eq!(
            app.send(speak(&token, &room, &opener, "")).await.status,
            200
        );
        rooms.push(room);
    }
    assert_eq!(files_under(&app.audio_dir), 2);
    let deleted = app
        .send(TestRequest::delete(&format!("/rooms/{}", rooms[0])).token(&token))
        .await;
    assert!(
        deleted.status == 202 || deleted.status == 204,
        "{}",
        deleted.text()
    );
    app.drain_deletions(10).await;
    assert_eq!(
        files_under(&app.audio_dir),
        1,
        "the room's audio is gone, the other's kept"
    );
    let gone = app
        .send(
            TestRequest::delete("/me")
                .token(&token)
                .json(&json!({"password": password})),
        )
        .await;
    assert!(gone.status == 202 || gone.status == 204, "{}", gone.text());
    app.drain_deletions(10).await;
    assert_eq!(
        files_under(&app.audio_dir),
        0,
        "the account's audio is gone"
    );
}

#[tokio::test]
async fn in_s3_the_audio_is_kept_per_line_and_goes_with_the_room() {
    let endpoint = rolechat_tests::s3_server::s3_endpoint();
    let bucket = rolechat_tests::s3_server::new_bucket().await;
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_AUDIO_BUCKET", bucket.as_str()),
        ("ROLECHAT_S3_ENDPOINT", endpoint),
        ("ROLECHAT_AUDIO_DIR", ""),
    ])
    .await;
    let (token, room, opener, _) = conversation(&app, "hana", "ja-JP").await;
    let first = app.send(speak(&token, &room, &opener, "?speed=0.8")).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let keys = rolechat_tests::s3_server::keys(&bucket).await;
    let owner = app.owner(&token).await;
    let id = opener["id"].as_str().unwrap();
    assert_eq!(
        keys,
        [format!("speech/{}/{room}/{id}/coral-0.8.mp3", owner.key())]
    );
    let again = app.send(speak(&token, &room, &opener, "?speed=0.8")).await;
    assert_eq!(
        (
            again.headers["x-rolechat-speech-cache"].to_str().unwrap(),
            again.body.len()
        ),
        ("hit", first.body.len())
    );
    assert_eq!(app.speech.syntheses(), 1);
    app.send(TestRequest::delete(&format!("/rooms/{room}")).token(&token))
        .await;
    app.drain_deletions(10).await;
    assert!(rolechat_tests::s3_server::keys(&bucket).await.is_empty());
}
