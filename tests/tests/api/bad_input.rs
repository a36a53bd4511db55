//! Property-based and corpus tests of every route's body, query parameters and path ids: whatever
//! arrives (malformed JSON, wrong types, huge and deeply nested bodies, control characters,
//! invalid UTF-8, odd Unicode, forged and replayed cursors, path traversal in ids), the answer is
//! never a 5xx, and every refusal has the contract's error shape.

use lambda_http::http::Method;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rolechat::routes::ROUTES;
use rolechat_tests::{TestApp, TestRequest, TestResponse, assert_error_shape};
use serde_json::{Value, json};

/// A user with a room, a learner line and a tutor line, to aim the requests at.
struct World {
    app: TestApp,
    token: String,
    room: String,
    said: String,
    reply: String,
    cursor: String,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::spawn_with(&[("ROLECHAT_DAILY_TURNS", "100000")]).await;
        let token = app.sign_up("prop", "prop's password").await;
        let setup = json!({"language": "ja-JP", "level": "beginner", "situation": "駅で",
                           "my_role": "旅行者", "gpt_role": "駅員"});
        let room = app.create_room(&token, &setup).await;
        let mut turn = Value::Null;
        for n in 0..3 {
            turn = app
                .send(
                    TestRequest::post(&format!("/rooms/{room}/messages"))
                        .token(&token)
                        .json(&json!({"content": format!("line {n}")})),
                )
                .await
                .json();
        }
        let page = app
            .send(TestRequest::get(&format!("/rooms/{room}/messages?limit=2")).token(&token))
            .await
            .json();
        World {
            said: turn["user_message"]["id"].as_str().unwrap().to_owned(),
            reply: turn["reply"]["id"].as_str().unwrap().to_owned(),
            cursor: page["next_cursor"].as_str().unwrap().to_owned(),
            app,
            token,
            room,
        }
    }

    /// The route's path with its ids filled in: the real ones, or `id` where given.
    fn path(&self, template: &str, id: Option<&str>) -> String {
        let message = if template.ends_with("/feedback") {
            &self.said
        } else {
            &self.reply
        };
        template
            .replace("{id}", id.unwrap_or(&self.room))
            .replace("{message_id}", id.unwrap_or(message))
    }

    async fn send(&self, request: TestRequest) -> TestResponse {
        self.app.send(request.token(&self.token)).await
    }
}

/// Never a 5xx; a refusal in the error shape.
fn check(what: &str, response: &TestResponse) {
    assert!(
        response.status < 500,
        "{what}: {} {}",
        response.status,
        response.text()
    );
    if response.status >= 400 {
        assert_error_shape(response.status, &response.headers, &response.body);
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::from),
        "[\\x00-\\x1f\\u{200b}\\u{202e}\\u{feff}\\u{fffd}]{0,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("\\PC{0,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Objects with the fields the routes read, holding anything.
fn near_miss_object() -> impl Strategy<Value = Value> {
    let fields = [
        "username",
        "password",
        "language",
        "level",
        "situation",
        "my_role",
        "gpt_role",
        "title",
        "content",
    ];
    prop::collection::btree_map(prop::sample::select(fields.to_vec()), json_value(), 0..8)
        .prop_map(|map| Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        near_miss_object().prop_map(|v| v.to_string().into_bytes()),
    ]
}

fn odd_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just("../../etc/passwd".to_owned()),
        Just("%2e%2e%2f".to_owned()),
        Just("01JD6Z5YV3N1J0Q8M9K2W7R4TB".to_lowercase()),
        "[0-9A-Z]{26}",
        "\\PC{1,30}",
        "[\\x00-\\x1f]{1,5}",
    ]
}

/// Every route but logout, which would end the session the other requests use.
fn routes_keeping_the_session() -> Vec<&'static rolechat::routes::Route> {
    ROUTES
        .iter()
        .filter(|route| {
            // The routes that end the session (or the account) on a well-formed request.
            let ends = ["/auth", "/me", "/me/sessions"];
            !(route.method == Method::DELETE && ends.contains(&route.path))
        })
        .collect()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn random_bodies_on_every_route() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = rt.block_on(World::new());
    let routes = routes_keeping_the_session();
    let cases = std::cell::Cell::new(0);
    runner(400)
        .run(
            &(prop::sample::select(routes), body(), any::<bool>()),
            |(route, body, authorised)| {
                let path = world.path(route.path, None);
                let request = TestRequest::new(route.method.clone(), &path)
                    .header("content-type", "application/json")
                    .raw(body);
                let response = rt.block_on(async {
                    if authorised {
                        world.send(request).await
                    } else {
                        world.app.send(request).await
                    }
                });
                check(&format!("{} {}", route.method, route.path), &response);
                cases.set(cases.get() + 1);
                Ok(())
            },
        )
        .unwrap();
    println!("random bodies: {} cases", cases.get());
}

#[test]
fn odd_ids_and_query_parameters_on_every_route() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = rt.block_on(World::new());
    let routes = routes_keeping_the_session();
    let query_names = ["limit", "cursor", "ui", "to", "x"];
    let cases = std::cell::Cell::new(0);
    runner(400)
        .run(
            &(
                prop::sample::select(routes),
                prop::option::of(odd_id()),
                prop::collection::vec(
                    (prop::sample::select(query_names.to_vec()), "\\PC{0,40}"),
                    0..3,
                ),
            ),
            |(route, id, query)| {
                let id = id.map(|id| percent_encode(&id));
                let mut path = world.path(route.path, id.as_deref());
                let query: Vec<String> = query
                    .iter()
                    .map(|(name, value)| format!("{name}={}", percent_encode(value)))
                    .collect();
                if !query.is_empty() {
                    path = format!("{path}?{}", query.join("&"));
                }
                let body = match route.method {
                    Method::POST | Method::PATCH => json!({"content": "hi", "title": "t"}),
                    _ => Value::Null,
                };
                let mut request = TestRequest::new(route.method.clone(), &path);
                if !body.is_null() {
                    request = request.json(&body);
                }
                let response = rt.block_on(world.send(request));
                check(&path, &response);
                if id.is_some() && route.path.contains("{id}") {
                    prop_assert!(
                        response.status == 404 || response.status == 400 || response.status == 405,
                        "{path}: {}",
                        response.text()
                    );
                }
                cases.set(cases.get() + 1);
                Ok(())
            },
        )
        .unwrap();
    println!("odd ids and queries: {} cases", cases.get());
}

/// Any status but a 5xx.
const ANY: u16 = 0;

/// Hand-picked inputs that random ones rarely hit.
#[tokio::test]
async fn a_corpus_of_hostile_inputs() {
    let world = World::new().await;
    let room = world.room.clone();
    let messages = format!("/rooms/{room}/messages");
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(5_000), "}".repeat(5_000));
    let huge = json!({"content": "あ".repeat(30_000)}).to_string();
    let long_content = json!({"content": "a".repeat(5_000)}).to_string();
    let alg_none = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        world.cursor.split('.').nth(1).unwrap_or("e30")
    );
    let bodies: Vec<(Method, String, Vec<u8>, u16)> = vec![
        (
            Method::POST,
            messages.clone(),
            deep.clone().into_bytes(),
            400,
        ),
        (
            Method::POST,
            "/rooms".into(),
            deep_object.clone().into_bytes(),
            400,
        ),
        (Method::POST, "/signup".into(), deep.into_bytes(), 400),
        (
            Method::POST,
            messages.clone(),
            huge.clone().into_bytes(),
            413,
        ),
        (Method::POST, "/auth".into(), huge.into_bytes(), 413),
        (
            Method::POST,
            messages.clone(),
            long_content.into_bytes(),
            400,
        ),
        (
            Method::POST,
            messages.clone(),
            vec![0xff, 0xfe, b'{', b'}'],
            400,
        ),
        (
            Method::POST,
            messages.clone(),
            b"\xef\xbb\xbf{\"content\": \"bom\"}".to_vec(),
            400,
        ),
        (
            Method::POST,
            messages.clone(),
            br#"{"content": "\u0000\u0007"}"#.to_vec(),
            ANY,
        ),
        (
            Method::POST,
            messages.clone(),
            br#"{"content": 1e400}"#.to_vec(),
            400,
        ),
        (
            Method::POST,
            messages.clone(),
            br#"{"content": "\ud800"}"#.to_vec(),
            400,
        ),
        (Method::POST, messages.clone(), b"[]".to_vec(), 400),
        (Method::POST, messages.clone(), b"null".to_vec(), 400),
        (
            Method::POST,
            "/rooms".into(),
            br#"{"language": "ko-KR", "language": 7}"#.to_vec(),
            400,
        ),
        (
            Method::POST,
            "/rooms".into(),
            br#"{"__proto__": {"admin": true}}"#.to_vec(),
            400,
        ),
        (
            Method::PATCH,
            format!("/rooms/{room}"),
            br#"{"level": null}"#.to_vec(),
            400,
        ),
        (
            Method::POST,
            "/signup".into(),
            br#"{"username": "a\u0000b", "password": "long enough pw"}"#.to_vec(),
            400,
        ),
        (
            Method::POST,
            "/signup".into(),
            json!({"username": "ｆｕｌｌ", "password": "long enough pw"})
                .to_string()
                .into_bytes(),
            ANY,
        ),
    ];
    let mut cases = 0;
    let mut answered_turns = 0;
    for (method, path, body, status) in bodies {
        let request = TestRequest::new(method.clone(), &path)
            .header("content-type", "application/json")
            .raw(body);
        let response = world.send(request).await;
        check(&format!("{method} {path}"), &response);
        if status != ANY {
            assert_eq!(
                response.status,
                status,
                "{method} {path}: {}",
                response.text()
            );
        }
        if response.status == 201 && path == messages {
            answered_turns += 1;
        }
        cases += 1;
    }

    let forged_cursors = [
        "x".to_owned(),
        "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl".to_owned(),
        alg_none,
        format!("{}x", world.cursor),
        world.cursor.chars().rev().collect(),
        percent_encode(&"A".repeat(5_000)),
    ];
    for cursor in &forged_cursors {
        for list in ["/rooms".to_owned(), messages.clone()] {
            let path = format!("{list}?cursor={}", percent_encode(cursor));
            let response = world.send(TestRequest::get(&path)).await;
            check(&path, &response);
            assert_eq!(response.error_code(), "validation_failed", "{path}");
            cases += 1;
        }
    }
    // A cursor of one list is refused by another; replayed on its own list it still works.
    let crossed = format!("/rooms?cursor={}", world.cursor);
    assert_eq!(world.send(TestRequest::get(&crossed)).await.status, 400);
    let replayed = format!("{messages}?cursor={}", world.cursor);
    for _ in 0..2 {
        assert_eq!(world.send(TestRequest::get(&replayed)).await.status, 200);
    }
    cases += 3;

    let ids = [
        "..",
        "..%2F..%2Fetc%2Fpasswd",
        "%00",
        "%2e%2e",
        "%E2%80%AE",
        "01JD6Z5YV3N1J0Q8M9K2W7R4TB%00",
    ];
    let long_id = "A".repeat(5_000);
    for id in ids.iter().copied().chain([long_id.as_str()]) {
        for (method, template) in [
            (Method::GET, "/rooms/{id}"),
            (Method::DELETE, "/rooms/{id}"),
            (Method::GET, "/rooms/{id}/messages"),
            (Method::POST, "/rooms/{id}/suggestions"),
        ] {
            let path = template.replace("{id}", id);
            let response = world.send(TestRequest::new(method.clone(), &path)).await;
            check(&path, &response);
            assert_eq!(response.status, 404, "{method} {path}");
            cases += 1;
        }
    }
    // Nothing refused touched the room: three turns before, and the turns that were answered.
    let opened = world
        .send(TestRequest::get(&format!("/rooms/{room}")))
        .await
        .json();
    assert_eq!(
        opened["messages"].as_array().unwrap().len(),
        2 * (3 + answered_turns)
    );
    println!("hostile corpus: {cases} cases");
}
