//! Feedback and translations against the embedded DynamoDB and the fake model.

use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::{TestApp, TestRequest, TestResponse};
use serde_json::{Value, json};

struct Learner {
    token: String,
}

/// A learner with a room holding the tutor's opening line and one learner message.
async fn conversation(app: &TestApp, name: &str) -> (Learner, String, Value, Value) {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    let setup = json!({"language": "ja-JP", "level": "beginner", "situation": "駅で切符を買う",
                       "my_role": "旅行者", "gpt_role": "駅員"});
    let room = app
        .send(TestRequest::post("/rooms").token(&token).json(&setup))
        .await
        .json();
    let id = room["id"].as_str().unwrap().to_owned();
    let path = format!("/rooms/{id}/messages");
    let opener = app
        .send(TestRequest::post(&path).token(&token).json(&json!({})))
        .await
        .json()["reply"]
        .clone();
    let turn = app
        .send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "切符を一枚ください"})),
        )
        .await;
    assert_eq!(turn.status, 201, "{}", turn.text());
    (
        Learner { token },
        id,
        turn.json()["user_message"].clone(),
        opener,
    )
}

fn aid(who: &Learner, room: &str, message: &Value, aid: &str, query: &str) -> TestRequest {
    let id = message["id"].as_str().unwrap();
    TestRequest::post(&format!("/rooms/{room}/messages/{id}/{aid}{query}")).token(&who.token)
}

fn assert_error(response: &TestResponse, status: u16, code: &str) {
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (status, code),
        "{}",
        response.text()
    );
}

async fn stored(app: &TestApp, who: &Learner, room: &str) -> Vec<Value> {
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&who.token))
        .await
        .json();
    opened["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn feedback_is_structured_stored_once_and_shown_with_the_message() {
    let app = TestApp::spawn().await;
    let (aki, room, line, opener) = conversation(&app, "aki").await;
    let calls = app.model.requests().len();

    let response = app
        .send(aid(&aki, &room, &line, "feedback", "?ui=en"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let feedback = response.json()["feedback"].clone();
    assert_eq!(
        feedback,
        json!({"checked": true, "ok": false, "corrected": "切符を一枚ください (corrected)",
               "explanation": "The fake model explains the correction.", "ui_language": "en",
               "category": "word_choice"})
    );
    let sent = &app.model.requests()[calls];
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["name"], "feedback");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("teacher of Japanese") && system.contains("in English"),
        "{system}"
    );
    // The line is judged as the answer to the tutor's line before it.
    let data: Value =
        serde_json::from_str(sent["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(data["line"], "切符を一枚ください");
    assert_eq!(data["before"], opener["content"]);

    // Asked again (even for another UI language): the stored result, no model call.
    let again = app
        .send(aid(&aki, &room, &line, "feedback", "?ui=ko"))
        .await;
    assert_eq!((again.status, &again.json()["feedback"]), (200, &feedback));
    assert_eq!(app.model.requests().len(), calls + 1);

    let messages = stored(&app, &aki, &room).await;
    assert_eq!(
        messages[1]["feedback"], feedback,
        "the message carries its feedback"
    );
    assert!(messages[0].get("feedback").is_none());
}

#[tokio::test]
async fn translations_are_stored_per_language_and_reused() {
    let app = TestApp::spawn().await;
    let (ren, room, _, opener) = conversation(&app, "ren").await;
    let calls = app.model.requests().len();

    let ko = app
        .send(aid(&ren, &room, &opener, "translation", "?to=ko"))
        .await;
    assert_eq!(ko.status, 200, "{}", ko.text());
    let text = format!("Translated: {}", opener["content"].as_str().unwrap());
    assert_eq!(
        ko.json(),
        json!({"translation": {"to": "ko", "text": text}})
    );
    let system = app.model.requests()[calls]["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        system.contains("Japanese line in the next message into natural Korean"),
        "{system}"
    );

    assert_eq!(
        app.send(aid(&ren, &room, &opener, "translation", "?to=ko"))
            .await
            .json(),
        ko.json()
    );
    assert_eq!(app.model.requests().len(), calls + 1, "reused");
    let ja = app
        .send(aid(&ren, &room, &opener, "translation", "?to=ja"))
        .await;
    assert_eq!(ja.json()["translation"]["to"], "ja");
    assert_eq!(
        app.model.requests().len(),
        calls + 2,
        "a new language is a new translation"
    );

    let messages = stored(&app, &ren, &room).await;
    assert_eq!(messages[0]["translations"], json!({"ko": text, "ja": text}));

    for query in ["?to=fr", "?to=KO", "?to="] {
        let response = app
            .send(aid(&ren, &room, &opener, "translation", query))
            .await;
        assert_error(&response, 400, "validation_failed");
    }
    // With no `to`, the learner's native language (Korean unless they chose another).
    let native = app.send(aid(&ren, &room, &opener, "translation", "")).await;
    assert_eq!(native.json()["translation"]["to"], "ko");
    let changed = app
        .send(
            TestRequest::patch("/me")
                .token(&ren.token)
                .json(&json!({"native_language": "en"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let english = app.send(aid(&ren, &room, &opener, "translation", "")).await;
    assert_eq!(english.json()["translation"]["to"], "en");
    let bad_ui = app
        .send(aid(&ren, &room, &opener, "feedback", "?ui=de"))
        .await;
    assert_eq!(
        bad_ui.json()["error"]["fields"],
        json!({"ui": "must be one of ko, en, ja"})
    );
}

#[tokio::test]
async fn feedback_is_only_for_the_learners_lines() {
    let app = TestApp::spawn().await;
    let (mio, room, _, opener) = conversation(&app, "mio").await;
    let calls = app.model.requests().len();
    let response = app.send(aid(&mio, &room, &opener, "feedback", "")).await;
    assert_error(&response, 400, "validation_failed");
    assert_eq!(
        response.json()["error"]["fields"],
        json!({"message_id": "feedback is only for the learner's own messages"})
    );
    assert_eq!(app.model.requests().len(), calls);
}

#[tokio::test]
async fn unknown_and_other_users_messages_are_404_without_a_model_call() {
    let app = TestApp::spawn().await;
    let (owner, room, line, opener) = conversation(&app, "owner").await;
    let (intruder, other_room, _, _) = conversation(&app, "intruder").await;
    let calls = app.model.requests().len();
    let missing = json!({"id": ulid::Ulid::new().to_string()});
    let cases = [
        aid(&owner, &room, &missing, "feedback", ""),
        aid(
            &owner,
            &room,
            &json!({"id": "not-an-id"}),
            "translation",
            "?to=en",
        ),
        aid(&owner, &other_room, &line, "feedback", ""),
        aid(&intruder, &room, &line, "feedback", ""),
        aid(&intruder, &room, &opener, "translation", "?to=en"),
        aid(&intruder, &other_room, &line, "feedback", ""),
    ];
    for request in cases {
        assert_error(&app.send(request).await, 404, "not_found");
    }
    assert_eq!(app.model.requests().len(), calls);
    app.send(TestRequest::delete("/auth").token(&owner.token))
        .await;
    assert_error(
        &app.send(aid(&owner, &room, &line, "feedback", "")).await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn a_malformed_or_failed_model_answer_stores_nothing() {
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_MODEL_TIMEOUT_SECONDS", "1"),
        ("ROLECHAT_MODEL_RETRIES", "0"),
    ])
    .await;
    let (sora, room, line, opener) = conversation(&app, "sora").await;
    // An answer that does not follow the schema is asked once more (the model answers the same
    // again here); one that is not a completion at all, or a failure, is not.
    for (behaviour, status, code, answers) in [
        (
            Behaviour::reply("Sure! The sentence is fine."),
            502,
            "upstream_error",
            2,
        ),
        (
            Behaviour::reply(r#"{"ok": true}"#),
            502,
            "upstream_error",
            2,
        ),
        (
            Behaviour::reply(
                r#"{"ok": true, "corrected": "", "better": null, "explanation": "",
                    "category": null, "fact": null, "used_words": []}"#,
            ),
            502,
            "upstream_error",
            1,
        ),
        (Behaviour::Malformed, 502, "upstream_error", 1),
        (Behaviour::Status(500), 502, "upstream_error", 1),
        (Behaviour::Hang, 504, "upstream_timeout", 1),
    ] {
        let before = app.model.requests().len();
        for _ in 0..answers {
            app.model.then(behaviour.clone());
        }
        assert_error(
            &app.send(aid(&sora, &room, &line, "feedback", "")).await,
            status,
            code,
        );
        assert_eq!(
            app.model.requests().len() - before,
            answers,
            "{behaviour:?}"
        );
        assert!(
            stored(&app, &sora, &room).await[1]
                .get("feedback")
                .is_none(),
            "{behaviour:?}: nothing stored"
        );
    }
    app.model.then(Behaviour::reply(r#"{"text": ""}"#));
    assert_error(
        &app.send(aid(&sora, &room, &opener, "translation", "?to=en"))
            .await,
        502,
        "upstream_error",
    );
    assert!(
        stored(&app, &sora, &room).await[0]
            .get("translations")
            .is_none()
    );

    // The model answers properly again: the result is computed and stored.
    assert_eq!(
        app.send(aid(&sora, &room, &line, "feedback", ""))
            .await
            .status,
        200
    );
    assert!(stored(&app, &sora, &room).await[1]["feedback"].is_object());
}

#[tokio::test]
async fn the_daily_quota_counts_them() {
    // The allowance is per UTC day: the check must not straddle midnight.
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "3")]).await;
    let (kai, room, line, opener) = conversation(&app, "kai").await;
    assert_eq!(
        app.send(aid(&kai, &room, &line, "feedback", ""))
            .await
            .status,
        200
    );
    let refused = app
        .send(aid(&kai, &room, &opener, "translation", "?to=ko"))
        .await;
    assert_error(&refused, 429, "rate_limited");
    assert!(refused.headers.contains_key("retry-after"));
    // A stored result needs no model call, so the limit does not stop it.
    assert_eq!(
        app.send(aid(&kai, &room, &line, "feedback", ""))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn dynamodb_round_trips() {
    let app = TestApp::spawn().await;
    let (yui, room, line, _) = conversation(&app, "yui").await;
    app.round_trips.take();
    assert_eq!(
        app.send(aid(&yui, &room, &line, "feedback", ""))
            .await
            .status,
        200
    );
    assert_eq!(
        app.round_trips.take(),
        9,
        "check the session, read room and message, read the tutor's line before, the learner's \
         memory (two reads at once), charge the call and take a lease, store the result, count \
         the mistake in the learner's day, end the lease"
    );
    assert_eq!(
        app.send(aid(&yui, &room, &line, "feedback", ""))
            .await
            .status,
        200
    );
    assert_eq!(
        app.round_trips.take(),
        2,
        "check the session, read room and message"
    );
}

/// One user may have `ROLECHAT_CONCURRENT_AIDS` calls of each learning aid running at once, so
/// no one learner can hold a function's reserved concurrency: one more is `429` with
/// `Retry-After: 5`, while other aids and other learners go on. The lease ends with the call,
/// a failed one included, and leases of calls whose function died are dropped.
#[tokio::test]
async fn a_learner_runs_only_so_many_calls_of_each_aid_at_once() {
    let app = TestApp::spawn_with(&[("ROLECHAT_CONCURRENT_AIDS", "1")]).await;
    let (ann, room, said, _) = conversation(&app, "ann").await;
    let (bob, bob_room, _, _) = conversation(&app, "bob").await;
    let suggest = |who: &Learner, room: &str| {
        TestRequest::post(&format!("/rooms/{room}/suggestions?count=2&ui=en")).token(&who.token)
    };
    app.model
        .pause_answers(std::time::Duration::from_millis(300));
    let (first, second) = tokio::join!(
        app.send(suggest(&ann, &room)),
        app.send(suggest(&ann, &room))
    );
    let mut outcomes = [first, second];
    outcomes.sort_by_key(|response| response.status);
    assert_eq!(outcomes[0].status, 200, "{}", outcomes[0].text());
    assert_error(&outcomes[1], 429, "rate_limited");
    assert_eq!(outcomes[1].headers["retry-after"], "5");
    // Another aid of hers, and another learner's suggestions, are not held up.
    let (mine, translation, his) = tokio::join!(
        app.send(suggest(&ann, &room)),
        app.send(aid(&ann, &room, &said, "translation", "?to=en")),
        app.send(suggest(&bob, &bob_room)),
    );
    for response in [&mine, &translation, &his] {
        assert_eq!(response.status, 200, "{}", response.text());
    }
    app.model.pause_answers(std::time::Duration::ZERO);

    // A failed call ends its lease too: the next one is not refused.
    app.model.then(Behaviour::Status(400));
    assert_error(&app.send(suggest(&ann, &room)).await, 502, "upstream_error");
    assert_eq!(app.send(suggest(&ann, &room)).await.status, 200);
    let calls = app.model.requests().len();
    // Leases left by a function that died lapse, and the next call drops them.
    let user_id = app.owner(&ann.token).await.key().to_owned();
    let pk = format!("calls#suggestions#{user_id}");
    app.fill_with_lapsed_leases(&pk, &user_id, 1).await;
    assert_eq!(app.send(suggest(&ann, &room)).await.status, 200);
    assert_eq!(app.model.requests().len(), calls + 1);
    let left: Vec<_> = app
        .scan_all(&app.tables.limits)
        .await
        .into_iter()
        .filter(|item| item["pk"].as_s().is_ok_and(|key| key == &pk))
        .collect();
    assert!(
        left.iter().all(|item| !item.contains_key("leases")),
        "no lease is left once the calls are done: {left:?}"
    );
}

/// A more natural wording is offered from B2 up: below, whatever the model offers is left out.
#[tokio::test]
async fn a_more_natural_wording_is_kept_from_b2_up() {
    let app = TestApp::spawn().await;
    let (ren, room, line, _) = conversation(&app, "ren").await;
    let natural = |corrected: &str| {
        Behaviour::reply(
            &json!({"ok": true, "corrected": corrected, "better": "切符を一枚お願いします",
                    "explanation": "Correct.", "category": null, "fact": null, "used_words": []})
            .to_string(),
        )
    };
    app.model.then(natural("切符を一枚ください"));
    let a1 = app
        .send(aid(&ren, &room, &line, "feedback", "?ui=en"))
        .await;
    assert_eq!(a1.status, 200, "{}", a1.text());
    assert!(
        a1.json()["feedback"].get("better").is_none(),
        "{}",
        a1.text()
    );

    let patched = app
        .send(
            TestRequest::patch(&format!("/rooms/{room}"))
                .token(&ren.token)
                .json(&json!({"level": "B2"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let said = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&ren.token)
                .json(&json!({"content": "切符を二枚ください"})),
        )
        .await
        .json()["user_message"]
        .clone();
    app.model.then(natural("切符を二枚ください"));
    let b2 = app
        .send(aid(&ren, &room, &said, "feedback", "?ui=en"))
        .await;
    assert_eq!(b2.json()["feedback"]["better"], "切符を一枚お願いします");
    assert_eq!(b2.json()["feedback"]["ok"], true);
}
