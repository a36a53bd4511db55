//! The authorization matrix: every route of `openapi.yaml` (so a new route cannot be forgotten)
//! against every kind of bad credential, and against another user's good one. Each answer must be
//! the contract's status in the contract's shape, carry nothing of the victim's, and no model may
//! be called; afterwards the victim's data is as it was.

use std::time::Duration;

use lambda_http::http::Method;
use rolechat::auth::TokenKeys;
use rolechat_tests::repo::{text, yaml};
use rolechat_tests::{JWT_SECRET, TestApp, TestRequest, assert_error_shape};
use serde_json::{Value, json};

struct Operation {
    method: Method,
    path: String,
    protected: bool,
}

fn operations() -> Vec<Operation> {
    let spec = yaml("openapi.yaml");
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, operation) in item.as_mapping().unwrap() {
            if text(method) == "parameters" {
                continue;
            }
            let security = operation["security"]
                .as_sequence()
                .expect("every operation states its security");
            operations.push(Operation {
                method: text(method).to_uppercase().parse().unwrap(),
                path: text(path).to_owned(),
                protected: !security.is_empty(),
            });
        }
    }
    assert!(operations.len() >= 15, "openapi.yaml lists every route");
    operations
}

/// A body the route would accept, so that credentials are the only thing wrong.
fn body_for(method: &Method, path: &str) -> Option<Value> {
    match (method.as_str(), path) {
        ("POST", "/signup") => {
            Some(json!({"username": "newcomer", "password": "newcomer password"}))
        }
        ("POST", "/auth") => Some(json!({"username": "valeria", "password": "valeria's password"})),
        ("POST", "/rooms") => Some(json!({"language": "en-US", "level": "beginner",
            "situation": "At the bakery", "my_role": "a customer", "gpt_role": "a baker"})),
        ("PATCH", _) => Some(json!({"title": "Taken over"})),
        ("POST", "/rooms/{id}/messages") => Some(json!({"content": "Hello?"})),
        ("POST", "/vocabulary") => {
            Some(json!({"text": "hello", "language": "en-US", "meaning": "hi"}))
        }
        ("POST", "/vocabulary/{id}/review") => Some(json!({"rating": "good"})),
        ("POST", "/me/facts") => Some(json!({"text": "likes hiking"})),
        // The victim's password: with another user's token it is simply wrong.
        ("DELETE", "/me") => Some(json!({"password": "valeria's password"})),
        ("POST", "/me/password") => Some(
            json!({"current_password": "valeria's password", "new_password": "taken over at last"}),
        ),
        // The victim's name, and guessed links: a token of a session proves nothing here.
        ("POST", "/password-reset") => Some(json!({"login": "valeria"})),
        ("POST", "/password-reset/confirm") => {
            Some(json!({"token": "a-guessed-token", "new_password": "taken over at last"}))
        }
        ("POST", "/email/verify") => Some(json!({"token": "a-guessed-token"})),
        _ => None,
    }
}

#[tokio::test]
async fn every_route_refuses_bad_credentials_and_other_users() {
    let app = TestApp::spawn().await;

    // The victim: a room with a conversation in it.
    let victim = app.sign_up("valeria", "valeria's password").await;
    let setup = json!({"language": "ko-KR", "level": "advanced", "situation": "VALERIA-SECRET-SITUATION",
                       "my_role": "손님", "gpt_role": "바리스타"});
    let room_id = app.create_room(&victim, &setup).await;
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room_id}/messages"))
                .token(&victim)
                .json(&json!({"content": "VALERIA-SECRET-LINE"})),
        )
        .await
        .json();
    let said = turn["user_message"]["id"].as_str().unwrap().to_owned();
    let reply = turn["reply"]["id"].as_str().unwrap().to_owned();
    let word = app
        .send(
            TestRequest::post("/vocabulary")
                .token(&victim)
                .json(&json!({"text": "VALERIA-SECRET-WORD", "language": "ko-KR", "meaning": "m"})),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fact = app
        .send(
            TestRequest::post("/me/facts")
                .token(&victim)
                .json(&json!({"text": "VALERIA-SECRET-FACT"})),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app
        .send(TestRequest::get(&format!("/rooms/{room_id}")).token(&victim))
        .await
        .json();
    let notebook_before = app
        .send(TestRequest::get("/vocabulary").token(&victim))
        .await
        .json();
    let secrets = [
        room_id.as_str(),
        said.as_str(),
        word.as_str(),
        "VALERIA-SECRET-SITUATION",
        "VALERIA-SECRET-LINE",
        "VALERIA-SECRET-WORD",
        "VALERIA-SECRET-FACT",
        "valeria",
    ];

    // The attacker's credentials, good and bad.
    let mut mallory = app.sign_up("mallory", "mallory's password").await;
    let login = json!({"username": "mallory", "password": "mallory's password"});
    let logged_out = app
        .send(TestRequest::post("/auth").json(&login))
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.send(TestRequest::delete("/auth").token(&logged_out))
            .await
            .status,
        204
    );
    let claims = app.state.tokens.verify(&mallory).unwrap();
    let now = rolechat::domain::time::now().unix_timestamp() as u64;
    let ten_minutes = Duration::from_secs(600);
    let wrong_signature = TokenKeys::new(b"a different signing key, long enough").issue(
        &claims.sub,
        &claims.sid,
        now,
        ten_minutes,
    );
    let expired = TokenKeys::new(JWT_SECRET.as_bytes()).issue(
        &claims.sub,
        &claims.sid,
        now - 7200,
        Duration::from_secs(3600),
    );
    let payload = mallory.split('.').nth(1).unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let bad: [(&str, Option<String>); 6] = [
        ("no token", None),
        ("malformed", Some("Bearer not.a.jwt".into())),
        ("wrong signature", Some(format!("Bearer {wrong_signature}"))),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("expired", Some(format!("Bearer {expired}"))),
        ("logged out", Some(format!("Bearer {logged_out}"))),
    ];

    let mut cases = 0;
    let model_calls = app.model.requests().len();
    // DELETE /auth and DELETE /me/sessions with mallory's own token log her out, so they go
    // last (she logs in again between them).
    let mut operations = operations();
    operations.sort_by_key(|op| {
        op.method == Method::DELETE && (op.path == "/auth" || op.path == "/me/sessions")
    });
    for op in &operations {
        let message_id = if op.path.ends_with("/feedback") {
            &said
        } else {
            &reply
        };
        // The victim's own ids: their room's, their notebook item's, or their fact's.
        let id = if op.path.starts_with("/vocabulary/") {
            &word
        } else if op.path.starts_with("/me/facts/") {
            &fact
        } else {
            &room_id
        };
        let mut path = op
            .path
            .replace("{id}", id)
            .replace("{message_id}", message_id);
        // The query each learning aid requires, so that credentials are the only thing wrong.
        if op.path.ends_with("/feedback") {
            path.push_str("?ui=en");
        } else if op.path.ends_with("/translation") {
            path.push_str("?to=ko");
        }
        let request = |authorization: Option<&str>| {
            let mut request = TestRequest::new(op.method.clone(), &path);
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            match body_for(&op.method, &op.path) {
                Some(body) => request.json(&body),
                None => request,
            }
        };
        let what = format!("{} {}", op.method, op.path);

        if op.protected {
            for (kind, authorization) in &bad {
                let response = app.send(request(authorization.as_deref())).await;
                cases += 1;
                assert_error_shape(response.status, &response.headers, &response.body);
                assert_eq!(
                    (response.status, response.error_code().as_str()),
                    (401, "unauthorized"),
                    "{what} with {kind}"
                );
            }
        }

        // Another user's valid token: never the victim's data.
        let response = app.send(request(Some(&format!("Bearer {mallory}")))).await;
        cases += 1;
        let text = response.text();
        for secret in secrets {
            if op.path == "/auth" && op.method == Method::POST && secret == "valeria" {
                continue; // a login as valeria is answered with her own name, by design
            }
            assert!(
                !text.contains(secret),
                "{what} as another user shows {secret}: {text}"
            );
        }
        let expected = match (op.method.as_str(), op.path.as_str()) {
            (_, path) if path.starts_with("/rooms/{id}") => 404,
            (_, path) if path.starts_with("/vocabulary/{id}") => 404,
            ("DELETE", "/me/facts/{id}") => 404,
            // Her own progress and facts, none of the victim's.
            ("GET", "/progress") | ("GET", "/me/facts") | ("GET", "/speech") => 200,
            ("POST", "/me/facts") => 201,
            ("POST", "/vocabulary") => 201,
            ("GET", "/vocabulary") | ("GET", "/vocabulary/due") => 200,
            ("GET", "/rooms")
            | ("GET", "/auth")
            | ("GET", "/health")
            | ("GET", "/scenarios")
            | ("POST", "/auth") => 200,
            ("POST", "/rooms") | ("POST", "/signup") => 201,
            ("DELETE", "/auth") => 204,
            // Her own account: her profile and export, none of the victim's.
            ("GET", "/me") | ("PATCH", "/me") | ("GET", "/me/export") => 200,
            ("DELETE", "/me") | ("POST", "/me/password") => 401,
            ("DELETE", "/me/sessions") => 204,
            // No provider is configured here: the flow's routes know none.
            ("GET", "/auth/oauth/providers") => 200,
            ("GET", "/auth/oauth/{provider}/start")
            | ("GET", "/auth/oauth/{provider}/callback") => 404,
            ("POST" | "GET" | "PUT" | "DELETE", "/me/identities/{provider}") => 404,
            ("POST", "/auth/oauth/exchange") => 400,
            // No mail is configured here: a reset is not offered, whoever asks.
            ("POST", "/password-reset") => 503,
            ("POST", "/password-reset/confirm")
            | ("POST", "/email/verify")
            | ("POST", "/email/unsubscribe") => 400,
            _ => panic!("{what}: add what another user's token should get"),
        };
        assert_eq!(response.status, expected, "{what} as another user: {text}");
        if op.method == Method::DELETE && (op.path == "/auth" || op.path == "/me/sessions") {
            mallory = app
                .send(TestRequest::post("/auth").json(&login))
                .await
                .json()["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        if expected >= 400 {
            assert_error_shape(response.status, &response.headers, &response.body);
        }
    }
    assert_eq!(
        app.model.requests().len(),
        model_calls,
        "no refused request reached the model"
    );
    let protected = operations.iter().filter(|op| op.protected).count();
    assert_eq!(cases, operations.len() + protected * bad.len());

    // The victim's room is as it was.
    let after = app
        .send(TestRequest::get(&format!("/rooms/{room_id}")).token(&victim))
        .await
        .json();
    assert_eq!(after, before);
    let notebook_after = app
        .send(TestRequest::get("/vocabulary").token(&victim))
        .await
        .json();
    assert_eq!(
        notebook_after, notebook_before,
        "the victim's notebook is as it was"
    );
    let facts = app
        .send(TestRequest::get("/me/facts").token(&victim))
        .await
        .json();
    assert_eq!(
        facts["facts"][0]["id"],
        fact.as_str(),
        "the victim's fact is kept"
    );
    println!("authorization matrix: {cases} cases");
}

/// One request of the early-exit matrix: what differs, the path and query, headers, body.
type Variant = (
    String,
    String,
    Vec<(&'static str, &'static str)>,
    Option<String>,
);

/// Every way a protected route can answer early (a replay, a conflict, a validation error, a
/// missing room or message, a tutor message where a learner's is needed) must come after the
/// session check: a token whose session ended gets `401`, on its own data too, whatever the path,
/// query, headers and body. Each case changes one thing of a request the route would accept.
#[tokio::test]
async fn every_early_exit_of_every_route_checks_the_session_first() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("ilse", "ilse's password").await;
    // Ilse's own room, with a turn taken under an idempotency key and a line checked.
    let room_id = app
        .create_room(
            &token,
            &json!({"language": "en-US", "level": "beginner", "situation": "At the bakery",
                    "my_role": "a customer", "gpt_role": "a baker"}),
        )
        .await;
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room_id}/messages"))
                .token(&token)
                .header("idempotency-key", "ilse-turn-1")
                .json(&json!({"content": "One loaf, please."})),
        )
        .await;
    assert_eq!(turn.status, 201, "{}", turn.text());
    let turn = turn.json();
    let said = turn["user_message"]["id"].as_str().unwrap().to_owned();
    let reply = turn["reply"]["id"].as_str().unwrap().to_owned();
    let checked = app
        .send(
            TestRequest::post(&format!("/rooms/{room_id}/messages/{said}/feedback")).token(&token),
        )
        .await;
    assert_eq!(checked.status, 200);
    let before = app
        .send(TestRequest::get(&format!("/rooms/{room_id}")).token(&token))
        .await
        .json();
    // A live session for comparing, then the one whose session ends.
    let live = app
        .send(
            TestRequest::post("/auth")
                .json(&json!({"username": "ilse", "password": "ilse's password"})),
        )
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.send(TestRequest::delete("/auth").token(&token))
            .await
            .status,
        204
    );
    let claims = app.state.tokens.verify(&live).unwrap();
    let now = rolechat::domain::time::now().unix_timestamp() as u64;
    let expired = TokenKeys::new(JWT_SECRET.as_bytes()).issue(
        &claims.sub,
        &claims.sid,
        now - 7200,
        Duration::from_secs(3600),
    );
    let bad = [
        ("logged out", Some(format!("Bearer {token}"))),
        ("expired", Some(format!("Bearer {expired}"))),
        ("no token", None),
    ];

    let missing_room = ulid::Ulid::new().to_string();
    let missing_message = ulid::Ulid::new().to_string();
    let mut cases = 0;
    let model_calls = app.model.requests().len();
    for op in operations().iter().filter(|op| op.protected) {
        let ids = |room: &str, message: &str| {
            op.path
                .replace("{id}", room)
                .replace("{message_id}", message)
        };
        let own_message = if op.path.ends_with("/feedback") {
            &said
        } else {
            &reply
        };
        let path = ids(&room_id, own_message);
        let body = body_for(&op.method, &op.path);
        let mut variants: Vec<Variant> = vec![
            (
                "as accepted".into(),
                path.clone(),
                vec![],
                body.as_ref().map(Value::to_string),
            ),
            (
                "an empty object".into(),
                path.clone(),
                vec![],
                Some("{}".into()),
            ),
            (
                "a body that is not JSON".into(),
                path.clone(),
                vec![],
                Some("not json".into()),
            ),
            (
                "a body over the size limit".into(),
                path.clone(),
                vec![],
                Some(format!(r#"{{"content": "{}"}}"#, "x".repeat(70 * 1024))),
            ),
            (
                "a JSON array".into(),
                path.clone(),
                vec![],
                Some("[1]".into()),
            ),
            (
                "wrong types".into(),
                path.clone(),
                vec![],
                Some(r#"{"content": 5, "title": [], "language": 7, "username": 1}"#.into()),
            ),
            (
                "empty fields".into(),
                path.clone(),
                vec![],
                Some(r#"{"content": " ", "title": "", "situation": ""}"#.into()),
            ),
            (
                "a replayed idempotency key".into(),
                path.clone(),
                vec![("idempotency-key", "ilse-turn-1")],
                Some("{}".into()),
            ),
            (
                "a replayed key, streamed".into(),
                path.clone(),
                vec![
                    ("idempotency-key", "ilse-turn-1"),
                    ("accept", "text/event-stream"),
                ],
                Some("{}".into()),
            ),
            (
                "a bad idempotency key".into(),
                path.clone(),
                vec![("idempotency-key", "bad key")],
                body.as_ref().map(Value::to_string),
            ),
            ("a bad ui".into(), format!("{path}?ui=xx"), vec![], None),
            ("a bad to".into(), format!("{path}?to=xx"), vec![], None),
            ("no to".into(), path.clone(), vec![], None),
            (
                "a bad limit".into(),
                format!("{path}?limit=0"),
                vec![],
                None,
            ),
            (
                "a forged cursor".into(),
                format!("{path}?cursor=garbage"),
                vec![],
                None,
            ),
        ];
        if op.path.contains("{id}") {
            variants.push((
                "a missing room".into(),
                ids(&missing_room, own_message),
                vec![],
                None,
            ));
            variants.push((
                "a room id that is no id".into(),
                ids("not-an-id", own_message),
                vec![],
                None,
            ));
        }
        if op.path.contains("{message_id}") {
            variants.push((
                "a missing message".into(),
                ids(&room_id, &missing_message),
                vec![],
                None,
            ));
            variants.push((
                "the tutor's message".into(),
                ids(&room_id, &reply),
                vec![],
                None,
            ));
            variants.push((
                "a checked line".into(),
                format!("{}?to=ko", ids(&room_id, &said)),
                vec![],
                None,
            ));
        }
        for (what, path, headers, body) in &variants {
            for (kind, authorization) in &bad {
                let mut request = TestRequest::new(op.method.clone(), path);
                if let Some(value) = authorization {
                    request = request.header("authorization", value);
                }
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                if let Some(body) = body {
                    request = request.raw(body.clone());
                }
                let response = app.send(request).await;
                cases += 1;
                assert_error_shape(response.status, &response.headers, &response.body);
                assert_eq!(
                    (response.status, response.error_code().as_str()),
                    (401, "unauthorized"),
                    "{} {} with {what}, {kind}: {}",
                    op.method,
                    op.path,
                    response.text()
                );
                assert!(
                    !response.text().contains(&said),
                    "{what}: a message id leaked"
                );
            }
        }
    }
    assert_eq!(
        app.model.requests().len(),
        model_calls,
        "no refused request reached the model"
    );
    let after = app
        .send(TestRequest::get(&format!("/rooms/{room_id}")).token(&live))
        .await
        .json();
    assert_eq!(after, before, "nothing stored changed");
    println!("early exits: {cases} cases");
}
