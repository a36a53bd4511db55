//! DynamoDB failing under the handlers: throttled once (the SDK retries), throttled for good,
//! down in the middle of a turn. Each time: the right error in the contract's shape, nothing
//! stored half, nothing stored before lost, and the service fine afterwards. (The model's own
//! failures are in `chat_api.rs`; two writes racing in `chat_api.rs` and `iam.rs`.)

use rolechat_tests::faults::Fault;
use rolechat_tests::{TestApp, TestRequest, assert_error_shape, events};
use serde_json::{Value, json};

async fn learner_with_room(app: &TestApp, name: &str) -> (String, String) {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    let setup = json!({"language": "en-US", "level": "beginner", "situation": "At the market",
                       "my_role": "a shopper", "gpt_role": "a grocer"});
    let room = app.create_room(&token, &setup).await;
    let opener = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({})),
        )
        .await;
    assert_eq!(opener.status, 201, "{}", opener.text());
    (token, room)
}

async fn messages(app: &TestApp, token: &str, room: &str) -> Vec<Value> {
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(token))
        .await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    opened.json()["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_throttled_request_is_retried_and_answered() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_with_room(&app, "tess").await;
    app.round_trips.take();
    app.faults.inject(Fault::Throttled, 0, Some(1));
    let listed = app.send(TestRequest::get("/rooms").token(&token)).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(app.faults.heal(), 1);
    assert_eq!(
        app.round_trips.take(),
        3,
        "two requests, one of them sent twice"
    );
    assert_eq!(listed.json()["items"][0]["id"], room.as_str());
}

#[tokio::test]
async fn throttled_for_good_is_a_clean_error_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_with_room(&app, "theo").await;
    let before = messages(&app, &token, &room).await;

    // The turn's read goes through; its transaction is throttled on every attempt.
    app.faults.inject(Fault::Throttled, 1, None);
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({"content": "Two apples, please."})),
        )
        .await;
    assert!(app.faults.heal() >= 2, "the SDK retried");
    assert_error_shape(turn.status, &turn.headers, &turn.body);
    assert_eq!((turn.status, turn.error_code().as_str()), (500, "internal"));
    assert!(
        !turn.text().to_lowercase().contains("throttl"),
        "no SDK error text reaches the client: {}",
        turn.text()
    );

    assert_eq!(
        messages(&app, &token, &room).await,
        before,
        "nothing stored"
    );
    let again = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({"content": "Two apples, please."})),
        )
        .await;
    assert_eq!(again.status, 201, "no lock was left: {}", again.text());
}

#[tokio::test]
async fn dynamodb_down_mid_turn_keeps_the_learners_line_and_stores_no_half_reply() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_with_room(&app, "uma").await;
    let (other, other_room) = learner_with_room(&app, "vic").await;
    let before = messages(&app, &token, &room).await;

    // The session check, the reads (the room, the learner's memory) and the transaction that
    // begins the turn go through; then DynamoDB is gone while the reply streams, so the reply
    // cannot be stored.
    app.faults.inject(Fault::Down, 5, None);
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .header("accept", "text/event-stream")
                .json(&json!({"content": "Do you have pears?"})),
        )
        .await;
    assert!(app.faults.heal() >= 1);
    assert_eq!(turn.status, 200, "the stream had started");
    let streamed = events(&turn.body);
    assert_eq!(streamed[0].0, "user_message");
    let (last, error) = streamed.last().unwrap();
    assert_eq!(last, "error", "{streamed:?}");
    assert_eq!(error["error"]["code"], "internal");
    assert!(!streamed.iter().any(|(name, _)| name == "reply"));

    // The learner's line is kept, no reply is stored, and what was there before is intact.
    let after = messages(&app, &token, &room).await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after.last().unwrap()["content"], "Do you have pears?");
    assert_eq!(after.last().unwrap()["role"], "user");

    // The room's turn lock could not be released while DynamoDB was down: until it expires a
    // retry is told a turn is under way, not an internal error.
    let retry = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({})),
        )
        .await;
    assert_eq!(
        (retry.status, retry.error_code().as_str()),
        (409, "conflict")
    );
    // Everything else is healthy: other rooms take turns, new learners sign up.
    let elsewhere = app
        .send(
            TestRequest::post(&format!("/rooms/{other_room}/messages"))
                .token(&other)
                .json(&json!({"content": "Any plums today?"})),
        )
        .await;
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.text());
    app.sign_up("wes", "wes's password").await;
}

/// A user with `rooms` rooms of `per_room` messages and a word in the notebook. Returns
/// (token, user id).
async fn account_with_data(
    app: &TestApp,
    name: &str,
    rooms: usize,
    per_room: usize,
) -> (String, String) {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    let owner = app.owner(&token).await;
    for n in 0..rooms {
        let setup = json!({"language": "en-US", "level": "A2", "situation": format!("Scene {n}"),
                           "my_role": "a guest", "gpt_role": "a host"});
        let room = app.create_room(&token, &setup).await;
        app.seed_messages(owner.key(), &room, per_room).await;
    }
    let word = json!({"text": format!("{name} word"), "language": "en-US", "meaning": "낱말"});
    let saved = app
        .send(TestRequest::post("/vocabulary").token(&token).json(&word))
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    (token, owner.key().to_owned())
}

/// How many items of all the tables name `id`.
async fn items_naming(app: &TestApp, id: &str) -> usize {
    let mut count = 0;
    for table in [
        &app.tables.users,
        &app.tables.sessions,
        &app.tables.rooms,
        &app.tables.limits,
        &app.tables.vocabulary,
    ] {
        count += app
            .scan_all(table)
            .await
            .iter()
            .filter(|item| format!("{item:?}").contains(id))
            .count();
    }
    count
}

async fn delete_account(app: &TestApp, token: &str, password: &str) {
    let deleted = app
        .send(
            TestRequest::delete("/me")
                .token(token)
                .json(&json!({"password": password})),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
}

#[tokio::test]
async fn a_deletion_worker_failing_midway_is_retried_and_touches_no_one_else() {
    let app = TestApp::spawn_with(&[("ROLECHAT_DELETION_ROUND_ITEMS", "200")]).await;
    let (token, id) = account_with_data(&app, "sven", 6, 100).await;
    let (other, other_id) = account_with_data(&app, "tove", 2, 50).await;
    let tove_items = items_naming(&app, &other_id).await;
    delete_account(&app, &token, "sven's password").await;

    // The store goes down after a few requests of the run: the run fails, and says which record.
    let jobs = app.state.store.stalled_deletions(i64::MAX).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let before = items_naming(&app, &id).await;
    app.faults.inject(Fault::Down, 5, None);
    let event = rolechat::services::deletion::stream_event(&jobs).unwrap();
    let answer = rolechat::services::deletion::handle(
        rolechat::services::deletion::Worker::of(&app.state),
        event,
    )
    .await
    .unwrap();
    assert!(app.faults.heal() > 0);
    assert_eq!(
        answer["batchItemFailures"],
        json!([{"itemIdentifier": "000000000000000000001"}]),
        "the failed record is reported, for the stream to retry"
    );
    let midway = items_naming(&app, &id).await;
    assert!(midway < before && midway > 0, "{before} then {midway}");
    assert_eq!(
        app.state
            .store
            .stalled_deletions(i64::MAX)
            .await
            .unwrap()
            .len(),
        1,
        "the job stays until it is done"
    );
    assert_eq!(
        app.send(TestRequest::get("/rooms").token(&token))
            .await
            .status,
        401
    );

    // The worker stopped: nothing more happens, and nothing is visible. Then it runs again.
    app.drain_deletions(20).await;
    assert_eq!(items_naming(&app, &id).await, 0, "nothing of sven is left");
    assert_eq!(
        items_naming(&app, &other_id).await,
        tove_items,
        "tove is untouched"
    );
    let listed = app
        .send(TestRequest::get("/rooms").token(&other))
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_deletion_run_twice_at_once_or_swept_later_deletes_the_same_and_no_more() {
    let app = TestApp::spawn_with(&[("ROLECHAT_DELETION_SWEEP_AFTER_SECONDS", "0")]).await;
    let (token, id) = account_with_data(&app, "ulla", 4, 60).await;
    let (_, other_id) = account_with_data(&app, "vera", 1, 30).await;
    let vera_items = items_naming(&app, &other_id).await;
    delete_account(&app, &token, "ulla's password").await;
    // The same deletion asked again: the account is gone, so it cannot be.
    let again = app
        .send(
            TestRequest::delete("/me")
                .token(&token)
                .json(&json!({"password": "ulla's password"})),
        )
        .await;
    assert_eq!(again.status, 401);

    // Two runs of the one job at once (a stream retry racing the sweep), then the sweep.
    let jobs = app.state.store.stalled_deletions(i64::MAX).await.unwrap();
    let event = rolechat::services::deletion::stream_event(&jobs).unwrap();
    let (a, b) = tokio::join!(
        rolechat::services::deletion::handle(
            rolechat::services::deletion::Worker::of(&app.state),
            event.clone()
        ),
        rolechat::services::deletion::handle(
            rolechat::services::deletion::Worker::of(&app.state),
            event
        )
    );
    for answer in [a.unwrap(), b.unwrap()] {
        assert_eq!(answer["batchItemFailures"], json!([]));
    }
    let swept =
        rolechat::services::deletion::sweep(rolechat::services::deletion::Worker::of(&app.state))
            .await
            .unwrap();
    assert_eq!(swept, 0, "nothing was left for the sweep");
    assert_eq!(items_naming(&app, &id).await, 0);
    assert_eq!(items_naming(&app, &other_id).await, vera_items);
    assert!(
        app.state
            .store
            .stalled_deletions(i64::MAX)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_sweep_finishes_a_job_the_stream_gave_up_on() {
    let app = TestApp::spawn_with(&[("ROLECHAT_DELETION_SWEEP_AFTER_SECONDS", "0")]).await;
    let (token, id) = account_with_data(&app, "wim", 3, 40).await;
    delete_account(&app, &token, "wim's password").await;
    // No stream event ever arrives (its retries were used up); the hourly sweep finds the job.
    let swept =
        rolechat::services::deletion::sweep(rolechat::services::deletion::Worker::of(&app.state))
            .await
            .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(items_naming(&app, &id).await, 0);
    // An event the worker does not know is refused, not taken for a sweep.
    assert!(
        rolechat::services::deletion::handle(
            rolechat::services::deletion::Worker::of(&app.state),
            json!({"hello": "world"})
        )
        .await
        .is_err()
    );
}
