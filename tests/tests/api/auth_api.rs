//! `/health`, `/signup` and `/auth` against the embedded DynamoDB, through the real handlers.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::Method;
use rolechat::auth::TokenKeys;
use rolechat::store::SessionRecord;
use rolechat_tests::{JWT_SECRET, SITE_ORIGIN, TestApp, TestRequest};
use serde_json::{Value, json};

fn credentials(username: &str, password: &str) -> Value {
    json!({"username": username, "password": password})
}

fn unix_now() -> i64 {
    rolechat::domain::time::now().unix_timestamp()
}

#[tokio::test]
async fn health_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.send(TestRequest::get("/health")).await;
    assert_eq!(
        (response.status, response.json()),
        (200, json!({"status": "ok"}))
    );
    assert_eq!(app.round_trips.take(), 0, "health touches no table");
}

#[tokio::test]
async fn signup_logs_the_new_user_in() {
    let app = TestApp::spawn().await;
    let response = app
        .send(TestRequest::post("/signup").json(&credentials("Alice_01", "correct horse")))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 12 * 3600);
    assert_eq!(body["user"]["username"], "Alice_01");
    let created_at = body["user"]["created_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert!(created_at.ends_with('Z'), "{created_at}");
    let mut fields: Vec<_> = body["user"].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "created_at",
            "daily_goal",
            "display_name",
            "email",
            "email_bounced",
            "email_pending",
            "linked_logins",
            "login_methods",
            "native_language",
            "onboarded",
            "reminders",
            "study",
            "time_zone",
            "username",
            "username_changeable"
        ],
        "a user shows its public fields only"
    );
    assert_eq!(body["user"]["display_name"], Value::Null);
    assert_eq!(body["user"]["native_language"], "ko");
    assert_eq!(
        body["user"]["login_methods"],
        serde_json::json!(["password"])
    );
    assert_eq!(body.as_object().unwrap().len(), 4);

    let token = body["access_token"].as_str().unwrap();
    let me = app.send(TestRequest::get("/auth").token(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json(), json!({"user": body["user"]}));
}

#[tokio::test]
async fn passwords_are_stored_only_as_argon2id_hashes() {
    let app = TestApp::spawn().await;
    let password = "a secret nobody reads";
    let token = app.sign_up("bob", password).await;
    let login = app
        .send(TestRequest::post("/auth").json(&credentials("bob", password)))
        .await;

    // Nothing the API says contains the password or a hash of it.
    for text in [
        login.text(),
        app.send(TestRequest::get("/auth").token(&token))
            .await
            .text(),
    ] {
        assert!(
            !text.contains(password) && !text.contains("argon2"),
            "{text}"
        );
    }

    let users = app
        .dynamodb
        .scan()
        .table_name(&app.tables.users)
        .send()
        .await
        .unwrap();
    let items = users.items();
    assert_eq!(items.len(), 1);
    let hash = items[0]["password_hash"].as_s().unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let sessions = app
        .dynamodb
        .scan()
        .table_name(&app.tables.sessions)
        .send()
        .await
        .unwrap();
    for item in items.iter().chain(sessions.items()) {
        let stored = format!("{item:?}");
        assert!(!stored.contains(password), "plaintext stored: {stored}");
        assert!(!stored.contains(&token), "a token is stored: {stored}");
    }
}

#[tokio::test]
async fn usernames_are_unique_whatever_their_case() {
    let app = TestApp::spawn().await;
    app.sign_up("Carol", "first password").await;
    let response = app
        .send(TestRequest::post("/signup").json(&credentials("cAROL", "second password")))
        .await;
    assert_eq!(
        (response.status, response.error_code().as_str()),
        (409, "username_taken")
    );

    // The first account is untouched: its password still works and the second one does not.
    let first = app
        .send(TestRequest::post("/auth").json(&credentials("carol", "first password")))
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["user"]["username"], "Carol");
    let second = app
        .send(TestRequest::post("/auth").json(&credentials("Carol", "second password")))
        .await;
    assert_eq!(second.status, 401);
    let users = app
        .dynamodb
        .scan()
        .table_name(&app.tables.users)
        .send()
        .await
        .unwrap();
    assert_eq!(users.count(), 1);
}

#[tokio::test]
async fn signup_validation_names_each_bad_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({}),
            json!({"username": "is required", "password": "is required"}),
        ),
        (
            json!({"username": "dave"}),
            json!({"password": "is required"}),
        ),
        (
            json!({"password": "long enough"}),
            json!({"username": "is required"}),
        ),
        (
            json!({"username": null, "password": null}),
            json!({"username": "is required", "password": "is required"}),
        ),
        (
            credentials("ab", "long enough"),
            json!({"username": "must be 3 to 32 characters"}),
        ),
        (
            credentials(&"x".repeat(33), "long enough"),
            json!({"username": "must be 3 to 32 characters"}),
        ),
        (
            credentials("with space", "long enough"),
            json!({"username": "may contain only letters A-Z, digits, '_', '.' and '-'"}),
        ),
        (
            credentials("<img src=x>", "long enough"),
            json!({"username": "may contain only letters A-Z, digits, '_', '.' and '-'"}),
        ),
        (
            credentials("erin", "short"),
            json!({"password": "must be 8 to 128 characters"}),
        ),
        (
            credentials("erin", &"p".repeat(129)),
            json!({"password": "must be 8 to 128 characters"}),
        ),
        (
            credentials("frank123", "FRANK123"),
            json!({"password": "must not be the same as the username"}),
        ),
        (
            credentials("", ""),
            json!({"username": "must be 3 to 32 characters", "password": "must be 8 to 128 characters"}),
        ),
    ];
    for (body, fields) in cases {
        let response = app.send(TestRequest::post("/signup").json(&body)).await;
        assert_eq!(response.status, 400, "{body}: {}", response.text());
        assert_eq!(response.error_code(), "validation_failed", "{body}");
        assert_eq!(response.json()["error"]["fields"], fields, "{body}");
    }
    // Eight characters of any script are enough, 128 are not too many.
    app.sign_up("grace", "비밀번호비밀번호").await;
    app.sign_up("heidi", &"密".repeat(128)).await;
    let users = app
        .dynamodb
        .scan()
        .table_name(&app.tables.users)
        .send()
        .await
        .unwrap();
    assert_eq!(users.count(), 2, "no invalid signup stored anything");
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_of_the_right_types() {
    let app = TestApp::spawn().await;
    let bodies: Vec<lambda_http::Body> = vec![
        "".into(),
        "not json".into(),
        "{\"username\": \"ivan\",".into(),
        "[\"ivan\", \"password\"]".into(),
        "\"ivan\"".into(),
        "null".into(),
        r#"{"username": 42, "password": "long enough"}"#.into(),
        r#"{"username": "ivan", "password": ["long enough"]}"#.into(),
        r#"{"username": {"$ne": null}, "password": "long enough"}"#.into(),
        vec![b'{', 0xC3, 0x28, b'}'].into(),
    ];
    for path in ["/signup", "/auth"] {
        for body in &bodies {
            let response = app.send(TestRequest::post(path).raw(body.clone())).await;
            assert_eq!(
                (response.status, response.error_code().as_str()),
                (400, "invalid_json"),
                "{path} {body:?}"
            );
        }
    }
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused() {
    let app = TestApp::spawn().await;
    let padding = "p".repeat(64 * 1024);
    for path in ["/signup", "/auth"] {
        let response = app
            .send(TestRequest::post(path).json(&credentials("judy", &padding)))
            .await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (413, "payload_too_large"),
            "{path}"
        );
    }
    // Just under the limit is parsed (and then judged on its fields).
    let body =
        json!({"username": "judy", "password": "long enough", "note": "n".repeat(60 * 1024)});
    let response = app.send(TestRequest::post("/signup").json(&body)).await;
    assert_eq!(response.status, 201, "{}", response.text());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_reply() {
    let app = TestApp::spawn().await;
    app.sign_up("mallory", "right password").await;
    let wrong_password = app
        .send(TestRequest::post("/auth").json(&credentials("mallory", "wrong password")))
        .await;
    let unknown_user = app
        .send(TestRequest::post("/auth").json(&credentials("nobody", "wrong password")))
        .await;
    let invalid_name = app
        .send(TestRequest::post("/auth").json(&credentials("no body!", "wrong password")))
        .await;
    for response in [&wrong_password, &unknown_user, &invalid_name] {
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (401, "invalid_credentials")
        );
        assert_eq!(response.body, wrong_password.body);
    }
    let missing = app
        .send(TestRequest::post("/auth").json(&json!({"username": "mallory"})))
        .await;
    assert_eq!(missing.error_code(), "validation_failed");
    assert_eq!(
        missing.json()["error"]["fields"],
        json!({"password": "is required"})
    );
}

#[tokio::test]
async fn login_is_case_insensitive_and_sessions_are_independent() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("Oscar", "open sesame").await;
    let login = app
        .send(TestRequest::post("/auth").json(&credentials("OSCAR", "open sesame")))
        .await;
    assert_eq!(login.status, 200, "{}", login.text());
    assert_eq!(login.json()["user"]["username"], "Oscar");
    let second = login.json()["access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);

    // Logging out one session leaves the other logged in.
    assert_eq!(
        app.send(TestRequest::delete("/auth").token(&first))
            .await
            .status,
        204
    );
    assert_eq!(
        app.send(TestRequest::get("/auth").token(&first))
            .await
            .status,
        401
    );
    assert_eq!(
        app.send(TestRequest::get("/auth").token(&second))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn logout_is_server_side() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("peggy", "peggy's password").await;
    let logout = app.send(TestRequest::delete("/auth").token(&token)).await;
    assert_eq!(logout.status, 204);
    assert!(logout.body.is_empty());

    for request in [TestRequest::get("/auth"), TestRequest::delete("/auth")] {
        let response = app.send(request.token(&token)).await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (401, "unauthorized")
        );
        assert_eq!(response.headers["www-authenticate"], "Bearer");
    }
    let sessions = app
        .dynamodb
        .scan()
        .table_name(&app.tables.sessions)
        .send()
        .await
        .unwrap();
    assert_eq!(sessions.count(), 0, "logout deleted the session record");
}

#[tokio::test]
async fn tokens_that_are_missing_forged_or_expired_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("trent", "trent's password").await;
    let claims = app.state.tokens.verify(&token).unwrap();
    let now = unix_now() as u64;

    let forged = TokenKeys::new(b"some other key that is long enough!!").issue(
        &claims.sub,
        &claims.sid,
        now,
        Duration::from_secs(600),
    );
    let expired = TokenKeys::new(JWT_SECRET.as_bytes()).issue(
        &claims.sub,
        &claims.sid,
        now - 7200,
        Duration::from_secs(3600),
    );
    let someone_else = TokenKeys::new(JWT_SECRET.as_bytes()).issue(
        "victor",
        &claims.sid,
        now,
        Duration::from_secs(600),
    );
    let unknown_session = TokenKeys::new(JWT_SECRET.as_bytes()).issue(
        &claims.sub,
        "01NOSUCHSESSION",
        now,
        Duration::from_secs(600),
    );
    let payload = token.split('.').nth(1).unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");

    let headers = [
        None,
        Some("Bearer".to_owned()),
        Some(format!("Basic {token}")),
        Some(format!("Bearer {token}x")),
        Some("Bearer not.a.jwt".to_owned()),
        Some(format!("Bearer {forged}")),
        Some(format!("Bearer {expired}")),
        Some(format!("Bearer {someone_else}")),
        Some(format!("Bearer {unknown_session}")),
        Some(format!("Bearer {alg_none}")),
    ];
    for header in headers {
        for method in [Method::GET, Method::DELETE] {
            let mut request = TestRequest::new(method.clone(), "/auth");
            if let Some(value) = &header {
                request = request.header("authorization", value);
            }
            let response = app.send(request).await;
            assert_eq!(
                (response.status, response.error_code().as_str()),
                (401, "unauthorized"),
                "{method} {header:?}"
            );
        }
    }
    // None of them logged the real session out.
    assert_eq!(
        app.send(TestRequest::get("/auth").token(&token))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_expired_session_is_refused_before_dynamodb_deletes_it() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("uma", "uma's password").await;
    let claims = app.state.tokens.verify(&token).unwrap();
    let session = app
        .state
        .store
        .session_and_user(&claims.sid, &claims.sub)
        .await
        .unwrap()
        .0
        .unwrap();
    let lapsed = SessionRecord {
        expires_at: unix_now() - 1,
        ..session
    };
    app.state.store.put_session(&lapsed).await.unwrap();
    assert_eq!(
        app.send(TestRequest::get("/auth").token(&token))
            .await
            .status,
        401
    );

    let ttl = app
        .dynamodb
        .describe_time_to_live()
        .table_name(&app.tables.sessions)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    let item = app
        .dynamodb
        .get_item()
        .table_name(&app.tables.sessions)
        .key("pk", AttributeValue::S(claims.sid))
        .send()
        .await
        .unwrap();
    assert!(
        item.item().unwrap()["expires_at"].as_n().is_ok(),
        "the TTL attribute is a number"
    );
}

#[tokio::test]
async fn the_session_lifetime_is_configurable() {
    let app = TestApp::spawn_with(&[("ROLECHAT_SESSION_TTL_SECONDS", "600")]).await;
    let response = app
        .send(TestRequest::post("/signup").json(&credentials("walter", "walter's password")))
        .await;
    assert_eq!(response.json()["expires_in"], 600);
    let claims = app
        .state
        .tokens
        .verify(response.json()["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.exp - claims.iat, 600);
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/nope",
        "/auth/extra",
        "/signup/",
        "/../etc/passwd",
        "/rooms%2F..%2Fauth",
    ] {
        let path_is_known = !rolechat::routes::methods_for(path).is_empty();
        let response = app.send(TestRequest::get(path)).await;
        if path_is_known {
            assert_eq!(response.error_code(), "method_not_allowed", "{path}");
        } else {
            assert_eq!(
                (response.status, response.error_code().as_str()),
                (404, "not_found"),
                "{path}"
            );
        }
    }
    for (method, path, allow) in [
        (Method::PUT, "/auth", "POST, GET, DELETE"),
        (Method::PATCH, "/auth", "POST, GET, DELETE"),
        (Method::GET, "/signup", "POST"),
        (Method::DELETE, "/signup", "POST"),
        (Method::POST, "/health", "GET"),
    ] {
        let response = app.send(TestRequest::new(method.clone(), path)).await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (405, "method_not_allowed"),
            "{method} {path}"
        );
        assert_eq!(response.headers["allow"], allow, "{method} {path}");
    }
}

#[tokio::test]
async fn cors_allows_only_the_configured_origin() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &str| {
        TestRequest::new(Method::OPTIONS, "/auth")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
    };
    let allowed = app.send(preflight(SITE_ORIGIN)).await;
    assert!(allowed.status < 300, "{}", allowed.status);
    assert_eq!(allowed.headers["access-control-allow-origin"], SITE_ORIGIN);
    let methods = allowed.headers["access-control-allow-methods"]
        .to_str()
        .unwrap();
    // Every method of the route table (a link is confirmed with PUT).
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{method} in {methods}");
    }
    let headers = allowed.headers["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(headers.contains("authorization"), "{headers}");

    let refused = app.send(preflight("https://evil.test")).await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());

    // Replies, errors included, name the allowed origin and never `*`.
    let reply = app
        .send(TestRequest::get("/auth").header("origin", SITE_ORIGIN))
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.headers["access-control-allow-origin"], SITE_ORIGIN);
    let reply = app
        .send(TestRequest::get("/health").header("origin", "https://evil.test"))
        .await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());
}

/// The round trips each route makes, counted by an interceptor on the SDK client.
#[tokio::test]
async fn dynamodb_round_trips_per_route() {
    let app = TestApp::spawn().await;
    app.round_trips.take();
    let token = app.sign_up("yusuf", "yusuf's password").await;
    // Through the one process every request has the address it came from, which sign-ups count.
    let counted = usize::from(app.through_one_process());
    assert_eq!(
        app.round_trips.take(),
        1 + counted,
        "signup: one transaction (user + session); with no source address nothing is counted"
    );

    let login = app
        .send(TestRequest::post("/auth").json(&credentials("yusuf", "yusuf's password")))
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(
        app.round_trips.take(),
        3,
        "login: check the username's failures, read the user, write the session"
    );

    app.send(TestRequest::post("/auth").json(&credentials("yusuf", "wrong password")))
        .await;
    assert_eq!(
        app.round_trips.take(),
        3,
        "failed login: check the failures, read the user, count the failure"
    );

    assert_eq!(
        app.send(TestRequest::get("/auth").token(&token))
            .await
            .status,
        200
    );
    assert_eq!(app.round_trips.take(), 1, "GET /auth: read the session");

    assert_eq!(
        app.send(TestRequest::delete("/auth").token(&token))
            .await
            .status,
        204
    );
    assert_eq!(app.round_trips.take(), 1, "logout: one conditional delete");

    app.send(TestRequest::post("/signup").json(&credentials("YUSUF", "another password")))
        .await;
    assert_eq!(
        app.round_trips.take(),
        1 + counted,
        "a taken name costs the one failed transaction (and the address's count)"
    );
    app.send(TestRequest::post("/signup").json(&credentials("x", "y")))
        .await;
    assert_eq!(
        app.round_trips.take(),
        0,
        "invalid input never reaches DynamoDB"
    );
}

/// Password guessing is slowed per source IP and per username; `0` turns the limit off. Only
/// failures count against a username, and mostly from the address they come from: an attacker
/// hammering one name cannot lock its owner out.
#[tokio::test]
async fn signups_and_logins_are_limited_per_ip_and_per_username() {
    // The counters are per calendar minute: the app's clock starts at noon, a whole minute ahead.
    let app = TestApp::spawn_at_noon(&[("ROLECHAT_AUTH_RATE_PER_MINUTE", "3")]).await;
    let login = |username: &str, password: &str, ip: &str| {
        TestRequest::post("/auth")
            .json(&credentials(username, password))
            .from_ip(ip)
    };
    for (name, ip) in [("rita", "203.0.113.1"), ("sam", "203.0.113.2")] {
        let signup = TestRequest::post("/signup")
            .json(&credentials(name, &format!("{name}'s password")))
            .from_ip(ip);
        assert_eq!(app.send(signup).await.status, 201);
    }

    // An attacker hammers rita's name from one address: refused after three failures, even
    // with the right password, and nothing is logged in.
    for n in 0..3 {
        let response = app
            .send(login("rita", &format!("guess {n}"), "198.51.100.66"))
            .await;
        assert_eq!(response.status, 401, "{}", response.text());
    }
    for password in ["guess 3", "rita's password"] {
        let refused = app.send(login("rita", password, "198.51.100.66")).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (429, "rate_limited")
        );
        let retry_after: u64 = refused.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert!(!refused.text().contains("access_token"));
    }
    // Meanwhile rita, from her own address, logs in.
    let owner = app
        .send(login("rita", "rita's password", "203.0.113.1"))
        .await;
    assert_eq!(owner.status, 200, "{}", owner.text());

    // Guesses at sam's name spread over many addresses reach the username's ceiling (ten times
    // the limit): then even the right password is refused from a new address.
    for n in 0..30 {
        let ip = format!("198.51.100.{}", 100 + n / 3);
        let response = app.send(login("sam", &format!("guess {n}"), &ip)).await;
        assert_eq!(response.status, 401, "guess {n}: {}", response.text());
    }
    let refused = app
        .send(login("sam", "sam's password", "192.0.2.200"))
        .await;
    assert_eq!(refused.status, 429, "{}", refused.text());

    // One address trying many usernames: refused after three, whatever the names.
    for name in ["ann", "ben", "cat"] {
        let response = app.send(login(name, "some password", "192.0.2.7")).await;
        assert_eq!(response.status, 401, "{}", response.text());
    }
    let refused = app.send(login("dan", "some password", "192.0.2.7")).await;
    assert_eq!(refused.status, 429);
    let signup = app
        .send(
            TestRequest::post("/signup")
                .json(&credentials("eve", "eve's password"))
                .from_ip("192.0.2.7"),
        )
        .await;
    assert_eq!(signup.status, 429, "signups count too");
    // Others are not affected.
    let other = app
        .send(
            TestRequest::post("/signup")
                .json(&credentials("fay", "fay's password"))
                .from_ip("192.0.2.8"),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.text());

    let unlimited = TestApp::spawn_with(&[("ROLECHAT_AUTH_RATE_PER_MINUTE", "0")]).await;
    for n in 0..12 {
        let response = unlimited
            .send(login("nobody", &format!("guess {n}"), "192.0.2.9"))
            .await;
        assert_eq!(response.status, 401, "{}", response.text());
    }
    unlimited.round_trips.take();
    unlimited.send(login("nobody", "guess", "192.0.2.9")).await;
    assert_eq!(
        unlimited.round_trips.take(),
        1,
        "no counting when it is off"
    );
}
