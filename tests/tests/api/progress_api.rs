//! Progress across days: study counted as it happens (lines, time, goals, mistakes, reviews),
//! the streak in the learner's own time zone across midnight and a daylight-saving change, the
//! tutor's memory (facts, due words reviewed in conversation), and a progress route whose cost
//! does not grow with the learner's history.

use rolechat_tests::{TestApp, TestRequest};
use serde_json::{Value, json};
use time::macros::datetime;

async fn progress(app: &TestApp, token: &str) -> Value {
    let response = app.send(TestRequest::get("/progress").token(token)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

async fn say(app: &TestApp, token: &str, room: &str, line: &str) -> Value {
    let response = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(token)
                .json(&json!({"content": line})),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// The automatic feedback on `line`, said as a streamed turn (the event the site reads).
async fn streamed_feedback(app: &TestApp, token: &str, room: &str, line: &str) -> Value {
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(token)
                .header("accept", "text/event-stream")
                .json(&json!({"content": line})),
        )
        .await;
    rolechat_tests::events(&turn.body)
        .into_iter()
        .find(|(name, _)| name == "feedback")
        .map(|(_, data)| data["feedback"].clone())
        .expect("automatic feedback")
}

async fn log_in(app: &TestApp, username: &str, password: &str) -> String {
    let response = app
        .send(TestRequest::post("/auth").json(&json!({"username": username, "password": password})))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["access_token"].as_str().unwrap().to_owned()
}

fn room_setup() -> Value {
    json!({"language": "ja-JP", "level": "A2", "situation": "At a ticket office",
           "my_role": "a traveller", "gpt_role": "a clerk", "auto_feedback": true})
}

/// Moves the app's clock to `at`.
fn set_time(app: &TestApp, at: time::OffsetDateTime) {
    app.state.clock.advance(at - app.state.clock.now());
}

#[tokio::test]
async fn a_streak_runs_in_the_learners_time_zone_across_midnight_and_daylight_saving() {
    let app = TestApp::spawn().await;
    // 04:30 UTC on 14 March 2027 is 23:30 on the 13th in New York (still standard time). (The
    // clock only moves forward: tokens expire by the system's time.)
    set_time(&app, datetime!(2027-03-14 04:30 UTC));
    let token = app.sign_up("nora", "nora's password").await;
    let zone = app
        .send(TestRequest::patch("/me").token(&token).json(
            &json!({"time_zone": "America/New_York", "daily_goal": {"unit": "turns", "amount": 5}}),
        ))
        .await;
    assert_eq!(zone.status, 200, "{}", zone.text());
    let room = app.create_room(&token, &room_setup()).await;

    let fresh = progress(&app, &token).await;
    assert_eq!(fresh["today"]["day"], "2027-03-13");
    assert_eq!(
        fresh["streak"],
        json!({"current": 0, "longest": 0, "studied_today": false})
    );
    assert_eq!(fresh["days"], json!([]));

    say(&app, &token, &room, "切符を一枚ください").await;
    say(&app, &token, &room, "東京までお願いします").await;
    let first = progress(&app, &token).await;
    assert_eq!(first["today"]["turns"], 2);
    assert_eq!(
        first["today"]["goal"],
        json!({"unit": "turns", "amount": 5})
    );
    assert_eq!(first["today"]["goal_met"], false);
    assert_eq!(
        first["streak"],
        json!({"current": 1, "longest": 1, "studied_today": true})
    );
    assert_eq!(first["days"][0]["day"], "2027-03-13");
    // Every line's feedback found a mistake of its kind.
    assert_eq!(first["days"][0]["mistakes"], 2);
    assert_eq!(
        first["days"][0]["mistake_kinds"],
        json!([{"category": "word_choice", "count": 2}])
    );
    assert_eq!(
        first["mistakes"],
        json!([{"category": "word_choice", "count": 2}])
    );

    // 23:30 on the 14th in New York is 03:30 UTC on the 15th: daylight time began meanwhile.
    set_time(&app, datetime!(2027-03-15 03:30 UTC));
    let token = log_in(&app, "nora", "nora's password").await;
    let next = progress(&app, &token).await;
    assert_eq!(next["today"]["day"], "2027-03-14");
    assert_eq!(next["today"]["turns"], 0);
    assert_eq!(
        next["streak"],
        json!({"current": 1, "longest": 1, "studied_today": false}),
        "yesterday's streak lives until today ends"
    );
    say(&app, &token, &room, "何時に出ますか").await;
    // An hour later it is the 15th: one more line makes three days in a row.
    set_time(&app, datetime!(2027-03-15 04:30 UTC));
    say(&app, &token, &room, "ありがとうございます").await;
    let third = progress(&app, &token).await;
    assert_eq!(third["today"]["day"], "2027-03-15");
    assert_eq!(
        third["streak"],
        json!({"current": 3, "longest": 3, "studied_today": true})
    );
    let days: Vec<&str> = third["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2027-03-13", "2027-03-14", "2027-03-15"]);
    assert_eq!(third["totals"]["turns"], 4);
    assert_eq!(third["totals"]["days_studied"], 3);

    // Two days without study end the run; the longest is kept.
    set_time(&app, datetime!(2027-03-17 16:00 UTC));
    let token = log_in(&app, "nora", "nora's password").await;
    let broken = progress(&app, &token).await;
    assert_eq!(
        broken["streak"],
        json!({"current": 0, "longest": 3, "studied_today": false})
    );
    say(&app, &token, &room, "また来ます").await;
    let again = progress(&app, &token).await;
    assert_eq!(
        again["streak"],
        json!({"current": 1, "longest": 3, "studied_today": true})
    );

    // The same instant is another day in Seoul: the day follows the learner's zone.
    let seoul = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"time_zone": "Asia/Seoul"})),
        )
        .await;
    assert_eq!(seoul.status, 200);
    assert_eq!(progress(&app, &token).await["today"]["day"], "2027-03-18");
}

#[tokio::test]
async fn concurrent_turns_are_all_counted() {
    let app = TestApp::spawn_at_noon(&[]).await;
    let token = app.sign_up("cora", "cora's password").await;
    let mut rooms = Vec::new();
    for _ in 0..3 {
        rooms.push(app.create_room(&token, &room_setup()).await);
    }
    let turns = rooms
        .iter()
        .map(|room| say(&app, &token, room, "一枚ください"));
    futures_util::future::join_all(turns).await;
    let view = progress(&app, &token).await;
    assert_eq!(view["today"]["turns"], 3);
    assert_eq!(view["totals"]["turns"], 3);
    assert_eq!(
        view["streak"]["current"], 1,
        "the first study of the day counted once"
    );
    assert_eq!(view["totals"]["days_studied"], 1);
    assert_eq!(view["days"][0]["mistakes"], 3);
    // Each first line counts the thirty seconds a line is assumed to take without a pause before.
    assert_eq!(view["today"]["minutes"], 2);
}

#[tokio::test]
async fn facts_are_the_learners_to_keep_and_delete_and_the_tutor_is_told_them() {
    let app = TestApp::spawn_at_noon(&[]).await;
    let token = app.sign_up("fay", "fay's password").await;
    let room = app.create_room(&token, &room_setup()).await;

    // Feedback offers what the learner said about their life; nothing is kept without their say.
    let feedback = streamed_feedback(&app, &token, &room, "看護師です #fact").await;
    assert_eq!(feedback["fact"], "works as a nurse");
    let listed = app
        .send(TestRequest::get("/me/facts").token(&token))
        .await
        .json();
    assert_eq!(listed, json!({"facts": [], "limit": 20}));

    let add = |text: &str| {
        TestRequest::post("/me/facts")
            .token(&token)
            .json(&json!({"text": text}))
    };
    let kept = app.send(add("  works as  a nurse ")).await;
    assert_eq!(kept.status, 201, "{}", kept.text());
    assert_eq!(kept.json()["text"], "works as a nurse");
    let again = app.send(add("Works as a nurse")).await;
    assert_eq!(again.status, 200, "the same fact is the one kept");
    assert_eq!(again.json()["id"], kept.json()["id"]);
    for (body, problem) in [
        (json!({"text": "x"}), "must be 2 to 120 characters"),
        (
            json!({"text": "x".repeat(121)}),
            "must be 2 to 120 characters",
        ),
        (json!({}), "is required"),
    ] {
        let refused = app
            .send(TestRequest::post("/me/facts").token(&token).json(&body))
            .await;
        assert_eq!(refused.status, 400);
        assert_eq!(refused.json()["error"]["fields"]["text"], problem);
    }

    // The tutor's next turn is told the fact, with the rule for its use.
    say(&app, &token, &room, "東京まで").await;
    let system = app.model.requests().iter().rev().find_map(|request| {
        let system = request["messages"][0]["content"].as_str()?.to_owned();
        system
            .contains("You are taking part in a role-play")
            .then_some(system)
    });
    let system = system.expect("a turn's prompt");
    assert!(system.contains("works as a nurse"), "{system}");
    assert!(system.contains("never say how you know"), "{system}");

    // Twenty at most; deleting one makes room, and the tutor is no longer told it.
    for n in 1..20 {
        assert_eq!(app.send(add(&format!("fact number {n}"))).await.status, 201);
    }
    let full = app.send(add("one too many")).await;
    assert_eq!(full.status, 409);
    let id = kept.json()["id"].as_str().unwrap().to_owned();
    let delete = TestRequest::delete(&format!("/me/facts/{id}")).token(&token);
    assert_eq!(app.send(delete).await.status, 204);
    let delete = TestRequest::delete(&format!("/me/facts/{id}")).token(&token);
    assert_eq!(app.send(delete).await.status, 404);
    say(&app, &token, &room, "ありがとう").await;
    let last = app.model.requests().iter().rev().find_map(|request| {
        let system = request["messages"][0]["content"].as_str()?.to_owned();
        system
            .contains("You are taking part in a role-play")
            .then_some(system)
    });
    assert!(!last.unwrap().contains("works as a nurse"));
}

#[tokio::test]
async fn a_due_word_used_correctly_in_conversation_counts_as_reviewed() {
    let app = TestApp::spawn_at_noon(&[]).await;
    let token = app.sign_up("dora", "dora's password").await;
    let saved = app
        .send(
            TestRequest::post("/vocabulary")
                .token(&token)
                .json(&json!({"text": "切符", "language": "ja-JP", "meaning": "ticket"})),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    let word = saved.json()["id"].as_str().unwrap().to_owned();
    let room = app.create_room(&token, &room_setup()).await;

    // A new word is due at once: the tutor is asked to use it.
    say(&app, &token, &room, "こんにちは #ok").await;
    let system = app.model.requests().iter().rev().find_map(|request| {
        let system = request["messages"][0]["content"].as_str()?.to_owned();
        system
            .contains("You are taking part in a role-play")
            .then_some(system)
    });
    assert!(system.unwrap().contains(r#"["切符"]"#));

    // A line with an error does not count the word; a correct one does, once.
    say(&app, &token, &room, "切符がください").await;
    let due = app
        .send(TestRequest::get("/vocabulary/due").token(&token))
        .await
        .json();
    assert_eq!(due["due_count"], 1, "still due after a line with an error");
    let feedback = streamed_feedback(&app, &token, &room, "切符を一枚ください #ok").await;
    assert_eq!(feedback["reviewed"], json!(["切符"]));
    let item = app
        .send(TestRequest::get("/vocabulary").token(&token))
        .await
        .json()["items"][0]
        .clone();
    assert_eq!(item["id"], word.as_str());
    assert_eq!(item["reps"], 1, "reviewed once, as good");
    let due = app
        .send(TestRequest::get("/vocabulary/due").token(&token))
        .await
        .json();
    assert_eq!(due["due_count"], 0);
    let view = progress(&app, &token).await;
    assert_eq!(view["today"]["turns"], 3);
    assert_eq!(view["days"][0]["reviewed_in_conversation"], 1);
    assert_eq!(view["totals"]["reviewed_in_conversation"], 1);
    assert_eq!(view["totals"]["words_kept"], 1);
}

#[tokio::test]
async fn the_progress_route_costs_the_same_after_months_of_study() {
    let app = TestApp::spawn_at_noon(&[]).await;
    let token = app.sign_up("maya", "maya's password").await;
    let room = app.create_room(&token, &room_setup()).await;
    let cost = |app: &TestApp| {
        let trips = app.round_trips.take();
        let units = app.store_meter.take();
        (trips, units.read_units)
    };
    app.store_meter.count_capacity();
    app.round_trips.take();
    app.store_meter.take();
    progress(&app, &token).await;
    let (trips_at_start, _) = cost(&app);
    assert_eq!(
        trips_at_start, 6,
        "the session; then at once the totals, the days, the room to continue, and the due words \
         (a page of one and a count)"
    );

    // A hundred and twenty days of study.
    for day in 0..120 {
        app.state.clock.advance(time::Duration::DAY);
        if day % 10 == 0 {
            let token = log_in(&app, "maya", "maya's password").await;
            say(&app, &token, &room, "一枚ください").await;
        }
    }
    let token = log_in(&app, "maya", "maya's password").await;
    say(&app, &token, &room, "二枚ください").await;
    app.round_trips.take();
    app.store_meter.take();
    let view = progress(&app, &token).await;
    let (trips, read_units) = cost(&app);
    println!("progress after 120 days: {trips} round trips, {read_units} read units");
    assert_eq!(trips, trips_at_start, "no more round trips after months");
    assert!(
        view["days"].as_array().unwrap().len() <= 84,
        "twelve weeks at most"
    );
    assert_eq!(view["totals"]["turns"], 13, "the totals count every day");
    assert!(read_units < 10.0, "bounded reads: {read_units}");
}
