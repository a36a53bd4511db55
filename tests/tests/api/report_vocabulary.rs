//! The end-of-conversation report and the vocabulary notebook with its FSRS review.

use rolechat_tests::{TestApp, TestRequest};
use serde_json::{Value, json};

async fn learner_with_turn(app: &TestApp, name: &str) -> (String, String, Value) {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    let room = app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2",
                    "auto_feedback": false}),
        )
        .await;
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({"content": "I wants a big latte"})),
        )
        .await;
    assert_eq!(turn.status, 201, "{}", turn.text());
    (token, room, turn.json())
}

fn report(token: &str, room: &str, ui: &str) -> TestRequest {
    TestRequest::post(&format!("/rooms/{room}/report?ui={ui}")).token(token)
}

#[tokio::test]
async fn a_report_reviews_the_conversation_and_is_reused_until_a_new_message() {
    let app = TestApp::spawn().await;
    let (token, room, turn) = learner_with_turn(&app, "rosa").await;
    let said = turn["user_message"]["id"].as_str().unwrap();

    let calls = app.model.requests().len();
    app.round_trips.take();
    let first = app.send(report(&token, &room, "en")).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let made = first.json()["report"].clone();
    assert_eq!(app.model.requests().len(), calls + 1);
    assert_eq!(
        app.round_trips.take(),
        5,
        "session, room, charge and lease, store, the lease ended"
    );
    let keys: Vec<&str> = made
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "cefr_estimate",
            "created_at",
            "goals",
            "message_count",
            "mistakes",
            "next_steps",
            "strengths",
            "summary",
            "ui_language",
            "vocabulary"
        ]
    );
    assert_eq!(made["message_count"], 2);
    assert_eq!(made["ui_language"], "en");
    assert_eq!(
        made["cefr_estimate"],
        Value::Null,
        "one short line is too little to estimate a level from"
    );
    assert_eq!(
        made["goals"].as_array().unwrap().len(),
        3,
        "the room's goals"
    );
    assert_eq!(
        made["mistakes"],
        json!([{"message_id": said, "original": "I wants a big latte",
                "corrected": "The fake model's corrected line.",
                "explanation": "The fake model explains the mistake.",
                "pattern": "The fake model's pattern"}]),
        "linked to the learner's stored line"
    );
    assert_eq!(made["vocabulary"][0]["text"], "fake phrase");

    // The strict schema lets a mistake name only the learner's own lines.
    let sent = app.model.requests().last().unwrap().clone();
    let format = &sent["response_format"]["json_schema"];
    assert_eq!(
        (format["name"].as_str(), format["strict"].as_bool()),
        (Some("report"), Some(true))
    );
    assert_eq!(
        format["schema"]["properties"]["mistakes"]["items"]["properties"]["message_id"]["enum"],
        json!([said])
    );
    assert_eq!(
        format["schema"]["properties"]["cefr_estimate"],
        json!({"type": "null"})
    );
    let system = sent["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("in English") && system.contains("CEFR"),
        "{system}"
    );

    // Stored: asked again it is the same, with no model call; the room shows it too.
    let again = app.send(report(&token, &room, "en")).await.json();
    assert_eq!(again["report"], made);
    assert_eq!(app.model.requests().len(), calls + 1, "reused");
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
        .await
        .json();
    assert_eq!(opened["report"], made);

    // A new message makes it stale: the next ask makes it anew.
    app.send(
        TestRequest::post(&format!("/rooms/{room}/messages"))
            .token(&token)
            .json(&json!({"content": "To take away, please"})),
    )
    .await;
    let remade = app.send(report(&token, &room, "ko")).await.json()["report"].clone();
    assert_eq!(remade["message_count"], 4);
    assert_eq!(remade["ui_language"], "ko");
}

/// Enough of the learner's own text lets the report estimate a level, and it reads the feedback
/// the lines already had.
#[tokio::test]
async fn a_report_estimates_a_level_from_enough_text_and_builds_on_the_feedback() {
    let app = TestApp::spawn().await;
    let (token, room, turn) = learner_with_turn(&app, "noor").await;
    let first = turn["user_message"]["id"].as_str().unwrap().to_owned();
    let checked = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages/{first}/feedback?ui=en"))
                .token(&token),
        )
        .await;
    assert_eq!(checked.status, 200, "{}", checked.text());
    for line in [
        "Could I also have a blueberry muffin with it?",
        "I would like to sit near the window, if that is possible.",
        "How long does it usually take to make a flat white here?",
        "Thanks, I will pay by card because I have no cash today.",
    ] {
        let turn = app
            .send(
                TestRequest::post(&format!("/rooms/{room}/messages"))
                    .token(&token)
                    .json(&json!({ "content": line })),
            )
            .await;
        assert_eq!(turn.status, 201, "{}", turn.text());
    }
    let made = app.send(report(&token, &room, "en")).await;
    assert_eq!(made.status, 200, "{}", made.text());
    let made = made.json()["report"].clone();
    assert_eq!(made["cefr_estimate"], "A2");
    // The line the feedback corrected keeps that correction, whatever the review wrote.
    assert_eq!(made["mistakes"][0]["message_id"], first.as_str());
    assert_eq!(
        made["mistakes"][0]["corrected"],
        "I wants a big latte (corrected)"
    );
    let sent = app.model.requests().last().unwrap().clone();
    let levels = &sent["response_format"]["json_schema"]["schema"]["properties"]["cefr_estimate"];
    assert_eq!(levels["anyOf"][0]["enum"][0], "A1", "{levels}");
    let lines = sent["messages"][1]["content"].as_str().unwrap();
    let first_line: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(first_line["id"], first.as_str());
    assert_eq!(
        first_line["feedback"],
        json!({"ok": false, "corrected": "I wants a big latte (corrected)"})
    );
}

#[tokio::test]
async fn a_report_needs_a_learner_line_and_counts_against_the_limit() {
    // The allowance is per UTC day: the check must not straddle midnight.
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_DAILY_TURNS", "2")]).await;
    let token = app.sign_up("empty", "empty's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"language": "en-US", "level": "A1", "situation": "A shop", "my_role": "a customer",
                    "gpt_role": "a clerk"}),
        )
        .await;
    assert_eq!(
        app.send(report(&token, &room, "en")).await.error_code(),
        "conflict"
    );
    // The tutor's opening line alone is nothing to review either.
    app.send(
        TestRequest::post(&format!("/rooms/{room}/messages"))
            .token(&token)
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        app.send(report(&token, &room, "en")).await.error_code(),
        "conflict"
    );
    app.send(
        TestRequest::post(&format!("/rooms/{room}/messages"))
            .token(&token)
            .json(&json!({"content": "Hello"})),
    )
    .await;
    // Two turns used the two calls: the report's model call is refused.
    let refused = app.send(report(&token, &room, "en")).await;
    assert_eq!(refused.error_code(), "rate_limited");
    let missing = app
        .send(report(&token, &ulid::Ulid::new().to_string(), "en"))
        .await;
    assert_eq!(missing.error_code(), "not_found");
    let bad_ui = app.send(report(&token, &room, "fr")).await;
    assert_eq!(bad_ui.error_code(), "validation_failed");
}

fn save(token: &str, body: Value) -> TestRequest {
    TestRequest::post("/vocabulary?ui=en")
        .token(token)
        .json(&body)
}

#[tokio::test]
async fn words_are_saved_once_with_a_meaning_and_their_line() {
    let app = TestApp::spawn().await;
    let (token, room, turn) = learner_with_turn(&app, "wen").await;
    let reply = turn["reply"]["id"].as_str().unwrap();

    // With the learner's own meaning: no model call.
    let calls = app.model.requests().len();
    let given = app
        .send(save(
            &token,
            json!({"text": " latte ", "language": "en-US", "meaning": "milky coffee"}),
        ))
        .await;
    assert_eq!(given.status, 201, "{}", given.text());
    let given = given.json();
    assert_eq!(
        (given["text"].as_str(), given["meaning"].as_str()),
        (Some("latte"), Some("milky coffee"))
    );
    assert_eq!(
        given["details"],
        json!({"reading": null, "dictionary_form": null, "grammar": null}),
        "a meaning the learner wrote comes with no details"
    );
    assert_eq!(given["state"], "new");
    assert_eq!(given["reps"], 0);
    assert_eq!(given["last_reviewed_at"], Value::Null);
    assert_eq!(app.model.requests().len(), calls);

    // Without one, from a tutor line: the model gives the meaning, the line is the example.
    let from_line = app
        .send(save(&token, json!({"text": "fake model", "language": "en-US", "room_id": room, "message_id": reply})))
        .await;
    assert_eq!(from_line.status, 201, "{}", from_line.text());
    let from_line = from_line.json();
    assert_eq!(from_line["meaning"], "The fake model's meaning.");
    assert_eq!(
        from_line["details"],
        json!({"reading": "fake reading", "dictionary_form": null, "grammar": null})
    );
    assert_eq!(from_line["example"], turn["reply"]["content"]);
    assert_eq!(
        (
            from_line["room_id"].as_str(),
            from_line["message_id"].as_str()
        ),
        (Some(room.as_str()), Some(reply))
    );
    assert_eq!(app.model.requests().len(), calls + 1);
    let lookup = app.model.requests().last().unwrap().clone();
    assert_eq!(lookup["response_format"]["json_schema"]["name"], "meaning");

    // The same text again (any case and spacing) is the existing item, with no model call.
    let again = app
        .send(save(
            &token,
            json!({"text": "FAKE   Model", "language": "en-US"}),
        ))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], from_line["id"]);
    assert_eq!(app.model.requests().len(), calls + 1);
    // In another language it is another item.
    let other = app
        .send(save(
            &token,
            json!({"text": "latte", "language": "fr-FR", "meaning": "lait"}),
        ))
        .await;
    assert_eq!(other.status, 201);

    // Limits and ownership.
    for (body, field) in [
        (json!({"text": "", "language": "en-US"}), "text"),
        (
            json!({"text": "x".repeat(101), "language": "en-US"}),
            "text",
        ),
        (json!({"text": "x", "language": "xx"}), "language"),
        (json!({"text": "x"}), "language"),
        (
            json!({"text": "x", "language": "en-US", "meaning": "m".repeat(301)}),
            "meaning",
        ),
        (
            json!({"text": "x", "language": "en-US", "example": "e".repeat(301)}),
            "example",
        ),
        (
            json!({"text": "x", "language": "en-US", "message_id": reply}),
            "room_id",
        ),
    ] {
        let refused = app.send(save(&token, body.clone())).await;
        assert_eq!(refused.status, 400, "{body}");
        assert!(
            refused.json()["error"]["fields"][field].is_string(),
            "{body}: {}",
            refused.text()
        );
    }
    let stranger = app.sign_up("stranger", "stranger's password").await;
    for body in [
        json!({"text": "x", "language": "en-US", "meaning": "m", "room_id": room}),
        json!({"text": "x", "language": "en-US", "meaning": "m", "room_id": room, "message_id": reply}),
        json!({"text": "x", "language": "en-US", "meaning": "m", "room_id": "not-an-id"}),
    ] {
        let refused = app.send(save(&stranger, body.clone())).await;
        assert_eq!(refused.error_code(), "not_found", "{body}");
    }
    let theirs = app
        .send(TestRequest::get("/vocabulary").token(&stranger))
        .await
        .json();
    assert_eq!(
        theirs["items"],
        json!([]),
        "another user's notebook is empty"
    );
}

#[tokio::test]
async fn the_notebook_lists_newest_first_by_language_and_pages() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("pager", "pager's password").await;
    for n in 0..5 {
        let language = if n % 2 == 0 { "ja-JP" } else { "ko-KR" };
        let saved = app
            .send(save(
                &token,
                json!({"text": format!("word {n}"), "language": language, "meaning": "m"}),
            ))
            .await;
        assert_eq!(saved.status, 201);
    }
    let texts = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = app
        .send(TestRequest::get("/vocabulary?limit=2").token(&token))
        .await
        .json();
    assert_eq!(texts(&first), ["word 4", "word 3"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .send(TestRequest::get(&format!("/vocabulary?limit=2&cursor={cursor}")).token(&token))
        .await
        .json();
    assert_eq!(texts(&second), ["word 2", "word 1"]);
    let japanese = app
        .send(TestRequest::get("/vocabulary?language=ja-JP&limit=2").token(&token))
        .await
        .json();
    assert_eq!(texts(&japanese), ["word 4", "word 2"]);
    let cursor = japanese["next_cursor"].as_str().unwrap();
    let rest = app
        .send(
            TestRequest::get(&format!("/vocabulary?language=ja-JP&cursor={cursor}")).token(&token),
        )
        .await
        .json();
    assert_eq!(texts(&rest), ["word 0"]);
    assert_eq!(rest["next_cursor"], Value::Null);
    // A cursor of one list is not valid for another.
    let crossed = app
        .send(TestRequest::get(&format!("/vocabulary?cursor={cursor}")).token(&token))
        .await;
    assert_eq!(crossed.error_code(), "validation_failed");
    let bad = app
        .send(TestRequest::get("/vocabulary?language=xx").token(&token))
        .await;
    assert_eq!(bad.error_code(), "validation_failed");
}

#[tokio::test]
async fn reviews_reschedule_as_fsrs_says_and_items_are_deleted() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("reviewer", "reviewer's password").await;
    let mut ids = Vec::new();
    for text in ["uno", "dos", "tres"] {
        let saved = app
            .send(save(
                &token,
                json!({"text": text, "language": "es-ES", "meaning": "a number"}),
            ))
            .await
            .json();
        ids.push(saved["id"].as_str().unwrap().to_owned());
    }
    let due = app
        .send(TestRequest::get("/vocabulary/due").token(&token))
        .await
        .json();
    assert_eq!(due["due_count"], 3, "new items are due at once");
    let due_ids: Vec<&str> = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        due_ids,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "earliest due first"
    );

    let rate = |id: &str, rating: &str| {
        TestRequest::post(&format!("/vocabulary/{id}/review"))
            .token(&token)
            .json(&json!({"rating": rating}))
    };
    let seconds = |item: &Value| {
        time::OffsetDateTime::parse(
            item["due_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
            - time::OffsetDateTime::now_utc()
    };
    let again = app.send(rate(&ids[0], "again")).await.json();
    assert!(
        seconds(&again) < time::Duration::hours(1),
        "again: back the same day: {again}"
    );
    assert_eq!(
        (again["state"].as_str(), again["reps"].as_u64()),
        (Some("learning"), Some(1))
    );
    assert!(again["last_reviewed_at"].is_string());
    let good = app.send(rate(&ids[1], "good")).await.json();
    let easy = app.send(rate(&ids[2], "easy")).await.json();
    assert!(
        seconds(&easy) > seconds(&good),
        "easy later than good: {easy} {good}"
    );
    assert!(seconds(&easy) > time::Duration::days(1), "{easy}");

    // Only `again`'s item is due soon; the easy one is not due now.
    let due = app
        .send(TestRequest::get("/vocabulary/due").token(&token))
        .await
        .json();
    assert!(due["due_count"].as_u64().unwrap() < 3, "{due}");
    assert!(
        !due["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == ids[2])
    );

    for (body, expect) in [(json!({"rating": "perfect"}), 400), (json!({}), 400)] {
        let response = app
            .send(
                TestRequest::post(&format!("/vocabulary/{}/review", ids[0]))
                    .token(&token)
                    .json(&body),
            )
            .await;
        assert_eq!(response.status, expect, "{body}");
    }
    let stranger = app.sign_up("peeker", "peeker's password").await;
    let theirs = app
        .send(
            TestRequest::post(&format!("/vocabulary/{}/review", ids[0]))
                .token(&stranger)
                .json(&json!({"rating": "good"})),
        )
        .await;
    assert_eq!(theirs.error_code(), "not_found");
    let theirs = app
        .send(TestRequest::delete(&format!("/vocabulary/{}", ids[0])).token(&stranger))
        .await;
    assert_eq!(theirs.error_code(), "not_found");

    assert_eq!(
        app.send(TestRequest::delete(&format!("/vocabulary/{}", ids[0])).token(&token))
            .await
            .status,
        204
    );
    assert_eq!(
        app.send(TestRequest::delete(&format!("/vocabulary/{}", ids[0])).token(&token))
            .await
            .status,
        404
    );
    // Deleted with its lookup: the same word can be saved anew.
    let anew = app
        .send(save(
            &token,
            json!({"text": "uno", "language": "es-ES", "meaning": "one"}),
        ))
        .await;
    assert_eq!(anew.status, 201);
    assert_eq!(
        app.send(TestRequest::new(lambda_http::http::Method::GET, "/vocabulary/x").token(&token))
            .await
            .status,
        405
    );
}

/// The DynamoDB round trips of each notebook route, the session check included.
#[tokio::test]
async fn notebook_round_trips() {
    let app = TestApp::spawn().await;
    let (token, room, turn) = learner_with_turn(&app, "trips").await;
    let reply = turn["reply"]["id"].as_str().unwrap();
    let mut taken = Vec::new();
    let mut count = |what: &str, status: u16, response: rolechat_tests::TestResponse| {
        assert_eq!(response.status, status, "{what}: {}", response.text());
        taken.push((what.to_owned(), app.round_trips.take()));
        response.json()
    };
    app.round_trips.take();
    let item = count(
        "save with a meaning",
        201,
        app.send(save(
            &token,
            json!({"text": "uno", "language": "es-ES", "meaning": "one"}),
        ))
        .await,
    );
    count(
        "save from a line, meaning by the model",
        201,
        app.send(save(
            &token,
            json!({"text": "dos", "language": "es-ES", "room_id": room, "message_id": reply}),
        ))
        .await,
    );
    count(
        "save again",
        200,
        app.send(save(&token, json!({"text": "uno", "language": "es-ES"})))
            .await,
    );
    count(
        "list",
        200,
        app.send(TestRequest::get("/vocabulary").token(&token))
            .await,
    );
    count(
        "due",
        200,
        app.send(TestRequest::get("/vocabulary/due").token(&token))
            .await,
    );
    let id = item["id"].as_str().unwrap();
    count(
        "review",
        200,
        app.send(
            TestRequest::post(&format!("/vocabulary/{id}/review"))
                .token(&token)
                .json(&json!({"rating": "good"})),
        )
        .await,
    );
    let deleted = app
        .send(TestRequest::delete(&format!("/vocabulary/{id}")).token(&token))
        .await;
    assert_eq!(deleted.status, 204);
    taken.push(("delete".into(), app.round_trips.take()));
    // A new word, a review and a deletion are each counted in the learner's day (one
    // transaction); a review also marks the day studied (a conditional write, refused here: the
    // learner talked earlier today).
    let expected = [
        ("save with a meaning", 4),
        // The notebook's counter read before the model is paid for a meaning; the call's lease
        // taken with the charge and ended after.
        ("save from a line, meaning by the model", 8),
        ("save again", 3),
        ("list", 2),
        ("due", 3),
        ("review", 5),
        ("delete", 4),
    ];
    let expected: Vec<(String, usize)> =
        expected.iter().map(|(w, n)| (w.to_string(), *n)).collect();
    assert_eq!(taken, expected);
}

#[tokio::test]
async fn the_notebook_is_capped_and_a_full_one_pays_no_model_call() {
    let app = TestApp::spawn_with(&[("ROLECHAT_MAX_WORDS", "3")]).await;
    let token = app.sign_up("cap", "cap's password").await;
    let mut ids = Vec::new();
    for word in ["uno", "dos", "tres"] {
        let saved = app
            .send(save(
                &token,
                json!({"text": word, "language": "es-ES", "meaning": "a number"}),
            ))
            .await;
        assert_eq!(saved.status, 201, "{}", saved.text());
        ids.push(saved.json()["id"].as_str().unwrap().to_owned());
    }
    for body in [
        json!({"text": "cuatro", "language": "es-ES", "meaning": "four"}),
        json!({"text": "cinco", "language": "es-ES"}),
    ] {
        let full = app.send(save(&token, body.clone())).await;
        assert_eq!(full.status, 409, "{body}: {}", full.text());
        assert_eq!(full.error_code(), "conflict");
    }
    assert!(
        app.model.requests().is_empty(),
        "no meaning was asked of the model"
    );
    // The same word again is the existing item, full or not.
    let again = app
        .send(save(&token, json!({"text": "uno", "language": "es-ES"})))
        .await;
    assert_eq!(again.status, 200);
    // A word deleted makes room.
    let deleted = app
        .send(TestRequest::delete(&format!("/vocabulary/{}", ids[0])).token(&token))
        .await;
    assert_eq!(deleted.status, 204);
    let room = app
        .send(save(
            &token,
            json!({"text": "cuatro", "language": "es-ES", "meaning": "four"}),
        ))
        .await;
    assert_eq!(room.status, 201, "{}", room.text());
    let listed = app
        .send(TestRequest::get("/vocabulary").token(&token))
        .await
        .json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        3,
        "the counter is not an item"
    );
}

/// `GET /vocabulary/due` at 10 and at 3,000 due words: the count reads one bounded page of keys,
/// so the cost stops growing at `DUE_COUNT_CAP`.
#[tokio::test]
async fn the_due_routes_cost_is_bounded_however_many_words_are_due() {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    use rolechat::store::DUE_COUNT_CAP;
    let app = TestApp::spawn_with(&[("ROLECHAT_MAX_WORDS", "10000")]).await;
    let token = app.sign_up("due", "due's password").await;
    let saved = app
        .send(save(
            &token,
            json!({"text": "uno", "language": "es-ES", "meaning": "one"}),
        ))
        .await;
    assert_eq!(saved.status, 201);
    let item = app
        .scan_all(&app.tables.vocabulary)
        .await
        .into_iter()
        .find(|item| item["sk"].as_s().unwrap().starts_with("item#"))
        .unwrap();
    let due_key = item["due_key"].as_s().unwrap().clone();
    let due_at = due_key.split('#').next().unwrap().to_owned();
    let seed = |from: usize, to: usize| {
        let app = &app;
        let item = item.clone();
        let due_at = due_at.clone();
        async move {
            let copies: Vec<WriteRequest> = (from..to)
                .map(|n| {
                    let id = format!("{}{n:06}", &ulid::Ulid::new().to_string()[..20]);
                    let mut copy = item.clone();
                    copy.insert("sk".into(), AttributeValue::S(format!("item#{id}")));
                    copy.insert("id".into(), AttributeValue::S(id.clone()));
                    copy.insert("text".into(), AttributeValue::S(format!("palabra {n}")));
                    copy.insert(
                        "due_key".into(),
                        AttributeValue::S(format!("{due_at}#{id}")),
                    );
                    copy.insert(
                        "language_key".into(),
                        AttributeValue::S(format!("es-ES#{id}")),
                    );
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(copy)).build().unwrap())
                        .build()
                })
                .collect();
            for batch in copies.chunks(25) {
                app.dynamodb
                    .batch_write_item()
                    .request_items(&app.tables.vocabulary, batch.to_vec())
                    .send()
                    .await
                    .unwrap();
            }
        }
    };
    app.store_meter.count_capacity();
    let mut measured = Vec::new();
    for (total, from) in [(10, 1), (3_000, 10)] {
        seed(from, total).await;
        app.round_trips.take();
        app.store_meter.take();
        let due = app
            .send(TestRequest::get("/vocabulary/due?limit=20").token(&token))
            .await;
        assert_eq!(due.status, 200);
        let body = due.json();
        assert_eq!(body["items"].as_array().unwrap().len(), total.min(20));
        let counted = body["due_count"].as_u64().unwrap() as usize;
        assert_eq!(counted, total.min(DUE_COUNT_CAP), "{total} due");
        let cost = app.store_meter.take();
        measured.push((total, app.round_trips.take(), cost.read_units));
    }
    println!("due route at (words, round trips, read units): {measured:?}");
    assert_eq!(measured[0].1, measured[1].1, "the same round trips");
    // Bounded: at 3,000 due words no more than the cap's page of items.
    assert!(measured[1].2 <= 20.0, "{measured:?}");
}
