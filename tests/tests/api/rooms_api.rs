//! The rooms routes against the embedded DynamoDB, through the real handlers.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use lambda_http::http::Method;
use rolechat::domain::room::Role;
use rolechat::store::MessageRecord;
use rolechat_tests::{TestApp, TestRequest, TestResponse};
use serde_json::{Value, json};

fn new_room(situation: &str) -> Value {
    json!({"language": "ja-JP", "level": "beginner", "situation": situation,
           "my_role": "a tourist", "gpt_role": "a station attendant"})
}

struct User {
    key: String,
    token: String,
}

async fn user(app: &TestApp, name: &str) -> User {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    User {
        key: app.owner(&token).await.key().to_owned(),
        token,
    }
}

async fn send(
    app: &TestApp,
    user: &User,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> TestResponse {
    let mut request = TestRequest::new(method, path).token(&user.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}

async fn create(app: &TestApp, user: &User, situation: &str) -> Value {
    let response = send(app, user, Method::POST, "/rooms", Some(new_room(situation))).await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

/// Messages with time-ordered ids, as the chat writes them, for the room of `owner`.
fn messages(owner: &str, room_id: &str, count: usize) -> Vec<MessageRecord> {
    let mut ids = ulid::Generator::new();
    (0..count)
        .map(|n| {
            let id = ids.generate().unwrap().to_string();
            let role = if n % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            };
            MessageRecord::new(
                owner,
                room_id,
                &id,
                role,
                &format!("message {n}"),
                "2026-11-22T10:54:00Z",
            )
        })
        .collect()
}

async fn append(app: &TestApp, user: &User, room_id: &str, messages: &[MessageRecord]) {
    let owner = app.owner(&user.token).await;
    for chunk in messages.chunks(50) {
        assert!(
            app.state
                .store
                .append_messages(&owner, room_id, chunk)
                .await
                .unwrap()
        );
    }
}

/// The cursor with one character of its payload changed.
fn tamper(cursor: &str) -> String {
    let payload_start = cursor.find('.').unwrap() + 1;
    let at = payload_start + 10;
    let replacement = if &cursor[at..=at] == "A" { "B" } else { "A" };
    format!("{}{replacement}{}", &cursor[..at], &cursor[at + 1..])
}

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_full_lifecycle_of_a_room() {
    let app = TestApp::spawn().await;
    let alice = user(&app, "alice").await;

    let room = create(&app, &alice, "  Buying a train ticket in Osaka ").await;
    let id = room["id"].as_str().unwrap().to_owned();
    assert_eq!(room["situation"], "Buying a train ticket in Osaka");
    assert_eq!(
        room["title"], "Buying a train ticket in Osaka",
        "the title is derived from the situation"
    );
    assert_eq!(
        (room["language"].as_str(), room["level"].as_str()),
        (Some("ja-JP"), Some("A1"))
    );
    assert_eq!(
        (room["message_count"].as_u64(), &room["last_message_at"]),
        (Some(0), &Value::Null)
    );
    assert_eq!(room["created_at"], room["updated_at"]);
    let keys: BTreeSet<_> = room.as_object().unwrap().keys().cloned().collect();
    let expected = [
        "id",
        "title",
        "language",
        "level",
        "situation",
        "my_role",
        "gpt_role",
        "created_at",
        "updated_at",
        "last_message_at",
        "message_count",
        "last_line",
        "scenario",
        "goals",
        "auto_feedback",
    ];
    assert_eq!(keys, expected.iter().map(|k| k.to_string()).collect());

    let list = send(&app, &alice, Method::GET, "/rooms", None).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.json(),
        json!({"items": [room.clone()], "next_cursor": null})
    );

    let opened = send(&app, &alice, Method::GET, &format!("/rooms/{id}"), None).await;
    assert_eq!(
        opened.json(),
        json!({"room": room.clone(), "messages": [], "older_cursor": null, "report": null})
    );

    let patched = send(&app, &alice, Method::PATCH, &format!("/rooms/{id}"),
                       Some(json!({"level": "intermediate", "title": "Osaka station", "gpt_role": " a ticket clerk "}))).await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let patched = patched.json();
    assert_eq!(
        (patched["level"].as_str(), patched["title"].as_str()),
        (Some("B1"), Some("Osaka station"))
    );
    assert_eq!(patched["gpt_role"], "a ticket clerk");
    assert_eq!(
        (&patched["situation"], &patched["created_at"]),
        (&room["situation"], &room["created_at"])
    );
    let reopened = send(&app, &alice, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json();
    assert_eq!(reopened["room"], patched);

    // A null title goes back to the derived one, which follows the situation.
    let cleared = send(
        &app,
        &alice,
        Method::PATCH,
        &format!("/rooms/{id}"),
        Some(json!({"title": null, "situation": "Lost luggage at Kansai airport"})),
    )
    .await
    .json();
    assert_eq!(cleared["title"], "Lost luggage at Kansai airport");
    let unchanged = send(
        &app,
        &alice,
        Method::PATCH,
        &format!("/rooms/{id}"),
        Some(json!({})),
    )
    .await;
    assert_eq!((unchanged.status, unchanged.json()), (200, cleared.clone()));

    let deleted = send(&app, &alice, Method::DELETE, &format!("/rooms/{id}"), None).await;
    assert_eq!((deleted.status, deleted.body.len()), (204, 0));
    for (method, path, body) in [
        (Method::GET, format!("/rooms/{id}"), None),
        (
            Method::PATCH,
            format!("/rooms/{id}"),
            Some(json!({"level": "advanced"})),
        ),
        (Method::DELETE, format!("/rooms/{id}"), None),
        (Method::GET, format!("/rooms/{id}/messages"), None),
    ] {
        let response = send(&app, &alice, method.clone(), &path, body).await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (404, "not_found"),
            "{method} {path}"
        );
    }
    assert_eq!(
        send(&app, &alice, Method::GET, "/rooms", None).await.json()["items"],
        json!([])
    );
}

#[tokio::test]
async fn rooms_are_private_on_every_route() {
    let app = TestApp::spawn().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let room = create(&app, &alice, "Alice's secret situation").await;
    let id = room["id"].as_str().unwrap().to_owned();
    append(&app, &alice, &id, &messages(&alice.key, &id, 60)).await;
    let room = send(&app, &alice, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json()["room"]
        .clone();
    let missing = ulid::Ulid::new().to_string();

    let not_found = send(&app, &bob, Method::GET, &format!("/rooms/{missing}"), None).await;
    assert_eq!(not_found.error_code(), "not_found");
    let guesses = [
        id.clone(),
        id.to_lowercase(),
        missing.clone(),
        "../alice".into(),
        "x".into(),
        format!("{id}%23room"),
    ];
    for guess in &guesses {
        for (method, path, body) in [
            (Method::GET, format!("/rooms/{guess}"), None),
            (
                Method::PATCH,
                format!("/rooms/{guess}"),
                Some(json!({"situation": "hijacked"})),
            ),
            (Method::DELETE, format!("/rooms/{guess}"), None),
            (Method::GET, format!("/rooms/{guess}/messages"), None),
        ] {
            let response = send(&app, &bob, method.clone(), &path, body).await;
            assert_eq!(response.status, 404, "{method} {path}: {}", response.text());
            assert_eq!(
                response.body, not_found.body,
                "{method} {path}: another's room looks like no room"
            );
            assert!(!response.text().contains("Alice"), "{}", response.text());
        }
    }
    assert_eq!(
        send(&app, &bob, Method::GET, "/rooms", None).await.json(),
        json!({"items": [], "next_cursor": null})
    );

    // Alice's cursors are no use to Bob, and forged or re-aimed cursors are refused.
    create(&app, &alice, "Another one").await;
    let page = send(&app, &alice, Method::GET, "/rooms?limit=1", None)
        .await
        .json();
    let rooms_cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let opened = send(&app, &alice, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json();
    let messages_cursor = opened["older_cursor"].as_str().unwrap().to_owned();
    let other = create(&app, &alice, "A third room").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tampered = tamper(&rooms_cursor);
    let refused = [
        (&bob, format!("/rooms?cursor={rooms_cursor}")),
        (
            &bob,
            format!("/rooms/{id}/messages?cursor={messages_cursor}"),
        ),
        (&alice, format!("/rooms?cursor={tampered}")),
        (&alice, format!("/rooms?cursor={messages_cursor}")),
        (
            &alice,
            format!("/rooms/{other}/messages?cursor={messages_cursor}"),
        ),
        (
            &alice,
            format!("/rooms/{id}/messages?cursor={rooms_cursor}"),
        ),
        (
            &alice,
            "/rooms?cursor=eyJhbGciOiJub25lIn0.eyJ1IjoiYm9iIn0.".to_owned(),
        ),
    ];
    for (who, path) in refused {
        let response = send(&app, who, Method::GET, &path, None).await;
        assert_eq!(response.status, 400, "{path}: {}", response.text());
        assert_eq!(
            response.json()["error"]["fields"],
            json!({"cursor": "is not a valid cursor for this list"})
        );
    }

    // Nothing Bob tried changed Alice's room.
    let after = send(&app, &alice, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json();
    assert_eq!(after["room"], room);
    assert_eq!(after["messages"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn room_pages_have_no_duplicates_or_gaps() {
    let app = TestApp::spawn().await;
    let carol = user(&app, "carol").await;
    let mut created = Vec::new();
    for n in 0..23 {
        created.push(
            create(&app, &carol, &format!("situation {n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut path = "/rooms?limit=5".to_owned();
    let mut pages = 0;
    loop {
        let page = send(&app, &carol, Method::GET, &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        let items = ids(&page["items"]);
        assert!(items.len() <= 5 && !items.is_empty());
        seen.extend(items);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/rooms?limit=5&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    created.reverse();
    assert_eq!(seen, created, "newest first, every room once");

    let default = send(&app, &carol, Method::GET, "/rooms", None).await.json();
    assert_eq!(default["items"].as_array().unwrap().len(), 20);
    let all = send(&app, &carol, Method::GET, "/rooms?limit=100", None)
        .await
        .json();
    assert_eq!(
        (all["items"].as_array().unwrap().len(), &all["next_cursor"]),
        (23, &Value::Null)
    );
}

/// `GET /rooms?q=`: the caller's rooms whose title or situation contains the text, in any case,
/// newest first and paged like the list; never another user's; a blank `q` is the plain list.
#[tokio::test]
async fn searching_rooms_matches_title_and_situation_in_any_case() {
    let app = TestApp::spawn().await;
    let dana = user(&app, "dana").await;
    let eli = user(&app, "eli").await;
    let mut wanted = Vec::new();
    for n in 0..130 {
        let situation = match n % 10 {
            0 => format!("Ordering Coffee, take {n}"),
            5 => format!("카페에서 커피 주문 {n}"),
            _ => format!("Buying a ticket {n}"),
        };
        let room = create(&app, &dana, &situation).await;
        if n % 10 == 0 {
            wanted.push(room["id"].as_str().unwrap().to_owned());
        }
    }
    // A title matches too, and a room whose title does not but situation does.
    let titled = create(&app, &dana, "At the station").await;
    let id = titled["id"].as_str().unwrap().to_owned();
    let patched = send(
        &app,
        &dana,
        Method::PATCH,
        &format!("/rooms/{id}"),
        Some(json!({"title": "My COFFEE break"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    wanted.push(id);
    create(&app, &eli, "Ordering coffee for eli").await;

    let mut seen = Vec::new();
    let mut path = "/rooms?q=cOfFeE&limit=4".to_owned();
    loop {
        let page = send(&app, &dana, Method::GET, &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        for room in page["items"].as_array().unwrap() {
            let text = format!("{} {}", room["title"], room["situation"]).to_lowercase();
            assert!(text.contains("coffee"), "{room}");
        }
        seen.extend(ids(&page["items"]));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/rooms?q=cOfFeE&limit=4&cursor={cursor}"),
            None => break,
        }
    }
    wanted.reverse();
    assert_eq!(seen, wanted, "newest first, each once, none of eli's");

    let korean = send(
        &app,
        &dana,
        Method::GET,
        "/rooms?q=%EC%BB%A4%ED%94%BC&limit=100",
        None,
    )
    .await
    .json();
    assert_eq!(korean["items"].as_array().unwrap().len(), 13);
    let none = send(&app, &dana, Method::GET, "/rooms?q=submarine", None)
        .await
        .json();
    assert_eq!(none, json!({"items": [], "next_cursor": null}));
    let blank = send(&app, &dana, Method::GET, "/rooms?q=%20%20", None)
        .await
        .json();
    assert_eq!(blank["items"].as_array().unwrap().len(), 20);
    let long = send(
        &app,
        &dana,
        Method::GET,
        &format!("/rooms?q={}", "a".repeat(101)),
        None,
    )
    .await;
    assert_eq!(
        (long.status, long.error_code().as_str()),
        (400, "validation_failed")
    );
    assert!(long.json()["error"]["fields"]["q"].is_string());

    // A search of a small account is still the session and one query.
    let frank = user(&app, "frank").await;
    create(&app, &frank, "Ordering coffee").await;
    app.round_trips.take();
    let found = send(&app, &frank, Method::GET, "/rooms?q=coffee", None)
        .await
        .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.round_trips.take(), 2);
}

#[tokio::test]
async fn a_new_message_moves_a_room_to_the_top() {
    let app = TestApp::spawn().await;
    let dave = user(&app, "dave").await;
    let a = create(&app, &dave, "A").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = create(&app, &dave, "B").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = create(&app, &dave, "C").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let order =
        || async { ids(&send(&app, &dave, Method::GET, "/rooms", None).await.json()["items"]) };
    assert_eq!(order().await, [c.clone(), b.clone(), a.clone()]);

    append(&app, &dave, &a, &messages(&dave.key, &a, 2)).await;
    assert_eq!(order().await, [a.clone(), c.clone(), b.clone()]);
    append(&app, &dave, &b, &messages(&dave.key, &b, 1)).await;
    assert_eq!(order().await, [b.clone(), a.clone(), c.clone()]);

    // Editing a room is not activity.
    send(
        &app,
        &dave,
        Method::PATCH,
        &format!("/rooms/{c}"),
        Some(json!({"level": "advanced"})),
    )
    .await;
    assert_eq!(order().await, [b.clone(), a.clone(), c.clone()]);

    let room = send(&app, &dave, Method::GET, &format!("/rooms/{a}"), None)
        .await
        .json()["room"]
        .clone();
    assert_eq!(room["message_count"], 2);
    assert_eq!(room["last_message_at"], "2026-11-22T10:54:00Z");
}

#[tokio::test]
async fn message_pages_go_back_in_time_without_gaps() {
    let app = TestApp::spawn().await;
    let erin = user(&app, "erin").await;
    let id = create(&app, &erin, "A long talk").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = messages(&erin.key, &id, 137);
    append(&app, &erin, &id, &all).await;
    let all_ids: Vec<_> = all.iter().map(|m| m.id.clone()).collect();

    let opened = send(&app, &erin, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json();
    assert_eq!(opened["room"]["message_count"], 137);
    assert_eq!(
        ids(&opened["messages"]),
        all_ids[87..],
        "the latest 50, oldest first"
    );
    assert_eq!(opened["messages"][0]["content"], "message 87");
    assert_eq!(opened["messages"][0]["role"], "assistant");

    // Pages further back: each page oldest first, the pages going back in time.
    let mut older = Vec::new();
    let mut cursor = opened["older_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page = send(
            &app,
            &erin,
            Method::GET,
            &format!("/rooms/{id}/messages?limit=30&cursor={c}"),
            None,
        )
        .await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        let mut items = ids(&page["items"]);
        items.extend(older);
        older = items;
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(older, all_ids[..87]);

    let latest = send(
        &app,
        &erin,
        Method::GET,
        &format!("/rooms/{id}/messages?limit=10"),
        None,
    )
    .await
    .json();
    assert_eq!(ids(&latest["items"]), all_ids[127..]);
    assert!(latest["next_cursor"].is_string());
    let empty = create(&app, &erin, "Quiet").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let none = send(
        &app,
        &erin,
        Method::GET,
        &format!("/rooms/{empty}/messages"),
        None,
    )
    .await;
    assert_eq!(none.json(), json!({"items": [], "next_cursor": null}));

    // A cursor into a room deleted since is 404, not an empty page.
    send(&app, &erin, Method::DELETE, &format!("/rooms/{id}"), None).await;
    let stale = opened["older_cursor"].as_str().unwrap();
    let gone = send(
        &app,
        &erin,
        Method::GET,
        &format!("/rooms/{id}/messages?cursor={stale}"),
        None,
    )
    .await;
    assert_eq!(gone.error_code(), "not_found");
}

#[tokio::test]
async fn deleting_a_room_of_3000_messages_leaves_nothing() {
    let app = TestApp::spawn_with(&[("ROLECHAT_DELETION_ROUND_ITEMS", "1000")]).await;
    let frank = user(&app, "frank").await;
    let id = create(&app, &frank, "Doomed").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = create(&app, &frank, "Kept").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    append(&app, &frank, &kept, &messages(&frank.key, &kept, 10)).await;

    let doomed = messages(&frank.key, &id, 3000);
    for chunk in doomed.chunks(25) {
        let writes = chunk
            .iter()
            .map(|m| {
                let put = PutRequest::builder()
                    .set_item(Some(serde_dynamo::to_item(m).unwrap()))
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        app.dynamodb
            .batch_write_item()
            .request_items(&app.tables.rooms, writes)
            .send()
            .await
            .unwrap();
    }
    let items_of = |room: String| {
        let app = &app;
        let owner = frank.key.clone();
        async move {
            let (mut count, mut start) = (0, None);
            loop {
                let page = app
                    .dynamodb
                    .query()
                    .table_name(&app.tables.rooms)
                    .key_condition_expression("pk = :o AND begins_with(sk, :r)")
                    .expression_attribute_values(":o", AttributeValue::S(owner.clone()))
                    .expression_attribute_values(":r", AttributeValue::S(format!("{room}#")))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .unwrap();
                count += page.count();
                start = page.last_evaluated_key;
                if start.is_none() {
                    return count;
                }
            }
        }
    };
    assert_eq!(items_of(id.clone()).await, 3001);

    let deleted = send(&app, &frank, Method::DELETE, &format!("/rooms/{id}"), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(
        send(&app, &frank, Method::GET, &format!("/rooms/{id}"), None)
            .await
            .status,
        404,
        "gone for readers before the worker runs"
    );
    // Runs of at most 1,000 items: the job is taken up again three times.
    let batches = app.drain_deletions(10).await;
    assert_eq!(batches, 4, "3,001 items in runs of 1,000");
    assert_eq!(items_of(id.clone()).await, 0, "no item of the room is left");
    assert_eq!(
        items_of(kept.clone()).await,
        11,
        "the other room is untouched"
    );
    assert_eq!(
        ids(&send(&app, &frank, Method::GET, "/rooms", None).await.json()["items"]),
        [kept]
    );
}

#[tokio::test]
async fn a_room_waiting_for_the_worker_is_invisible_and_deleted_once() {
    let app = TestApp::spawn().await;
    let grace = user(&app, "grace").await;
    let id = create(&app, &grace, "Interrupted").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    append(&app, &grace, &id, &messages(&grace.key, &id, 30)).await;
    // The request's part of a delete, the worker not run yet (stopped, or failing).
    assert_eq!(
        send(&app, &grace, Method::DELETE, &format!("/rooms/{id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        send(&app, &grace, Method::GET, &format!("/rooms/{id}"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        send(&app, &grace, Method::GET, "/rooms", None).await.json()["items"],
        json!([])
    );
    let patch = send(
        &app,
        &grace,
        Method::PATCH,
        &format!("/rooms/{id}"),
        Some(json!({"level": "advanced"})),
    )
    .await;
    assert_eq!(patch.status, 404);
    assert!(
        !app.state
            .store
            .append_messages(
                &app.owner(&grace.token).await,
                &id,
                &messages(&grace.key, &id, 1)
            )
            .await
            .unwrap(),
        "no message can be added to a room being deleted"
    );

    // Deleting it again finds nothing to delete; the job is there once, and the worker ends it.
    assert_eq!(
        send(&app, &grace, Method::DELETE, &format!("/rooms/{id}"), None)
            .await
            .status,
        404
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
    app.drain_deletions(3).await;
    let left = app
        .dynamodb
        .scan()
        .table_name(&app.tables.rooms)
        .send()
        .await
        .unwrap();
    assert_eq!(left.count(), 0);
}

#[tokio::test]
async fn every_validation_error_of_the_contract() {
    let app = TestApp::spawn().await;
    let heidi = user(&app, "heidi").await;
    let mut body = new_room("ok");
    let too_long = "x".repeat(201);
    let cases = [
        (
            json!({}),
            json!({"language": "is required", "level": "is required", "situation": "is required",
                           "my_role": "is required", "gpt_role": "is required"}),
        ),
        (
            {
                body["language"] = json!("en-GB");
                body.clone()
            },
            json!({"language": "must be one of en-US, ja-JP, ko-KR, zh-CN, es-ES, fr-FR, de-DE"}),
        ),
        (
            {
                body = new_room("ok");
                body["level"] = json!("Beginner");
                body.clone()
            },
            json!({"level": "must be one of A1, A2, B1, B2, C1, C2"}),
        ),
        (
            {
                body = new_room("   ");
                body.clone()
            },
            json!({"situation": "must not be empty"}),
        ),
        (
            {
                body = new_room(&too_long);
                body.clone()
            },
            json!({"situation": "must be at most 200 characters"}),
        ),
        (
            {
                body = new_room("ok");
                body["my_role"] = json!("");
                body.clone()
            },
            json!({"my_role": "must not be empty"}),
        ),
        (
            {
                body = new_room("ok");
                body["gpt_role"] = json!(too_long);
                body.clone()
            },
            json!({"gpt_role": "must be at most 200 characters"}),
        ),
        (
            {
                body = new_room("ok");
                body["title"] = json!("t".repeat(81));
                body.clone()
            },
            json!({"title": "must be at most 80 characters"}),
        ),
        (
            {
                body = new_room("ok");
                body["language"] = Value::Null;
                body.clone()
            },
            json!({"language": "is required"}),
        ),
    ];
    for (body, fields) in &cases {
        let response = send(&app, &heidi, Method::POST, "/rooms", Some(body.clone())).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.error_code(), "validation_failed");
        assert_eq!(&response.json()["error"]["fields"], fields, "{body}");
    }
    // Setup text may be in any language, and limits count characters.
    let mut korean = new_room(&"가".repeat(200));
    korean["my_role"] = json!("손님");
    korean["title"] = json!("나".repeat(80));
    assert_eq!(
        send(&app, &heidi, Method::POST, "/rooms", Some(korean))
            .await
            .status,
        201
    );

    let id = create(&app, &heidi, "room").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patches = [
        (
            json!({"situation": ""}),
            json!({"situation": "must not be empty"}),
        ),
        (
            json!({"situation": null}),
            json!({"situation": "must not be null"}),
        ),
        (
            json!({"level": "expert", "title": "t".repeat(81)}),
            json!({"level": "must be one of A1, A2, B1, B2, C1, C2", "title": "must be at most 80 characters"}),
        ),
        (
            json!({"language": null}),
            json!({"language": "must not be null"}),
        ),
    ];
    for (body, fields) in &patches {
        let response = send(
            &app,
            &heidi,
            Method::PATCH,
            &format!("/rooms/{id}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(&response.json()["error"]["fields"], fields, "{body}");
    }
    let untouched = send(&app, &heidi, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json();
    assert_eq!(untouched["room"]["situation"], "room");

    for bad in [
        "not json",
        "[]",
        r#"{"language": 5}"#,
        r#"{"level": ["beginner"]}"#,
        r#"{"title": {}}"#,
    ] {
        for (method, path) in [
            (Method::POST, "/rooms".to_owned()),
            (Method::PATCH, format!("/rooms/{id}")),
        ] {
            let response = app
                .send(
                    TestRequest::new(method.clone(), &path)
                        .token(&heidi.token)
                        .raw(bad),
                )
                .await;
            assert_eq!(response.error_code(), "invalid_json", "{method} {bad}");
        }
    }
    let huge = json!({"situation": "x".repeat(70_000)});
    assert_eq!(
        send(&app, &heidi, Method::POST, "/rooms", Some(huge.clone()))
            .await
            .error_code(),
        "payload_too_large"
    );
    assert_eq!(
        send(
            &app,
            &heidi,
            Method::PATCH,
            &format!("/rooms/{id}"),
            Some(huge)
        )
        .await
        .error_code(),
        "payload_too_large"
    );

    for query in ["limit=0", "limit=101", "limit=abc", "limit=-5"] {
        for path in ["/rooms".to_owned(), format!("/rooms/{id}/messages")] {
            let response = send(&app, &heidi, Method::GET, &format!("{path}?{query}"), None).await;
            assert_eq!(
                response.json()["error"]["fields"],
                json!({"limit": "must be a whole number from 1 to 100"}),
                "{path}?{query}"
            );
        }
    }
}

#[tokio::test]
async fn unauthenticated_and_wrong_methods() {
    let app = TestApp::spawn().await;
    let ivan = user(&app, "ivan").await;
    let id = create(&app, &ivan, "room").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, path) in [
        (Method::GET, "/rooms".to_owned()),
        (Method::POST, "/rooms".to_owned()),
        (Method::GET, format!("/rooms/{id}")),
        (Method::PATCH, format!("/rooms/{id}")),
        (Method::DELETE, format!("/rooms/{id}")),
        (Method::GET, format!("/rooms/{id}/messages")),
    ] {
        let response = app
            .send(TestRequest::new(method.clone(), &path).json(&new_room("x")))
            .await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (401, "unauthorized"),
            "{method} {path}"
        );
    }
    send(&app, &ivan, Method::DELETE, "/auth", None).await;
    let after_logout = send(&app, &ivan, Method::GET, "/rooms", None).await;
    assert_eq!(after_logout.status, 401);

    let ivan = User {
        token: app.sign_up("ivan2", "ivan's password").await,
        key: "ivan2".into(),
    };
    for (method, path, allow) in [
        (Method::PUT, "/rooms".to_owned(), "GET, POST"),
        (Method::DELETE, "/rooms".to_owned(), "GET, POST"),
        (Method::POST, format!("/rooms/{id}"), "GET, PATCH, DELETE"),
        (Method::PUT, format!("/rooms/{id}"), "GET, PATCH, DELETE"),
        (Method::DELETE, format!("/rooms/{id}/messages"), "GET, POST"),
    ] {
        let response = send(&app, &ivan, method.clone(), &path, None).await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (405, "method_not_allowed"),
            "{method} {path}"
        );
        assert_eq!(response.headers["allow"], allow, "{method} {path}");
    }
}

/// The round trips each room route makes, counted by an interceptor on the SDK client.
#[tokio::test]
async fn dynamodb_round_trips_per_route() {
    let app = TestApp::spawn().await;
    let judy = user(&app, "judy").await;
    let id = create(&app, &judy, "room").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    append(&app, &judy, &id, &messages(&judy.key, &id, 80)).await;
    for _ in 0..3 {
        create(&app, &judy, "more").await;
    }
    app.round_trips.take();

    let page = send(&app, &judy, Method::GET, "/rooms?limit=2", None)
        .await
        .json();
    assert_eq!(
        app.round_trips.take(),
        2,
        "GET /rooms: session + one index query"
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    send(
        &app,
        &judy,
        Method::GET,
        &format!("/rooms?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(app.round_trips.take(), 2, "GET /rooms with a cursor");

    let opened = send(&app, &judy, Method::GET, &format!("/rooms/{id}"), None)
        .await
        .json();
    assert_eq!(
        app.round_trips.take(),
        2,
        "GET /rooms/{{id}}: session + one query for room and messages"
    );
    send(
        &app,
        &judy,
        Method::GET,
        &format!("/rooms/{id}/messages"),
        None,
    )
    .await;
    assert_eq!(app.round_trips.take(), 2, "GET /rooms/{{id}}/messages");
    let cursor = opened["older_cursor"].as_str().unwrap();
    send(
        &app,
        &judy,
        Method::GET,
        &format!("/rooms/{id}/messages?cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(
        app.round_trips.take(),
        3,
        "GET /rooms/{{id}}/messages with a cursor: session, then the page and the room at once"
    );

    create(&app, &judy, "one more").await;
    assert_eq!(app.round_trips.take(), 2, "POST /rooms: session + put");
    send(
        &app,
        &judy,
        Method::PATCH,
        &format!("/rooms/{id}"),
        Some(json!({"level": "advanced"})),
    )
    .await;
    assert_eq!(
        app.round_trips.take(),
        2,
        "PATCH: session + conditional update"
    );
    send(
        &app,
        &judy,
        Method::GET,
        &format!("/rooms/{}", ulid::Ulid::new()),
        None,
    )
    .await;
    assert_eq!(
        app.round_trips.take(),
        2,
        "a missing room costs the same as a found one"
    );
    send(&app, &judy, Method::DELETE, &format!("/rooms/{id}"), None).await;
    assert_eq!(
        app.round_trips.take(),
        2,
        "DELETE of a room of 80 messages: session + one transaction (mark, uncount, job)"
    );
    app.drain_deletions(5).await;
    // The worker: the job read again, one query of 81 keys, 4 batches of 25, the job removed,
    // and the drain's own read of the jobs table before and after.
    assert_eq!(
        app.round_trips.take(),
        1 + 1 + 4 + 1 + 2,
        "the deletion worker's run for that room"
    );
}
