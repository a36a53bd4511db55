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

    // The session check, the read and the transaction that begins the turn go through; then
    // DynamoDB is gone while the reply streams, so the reply cannot be stored.
    app.faults.inject(Fault::Down, 3, None);
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
