//! Feedback without asking: in a room with `auto_feedback`, every learner line gets its feedback
//! with the turn, computed beside the reply, stored on the message as the feedback route stores
//! it, and sent as `event: feedback` after `reply` (before `goals`).

use std::time::Duration;

use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::{TestApp, TestRequest, events};
use serde_json::{Value, json};

async fn room(app: &TestApp, token: &str, body: Value) -> String {
    app.create_room(token, &body).await
}

fn turn(token: &str, room: &str, content: &str, streaming: bool) -> TestRequest {
    let request = TestRequest::post(&format!("/rooms/{room}/messages?ui=en"))
        .token(token)
        .json(&json!({"content": content}));
    if streaming {
        request.header("accept", "text/event-stream")
    } else {
        request
    }
}

#[tokio::test]
async fn a_scenario_rooms_lines_get_feedback_with_the_turn_in_both_modes() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("fumi", "fumi's password").await;
    let id = room(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2"}),
    )
    .await;

    let streamed = app.send(turn(&token, &id, "I wants a latte", true)).await;
    let events = events(&streamed.body);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    let reply_at = names.iter().position(|n| *n == "reply").unwrap();
    assert_eq!(names[reply_at + 1..], ["feedback", "goals"], "{names:?}");
    let (said, feedback) = (&events[0].1, &events[reply_at + 1].1);
    assert_eq!(feedback["message_id"], said["id"]);
    assert_eq!(
        feedback["feedback"],
        json!({"checked": true, "ok": false, "corrected": "I wants a latte (corrected)",
               "explanation": "The fake model explains the correction.", "ui_language": "en",
               "category": "word_choice"})
    );

    let json_turn = app
        .send(turn(&token, &id, "Large, please", false))
        .await
        .json();
    assert_eq!(
        json_turn["user_message"]["feedback"]["corrected"],
        "Large, please (corrected)"
    );
    assert!(json_turn["reply"].get("feedback").is_none());

    // Stored on the messages: they read back with it, and the route returns it with no call.
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{id}")).token(&token))
        .await
        .json();
    let learner_lines: Vec<&Value> = opened["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .collect();
    assert_eq!(learner_lines.len(), 2);
    assert!(learner_lines.iter().all(|m| m["feedback"]["ok"] == false));
    let calls = app.model.requests().len();
    let asked = app
        .send(
            TestRequest::post(&format!(
                "/rooms/{id}/messages/{}/feedback",
                learner_lines[0]["id"].as_str().unwrap()
            ))
            .token(&token),
        )
        .await;
    assert_eq!(
        asked.json()["feedback"]["corrected"],
        "I wants a latte (corrected)"
    );
    assert_eq!(app.model.requests().len(), calls, "stored: no model call");

    // The feedback prompt explains in the asked language and guards against over-correction.
    let prompt = app
        .model
        .requests()
        .into_iter()
        .find(|r| r["response_format"]["json_schema"]["name"] == "feedback")
        .unwrap();
    let system = prompt["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("in English") && system.contains("only real errors"),
        "{system}"
    );
}

/// The feedback call goes out beside the reply's, not after it: it reaches the model before the
/// reply's first text reaches the learner (the reply's first word takes 300 ms).
#[tokio::test]
async fn feedback_runs_beside_the_reply() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("beside", "beside's password").await;
    let id = room(
        &app,
        &token,
        json!({"language": "en-US", "level": "B1", "situation": "A bakery", "my_role": "a customer",
               "gpt_role": "a baker", "auto_feedback": true}),
    )
    .await;
    app.model.answer_by_default(Behaviour::Reply {
        text: "Certainly, here you are.".into(),
        first_delay: Duration::from_millis(300),
        delay: Duration::ZERO,
    });
    let sent = std::time::Instant::now();
    let timed = app
        .send_timed(turn(&token, &id, "A loaf, please", true))
        .await;
    let first_text = sent
        + timed
            .chunks
            .iter()
            .find(|(_, bytes)| bytes.starts_with(b"event: delta"))
            .unwrap()
            .0;
    let requests = app.model.requests();
    let feedback_at = requests
        .iter()
        .position(|r| r["response_format"]["json_schema"]["name"] == "feedback")
        .expect("a feedback call");
    assert!(
        app.model.arrivals()[feedback_at] < first_text,
        "the feedback call waited for the reply"
    );
}

#[tokio::test]
async fn failed_feedback_never_fails_the_turn_and_rooms_without_it_are_unchanged() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("ngan", "ngan's password").await;
    let on = room(
        &app,
        &token,
        json!({"language": "fr-FR", "level": "A2", "situation": "Au café", "my_role": "un client",
               "gpt_role": "un serveur", "auto_feedback": true}),
    )
    .await;
    // The feedback call gets garbage; the reply beside it is fine.
    app.model.break_schema("feedback");
    app.model
        .answer_by_default(Behaviour::reply("Bien sûr, et avec ceci ?"));
    let streamed = app
        .send(turn(&token, &on, "Un café, s'il vous plaît", true))
        .await;
    let names: Vec<String> = events(&streamed.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.last().map(String::as_str), Some("reply"), "{names:?}");
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{on}")).token(&token))
        .await
        .json();
    assert_eq!(
        opened["messages"].as_array().unwrap().len(),
        2,
        "the turn is whole"
    );
    assert!(opened["messages"][0].get("feedback").is_none());

    // Without auto_feedback no feedback call is made.
    app.model.answer_by_default(Behaviour::reply("D'accord."));
    let off = room(
        &app,
        &token,
        json!({"language": "fr-FR", "level": "A2", "situation": "Au café", "my_role": "un client",
               "gpt_role": "un serveur"}),
    )
    .await;
    let calls = app.model.requests().len();
    let json_turn = app.send(turn(&token, &off, "Merci", false)).await.json();
    assert!(json_turn["user_message"].get("feedback").is_none());
    assert_eq!(app.model.requests().len(), calls + 1);
}

#[tokio::test]
async fn automatic_feedback_counts_against_the_daily_limit() {
    // The allowance is per UTC day: the check must not straddle midnight.
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "3")]).await;
    let token = app.sign_up("quota", "quota's password").await;
    let id = room(
        &app,
        &token,
        json!({"language": "es-ES", "level": "A1", "situation": "En el mercado", "my_role": "un cliente",
               "gpt_role": "una vendedora", "auto_feedback": true}),
    )
    .await;
    assert_eq!(app.send(turn(&token, &id, "Hola", false)).await.status, 201);
    // 2 of 3 used: a second turn would need 2 more.
    let refused = app.send(turn(&token, &id, "Quiero manzanas", false)).await;
    assert_eq!(refused.error_code(), "rate_limited");
    // `{}` (no learner line, so no feedback) still fits.
    let opener = app
        .send(
            TestRequest::post(&format!("/rooms/{id}/messages"))
                .token(&token)
                .json(&json!({})),
        )
        .await;
    assert_eq!(
        opener.status,
        409,
        "the tutor already answered: {}",
        opener.text()
    );
}
