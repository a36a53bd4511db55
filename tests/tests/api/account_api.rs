//! The account a learner controls: profile, password change, logging out everywhere, export of
//! everything, and deletion of everything (in the background, completely, and nothing else).

use std::collections::HashMap;
use std::time::Instant;

use rolechat_tests::{TestApp, TestRequest, TestResponse};
use serde_json::{Value, json};

fn setup(situation: &str) -> Value {
    json!({"language": "en-US", "level": "B1", "situation": situation,
           "my_role": "a customer", "gpt_role": "a barista"})
}

fn assert_error(response: &TestResponse, status: u16, code: &str) {
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (status, code),
        "{}",
        response.text()
    );
}

async fn login(app: &TestApp, username: &str, password: &str) -> TestResponse {
    app.send(TestRequest::post("/auth").json(&json!({"username": username, "password": password})))
        .await
}

async fn token_of(app: &TestApp, username: &str, password: &str) -> String {
    let response = login(app, username, password).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["access_token"].as_str().unwrap().to_owned()
}

async fn status(app: &TestApp, request: TestRequest) -> u16 {
    app.send(request).await.status
}

/// A turn of the conversation; panics unless it is stored. Returns (learner's id, reply's id).
async fn talk(app: &TestApp, token: &str, room: &str, content: &str) -> (String, String) {
    let response = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(token)
                .json(&json!({"content": content})),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    (
        body["user_message"]["id"].as_str().unwrap().to_owned(),
        body["reply"]["id"].as_str().unwrap().to_owned(),
    )
}

/// Every item of every table, as text, keyed by table.
async fn everything(app: &TestApp) -> HashMap<&'static str, Vec<String>> {
    let tables = [
        ("users", &app.tables.users),
        ("sessions", &app.tables.sessions),
        ("rooms", &app.tables.rooms),
        ("limits", &app.tables.limits),
        ("vocabulary", &app.tables.vocabulary),
        ("deletions", &app.tables.deletions),
    ];
    let mut all = HashMap::new();
    for (name, table) in tables {
        let items = app.scan_all(table).await;
        all.insert(name, items.iter().map(|item| format!("{item:?}")).collect());
    }
    all
}

fn mentioning<'a>(all: &'a HashMap<&str, Vec<String>>, needle: &str) -> Vec<(&'a str, &'a String)> {
    all.iter()
        .flat_map(|(table, items)| items.iter().map(move |item| (*table, item)))
        .filter(|(_, item)| item.contains(needle))
        .collect()
}

#[tokio::test]
async fn the_profile_shows_and_changes_within_its_limits() {
    let app = TestApp::spawn().await;
    let signed_up = app
        .send(TestRequest::post("/signup").json(
            &json!({"username": "Hana", "password": "hana's password", "native_language": "ja"}),
        ))
        .await;
    assert_eq!(signed_up.status, 201, "{}", signed_up.text());
    assert_eq!(signed_up.json()["user"]["native_language"], "ja");
    let token = signed_up.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad_signup = app
        .send(TestRequest::post("/signup").json(
            &json!({"username": "other", "password": "other's password", "native_language": "fr"}),
        ))
        .await;
    assert_error(&bad_signup, 400, "validation_failed");
    assert_eq!(
        bad_signup.json()["error"]["fields"],
        json!({"native_language": "must be one of ko, en, ja"})
    );

    let me = app.send(TestRequest::get("/me").token(&token)).await.json();
    assert_eq!(
        me,
        json!({"user": {"username": "Hana", "created_at": me["user"]["created_at"],
                        "display_name": null, "native_language": "ja",
                        "login_methods": ["password"], "linked_logins": [],
                        "username_changeable": false, "time_zone": "UTC",
                        "daily_goal": {"unit": "minutes", "amount": 10}, "study": null,
                        "onboarded": false, "email": null, "email_pending": null,
                        "email_bounced": false,
                        "reminders": {"daily": false, "weekly": false, "hour": 19}}})
    );
    let patch = |body: Value| TestRequest::patch("/me").token(&token).json(&body);

    let forty = "가".repeat(40);
    let changed = app
        .send(patch(
            json!({"display_name": format!("  {forty} "), "native_language": "en"}),
        ))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(changed.json()["user"]["display_name"], forty, "trimmed");
    assert_eq!(changed.json()["user"]["native_language"], "en");
    assert_eq!(
        app.send(TestRequest::get("/auth").token(&token))
            .await
            .json()["user"],
        changed.json()["user"],
        "GET /auth shows the same user"
    );

    for (body, field, problem) in [
        (
            json!({"display_name": "가".repeat(41)}),
            "display_name",
            "must be 1 to 40 characters",
        ),
        (
            json!({"display_name": "   "}),
            "display_name",
            "must be 1 to 40 characters",
        ),
        (
            json!({"display_name": "a\u{7}b"}),
            "display_name",
            "must not contain control characters",
        ),
        (
            json!({"native_language": "de"}),
            "native_language",
            "must be one of ko, en, ja",
        ),
        (
            json!({"native_language": null}),
            "native_language",
            "must be one of ko, en, ja",
        ),
        (
            json!({"time_zone": "Mars/Olympus_Mons"}),
            "time_zone",
            "must be an IANA time zone such as Asia/Seoul",
        ),
        (
            json!({"daily_goal": {"unit": "minutes", "amount": 0}}),
            "daily_goal",
            "minutes must be 3 to 120",
        ),
        (
            json!({"daily_goal": {"unit": "hours", "amount": 1}}),
            "daily_goal",
            "must be one of minutes, turns",
        ),
        (
            json!({"study": {"language": "ko-KR", "level": "Z9"}}),
            "study.level",
            "must be one of A1, A2, B1, B2, C1, C2",
        ),
        (
            json!({"study": {"language": "ko-KR", "level": "A1", "reason": "boredom"}}),
            "study.reason",
            "must be one of travel, work, exam, family, fun",
        ),
    ] {
        let response = app.send(patch(body.clone())).await;
        assert_error(&response, 400, "validation_failed");
        assert_eq!(
            response.json()["error"]["fields"],
            json!({field: problem}),
            "{body}"
        );
    }
    for body in [json!({"display_name": 7}), json!([1]), json!("name")] {
        assert_error(&app.send(patch(body)).await, 400, "invalid_json");
    }
    // Nothing refused changed anything; nothing sent changes nothing; null removes the name.
    let unchanged = app.send(patch(json!({}))).await.json();
    assert_eq!(unchanged["user"], changed.json()["user"]);
    let removed = app.send(patch(json!({"display_name": null}))).await.json();
    assert_eq!(removed["user"]["display_name"], Value::Null);

    // Onboarding's choices: where the day begins, the goal, what is studied and why.
    let onboarded = app
        .send(patch(json!({"time_zone": "Asia/Seoul", "onboarded": true,
                           "daily_goal": {"unit": "turns", "amount": 20},
                           "study": {"language": "ja-JP", "level": "A2", "reason": "travel"}})))
        .await;
    assert_eq!(onboarded.status, 200, "{}", onboarded.text());
    let user = &onboarded.json()["user"];
    assert_eq!(user["time_zone"], "Asia/Seoul");
    assert_eq!(user["daily_goal"], json!({"unit": "turns", "amount": 20}));
    assert_eq!(
        user["study"],
        json!({"language": "ja-JP", "level": "A2", "reason": "travel"})
    );
    assert_eq!(user["onboarded"], true);
    let me = app.send(TestRequest::get("/me").token(&token)).await.json();
    assert_eq!(&me["user"], user, "kept");
    assert_eq!(removed["user"]["native_language"], "en");
}

#[tokio::test]
async fn the_native_language_explains_when_a_request_names_none() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("ines", "ines's password").await;
    let room = app.create_room(&token, &setup("Ordering a coffee")).await;
    let (said, _) = talk(&app, &token, &room, "I would like a coffee, please").await;
    app.send(
        TestRequest::patch("/me")
            .token(&token)
            .json(&json!({"native_language": "ja"})),
    )
    .await;
    let feedback = app
        .send(TestRequest::post(&format!("/rooms/{room}/messages/{said}/feedback")).token(&token))
        .await;
    assert_eq!(feedback.status, 200, "{}", feedback.text());
    let asked = app.model.requests();
    let prompt = asked.last().unwrap().to_string();
    assert!(
        prompt.contains("Japanese"),
        "explained in Japanese: {prompt}"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("jun", "jun's first password").await;
    let second = token_of(&app, "jun", "jun's first password").await;
    let change = |token: &str, current: &str, new: &str| {
        TestRequest::post("/me/password")
            .token(token)
            .json(&json!({"current_password": current, "new_password": new}))
    };

    let wrong = app
        .send(change(&first, "not my password", "jun's second password"))
        .await;
    assert_error(&wrong, 401, "invalid_credentials");
    // A wrong current password is a failed login for the name, counted like one.
    let stored = everything(&app).await;
    assert!(
        !mentioning(&stored, "fail#jun").is_empty(),
        "the failure is counted"
    );
    for (body, field) in [
        (
            json!({"current_password": "jun's first password"}),
            "new_password",
        ),
        (
            json!({"new_password": "jun's second password"}),
            "current_password",
        ),
        (
            json!({"current_password": "jun's first password", "new_password": "short"}),
            "new_password",
        ),
        (
            json!({"current_password": "jun's first password", "new_password": "jun's first password"}),
            "new_password",
        ),
        (
            json!({"current_password": "jun's first password", "new_password": "JUN"}),
            "new_password",
        ),
    ] {
        let response = app
            .send(TestRequest::post("/me/password").token(&first).json(&body))
            .await;
        assert_error(&response, 400, "validation_failed");
        assert!(
            response.json()["error"]["fields"][field].is_string(),
            "{body}"
        );
    }
    assert_eq!(
        status(&app, TestRequest::get("/me").token(&second)).await,
        200,
        "nothing changed"
    );

    let changed = app
        .send(change(
            &first,
            "jun's first password",
            "jun's second password",
        ))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let body = changed.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["username"], "jun");
    let new_token = body["access_token"].as_str().unwrap().to_owned();

    for (name, token) in [
        ("the changing session", &first),
        ("another session", &second),
    ] {
        for path in ["/me", "/rooms", "/vocabulary"] {
            let response = app.send(TestRequest::get(path).token(token)).await;
            assert_error(&response, 401, "unauthorized");
            assert!(!response.text().contains("jun"), "{name} on {path}");
        }
    }
    assert_eq!(
        status(&app, TestRequest::get("/me").token(&new_token)).await,
        200
    );
    assert_error(
        &login(&app, "jun", "jun's first password").await,
        401,
        "invalid_credentials",
    );
    assert_eq!(
        login(&app, "jun", "jun's second password").await.status,
        200
    );
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session() {
    let app = TestApp::spawn().await;
    let tokens = vec![
        app.sign_up("kira", "kira's password").await,
        token_of(&app, "kira", "kira's password").await,
        token_of(&app, "kira", "kira's password").await,
    ];
    let other = app.sign_up("leo", "leo's password").await;
    let room = app.create_room(&tokens[0], &setup("At the market")).await;

    let ended = app
        .send(TestRequest::delete("/me/sessions").token(&tokens[1]))
        .await;
    assert_eq!(ended.status, 204, "{}", ended.text());
    for token in &tokens {
        for request in [
            TestRequest::get("/me"),
            TestRequest::get(&format!("/rooms/{room}")),
            TestRequest::delete("/me/sessions"),
            TestRequest::post(&format!("/rooms/{room}/messages")).json(&json!({"content": "hi"})),
        ] {
            assert_error(&app.send(request.token(token)).await, 401, "unauthorized");
        }
    }
    assert_eq!(
        app.model.requests().len(),
        0,
        "no ended session reached the model"
    );
    assert_eq!(
        status(&app, TestRequest::get("/me").token(&other)).await,
        200,
        "others stay"
    );
    let again = token_of(&app, "kira", "kira's password").await;
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&again))
        .await;
    assert_eq!(
        opened.status,
        200,
        "the data is still there: {}",
        opened.text()
    );
}

#[tokio::test]
async fn the_export_holds_every_room_message_aid_report_and_word_and_no_secret() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("mika", "mika's password").await;
    let other = app.sign_up("noor", "noor's password").await;
    app.create_room(&other, &setup("NOOR-SECRET-ROOM")).await;

    let first = app.create_room(&token, &setup("Ordering a coffee")).await;
    let second = app.create_room(&token, &setup("Asking the way")).await;
    let (said, reply) = talk(&app, &token, &first, "A latte, please").await;
    talk(&app, &token, &first, "With oat milk").await;
    talk(&app, &token, &second, "Where is the station?").await;
    for path in [
        format!("/rooms/{first}/messages/{said}/feedback?ui=en"),
        format!("/rooms/{first}/messages/{reply}/translation?to=ko"),
        format!("/rooms/{first}/report?ui=en"),
    ] {
        let response = app.send(TestRequest::post(&path).token(&token)).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
    }
    let word = app
        .send(
            TestRequest::post("/vocabulary")
                .token(&token)
                .json(&json!({"text": "oat milk", "language": "en-US", "meaning": "귀리 우유"})),
        )
        .await;
    assert_eq!(word.status, 201, "{}", word.text());

    let export = app.send(TestRequest::get("/me/export").token(&token)).await;
    assert_eq!(export.status, 200);
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"rolechat-export-"),
    );
    assert_eq!(
        export.headers["content-type"],
        "application/json; charset=utf-8"
    );
    let document: Value = serde_json::from_slice(&export.body).expect("one JSON document");
    assert_eq!(document["format"], "rolechat-export");
    assert_eq!(document["user"]["username"], "mika");

    let rooms = document["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 2);
    for room in rooms {
        let id = room["id"].as_str().unwrap();
        let listed = app
            .send(TestRequest::get(&format!("/rooms/{id}/messages?limit=100")).token(&token))
            .await
            .json();
        assert_eq!(
            room["messages"], listed["items"],
            "every message, oldest first, with its aids"
        );
        let shown = app
            .send(TestRequest::get(&format!("/rooms/{id}")).token(&token))
            .await
            .json();
        for field in ["title", "situation", "goals", "level", "message_count"] {
            assert_eq!(room[field], shown["room"][field], "{field}");
        }
    }
    let coffee = rooms.iter().find(|r| r["id"] == first).unwrap();
    let said_exported = coffee["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == said);
    assert!(
        said_exported.unwrap()["feedback"].is_object(),
        "the feedback"
    );
    let reply_exported = coffee["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == reply);
    assert!(
        reply_exported.unwrap()["translations"]["ko"].is_string(),
        "the translation"
    );
    assert!(coffee["report"].is_object(), "the report");
    let other_room = rooms.iter().find(|r| r["id"] == second).unwrap();
    assert_eq!(other_room["report"], Value::Null);
    assert_eq!(document["vocabulary"].as_array().unwrap().len(), 1);
    assert_eq!(document["vocabulary"][0]["text"], "oat milk");

    let text = export.text();
    let claims = app.state.tokens.verify(&token).unwrap();
    for secret in [
        "$argon2",
        "mika's password",
        &claims.sid,
        &token,
        "NOOR-SECRET-ROOM",
        "generation",
    ] {
        assert!(!text.contains(secret), "the export shows {secret}");
    }
}

#[tokio::test]
async fn the_export_of_50_rooms_of_200_messages_streams_as_it_is_read() {
    let app = TestApp::spawn_with(&[("ROLECHAT_MAX_ROOMS", "60")]).await;
    let token = app.sign_up("olga", "olga's password").await;
    let owner = app.owner(&token).await;
    let mut rooms = Vec::new();
    for n in 0..50 {
        let room = app.create_room(&token, &setup(&format!("Scene {n}"))).await;
        app.seed_messages(owner.key(), &room, 200).await;
        rooms.push(room);
    }
    let started = Instant::now();
    let export = app
        .send_timed(TestRequest::get("/me/export").token(&token))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(export.status, 200);
    let body: Vec<u8> = export
        .chunks
        .iter()
        .flat_map(|(_, b)| b.iter().copied())
        .collect();
    let document: Value = serde_json::from_slice(&body).unwrap();
    let exported = document["rooms"].as_array().unwrap();
    assert_eq!(exported.len(), 50);
    assert!(
        exported
            .iter()
            .all(|room| room["messages"].as_array().unwrap().len() == 200)
    );
    assert!(
        export.chunks.len() > 100,
        "written as read: {} pieces",
        export.chunks.len()
    );
    println!(
        "export of 50 rooms x 200 messages: {:.1} MB in {} pieces, {:.0} ms",
        body.len() as f64 / 1e6,
        export.chunks.len(),
        elapsed.as_secs_f64() * 1e3
    );
}

/// An account of 30 rooms and 3,000 messages, a notebook, sessions and counters, deleted; and
/// another user's data, which must stay whole.
#[tokio::test]
async fn deleting_the_account_frees_the_name_and_leaves_no_item_of_it() {
    let app = TestApp::spawn_with(&[("ROLECHAT_DELETION_ROUND_ITEMS", "1000")]).await;
    let token = app.sign_up("Pia", "pia's password").await;
    let second = token_of(&app, "pia", "pia's password").await;
    let owner = app.owner(&token).await;
    let old_id = owner.key().to_owned();
    let mut rooms = Vec::new();
    for n in 0..30 {
        let room = app
            .create_room(&token, &setup(&format!("Pia's scene {n}")))
            .await;
        app.seed_messages(owner.key(), &room, 100).await;
        rooms.push(room);
    }
    talk(&app, &token, &rooms[0], "One real turn, with its counters").await;
    app.send(
        TestRequest::post(&format!("/rooms/{}/messages", rooms[1]))
            .token(&token)
            .header("idempotency-key", "pia-turn-1")
            .json(&json!({"content": "And one with a key"})),
    )
    .await;
    app.send(
        TestRequest::post("/vocabulary")
            .token(&token)
            .json(&json!({"text": "latte", "language": "en-US", "meaning": "라테"})),
    )
    .await;

    let bystander = app.sign_up("quinn", "quinn's password").await;
    let kept_room = app.create_room(&bystander, &setup("Quinn's scene")).await;
    talk(&app, &bystander, &kept_room, "Quinn stays").await;
    app.send(
        TestRequest::post("/vocabulary")
            .token(&bystander)
            .json(&json!({"text": "stay", "language": "en-US", "meaning": "머물다"})),
    )
    .await;
    let quinn_id = app.owner(&bystander).await.key().to_owned();
    let before = everything(&app).await;
    let quinn_before = mentioning(&before, &quinn_id).len();
    assert!(mentioning(&before, &old_id).len() > 3000);

    // A wrong password, a missing one: refused, and nothing is gone.
    let wrong = app
        .send(
            TestRequest::delete("/me")
                .token(&token)
                .json(&json!({"password": "not it"})),
        )
        .await;
    assert_error(&wrong, 401, "invalid_credentials");
    let missing = app
        .send(TestRequest::delete("/me").token(&token).json(&json!({})))
        .await;
    assert_error(&missing, 400, "validation_failed");
    assert_eq!(
        status(&app, TestRequest::get("/me").token(&second)).await,
        200
    );

    let deleted = app
        .send(
            TestRequest::delete("/me")
                .token(&token)
                .json(&json!({"password": "pia's password"})),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    // Gone at once: every token, the login, the name (taken again by someone new, who starts
    // with nothing), before the worker has run at all.
    for t in [&token, &second] {
        for path in [
            "/me".to_owned(),
            "/rooms".to_owned(),
            format!("/rooms/{}", rooms[0]),
        ] {
            assert_error(
                &app.send(TestRequest::get(&path).token(t)).await,
                401,
                "unauthorized",
            );
        }
    }
    assert_error(
        &login(&app, "pia", "pia's password").await,
        401,
        "invalid_credentials",
    );
    let newcomer = app.sign_up("PIA", "a new pia's password").await;
    assert_eq!(
        app.send(TestRequest::get("/rooms").token(&newcomer))
            .await
            .json()["items"],
        json!([])
    );
    assert_error(
        &app.send(TestRequest::get(&format!("/rooms/{}", rooms[0])).token(&newcomer))
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        app.state
            .store
            .stalled_deletions(i64::MAX)
            .await
            .unwrap()
            .len(),
        1
    );

    let started = Instant::now();
    let batches = app.drain_deletions(20).await;
    let elapsed = started.elapsed();
    println!(
        "account of 30 rooms and 3,000 messages deleted in {batches} runs, {:.0} ms",
        elapsed.as_secs_f64() * 1e3
    );
    assert!(batches >= 4, "runs of 1,000 items: {batches}");

    let after = everything(&app).await;
    let left = mentioning(&after, &old_id);
    assert!(
        left.is_empty(),
        "items of the deleted user remain: {left:?}"
    );
    assert_eq!(
        mentioning(&after, &quinn_id).len(),
        quinn_before,
        "quinn's items are untouched"
    );
    assert!(after["deletions"].is_empty(), "the job is done");
    assert_eq!(
        status(&app, TestRequest::get("/me").token(&newcomer)).await,
        200
    );
    assert_eq!(
        status(
            &app,
            TestRequest::get(&format!("/rooms/{kept_room}")).token(&bystander)
        )
        .await,
        200
    );
}

#[tokio::test]
async fn a_room_of_20000_messages_is_deleted_completely() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("rosa", "rosa's password").await;
    let owner = app.owner(&token).await;
    let big = app.create_room(&token, &setup("A very long talk")).await;
    let kept = app.create_room(&token, &setup("A short one")).await;
    app.seed_messages(owner.key(), &big, 20_000).await;
    app.seed_messages(owner.key(), &kept, 10).await;

    assert_eq!(
        status(
            &app,
            TestRequest::delete(&format!("/rooms/{big}")).token(&token)
        )
        .await,
        204
    );
    assert_eq!(
        status(
            &app,
            TestRequest::get(&format!("/rooms/{big}")).token(&token)
        )
        .await,
        404
    );
    let started = Instant::now();
    app.drain_deletions(5).await;
    println!(
        "room of 20,000 messages deleted in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let rooms = app.scan_all(&app.tables.rooms).await;
    let of = |room: &str| {
        rooms
            .iter()
            .filter(|item| item["sk"].as_s().unwrap().starts_with(&format!("{room}#")))
            .count()
    };
    assert_eq!(of(&big), 0);
    assert_eq!(of(&kept), 11, "the other room and its messages");
}

/// The DynamoDB round trips of each account route, and the capacity DynamoDB reports for them.
#[tokio::test]
async fn dynamodb_round_trips_and_units_per_account_route() {
    let app = TestApp::spawn().await;
    app.store_meter.count_capacity();
    let token = app.sign_up("sami", "sami's password").await;
    let owner = app.owner(&token).await;
    for n in 0..3 {
        let room = app.create_room(&token, &setup(&format!("Scene {n}"))).await;
        app.seed_messages(owner.key(), &room, 150).await;
    }
    app.round_trips.take();
    app.store_meter.take();
    let mut figures = Vec::new();
    let mut measure = |what: &str, expected: usize| {
        let trips = app.round_trips.take();
        let cost = app.store_meter.take();
        figures.push(format!(
            "{what}: {trips} round trips, {:.1} RCU, {:.1} WCU",
            cost.read_units, cost.write_units
        ));
        assert_eq!(trips, expected, "{what}");
    };

    app.send(TestRequest::get("/me").token(&token)).await;
    measure("GET /me (session and user, one batch read)", 1);
    app.send(
        TestRequest::patch("/me")
            .token(&token)
            .json(&json!({"display_name": "Sami"})),
    )
    .await;
    measure("PATCH /me (+ one conditional update)", 2);
    app.send(TestRequest::get("/me/export").token(&token)).await;
    // The batch read, the export counted, one page of rooms, two pages of messages for each of
    // 3 rooms of 150, one page of the notebook, one of the learning partition.
    measure(
        "GET /me/export (3 rooms of 150 messages)",
        1 + 1 + 1 + 3 * 2 + 1 + 1,
    );
    let changed = app
        .send(TestRequest::post("/me/password").token(&token).json(
            &json!({"current_password": "sami's password", "new_password": "sami's new password"}),
        ))
        .await;
    // The batch read, the attempt counted (one transaction), the change with the new session.
    measure("POST /me/password", 3);
    let token = changed.json()["access_token"].as_str().unwrap().to_owned();
    app.send(
        TestRequest::post("/me/password")
            .token(&token)
            .json(&json!({"current_password": "wrong!", "new_password": "whatever it is"})),
    )
    .await;
    measure(
        "POST /me/password, wrong password (+ the failure counted)",
        3,
    );
    let again = token_of(&app, "sami", "sami's new password").await;
    app.round_trips.take();
    app.store_meter.take();
    app.send(TestRequest::delete("/me/sessions").token(&again))
        .await;
    measure("DELETE /me/sessions (one update, however many sessions)", 2);
    let last = token_of(&app, "sami", "sami's new password").await;
    app.round_trips.take();
    app.store_meter.take();
    app.send(
        TestRequest::delete("/me")
            .token(&last)
            .json(&json!({"password": "sami's new password"})),
    )
    .await;
    measure(
        "DELETE /me (the attempt counted, then user and job in one transaction)",
        3,
    );
    let runs = app.drain_deletions(5).await;
    let trips = app.round_trips.take();
    let cost = app.store_meter.take();
    figures.push(format!(
        "deletion worker, {runs} run(s) for 3 rooms of 150 messages: {trips} round trips, {:.1} RCU, {:.1} WCU",
        cost.read_units, cost.write_units
    ));
    println!("{}", figures.join("\n"));
}

/// An export reads the whole account: a user may download it `ROLECHAT_EXPORTS_PER_HOUR` times
/// an hour, then waits for the next hour; another user is not held up.
#[tokio::test]
async fn exports_are_limited_per_user_and_hour() {
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_EXPORTS_PER_HOUR", "2")]).await;
    let token = app.sign_up("exa", "exa's password").await;
    let other = app.sign_up("exo", "exo's password").await;
    // Not across the hour's edge, where the count starts again.
    for _ in 0..2 {
        let export = app.send(TestRequest::get("/me/export").token(&token)).await;
        assert_eq!(export.status, 200, "{}", export.text());
    }
    let refused = app.send(TestRequest::get("/me/export").token(&token)).await;
    assert_error(&refused, 429, "rate_limited");
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    assert_eq!(
        app.send(TestRequest::get("/me/export").token(&other))
            .await
            .status,
        200
    );
}
