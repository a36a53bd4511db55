//! Scenarios, CEFR levels and goals: the catalogue route, rooms made from scenarios, goals
//! written and reset, and goals judged after each reply (the fake model meets a goal when a
//! learner line says `#<goal id>`). Automatic feedback is off in these rooms, so each turn's
//! model calls are the reply and the goal check alone.

use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::{TestApp, TestRequest, events};
use serde_json::{Value, json};

async fn learner(app: &TestApp, name: &str) -> String {
    app.sign_up(name, &format!("{name}'s password")).await
}

async fn create(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let response = app
        .send(TestRequest::post("/rooms").token(token).json(&body))
        .await;
    (response.status, response.json())
}

fn turn(token: &str, room: &str, content: &str) -> TestRequest {
    TestRequest::post(&format!("/rooms/{room}/messages"))
        .token(token)
        .json(&json!({"content": content}))
}

fn done(goals: &Value) -> Vec<(String, bool)> {
    goals
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_str().unwrap().to_owned(), g["done"] == true))
        .collect()
}

#[tokio::test]
async fn the_catalogue_is_public_cacheable_and_in_each_learners_language() {
    let app = TestApp::spawn().await;
    app.round_trips.take();
    let ko = app.send(TestRequest::get("/scenarios")).await;
    assert_eq!(ko.status, 200, "no token needed");
    assert_eq!(
        app.round_trips.take(),
        0,
        "the catalogue costs no DynamoDB call"
    );
    assert_eq!(ko.headers["cache-control"], "public, max-age=3600");
    let ko = ko.json();
    let items = ko["items"].as_array().unwrap();
    assert!(items.len() >= 40);
    let categories: std::collections::BTreeSet<_> = items
        .iter()
        .map(|s| s["category"].as_str().unwrap())
        .collect();
    assert!(categories.len() >= 6, "{categories:?}");
    for item in items {
        let keys: Vec<_> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "category",
                "goals",
                "gpt_role",
                "id",
                "levels",
                "my_role",
                "situation",
                "title",
                "unsuited"
            ],
            "{item}"
        );
        // Goals at each of its levels, and only those.
        let levels = item["levels"].as_array().unwrap();
        assert_eq!(item["goals"].as_object().unwrap().len(), levels.len());
        for level in levels {
            let level = level.as_str().unwrap();
            assert!(["A1", "A2", "B1", "B2", "C1", "C2"].contains(&level));
            let goals = item["goals"][level].as_array().unwrap().len();
            assert!((2..=4).contains(&goals), "{item}");
        }
    }
    let haggle = items.iter().find(|s| s["id"] == "souvenir-haggle").unwrap();
    assert_eq!(
        haggle["unsuited"],
        json!(["en-US", "ja-JP", "fr-FR", "de-DE"])
    );
    let en = app.send(TestRequest::get("/scenarios?ui=en")).await.json();
    let ja = app.send(TestRequest::get("/scenarios?ui=ja")).await.json();
    let cafe = |catalogue: &Value| {
        catalogue["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "cafe-order")
            .unwrap()["title"]
            .clone()
    };
    assert_eq!(cafe(&en), "Ordering at a café");
    assert_eq!(cafe(&ko), "카페에서 주문하기");
    assert_eq!(cafe(&ja), "カフェで注文する");
    let bad = app.send(TestRequest::get("/scenarios?ui=fr")).await;
    assert_eq!(bad.error_code(), "validation_failed");
    assert_eq!(app.send(TestRequest::post("/scenarios")).await.status, 405);
}

#[tokio::test]
async fn a_room_from_a_scenario_takes_its_setup_and_goals_and_keeps_overrides() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "sora").await;
    let (status, room) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "ja-JP", "level": "A2"}),
    )
    .await;
    assert_eq!(status, 201, "{room}");
    assert_eq!(room["scenario"], "cafe-order");
    assert_eq!(room["title"], "Ordering at a café");
    assert_eq!(room["my_role"], "a customer");
    assert_eq!(
        (room["language"].as_str(), room["level"].as_str()),
        (Some("ja-JP"), Some("A2"))
    );
    assert_eq!(room["auto_feedback"], true);
    assert_eq!(
        room["goals"][0],
        json!({"id": "order", "text": "Order a drink and choose its size", "done": false, "done_at": null})
    );
    assert_eq!(room["goals"].as_array().unwrap().len(), 3);
    // At B1 the same scene asks more of the learner; where it does not happen, it is refused.
    let (_, b1) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "ja-JP", "level": "B1"}),
    )
    .await;
    assert_eq!(b1["goals"][1]["id"], "recommend");
    let (status, refused) = create(
        &app,
        &token,
        json!({"scenario": "souvenir-haggle", "language": "ja-JP", "level": "A2"}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["fields"]["scenario"]
            .as_str()
            .unwrap()
            .starts_with("does not suit ja-JP"),
        "{refused}"
    );

    let (status, custom) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "language": "en-US", "level": "B1",
               "situation": "A café in a railway station", "title": "Station café",
               "goals": ["Ask for oat milk", "Pay by card"], "auto_feedback": false}),
    )
    .await;
    assert_eq!(status, 201, "{custom}");
    assert_eq!(custom["situation"], "A café in a railway station");
    assert_eq!(custom["title"], "Station café");
    assert_eq!(
        custom["gpt_role"], "오늘의 음료를 추천하기 좋아하는 친절한 바리스타",
        "ko by default"
    );
    assert_eq!(
        done(&custom["goals"]),
        [("g1".into(), false), ("g2".into(), false)]
    );
    assert_eq!(custom["auto_feedback"], false);

    for (body, field) in [
        (
            json!({"scenario": "no-such-scenario", "language": "en-US", "level": "A1"}),
            "scenario",
        ),
        (
            json!({"scenario": "cafe-order", "ui": "fr", "language": "en-US", "level": "A1"}),
            "ui",
        ),
        (json!({"scenario": "cafe-order", "level": "A1"}), "language"),
        (
            json!({"scenario": "cafe-order", "language": "en-US", "level": "D1"}),
            "level",
        ),
        (
            json!({"language": "en-US", "level": "A1", "situation": "x", "my_role": "a", "gpt_role": "b",
                "goals": ["1", "2", "3", "4", "5", "6"]}),
            "goals",
        ),
        (
            json!({"language": "en-US", "level": "A1", "situation": "x", "my_role": "a", "gpt_role": "b",
                "goals": ["x".repeat(121)]}),
            "goals",
        ),
    ] {
        let (status, error) = create(&app, &token, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            error["error"]["fields"][field].is_string(),
            "{body}: {error}"
        );
    }
    let wrong_type = app
        .send(TestRequest::post("/rooms").token(&token).json(
            &json!({"language": "en-US", "level": "A1", "situation": "x", "my_role": "a",
                    "gpt_role": "b", "goals": "not a list"}),
        ))
        .await;
    assert_eq!(wrong_type.error_code(), "invalid_json");

    // A custom room has no goals and no automatic feedback unless asked.
    let (_, plain) = create(
        &app,
        &token,
        json!({"language": "en-US", "level": "B2", "situation": "A job fair", "my_role": "a visitor",
               "gpt_role": "a recruiter"}),
    )
    .await;
    assert_eq!(
        (
            plain["goals"].clone(),
            plain["auto_feedback"].clone(),
            plain["scenario"].clone()
        ),
        (json!([]), json!(false), Value::Null)
    );
}

#[tokio::test]
async fn former_level_names_are_accepted_and_read_back_as_cefr() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "lev").await;
    for (given, read) in [
        ("beginner", "A1"),
        ("intermediate", "B1"),
        ("advanced", "C1"),
        ("C2", "C2"),
    ] {
        let (status, room) = create(
            &app,
            &token,
            json!({"language": "de-DE", "level": given, "situation": "Im Café", "my_role": "Gast",
                   "gpt_role": "Kellner"}),
        )
        .await;
        assert_eq!(
            (status, room["level"].as_str()),
            (201, Some(read)),
            "{given}"
        );
    }
    // A room stored before the change, with its former level, reads back mapped.
    let (_, room) = create(
        &app,
        &token,
        json!({"language": "de-DE", "level": "A2", "situation": "Im Café", "my_role": "Gast",
               "gpt_role": "Kellner"}),
    )
    .await;
    let id = room["id"].as_str().unwrap();
    app.dynamodb
        .update_item()
        .table_name(&app.tables.rooms)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(app.owner(&token).await.key().to_owned()),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{id}#room")),
        )
        .update_expression("SET #level = :old")
        .expression_attribute_names("#level", "level")
        .expression_attribute_values(
            ":old",
            aws_sdk_dynamodb::types::AttributeValue::S("intermediate".into()),
        )
        .send()
        .await
        .unwrap();
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{id}")).token(&token))
        .await
        .json();
    assert_eq!(opened["room"]["level"], "B1");
    let listed = app
        .send(TestRequest::get("/rooms").token(&token))
        .await
        .json();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id && r["level"] == "B1")
    );
}

#[tokio::test]
async fn goals_are_written_on_patch_and_writing_them_resets_their_progress() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "pat").await;
    let (_, room) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A1",
               "auto_feedback": false}),
    )
    .await;
    let id = room["id"].as_str().unwrap().to_owned();
    let reply = app.send(turn(&token, &id, "A latte, please #order")).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(done(&reply.json()["goals"])[0], ("order".into(), true));

    let patch = |body: Value| {
        TestRequest::patch(&format!("/rooms/{id}"))
            .token(&token)
            .json(&body)
    };
    let patched = app
        .send(patch(json!({"goals": ["Ask for the bill"]})))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(done(&patched.json()["goals"]), [("g1".into(), false)]);
    let cleared = app
        .send(patch(json!({"goals": null, "auto_feedback": false})))
        .await
        .json();
    assert_eq!(
        (cleared["goals"].clone(), cleared["auto_feedback"].clone()),
        (json!([]), json!(false))
    );
    let refused = app
        .send(patch(json!({"goals": ["a", "b", "c", "d", "e", "f"]})))
        .await;
    assert_eq!(refused.error_code(), "validation_failed");
    let refused = app.send(patch(json!({"auto_feedback": null}))).await;
    assert_eq!(refused.error_code(), "validation_failed");
}

#[tokio::test]
async fn a_turn_that_meets_a_goal_sends_the_goals_after_the_reply_and_stores_them() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "mei").await;
    let (_, room) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2",
               "auto_feedback": false}),
    )
    .await;
    let id = room["id"].as_str().unwrap().to_owned();
    let before = app.model.requests().len();
    let streamed = app
        .send(
            turn(&token, &id, "One large latte, please #order")
                .header("accept", "text/event-stream"),
        )
        .await;
    assert_eq!(streamed.status, 200);
    let events = events(&streamed.body);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.first(), Some(&"user_message"));
    let reply_at = names.iter().position(|n| *n == "reply").expect("a reply");
    assert_eq!(
        names[reply_at + 1..],
        ["goals"],
        "goals come last, after the reply"
    );
    let goals = &events.last().unwrap().1["goals"];
    assert_eq!(
        done(goals),
        [
            ("order".into(), true),
            ("price".into(), false),
            ("here".into(), false)
        ]
    );
    assert!(goals[0]["done_at"].is_string());

    // The goal check was one strict structured call naming exactly the open goals.
    let calls = &app.model.requests()[before..];
    assert_eq!(calls.len(), 2, "the reply and the goal check");
    let check = &calls[1]["response_format"]["json_schema"];
    assert_eq!(check["name"], "goals");
    assert_eq!(check["strict"], true);
    assert_eq!(
        check["schema"]["required"],
        json!(["order", "price", "here"])
    );
    assert_eq!(check["schema"]["additionalProperties"], false);
    // The tutor was told the open goals, to steer toward them.
    let system = calls[0]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("Steer the role-play") && system.contains("Ask how much it costs"),
        "{system}"
    );

    let opened = app
        .send(TestRequest::get(&format!("/rooms/{id}")).token(&token))
        .await
        .json();
    assert_eq!(
        opened["room"]["goals"], *goals,
        "the room reads back with the goal done"
    );

    // A done goal is not judged again; the next check names only the open ones.
    let reply = app
        .send(turn(&token, &id, "How much is it? #price #here"))
        .await
        .json();
    assert!(
        done(&reply["goals"]).iter().all(|(_, done)| *done),
        "{reply}"
    );
    let last = app.model.requests().last().unwrap().clone();
    assert_eq!(
        last["response_format"]["json_schema"]["schema"]["required"],
        json!(["price", "here"])
    );
    // Every goal done: the tutor closes the scene, and no check is made any more.
    let calls = app.model.requests().len();
    let reply = app.send(turn(&token, &id, "Thank you!")).await;
    assert_eq!(reply.status, 201);
    assert_eq!(
        app.model.requests().len(),
        calls + 1,
        "no goal check once all are done"
    );
    let system = app.model.requests().last().unwrap()["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(system.contains("natural, friendly close"), "{system}");
}

#[tokio::test]
async fn a_failed_goal_check_leaves_the_turn_whole() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "kai").await;
    let (_, room) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2",
               "auto_feedback": false}),
    )
    .await;
    let id = room["id"].as_str().unwrap().to_owned();
    for streaming in [true, false] {
        app.model
            .then(Behaviour::reply("Of course. Which size would you like?"));
        app.model.then(Behaviour::Malformed); // the goal check gets garbage
        let mut request = turn(&token, &id, &format!("A latte #order ({streaming})"));
        if streaming {
            request = request.header("accept", "text/event-stream");
        }
        let response = app.send(request).await;
        if streaming {
            let events = events(&response.body);
            let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names.last(),
                Some(&"reply"),
                "the goals event is left out: {names:?}"
            );
        } else {
            assert_eq!(response.status, 201);
            let body = response.json();
            assert_eq!(
                body["reply"]["content"],
                "Of course. Which size would you like?"
            );
            assert!(
                done(&body["goals"]).iter().all(|(_, d)| !d),
                "goals as they were"
            );
        }
    }
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{id}")).token(&token))
        .await
        .json();
    assert_eq!(
        opened["messages"].as_array().unwrap().len(),
        4,
        "both turns stored whole"
    );
    assert!(done(&opened["room"]["goals"]).iter().all(|(_, d)| !d));
}

#[tokio::test]
async fn rooms_without_goals_stream_exactly_as_before() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "ren").await;
    let (_, room) = create(
        &app,
        &token,
        json!({"language": "ko-KR", "level": "A1", "situation": "편의점", "my_role": "손님",
               "gpt_role": "점원"}),
    )
    .await;
    let id = room["id"].as_str().unwrap().to_owned();
    let streamed = app
        .send(turn(&token, &id, "안녕하세요 #order").header("accept", "text/event-stream"))
        .await;
    let names: Vec<String> = events(&streamed.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.first().map(String::as_str), Some("user_message"));
    assert_eq!(names.last().map(String::as_str), Some("reply"));
    assert!(names[1..names.len() - 1].iter().all(|n| n == "delta"));
    let json_turn = app.send(turn(&token, &id, "감사합니다")).await.json();
    assert!(json_turn.get("goals").is_none(), "{json_turn}");
    assert_eq!(app.model.requests().len(), 2, "no goal check without goals");
}

/// A turn in a room with goals costs one more round trip than one without when a goal is met
/// (the conditional update), none more otherwise; it counts two model calls against the limit.
#[tokio::test]
async fn goals_cost_at_most_one_round_trip_and_count_against_the_daily_limit() {
    // The allowance is per UTC day: the check must not straddle midnight.
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "6")]).await;
    let token = learner(&app, "rtrip").await;
    let (_, plain) = create(
        &app,
        &token,
        json!({"language": "en-US", "level": "A1", "situation": "A shop", "my_role": "a customer",
               "gpt_role": "a clerk"}),
    )
    .await;
    let (_, goals) = create(
        &app,
        &token,
        json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A1",
               "auto_feedback": false}),
    )
    .await;
    let (plain, goals) = (plain["id"].as_str().unwrap(), goals["id"].as_str().unwrap());
    // The day's first line carries the streak on: said before counting, so both turns compared
    // are ordinary ones.
    assert_eq!(app.send(turn(&token, plain, "Hi")).await.status, 201);
    app.round_trips.take();
    assert_eq!(app.send(turn(&token, plain, "Hello")).await.status, 201);
    let without = app.round_trips.take();
    assert_eq!(app.send(turn(&token, goals, "Hello")).await.status, 201);
    assert_eq!(
        app.round_trips.take(),
        without,
        "no goal met: no extra round trip"
    );
    assert_eq!(
        app.send(turn(&token, goals, "A tea #order")).await.status,
        201
    );
    assert_eq!(
        app.round_trips.take(),
        without + 2,
        "a goal met: one conditional update, and the goal counted in the learner's day"
    );
    // 1 + 1 + 2 + 2 = 6 calls so far: the limit is reached.
    let refused = app.send(turn(&token, plain, "Again")).await;
    assert_eq!(refused.error_code(), "rate_limited");
}

/// A room the learner wrote, with goals and automatic feedback: after the opening line (which
/// checks no goal), a line meets its goal and is corrected.
#[tokio::test]
async fn a_written_rooms_goals_are_met_with_automatic_feedback() {
    let app = TestApp::spawn().await;
    let token = learner(&app, "rin").await;
    let (status, room) = create(
        &app,
        &token,
        json!({"language": "en-US", "level": "A2", "situation": "Buying a bus pass",
               "my_role": "a student", "gpt_role": "a ticket clerk",
               "goals": ["Ask for a monthly pass", "Ask the price"], "auto_feedback": true}),
    )
    .await;
    assert_eq!(status, 201, "{room}");
    let id = room["id"].as_str().unwrap();
    let calls = app.model.requests().len();
    let opener = app
        .send(
            TestRequest::post(&format!("/rooms/{id}/messages"))
                .token(&token)
                .json(&json!({})),
        )
        .await;
    assert_eq!(opener.status, 201, "{}", opener.text());
    assert_eq!(
        done(&opener.json()["goals"]),
        [("g1".into(), false), ("g2".into(), false)]
    );
    assert_eq!(
        app.model.requests().len(),
        calls + 1,
        "the opening line alone"
    );
    let said = app
        .send(turn(&token, id, "A monthly pass, please #g1"))
        .await;
    assert_eq!(said.status, 201, "{}", said.text());
    let said = said.json();
    assert_eq!(
        done(&said["goals"]),
        [("g1".into(), true), ("g2".into(), false)]
    );
    assert_eq!(said["user_message"]["feedback"]["checked"], true);
}
