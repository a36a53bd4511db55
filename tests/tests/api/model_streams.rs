//! The model client against the ways OpenAI-compatible servers end and shape a reply, in both
//! reply modes, and against a model that goes silent: what is stored, what the learner sees.

use std::time::{Duration, Instant};

use rolechat::services::feedback::{self, Verdict};
use rolechat::tutor::PromptMessage;
use rolechat::tutor::Task;
use rolechat_tests::fake_openai::{Behaviour, Ending, Shape};
use rolechat_tests::{TestApp, TestRequest, events};
use serde_json::{Value, json};

const TEXT: &str = "Hello there, what would you like today?";

/// A learner and a room of theirs, for trying a turn (shared with `providers`).
pub(super) async fn learner_and_room(app: &TestApp) -> (String, String) {
    let token = app.sign_up("mina", "mina's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"language": "en-US", "level": "intermediate", "situation": "A cafe in Seattle",
                     "my_role": "a customer", "gpt_role": "a barista"}),
        )
        .await;
    (token, room)
}

/// One turn, streamed or as JSON: the stored reply as the turn reported it.
async fn take_turn(app: &TestApp, token: &str, room: &str, streaming: bool) -> Value {
    let mut request = TestRequest::post(&format!("/rooms/{room}/messages"))
        .token(token)
        .json(&json!({"content": "A latte, please."}));
    if streaming {
        request = request.header("accept", "text/event-stream");
    }
    let response = app.send(request).await;
    if !streaming {
        assert_eq!(response.status, 201, "{}", response.text());
        return response.json()["reply"].clone();
    }
    assert_eq!(response.status, 200);
    let events = events(&response.body);
    let (last, reply) = events.last().unwrap();
    assert_eq!(
        last, "reply",
        "the stream ends with the stored reply: {events:?}"
    );
    let streamed: String = events
        .iter()
        .filter(|(name, _)| name == "delta")
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, reply["content"].as_str().unwrap());
    reply.clone()
}

#[tokio::test]
async fn every_way_a_compatible_server_ends_a_reply_is_complete() {
    let shapes = [
        ("[DONE]", Shape::default()),
        (
            "no [DONE] after finish_reason",
            Shape {
                ending: Ending::Close,
                ..Shape::default()
            },
        ),
        (
            "usage chunk then [DONE]",
            Shape {
                ending: Ending::UsageThenDone,
                ..Shape::default()
            },
        ),
        (
            "usage chunk, no [DONE]",
            Shape {
                ending: Ending::UsageThenClose,
                ..Shape::default()
            },
        ),
        (
            "open connection after finish_reason",
            Shape {
                ending: Ending::Linger,
                ..Shape::default()
            },
        ),
        (
            "SSE comments",
            Shape {
                comments: true,
                ..Shape::default()
            },
        ),
        (
            "CRLF line ends",
            Shape {
                crlf: true,
                ending: Ending::UsageThenClose,
                ..Shape::default()
            },
        ),
    ];
    let app = TestApp::spawn().await;
    let (token, room) = learner_and_room(&app).await;
    for (case, shape) in shapes {
        for streaming in [true, false] {
            app.model.then(Behaviour::Shaped {
                text: TEXT.into(),
                shape,
            });
            let started = Instant::now();
            let reply = take_turn(&app, &token, &room, streaming).await;
            assert_eq!(reply["content"], TEXT, "{case} (streaming: {streaming})");
            assert!(reply.get("cut").is_none(), "{case}: {reply}");
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "{case}: the reply does not wait for the model's full timeout"
            );
        }
    }
    // The client asked for the usage chunk, and stored what the server reported.
    let streamed = app
        .model
        .requests()
        .into_iter()
        .find(|request| request["stream"] == true)
        .unwrap();
    assert_eq!(streamed["stream_options"], json!({"include_usage": true}));
    let stored = app
        .dynamodb
        .scan()
        .table_name(&app.tables.rooms)
        .send()
        .await
        .unwrap();
    let usages: Vec<_> = stored
        .items()
        .iter()
        .filter_map(|item| item.get("usage"))
        .filter_map(|usage| usage.as_m().ok())
        .map(|usage| usage["prompt_tokens"].as_n().unwrap().clone())
        .collect();
    assert!(usages.contains(&"321".to_owned()), "streamed usage kept");
}

#[tokio::test]
async fn a_reply_cut_at_the_length_limit_is_kept_and_marked_cut() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_and_room(&app).await;
    for streaming in [true, false] {
        app.model.then(Behaviour::Shaped {
            text: "I would recommend the".into(),
            shape: Shape {
                finish_reason: "length",
                ..Shape::default()
            },
        });
        let reply = take_turn(&app, &token, &room, streaming).await;
        assert_eq!(reply["content"], "I would recommend the");
        assert_eq!(reply["cut"], true, "streaming: {streaming}");
    }
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
        .await
        .json();
    let cut: Vec<_> = opened["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["cut"] == true)
        .collect();
    assert_eq!(cut.len(), 2, "both cut replies read back cut");
}

#[tokio::test]
async fn a_silent_model_is_answered_504_at_the_first_token_timeout() {
    // The call's overall limit is a minute: only the first-token timeout can end it (20 s by
    // default; 1 s here, so the test waits for no more than that).
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_MODEL_TIMEOUT_SECONDS", "60"),
        ("ROLECHAT_MODEL_FIRST_TOKEN_SECONDS", "1"),
    ])
    .await;
    let (token, room) = learner_and_room(&app).await;
    let other_room = app
        .create_room(
            &token,
            &json!({"language": "ja-JP", "level": "beginner", "situation": "A station in Osaka",
                     "my_role": "a traveller", "gpt_role": "a station attendant"}),
        )
        .await;
    app.model.answer_by_default(Behaviour::Hang);
    let turn = |room: String, streaming: bool| {
        let app = &app;
        let token = token.clone();
        async move {
            let mut request = TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({"content": "Hello?"}));
            if streaming {
                request = request.header("accept", "text/event-stream");
            }
            let started = Instant::now();
            let response = app.send(request).await;
            let code = if streaming {
                let events = events(&response.body);
                events.last().unwrap().1["error"]["code"].clone()
            } else {
                response.json()["error"]["code"].clone()
            };
            (streaming, started.elapsed(), code)
        }
    };
    let (a, b) = tokio::join!(turn(room, true), turn(other_room, false));
    for (streaming, took, code) in [a, b] {
        assert_eq!(code, "upstream_timeout", "streaming: {streaming}");
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(3),
            "answered in {took:?} (streaming: {streaming})"
        );
    }
}

#[tokio::test]
async fn a_model_that_stalls_mid_reply_is_cut_off_by_the_idle_timeout() {
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_MODEL_TIMEOUT_SECONDS", "60"),
        ("ROLECHAT_MODEL_IDLE_SECONDS", "1"),
    ])
    .await;
    let (token, room) = learner_and_room(&app).await;
    app.model.then(Behaviour::StallAfter {
        pieces: 3,
        silence: Duration::from_secs(30),
    });
    let started = Instant::now();
    let response = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .header("accept", "text/event-stream")
                .json(&json!({"content": "Hello?"})),
        )
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let events = events(&response.body);
    assert_eq!(events.iter().filter(|(n, _)| n == "delta").count(), 3);
    assert_eq!(
        events.last().unwrap().1["error"]["code"],
        "upstream_timeout"
    );
    // No partial reply was stored; the learner's line was.
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
        .await
        .json();
    assert_eq!(opened["messages"].as_array().unwrap().len(), 1);
}

/// A structured answer of the wrong type is asked once more with the validation error; a
/// second wrong one fails the call, and the error that is logged names the kind of problem and
/// where, never the value (which may be the learner's words).
#[tokio::test]
async fn a_malformed_structured_answer_is_logged_without_its_content() {
    let app = TestApp::spawn().await;
    let secret = "LEARNER-SECRET-WORDS";
    let wrong = json!({"ok": secret, "corrected": secret, "better": null, "explanation": secret,
                       "category": null, "fact": null, "used_words": []})
    .to_string();
    app.model.then(Behaviour::reply(&wrong));
    app.model.then(Behaviour::reply(&wrong));
    let offline = Verdict {
        ok: true,
        corrected: String::new(),
        better: None,
        explanation: String::new(),
        category: None,
        fact: None,
        used_words: Vec::new(),
    };
    let prompt = [
        PromptMessage {
            role: "system",
            content: "Judge the line.".into(),
        },
        PromptMessage {
            role: "user",
            content: secret.into(),
        },
    ];
    let error = app
        .state
        .tutor
        .structured::<Verdict>(Task::Feedback, &prompt, &feedback::SCHEMA, offline)
        .await
        .unwrap_err();
    let logged = error.to_string();
    assert!(!logged.contains(secret), "{logged}");
    assert!(logged.contains("at /ok"), "{logged}");
    let requests = app.model.requests();
    assert_eq!(requests.len(), 2, "one repair, no more");
    let repair = requests[1]["messages"].as_array().unwrap();
    assert_eq!(repair[2]["role"], "assistant");
    assert!(
        repair[3]["content"]
            .as_str()
            .unwrap()
            .contains("does not follow the JSON schema (at /ok"),
        "{repair:?}"
    );
}
