//! Chat turns and suggestions against the embedded DynamoDB and the fake model.

use std::time::Duration;

use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::{TestApp, TestRequest, TestResponse, events};
use serde_json::{Value, json};

struct Learner {
    token: String,
}

async fn learner(app: &TestApp, name: &str) -> Learner {
    Learner {
        token: app.sign_up(name, &format!("{name}'s password")).await,
    }
}

async fn room(app: &TestApp, who: &Learner) -> String {
    let setup = json!({"language": "ko-KR", "level": "beginner", "situation": "카페에서 커피 주문하기",
                       "my_role": "손님", "gpt_role": "바리스타"});
    let response = app
        .send(TestRequest::post("/rooms").token(&who.token).json(&setup))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["id"].as_str().unwrap().to_owned()
}

fn turn(who: &Learner, room: &str, body: Value) -> TestRequest {
    TestRequest::post(&format!("/rooms/{room}/messages"))
        .token(&who.token)
        .json(&body)
}

fn streamed(request: TestRequest) -> TestRequest {
    request.header("accept", "text/event-stream")
}

async fn opened(app: &TestApp, who: &Learner, room: &str) -> Value {
    let response = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&who.token))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn roles(opened: &Value) -> Vec<String> {
    opened["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_error(response: &TestResponse, status: u16, code: &str) {
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (status, code),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn the_tutor_opens_an_empty_room_in_character() {
    let app = TestApp::spawn().await;
    let mina = learner(&app, "mina").await;
    let room = room(&app, &mina).await;
    app.model
        .then(Behaviour::reply("어서 오세요! 무엇을 드릴까요?"));

    let response = app.send(turn(&mina, &room, json!({}))).await;
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    assert_eq!(body["user_message"], Value::Null);
    assert_eq!(
        (
            body["reply"]["role"].as_str(),
            body["reply"]["content"].as_str()
        ),
        (Some("assistant"), Some("어서 오세요! 무엇을 드릴까요?"))
    );

    let requests = app.model.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(
        (
            sent["model"].as_str(),
            sent["stream"].as_bool(),
            sent["max_tokens"].as_u64()
        ),
        // One turn service: the JSON mode collects the model's stream. A compatible server of
        // unknown kind is sent `max_tokens`: the opener's budget.
        (Some("fake-model"), Some(true), Some(300))
    );
    let system = sent["messages"][0]["content"].as_str().unwrap();
    for expected in [
        "Speak only Korean",
        "\"바리스타\"",
        "\"손님\"",
        "카페에서 커피 주문하기",
        "CEFR level A1",
    ] {
        assert!(system.contains(expected), "{expected} in {system}");
    }
    assert_eq!(
        sent["messages"].as_array().unwrap().len(),
        2,
        "setup and the cue to open"
    );

    let room = opened(&app, &mina, &room).await;
    assert_eq!(room["room"]["message_count"], 1);
    assert_eq!(room["messages"][0], body["reply"]);
    assert_eq!(room["room"]["last_message_at"], body["reply"]["created_at"]);
    assert_eq!(
        room["room"]["last_line"], body["reply"]["content"],
        "the room list shows it"
    );
}

#[tokio::test]
async fn the_model_sees_the_setup_and_a_bounded_window_of_recent_turns() {
    let app = TestApp::spawn_with(&[("ROLECHAT_HISTORY_MESSAGES", "4")]).await;
    let jun = learner(&app, "jun").await;
    let room = room(&app, &jun).await;
    app.send(turn(&jun, &room, json!({}))).await;
    for n in 1..=5 {
        let response = app
            .send(turn(&jun, &room, json!({"content": format!("메시지 {n}")})))
            .await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(
            response.json()["user_message"]["content"],
            format!("메시지 {n}")
        );
    }
    let stored = opened(&app, &jun, &room).await;
    assert_eq!(
        roles(&stored),
        [
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant"
        ]
    );

    let requests = app.model.requests();
    assert_eq!(requests.len(), 6);
    let last = requests[5]["messages"].as_array().unwrap();
    assert_eq!(
        last.len(),
        6,
        "the setup, the scene's start and the 4 latest messages"
    );
    assert_eq!(last[0]["role"], "system");
    // The window starts with the tutor's line: a user turn goes before it, as chat templates
    // need.
    assert_eq!(last[1]["role"], "user");
    let last = &last[1..];
    let window: Vec<_> = stored["messages"].as_array().unwrap()[6..10]
        .iter()
        .map(|m| json!({"role": m["role"], "content": m["content"]}))
        .collect();
    assert_eq!(
        last[1..],
        window[..],
        "the latest messages, oldest first, the learner's newest last"
    );
    assert_eq!(last[4]["content"], "메시지 5");
}

#[tokio::test]
async fn replies_stream_as_server_sent_events() {
    let app = TestApp::spawn().await;
    let hana = learner(&app, "hana").await;
    let room = room(&app, &hana).await;
    app.model.then(Behaviour::Reply {
        text: "네, 아메리카노 한 잔 바로 준비해 드릴게요. 다른 건 필요 없으세요?".into(),
        first_delay: Duration::from_millis(50),
        delay: Duration::from_millis(60),
    });

    let timed = app
        .send_timed(streamed(turn(
            &hana,
            &room,
            json!({"content": "아메리카노 한 잔 주세요"}),
        )))
        .await;
    assert_eq!(timed.status, 200);
    assert_eq!(timed.headers["content-type"], "text/event-stream");
    let body: Vec<u8> = timed
        .chunks
        .iter()
        .flat_map(|(_, b)| b.iter().copied())
        .collect();
    let events = events(&body);
    let names: Vec<_> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.first(), Some(&"user_message"));
    assert_eq!(names.last(), Some(&"reply"));
    assert!(
        names[1..names.len() - 1].iter().all(|n| *n == "delta") && names.len() >= 8,
        "{names:?}"
    );
    let streamed_text: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    let reply = &events.last().unwrap().1;
    assert_eq!(streamed_text, reply["content"].as_str().unwrap());
    assert_eq!(events[0].1["content"], "아메리카노 한 잔 주세요");
    assert_eq!(app.model.requests()[0]["stream"], true);

    // The deltas came while the model was still writing, not all at the end.
    let first_delta = timed
        .chunks
        .iter()
        .find(|(_, b)| b.starts_with(b"event: delta"))
        .unwrap()
        .0;
    let reply_at = timed
        .chunks
        .iter()
        .find(|(_, b)| b.starts_with(b"event: reply"))
        .unwrap()
        .0;
    assert!(
        reply_at - first_delta > Duration::from_millis(200),
        "first delta at {first_delta:?}, reply at {reply_at:?}"
    );

    let stored = opened(&app, &hana, &room).await;
    assert_eq!(stored["messages"][1], *reply);
    assert_eq!(stored["messages"][0], events[0].1);
}

/// Each way the model can fail: the right error, the learner's message kept, no reply stored,
/// and `{}` recovers.
#[tokio::test]
async fn model_failures_keep_the_learners_message_and_recover() {
    let cases: Vec<(&str, Vec<Behaviour>, bool, u16, &str)> = vec![
        (
            "500 after retries",
            vec![Behaviour::Status(500); 3],
            false,
            502,
            "upstream_error",
        ),
        (
            "500 streaming",
            vec![Behaviour::Status(503); 3],
            true,
            502,
            "upstream_error",
        ),
        (
            "400 is not retried",
            vec![Behaviour::Status(400)],
            false,
            502,
            "upstream_error",
        ),
        (
            "malformed JSON",
            vec![Behaviour::Malformed],
            false,
            502,
            "upstream_error",
        ),
        (
            "malformed chunks",
            vec![Behaviour::Malformed],
            true,
            502,
            "upstream_error",
        ),
        (
            "empty completion",
            vec![Behaviour::Empty],
            false,
            502,
            "upstream_error",
        ),
        (
            "empty stream",
            vec![Behaviour::Empty],
            true,
            502,
            "upstream_error",
        ),
        (
            "cut mid-reply",
            vec![Behaviour::CutAfter { pieces: 3 }],
            true,
            502,
            "upstream_error",
        ),
        (
            "hang",
            vec![Behaviour::Hang],
            false,
            504,
            "upstream_timeout",
        ),
        (
            "hang streaming",
            vec![Behaviour::Hang],
            true,
            504,
            "upstream_timeout",
        ),
    ];
    for (case, script, streaming, status, code) in cases {
        let app = TestApp::spawn_with(&[("ROLECHAT_MODEL_TIMEOUT_SECONDS", "1")]).await;
        let yuna = learner(&app, "yuna").await;
        let room = room(&app, &yuna).await;
        let attempts = script.len();
        for behaviour in script {
            app.model.then(behaviour);
        }
        let mut request = turn(&yuna, &room, json!({"content": "라떼 있어요?"}));
        if streaming {
            request = streamed(request);
        }
        let response = app.send(request).await;
        if streaming {
            assert_eq!(response.status, 200, "{case}");
            let events = events(&response.body);
            assert_eq!(events[0].0, "user_message", "{case}");
            let (name, error) = events.last().unwrap();
            assert_eq!(
                (name.as_str(), error["error"]["code"].as_str()),
                ("error", Some(code)),
                "{case}"
            );
            assert!(events.iter().all(|(name, _)| name != "reply"), "{case}");
        } else {
            assert_error(&response, status, code);
        }
        assert_eq!(app.model.requests().len(), attempts, "{case}: calls made");

        let stored = opened(&app, &yuna, &room).await;
        assert_eq!(
            roles(&stored),
            ["user"],
            "{case}: the learner's message is kept, no partial reply"
        );
        assert_eq!(stored["messages"][0]["content"], "라떼 있어요?");
        assert_eq!(stored["room"]["message_count"], 1, "{case}");

        let retry = app.send(turn(&yuna, &room, json!({}))).await;
        assert_eq!(retry.status, 201, "{case}: {}", retry.text());
        assert_eq!(retry.json()["user_message"], Value::Null);
        let stored = opened(&app, &yuna, &room).await;
        assert_eq!(roles(&stored), ["user", "assistant"], "{case}");
        let last_prompt = app.model.requests().last().unwrap()["messages"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(
            last_prompt.last().unwrap()["content"],
            "라떼 있어요?",
            "{case}: the retry answers the kept message"
        );
    }
}

#[tokio::test]
async fn refused_and_throttled_calls_are_retried_before_any_text() {
    let app = TestApp::spawn().await;
    let sora = learner(&app, "sora").await;
    let room = room(&app, &sora).await;
    app.model.then(Behaviour::Status(429));
    app.model.then(Behaviour::Status(502));
    app.model.then(Behaviour::reply("세 번째에 됐어요."));
    let response = app
        .send(streamed(turn(
            &sora,
            &room,
            json!({"content": "안녕하세요"}),
        )))
        .await;
    let events = events(&response.body);
    assert_eq!(events.last().unwrap().1["content"], "세 번째에 됐어요.");
    assert_eq!(app.model.requests().len(), 3);
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_same_turn_with_one_model_call() {
    let app = TestApp::spawn().await;
    let dana = learner(&app, "dana").await;
    let room = room(&app, &dana).await;
    let keyed = |body: Value| turn(&dana, &room, body).header("idempotency-key", "turn-1");

    let first = app.send(keyed(json!({"content": "물 한 잔 주세요"}))).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let again = app.send(keyed(json!({"content": "물 한 잔 주세요"}))).await;
    assert_eq!((again.status, again.json()), (201, first.json()));
    let replayed = app
        .send(streamed(keyed(json!({"content": "물 한 잔 주세요"}))))
        .await;
    let events = events(&replayed.body);
    assert_eq!(
        events.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["user_message", "delta", "reply"]
    );
    assert_eq!(events[2].1, first.json()["reply"]);
    assert_eq!(app.model.requests().len(), 1, "the model was called once");
    assert_eq!(
        opened(&app, &dana, &room).await["room"]["message_count"],
        2,
        "nothing stored twice"
    );

    // A keyed turn that failed replays its failure without calling the model again.
    app.model.then(Behaviour::Status(400));
    let failed = turn(&dana, &room, json!({"content": "케이크도 있어요?"}))
        .header("idempotency-key", "turn-2");
    assert_error(&app.send(failed.clone()).await, 502, "upstream_error");
    assert_error(&app.send(failed).await, 502, "upstream_error");
    assert_eq!(app.model.requests().len(), 2);

    let bad_key = turn(&dana, &room, json!({})).header("idempotency-key", &"k".repeat(65));
    let response = app.send(bad_key).await;
    assert_eq!(
        response.json()["error"]["fields"],
        json!({"Idempotency-Key": "must be 1 to 64 visible ASCII characters"})
    );
}

#[tokio::test]
async fn two_turns_racing_in_one_room_cannot_interleave() {
    let app = TestApp::spawn().await;
    let kai = learner(&app, "kai").await;
    let room = room(&app, &kai).await;
    app.model.answer_by_default(Behaviour::Reply {
        text: "천천히 대답할게요.".into(),
        first_delay: Duration::from_millis(300),
        delay: Duration::from_millis(10),
    });
    let (a, b) = tokio::join!(
        app.send(turn(&kai, &room, json!({"content": "첫 번째"}))),
        app.send(turn(&kai, &room, json!({"content": "두 번째"}))),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text(), b.text());
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.error_code(), "conflict");
    assert_eq!(app.model.requests().len(), 1);
    let stored = opened(&app, &kai, &room).await;
    assert_eq!(roles(&stored), ["user", "assistant"]);

    // Once the turn is done, the room takes the next one.
    assert_eq!(
        app.send(turn(&kai, &room, json!({"content": "세 번째"})))
            .await
            .status,
        201
    );
    // With the tutor's turn done, `{}` has nothing to answer.
    assert_error(
        &app.send(turn(&kai, &room, json!({}))).await,
        409,
        "conflict",
    );
}

#[tokio::test]
async fn the_daily_quota_is_answered_429_with_retry_after() {
    // The allowance is per UTC day; the app's clock reads noon, so midnight is twelve hours off.
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "2")]).await;
    let lee = learner(&app, "lee").await;
    let room = room(&app, &lee).await;
    assert_eq!(app.send(turn(&lee, &room, json!({}))).await.status, 201);
    let suggestion = app
        .send(TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&lee.token))
        .await;
    assert_eq!(
        suggestion.status,
        200,
        "suggestions count too: {}",
        suggestion.text()
    );

    let refused = app
        .send(turn(&lee, &room, json!({"content": "하나 더요"})))
        .await;
    assert_error(&refused, 429, "rate_limited");
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((43_000..=43_200).contains(&wait), "until midnight: {wait}");
    let refused = app
        .send(TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&lee.token))
        .await;
    assert_error(&refused, 429, "rate_limited");
    assert_eq!(app.model.requests().len(), 2);
    assert_eq!(
        roles(&opened(&app, &lee, &room).await),
        ["assistant"],
        "the refused message was not stored"
    );

    // Another learner has a quota of their own.
    let other = learner(&app, "other").await;
    let other_room = self::room(&app, &other).await;
    assert_eq!(
        app.send(turn(&other, &other_room, json!({}))).await.status,
        201
    );
}

#[tokio::test]
async fn another_users_room_or_a_logged_out_token_never_reach_the_model() {
    let app = TestApp::spawn().await;
    let owner = learner(&app, "owner").await;
    let intruder = learner(&app, "intruder").await;
    let room = room(&app, &owner).await;
    for request in [
        turn(&intruder, &room, json!({"content": "hello"})),
        streamed(turn(&intruder, &room, json!({}))),
        TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&intruder.token),
        turn(&intruder, &ulid::Ulid::new().to_string(), json!({})),
        turn(&intruder, "not-a-room", json!({})),
    ] {
        assert_error(&app.send(request).await, 404, "not_found");
    }
    app.send(TestRequest::delete("/auth").token(&owner.token))
        .await;
    for request in [
        turn(&owner, &room, json!({"content": "hello"})),
        TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&owner.token),
        turn(&owner, &ulid::Ulid::new().to_string(), json!({})),
    ] {
        assert_error(&app.send(request).await, 401, "unauthorized");
    }
    assert!(app.model.requests().is_empty(), "no model call was made");
    let items = app
        .dynamodb
        .scan()
        .table_name(&app.tables.rooms)
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 1, "only the room itself is stored");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_model_call() {
    let app = TestApp::spawn().await;
    let bo = learner(&app, "boram").await;
    let room = room(&app, &bo).await;
    let content_error = json!({"content": "must be 1 to 2000 characters"});
    for body in [
        json!({"content": "x".repeat(2001)}),
        json!({"content": "   "}),
        json!({"content": ""}),
    ] {
        let response = app.send(turn(&bo, &room, body)).await;
        assert_error(&response, 400, "validation_failed");
        assert_eq!(response.json()["error"]["fields"], content_error);
    }
    let at_limit = app
        .send(turn(&bo, &room, json!({"content": "가".repeat(2000)})))
        .await;
    assert_eq!(
        at_limit.status, 201,
        "2000 characters of any script are allowed"
    );
    for raw in [r#"{"content": 5}"#, "[]", "not json"] {
        let request = TestRequest::post(&format!("/rooms/{room}/messages"))
            .token(&bo.token)
            .raw(raw);
        assert_error(&app.send(request).await, 400, "invalid_json");
    }
    let huge = json!({"content": "x".repeat(70_000)});
    assert_error(
        &app.send(turn(&bo, &room, huge)).await,
        413,
        "payload_too_large",
    );
    assert_eq!(
        app.model.requests().len(),
        1,
        "only the valid turn reached the model"
    );
}

#[tokio::test]
async fn a_room_deleted_while_a_turn_streams_keeps_nothing() {
    let app = TestApp::spawn().await;
    let ari = learner(&app, "ari").await;
    let room = room(&app, &ari).await;
    app.model.then(Behaviour::Reply {
        text: "아주 천천히 쓰는 대답이에요".into(),
        first_delay: Duration::from_millis(100),
        delay: Duration::from_millis(100),
    });
    let streaming = app.send(streamed(turn(&ari, &room, json!({"content": "안녕"}))));
    let delete = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        app.send(TestRequest::delete(&format!("/rooms/{room}")).token(&ari.token))
            .await
    };
    let (streamed, deleted) = tokio::join!(streaming, delete);
    assert_eq!(deleted.status, 204);
    let events = events(&streamed.body);
    let (name, error) = events.last().unwrap();
    assert_eq!(
        (name.as_str(), error["error"]["code"].as_str()),
        ("error", Some("not_found"))
    );
    // The worker removes what the request hid; the turn that was running wrote nothing after.
    app.drain_deletions(5).await;
    let items = app
        .dynamodb
        .scan()
        .table_name(&app.tables.rooms)
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 0, "no orphaned message or reply");
}

#[tokio::test]
async fn suggestions_are_in_the_rooms_language_and_change_nothing() {
    let app = TestApp::spawn().await;
    let min = learner(&app, "min").await;
    let room = room(&app, &min).await;
    app.send(turn(&min, &room, json!({}))).await;
    let before = opened(&app, &min, &room).await;
    app.model
        .then(Behaviour::reply("\"따뜻한 라떼 한 잔 주세요.\""));
    let response = app
        .send(TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&min.token))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({"suggestion": "따뜻한 라떼 한 잔 주세요.",
               "suggestions": [{"text": "따뜻한 라떼 한 잔 주세요."}]})
    );
    assert_eq!(
        opened(&app, &min, &room).await,
        before,
        "nothing stored, nothing changed"
    );

    let sent = &app.model.requests()[1];
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("in Korean only") && system.contains("CEFR level A1"),
        "{system}"
    );
    let transcript = sent["messages"][1]["content"].as_str().unwrap();
    assert!(
        transcript.contains(
            r#"{"line":"This is reply number 1 from the fake model.","speaker":"other person"}"#
        ),
        "{transcript}"
    );
}

/// Several suggestions at once, each with its meaning in the learner's language: one model
/// call with a strict schema, charged once; a bad `count` or `ui` is a field error.
#[tokio::test]
async fn several_suggestions_come_with_their_meaning_for_one_call() {
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "3")]).await;
    let min = learner(&app, "minji").await;
    let room = room(&app, &min).await;
    app.send(turn(&min, &room, json!({}))).await;
    let ask = |query: &str| {
        TestRequest::post(&format!("/rooms/{room}/suggestions{query}")).token(&min.token)
    };
    for (query, field) in [
        ("?count=0", "count"),
        ("?count=4", "count"),
        ("?count=two", "count"),
        ("?count=2&ui=fr", "ui"),
    ] {
        let refused = app.send(ask(query)).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (400, "validation_failed"),
            "{query}"
        );
        assert!(
            refused.json()["error"]["fields"][field].is_string(),
            "{query}"
        );
    }
    let calls = app.model.requests().len();
    let response = app.send(ask("?count=3&ui=ko")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    let suggestions = body["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 3);
    assert_eq!(body["suggestion"], suggestions[0]["text"]);
    for (n, suggestion) in suggestions.iter().enumerate() {
        assert_eq!(suggestion["text"], format!("Fake suggestion {}.", n + 1));
        assert_eq!(
            suggestion["translation"],
            format!("What fake suggestion {} means.", n + 1)
        );
    }
    assert_eq!(app.model.requests().len(), calls + 1, "one model call");
    let sent = &app.model.requests()[calls];
    assert_eq!(
        sent["response_format"]["json_schema"]["name"],
        "suggestions"
    );
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("Write 3 different things") && system.contains("natural Korean"),
        "{system}"
    );
    // Three without translations; then the day's allowance (opener + two asks) is spent.
    let plain = app.send(ask("?count=2")).await.json();
    assert_eq!(plain["suggestions"].as_array().unwrap().len(), 2);
    assert!(
        plain["suggestions"][0].get("translation").is_none(),
        "{plain}"
    );
    let spent = app.send(ask("?count=3&ui=en")).await;
    assert_eq!(
        spent.status,
        429,
        "charged once per request: {}",
        spent.text()
    );
}

/// The round trips of a turn, counted by an interceptor on the SDK client: check the session,
/// read the room and the learner's memory (their learning partition and due words, two reads at
/// once), begin the turn (checking the session again), finish it; a learner's line is then counted
/// in their day (one transaction, after the reply), and the first study of a day carries the
/// streak on (two writes).
#[tokio::test]
async fn dynamodb_round_trips_per_turn() {
    let app = TestApp::spawn().await;
    let jo = learner(&app, "jooyoung").await;
    let room = room(&app, &jo).await;
    app.round_trips.take();
    assert_eq!(app.send(turn(&jo, &room, json!({}))).await.status, 201);
    assert_eq!(app.round_trips.take(), 6, "opening line");
    assert_eq!(
        app.send(streamed(turn(&jo, &room, json!({"content": "네"}))))
            .await
            .status,
        200
    );
    assert_eq!(
        app.round_trips.take(),
        9,
        "a streamed turn, the day's first line"
    );
    let keyed = turn(&jo, &room, json!({"content": "감사합니다"})).header("idempotency-key", "k1");
    assert_eq!(app.send(keyed).await.status, 201);
    assert_eq!(app.round_trips.take(), 7, "a turn with an idempotency key");
    assert_eq!(
        app.send(TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&jo.token))
            .await
            .status,
        200
    );
    assert_eq!(
        app.round_trips.take(),
        4,
        "a suggestion: check the session, read the room, charge the call and take a lease, end \
         the lease"
    );
}
