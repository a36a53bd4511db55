//! The smoke suite: the real function binaries under `cargo lambda watch`, the embedded DynamoDB,
//! real HTTP. Run by `make smoke` (part of `make test`), which starts the stack and sets
//! `ROLECHAT_API_URL` and `ROLECHAT_STACK_LOG`; ignored by a plain `cargo test`.

use std::process::Command;

use reqwest::{Client, Method, Response};
use rolechat_tests::assert_error_shape;
use rolechat_tests::repo::filled_fixture;
use serde_json::{Value, json};

fn api_url(path: &str) -> String {
    let base = std::env::var("ROLECHAT_API_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
    format!("{}{path}", base.trim_end_matches('/'))
}

fn unique(name: &str) -> String {
    format!("{name}-{}", &ulid::Ulid::new().to_string()[16..])
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    async fn from(response: Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("a body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    fn error_code(&self) -> String {
        let headers = lambda_http::http::HeaderMap::from_iter(self.headers.iter().map(|(k, v)| {
            (
                k.as_str().parse().unwrap(),
                v.as_bytes().try_into().unwrap(),
            )
        }));
        assert_error_shape(self.status, &headers, &self.body);
        self.json()["error"]["code"].as_str().unwrap().to_owned()
    }
}

async fn send(method: Method, path: &str, token: Option<&str>, body: Option<String>) -> Reply {
    let mut request = Client::new().request(method, api_url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    Reply::from(request.send().await.expect("the local stack answers")).await
}

#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn signup_login_me_logout_over_http() {
    assert_eq!(
        send(Method::GET, "/health", None, None).await.json(),
        json!({"status": "ok"})
    );

    let username = unique("Smoke");
    let password = format!("pw {}", ulid::Ulid::new());
    let credentials = json!({"username": username, "password": password}).to_string();
    let signup = send(Method::POST, "/signup", None, Some(credentials.clone())).await;
    assert_eq!(
        signup.status,
        201,
        "{}",
        String::from_utf8_lossy(&signup.body)
    );
    // The stack was started with ROLECHAT_SESSION_TTL_SECONDS=7200: settings reach the functions.
    assert_eq!(signup.json()["expires_in"], 7200);
    let first_token = signup.json()["access_token"].as_str().unwrap().to_owned();

    let taken =
        json!({"username": username.to_uppercase(), "password": "another password"}).to_string();
    assert_eq!(
        send(Method::POST, "/signup", None, Some(taken))
            .await
            .error_code(),
        "username_taken"
    );

    let login = send(Method::POST, "/auth", None, Some(credentials)).await;
    assert_eq!(login.status, 200);
    let token = login.json()["access_token"].as_str().unwrap().to_owned();

    let me = send(Method::GET, "/auth", Some(&token), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["user"]["username"], username.as_str());

    let logout = send(Method::DELETE, "/auth", Some(&token), None).await;
    assert_eq!(logout.status, 204);
    let after = send(Method::GET, "/auth", Some(&token), None).await;
    assert_eq!(
        (after.status, after.error_code().as_str()),
        (401, "unauthorized")
    );
    assert_eq!(
        send(Method::GET, "/auth", Some(&first_token), None)
            .await
            .status,
        200
    );

    let wrong = json!({"username": username, "password": "not the password"}).to_string();
    let unknown = json!({"username": unique("nobody"), "password": "not the password"}).to_string();
    let wrong = send(Method::POST, "/auth", None, Some(wrong)).await;
    let unknown = send(Method::POST, "/auth", None, Some(unknown)).await;
    assert_eq!(wrong.error_code(), "invalid_credentials");
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));

    // Nothing secret reached the functions' logs.
    let log_path = std::env::var("ROLECHAT_STACK_LOG").expect("make smoke sets ROLECHAT_STACK_LOG");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        log.contains(r#""path":"/signup""#) && log.contains(r#""status":201"#),
        "the request log is there"
    );
    for secret in [&password, &first_token, &token] {
        assert!(
            !log.contains(secret.as_str()),
            "a password or token is in the log"
        );
    }
    assert!(!log.contains("$argon2id$"), "a password hash is in the log");
}

#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn every_bad_input_gets_its_status_and_error_shape() {
    let valid = json!({"username": unique("bad"), "password": "long enough"});
    let cases: Vec<(Method, &str, Option<String>, u16, &str)> = vec![
        (
            Method::POST,
            "/signup",
            Some("not json".into()),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/signup",
            Some("[1, 2]".into()),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/signup",
            Some(r#"{"username": 1, "password": "long enough"}"#.into()),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/signup",
            Some("{}".into()),
            400,
            "validation_failed",
        ),
        (
            Method::POST,
            "/signup",
            Some(json!({"username": "x".repeat(33), "password": "long enough"}).to_string()),
            400,
            "validation_failed",
        ),
        (
            Method::POST,
            "/signup",
            Some(json!({"username": "abc", "password": "p".repeat(70_000)}).to_string()),
            413,
            "payload_too_large",
        ),
        (Method::POST, "/auth", Some("{".into()), 400, "invalid_json"),
        (
            Method::POST,
            "/auth",
            Some(json!({"username": "abc"}).to_string()),
            400,
            "validation_failed",
        ),
        (Method::GET, "/auth", None, 401, "unauthorized"),
        (Method::DELETE, "/auth", None, 401, "unauthorized"),
        (Method::GET, "/no-such-route", None, 404, "not_found"),
        (
            Method::POST,
            "/rooms/x/y/z",
            Some(valid.to_string()),
            404,
            "not_found",
        ),
        (Method::GET, "/", None, 404, "not_found"),
        (Method::PUT, "/auth", None, 405, "method_not_allowed"),
        (Method::GET, "/signup", None, 405, "method_not_allowed"),
        (Method::DELETE, "/health", None, 405, "method_not_allowed"),
    ];
    for (method, path, body, status, code) in cases {
        let reply = send(method.clone(), path, None, body).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (status, code),
            "{method} {path}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn no_cors_headers_for_origins_not_configured() {
    let reply = Client::new()
        .request(Method::OPTIONS, api_url("/auth"))
        .header("origin", "https://evil.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        reply.headers().get("access-control-allow-origin").is_none(),
        "{:?}",
        reply.headers()
    );
}

/// `cargo lambda invoke` with each committed fixture, against the running stack.
#[test]
#[ignore = "needs the local stack: run `make smoke`"]
fn committed_fixtures_invoke_the_functions() {
    let port = url_port(&api_url(""));
    let invoke = |function: &str, fixture: &str| -> Value {
        let file = format!(
            "{}/../functions/{function}/events/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        invoke_function(function, std::path::Path::new(&file), &port)
    };
    let body = |response: &Value| -> Value {
        serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap()
    };

    let health = invoke("health", "get.json");
    assert_eq!(
        (health["statusCode"].as_u64(), body(&health)),
        (Some(200), json!({"status": "ok"}))
    );

    let scenarios = invoke("scenarios", "list.json");
    assert_eq!(scenarios["statusCode"], 200, "{scenarios}");
    let catalogue = body(&scenarios);
    assert!(catalogue["items"].as_array().unwrap().len() >= 30);
    assert_eq!(
        catalogue["items"][0]["title"], "A parcel at the neighbour's",
        "ui=en"
    );

    // The fixture user exists after the first run against a data directory; both replies are right.
    let signup = invoke("signup", "signup.json");
    match signup["statusCode"].as_u64() {
        Some(201) => assert_eq!(body(&signup)["user"]["username"], "fixture-user"),
        Some(409) => assert_eq!(body(&signup)["error"]["code"], "username_taken"),
        other => panic!("signup fixture answered {other:?}: {signup}"),
    }
    let invalid = invoke("signup", "invalid.json");
    assert_eq!(invalid["statusCode"], 400);
    assert_eq!(body(&invalid)["error"]["code"], "validation_failed");

    let login = invoke("auth", "login.json");
    assert_eq!(login["statusCode"], 200, "{login}");
    assert_eq!(body(&login)["token_type"], "Bearer");
    let wrong = invoke("auth", "login-wrong-password.json");
    assert_eq!(
        (wrong["statusCode"].as_u64(), &body(&wrong)["error"]["code"]),
        (Some(401), &json!("invalid_credentials"))
    );
    let me = invoke("auth", "me-without-token.json");
    assert_eq!(
        (me["statusCode"].as_u64(), &body(&me)["error"]["code"]),
        (Some(401), &json!("unauthorized"))
    );
    // The deletion worker, as the stream and the schedule call it: a job already finished (or
    // never written) is nothing to do; a sweep reports how many jobs it ran.
    let stream = invoke("deletion-worker", "stream.json");
    assert_eq!(stream, json!({"batchItemFailures": []}));
    let sweep = invoke("deletion-worker", "sweep.json");
    assert!(sweep["jobs"].is_u64(), "{sweep}");

    // Mail: a reset request answers the same for anyone; an unknown link is refused; the
    // hourly run and a bounce notification, as the schedule and SNS deliver them.
    let reset = invoke("password-reset", "request.json");
    assert_eq!(reset["statusCode"], 202, "{reset}");
    let unknown = invoke("password-reset", "confirm-unknown-token.json");
    assert_eq!(unknown["statusCode"], 400, "{unknown}");
    let verify = invoke("email", "verify-unknown-token.json");
    assert_eq!(verify["statusCode"], 400, "{verify}");
    let unsubscribe = invoke("email", "one-click-unsubscribe.json");
    assert_eq!(
        unsubscribe["statusCode"], 400,
        "a forged token: {unsubscribe}"
    );
    let run = invoke("reminders", "hourly.json");
    assert!(run["due"].is_u64(), "{run}");
    let bounce = invoke("mail-events", "bounce.json");
    assert!(bounce["stopped"].is_u64(), "{bounce}");

    // Social login, with the local stack's fake provider standing in for all three.
    let providers = invoke("oauth", "providers.json");
    assert_eq!(
        body(&providers),
        json!({"providers": ["github", "kakao", "google"]})
    );
    // A REST reply carries its headers as `headers` or `multiValueHeaders`.
    let location = |reply: &Value| -> String {
        reply["headers"]["location"]
            .as_str()
            .or_else(|| reply["multiValueHeaders"]["location"][0].as_str())
            .unwrap_or_else(|| panic!("no Location: {reply}"))
            .to_owned()
    };
    let start = invoke("oauth", "start.json");
    assert_eq!(start["statusCode"], 302, "{start}");
    let to = location(&start);
    assert!(
        to.contains("/github/authorize?") && to.contains("code_challenge="),
        "{to}"
    );
    let forged = invoke("oauth", "callback-forged.json");
    assert_eq!(
        location(&forged),
        "http://127.0.0.1:5173/#/oauth?error=state_invalid"
    );
    let exchange = invoke("oauth", "exchange.json");
    assert_eq!(
        (
            exchange["statusCode"].as_u64(),
            &body(&exchange)["error"]["code"]
        ),
        (Some(401), &json!("invalid_credentials"))
    );

    let unknown = invoke("fallback", "unknown-route.json");
    assert_eq!(
        (
            unknown["statusCode"].as_u64(),
            &body(&unknown)["error"]["code"]
        ),
        (Some(404), &json!("not_found"))
    );
}

/// The mails the stack's mail server kept for `to`, waiting up to ten seconds for `count`.
async fn mails_to(to: &str, count: usize) -> Vec<rolechat_tests::mailbox::Mail> {
    let data = std::env::var("ROLECHAT_DATA_DIR").expect("the stack's data directory");
    let maildir = std::path::Path::new(&data).join("mail");
    for _ in 0..100 {
        let mails: Vec<_> = rolechat_tests::mailbox::read_maildir(&maildir)
            .into_iter()
            .filter(|mail| mail.to == to)
            .collect();
        if mails.len() >= count {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "{count} mails to {to} did not arrive in {}",
        maildir.display()
    );
}

#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn a_forgotten_password_is_reset_through_the_local_mail_server() {
    let name = unique("reset");
    let body = json!({"username": name, "password": "smoke password"}).to_string();
    let signed = send(Method::POST, "/signup", None, Some(body)).await;
    assert_eq!(signed.status, 201);
    let token = signed.json()["access_token"].as_str().unwrap().to_owned();
    let address = format!("{}@example.com", name.to_lowercase());
    let asked = send(
        Method::PATCH,
        "/me",
        Some(&token),
        Some(json!({"email": address, "native_language": "en"}).to_string()),
    )
    .await;
    assert_eq!(
        asked.status,
        200,
        "{}",
        String::from_utf8_lossy(&asked.body)
    );
    let site =
        std::env::var("ROLECHAT_SITE_URL").unwrap_or_else(|_| "http://127.0.0.1:5173".into());
    let link = |mail: &rolechat_tests::mailbox::Mail, route: &str| {
        mail.token(&format!("{site}/#/{route}?token="))
            .unwrap_or_else(|| panic!("no {route} link: {}", mail.text))
    };
    let verification = mails_to(&address, 1).await;
    let verify = json!({"token": link(&verification[0], "verify-email")}).to_string();
    assert_eq!(
        send(Method::POST, "/email/verify", None, Some(verify))
            .await
            .status,
        200
    );

    let asked = json!({"login": address}).to_string();
    let reset = send(Method::POST, "/password-reset", None, Some(asked)).await;
    assert_eq!(reset.status, 202);
    let mails = mails_to(&address, 2).await;
    assert!(
        mails[1].html.contains("Set a new password"),
        "{}",
        mails[1].html
    );
    let confirm =
        json!({"token": link(&mails[1], "reset-password"), "new_password": "a new smoke password"});
    let done = send(
        Method::POST,
        "/password-reset/confirm",
        None,
        Some(confirm.to_string()),
    )
    .await;
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(
        send(Method::GET, "/me", Some(&token), None).await.status,
        401,
        "sessions ended"
    );
    let login = json!({"username": name, "password": "a new smoke password"}).to_string();
    assert_eq!(
        send(Method::POST, "/auth", None, Some(login)).await.status,
        200
    );
    // The links' tokens, the new password and the address never reach the functions' logs.
    let log_path = std::env::var("ROLECHAT_STACK_LOG").expect("make smoke sets ROLECHAT_STACK_LOG");
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(
        log.contains(r#""path":"/password-reset/confirm""#),
        "the request log is there"
    );
    let secrets = [
        link(&verification[0], "verify-email"),
        link(&mails[1], "reset-password"),
        "a new smoke password".to_owned(),
        address.clone(),
    ];
    for secret in secrets {
        assert!(!log.contains(&secret), "{secret} is in the log");
    }
}

async fn signed_up(name: &str) -> String {
    let body = json!({"username": unique(name), "password": "smoke password"}).to_string();
    let reply = send(Method::POST, "/signup", None, Some(body)).await;
    assert_eq!(reply.status, 201);
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn every_room_route_over_http() {
    let alice = signed_up("alice").await;
    let bob = signed_up("bob").await;
    let setup = json!({"language": "ko-KR", "level": "beginner", "situation": "카페에서 커피 주문하기",
                       "my_role": "손님", "gpt_role": "바리스타"});
    let created = send(
        Method::POST,
        "/rooms",
        Some(&alice),
        Some(setup.to_string()),
    )
    .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let room = created.json();
    let id = room["id"].as_str().unwrap().to_owned();
    assert_eq!(room["title"], "카페에서 커피 주문하기");

    let list = send(Method::GET, "/rooms?limit=5", Some(&alice), None).await;
    assert_eq!(list.json(), json!({"items": [room], "next_cursor": null}));
    let opened = send(Method::GET, &format!("/rooms/{id}"), Some(&alice), None).await;
    assert_eq!(
        opened.json(),
        json!({"room": room, "messages": [], "older_cursor": null, "report": null})
    );
    let messages = send(
        Method::GET,
        &format!("/rooms/{id}/messages?limit=10"),
        Some(&alice),
        None,
    )
    .await;
    assert_eq!(messages.json(), json!({"items": [], "next_cursor": null}));
    let patched = send(
        Method::PATCH,
        &format!("/rooms/{id}"),
        Some(&alice),
        Some(json!({"level": "advanced"}).to_string()),
    )
    .await;
    assert_eq!(
        (patched.status, &patched.json()["level"]),
        (200, &json!("C1"))
    );

    // Bob finds nothing of Alice's, on every route.
    for (method, path) in [
        (Method::GET, format!("/rooms/{id}")),
        (Method::PATCH, format!("/rooms/{id}")),
        (Method::DELETE, format!("/rooms/{id}")),
        (Method::GET, format!("/rooms/{id}/messages")),
    ] {
        let reply = send(method.clone(), &path, Some(&bob), Some("{}".into())).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (404, "not_found"),
            "{method} {path}"
        );
    }
    assert_eq!(
        send(Method::GET, "/rooms", Some(&bob), None).await.json()["items"],
        json!([])
    );

    // Methods no function takes on shared paths reach the fallback through the local router.
    for (method, path) in [
        (Method::PUT, "/rooms".to_owned()),
        (Method::POST, format!("/rooms/{id}")),
    ] {
        let reply = send(method.clone(), &path, Some(&alice), None).await;
        assert_eq!(
            (reply.status, reply.error_code().as_str()),
            (405, "method_not_allowed"),
            "{method} {path}"
        );
    }
    let bad_limit = send(Method::GET, "/rooms?limit=0", Some(&alice), None).await;
    assert_eq!(bad_limit.error_code(), "validation_failed");
    let invalid = send(
        Method::POST,
        "/rooms",
        Some(&alice),
        Some(json!({"language": "xx"}).to_string()),
    )
    .await;
    assert_eq!(invalid.error_code(), "validation_failed");

    let deleted = send(Method::DELETE, &format!("/rooms/{id}"), Some(&alice), None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        send(Method::GET, &format!("/rooms/{id}"), Some(&alice), None)
            .await
            .status,
        404
    );
}

/// The room fixtures, with a real token and room put in, through `cargo lambda invoke`.
/// A room with `setup` for the holder of `token`; its id.
async fn created_room(token: &str, setup: &Value) -> String {
    let room = send(Method::POST, "/rooms", Some(token), Some(setup.to_string())).await;
    assert_eq!(room.status, 201, "{}", String::from_utf8_lossy(&room.body));
    room.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn room_fixtures_invoke_the_functions() {
    let token = signed_up("fixtures").await;
    let setup = json!({"language": "en-US", "level": "beginner", "situation": "s", "my_role": "m", "gpt_role": "g"});
    let id = &created_room(&token, &setup).await;
    let turn = send(
        Method::POST,
        &format!("/rooms/{id}/messages"),
        Some(&token),
        Some(r#"{"content": "Hello there"}"#.into()),
    )
    .await
    .json();
    let message_id = turn["user_message"]["id"].as_str().unwrap().to_owned();
    let port = url_port(&api_url(""));
    let dir = std::env::temp_dir().join(format!("rolechat-fixtures-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();

    let invoke = |function: &str, fixture: &str| -> Value {
        let text = filled_fixture(function, fixture, &token, id, &message_id);
        assert!(
            text.contains(&token),
            "{function}/{fixture} carries the token placeholder"
        );
        let file = dir.join(format!("{function}-{fixture}"));
        std::fs::write(&file, text).unwrap();
        invoke_function(function, &file, &port)
    };
    let body = |response: &Value| -> Value {
        serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap()
    };

    let list = invoke("rooms-list", "list.json");
    assert_eq!(
        (list["statusCode"].as_u64(), &body(&list)["items"][0]["id"]),
        (Some(200), &json!(id))
    );
    let got = invoke("room-get", "get.json");
    assert_eq!(
        (got["statusCode"].as_u64(), &body(&got)["room"]["id"]),
        (Some(200), &json!(id))
    );
    let updated = invoke("room-update", "update.json");
    assert_eq!(
        (updated["statusCode"].as_u64(), &body(&updated)["level"]),
        (Some(200), &json!("B1"))
    );
    let messages = invoke("messages-list", "list.json");
    assert_eq!(messages["statusCode"], 200);
    let items = body(&messages)["items"].clone();
    assert_eq!(
        (items[0]["id"].as_str(), items[1]["role"].as_str()),
        (Some(message_id.as_str()), Some("assistant"))
    );
    let created = invoke("room-create", "create.json");
    assert_eq!(
        (created["statusCode"].as_u64(), &body(&created)["gpt_role"]),
        (Some(201), &json!("바리스타"))
    );
    // `chat` answers with Lambda's response streaming, which `cargo lambda invoke` cannot read
    // (it only reads buffered replies); its turns are tested over HTTP above.
    let suggestion = invoke("suggest", "suggest.json");
    assert_eq!(suggestion["statusCode"], 200, "{suggestion}");
    let feedback = invoke("feedback", "feedback.json");
    assert_eq!(feedback["statusCode"], 200, "{feedback}");
    assert_eq!(
        body(&feedback)["feedback"]["corrected"],
        "Hello there (corrected)"
    );
    let translation = invoke("translate", "translate.json");
    assert_eq!(
        body(&translation)["translation"],
        json!({"to": "ko", "text": "Translated: Hello there"})
    );
    // The learner's corrected line in the server's voice: MP3, base64 in the Lambda reply as
    // API Gateway's binary media types expect.
    let speech = invoke("speech", "speech.json");
    // API Gateway's REST events carry the reply's headers in `multiValueHeaders`.
    assert_eq!(
        (
            speech["statusCode"].as_u64(),
            speech["isBase64Encoded"].as_bool(),
            speech["multiValueHeaders"]["content-type"][0].as_str()
        ),
        (Some(200), Some(true), Some("audio/mpeg")),
        "{}",
        speech["multiValueHeaders"]
    );
    let report = invoke("report", "report.json");
    assert_eq!(report["statusCode"], 200, "{report}");
    assert_eq!(
        body(&report)["report"]["mistakes"][0]["original"],
        "Hello there"
    );
    let saved = invoke("vocabulary", "save.json");
    assert_eq!(saved["statusCode"], 201, "{saved}");
    assert_eq!(
        body(&saved)["example"],
        "Hello there",
        "the line is the example"
    );
    let due = invoke("vocabulary", "due.json");
    assert_eq!(
        (due["statusCode"].as_u64(), &body(&due)["due_count"]),
        (Some(200), &json!(1))
    );
    let deleted = invoke("room-delete", "delete.json");
    assert_eq!(deleted["statusCode"], 204);
    assert_eq!(invoke("room-get", "get.json")["statusCode"], 404);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `curl -N` with `Accept: text/event-stream`, as a learner's browser streams a turn: the
/// deltas arrive while the model is still writing (the fake model writes a word every 80 ms).
#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn a_turn_streams_over_the_real_stack() {
    let token = signed_up("streamer").await;
    let setup = json!({"language": "en-US", "level": "intermediate", "situation": "Ordering coffee in Seattle",
                       "my_role": "a customer", "gpt_role": "a barista"});
    let room = send(
        Method::POST,
        "/rooms",
        Some(&token),
        Some(setup.to_string()),
    )
    .await
    .json();
    let id = room["id"].as_str().unwrap();

    let started = std::time::Instant::now();
    let mut curl = tokio::process::Command::new("curl")
        .args([
            "-sN",
            "-X",
            "POST",
            "-H",
            "accept: text/event-stream",
            "-H",
            "content-type: application/json",
        ])
        .args([
            "-H",
            &format!("authorization: Bearer {token}"),
            "-d",
            r#"{"content": "A latte, please."}"#,
        ])
        .arg(api_url(&format!("/rooms/{id}/messages")))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("curl runs");
    let mut stdout = curl.stdout.take().expect("curl's output");
    let mut arrivals = Vec::new();
    let mut text = String::new();
    let mut buffer = [0u8; 4096];
    loop {
        use tokio::io::AsyncReadExt;
        let read = stdout.read(&mut buffer).await.unwrap();
        if read == 0 {
            break;
        }
        arrivals.push(started.elapsed());
        text.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    // A stream that does not end cleanly (cut, or a broken chunked encoding) fails curl.
    let status = curl.wait().await.expect("curl ends");
    assert!(status.success(), "curl: {status}: {text}");
    let events: Vec<(String, Value)> = rolechat_tests::events(text.as_bytes());
    let names: Vec<_> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.first(), Some(&"user_message"), "{text}");
    assert_eq!(names.last(), Some(&"reply"), "{text}");
    assert!(
        names.iter().filter(|n| **n == "delta").count() > 5,
        "{names:?}"
    );
    assert!(
        arrivals.len() > 5,
        "the reply came in {} reads: it was not streamed",
        arrivals.len()
    );
    assert!(
        *arrivals.last().unwrap() - arrivals[1] > std::time::Duration::from_millis(400),
        "pieces arrived over time: {arrivals:?}"
    );
    let deltas: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        deltas,
        events.last().unwrap().1["content"].as_str().unwrap()
    );

    // Stored, and the JSON mode and suggestions work over the stack too.
    let opened = send(Method::GET, &format!("/rooms/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(opened["messages"].as_array().unwrap().len(), 2);
    let json_turn = send(
        Method::POST,
        &format!("/rooms/{id}/messages"),
        Some(&token),
        Some(r#"{"content": "Thanks!"}"#.into()),
    )
    .await;
    assert_eq!(json_turn.status, 201);
    assert_eq!(json_turn.json()["reply"]["role"], "assistant");
    let suggestion = send(
        Method::POST,
        &format!("/rooms/{id}/suggestions"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(suggestion.status, 200);
    assert!(!suggestion.json()["suggestion"].as_str().unwrap().is_empty());
}

/// `cargo lambda invoke FUNCTION --data-file FILE` against the running stack: the function's reply.
fn invoke_function(function: &str, event_file: &std::path::Path, port: &str) -> Value {
    let output = Command::new("cargo")
        .args([
            "lambda",
            "invoke",
            function,
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            port,
        ])
        .arg("--data-file")
        .arg(event_file)
        .output()
        .expect("cargo lambda runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{function}: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{function}: {stdout}"))
}

fn url_port(url: &str) -> String {
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned()
}

/// The functions log one JSON object per line, each request's line carrying the invocation's
/// request id; no password, token, key or message content is ever in them.
#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn logs_are_json_with_request_ids_and_nothing_secret() {
    let password = format!("log secret {}", ulid::Ulid::new());
    let body = json!({"username": unique("Logs"), "password": password}).to_string();
    let signup = send(Method::POST, "/signup", None, Some(body)).await;
    let token = signup.json()["access_token"].as_str().unwrap().to_owned();
    let setup = json!({"language": "en-US", "level": "beginner", "situation": "A quiet library",
                       "my_role": "a reader", "gpt_role": "a librarian"});
    let room = send(
        Method::POST,
        "/rooms",
        Some(&token),
        Some(setup.to_string()),
    )
    .await;
    let room_id = room.json()["id"].as_str().unwrap().to_owned();
    let line = format!("LOG-SECRET-LINE-{}", ulid::Ulid::new());
    let turn = send(
        Method::POST,
        &format!("/rooms/{room_id}/messages"),
        Some(&token),
        Some(json!({"content": line}).to_string()),
    )
    .await;
    assert_eq!(turn.status, 201);
    let reply = turn.json()["reply"]["content"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let log_path = std::env::var("ROLECHAT_STACK_LOG").expect("make smoke sets ROLECHAT_STACK_LOG");
    let log = std::fs::read_to_string(log_path).unwrap();
    for secret in [
        &password,
        &token,
        &line,
        &reply,
        &"local-test-key".to_owned(),
    ] {
        assert!(!log.contains(secret.as_str()), "the log holds {secret}");
    }
    // The functions' own lines: JSON objects (the stack's other processes log plain text).
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|line| line.find("{\"").map(|start| &line[start..]))
        .filter_map(|json| serde_json::from_str::<Value>(json).ok())
        .filter(|line| line.get("level").is_some())
        .collect();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "request")
        .collect();
    assert!(
        requests
            .iter()
            .any(|line| line["fields"]["path"] == format!("/rooms/{room_id}/messages")),
        "the turn's request line is there"
    );
    for line in &requests {
        let request_id = line["span"]["requestId"].as_str().unwrap_or_default();
        assert!(
            !request_id.is_empty(),
            "a request line without a request id: {line}"
        );
    }
}

/// Learners who close the tab while replies stream end only their own streams: every turn that
/// began still has its reply stored when the model finishes, and the chat function goes on
/// serving. (Clients that leave before the first byte made the runtime's reply to the emulator
/// fail with a broken pipe, which ended the chat process.)
#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn clients_that_leave_mid_stream_end_only_their_own_streams() {
    let token = signed_up("leaver").await;
    let setup = json!({"language": "en-US", "level": "intermediate", "situation": "A bookshop",
                       "my_role": "a customer", "gpt_role": "a bookseller"});
    let mut rooms = Vec::new();
    for _ in 0..6 {
        rooms.push(created_room(&token, &setup).await);
    }
    let stream = |room: &str, client: &Client| {
        client
            .post(api_url(&format!("/rooms/{room}/messages")))
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .header("content-type", "application/json")
            .body(r#"{"content": "Do you have maps?"}"#)
            .send()
    };

    // One learner reads the first event, then closes the tab.
    let mut response = stream(&rooms[0], &Client::new())
        .await
        .expect("the stream starts");
    assert_eq!(response.status(), 200);
    let first = response
        .chunk()
        .await
        .expect("a first piece")
        .expect("bytes");
    assert!(String::from_utf8_lossy(&first).contains("user_message"));
    drop(response);
    // Then many leave at once, some before the first byte.
    for round in 0..4u64 {
        let leaving = rooms.iter().enumerate().map(|(n, room)| {
            let client = Client::builder()
                .timeout(std::time::Duration::from_millis(
                    5 + 10 * ((n as u64 + round) % 6),
                ))
                .build()
                .unwrap();
            async move { drop(stream(room, &client).await) }
        });
        futures_util::future::join_all(leaving).await;
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    }

    // Every turn that began was finished without its learner: no line waits for its reply.
    let client = Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    for room in &rooms {
        let mut roles = Vec::new();
        for _ in 0..40 {
            let opened = send(Method::GET, &format!("/rooms/{room}"), Some(&token), None).await;
            roles = opened.json()["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["role"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>();
            if roles.last().is_none_or(|role| role == "assistant") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        assert!(
            roles.last().is_none_or(|role| role == "assistant"),
            "a learner's line lost its reply: {roles:?}"
        );
        let next = client
            .post(api_url(&format!("/rooms/{room}/messages")))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"content": "Thank you."}"#)
            .send()
            .await
            .expect("the chat function still answers");
        assert_eq!(next.status(), 201);
    }
}

/// The stack runs several instances of each function (`LOCAL_STACK_CONCURRENCY`): turns sent at
/// once are spread over them, and still each room takes one turn at a time and keeps its lines
/// in order, and no learner's line or reply lands in another's room.
#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn turns_stay_whole_across_several_instances_of_a_function() {
    let setup = json!({"language": "en-US", "level": "B1", "situation": "A ticket office",
                       "my_role": "a traveller", "gpt_role": "a clerk"});
    let turn = |token: String, room: String, line: String| async move {
        let body = json!({ "content": line }).to_string();
        send(
            Method::POST,
            &format!("/rooms/{room}/messages"),
            Some(&token),
            Some(body),
        )
        .await
    };
    let lines = |token: String, room: String| async move {
        let opened = send(Method::GET, &format!("/rooms/{room}"), Some(&token), None).await;
        opened.json()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap().to_owned(),
                    m["content"].as_str().unwrap().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };

    // Six learners, each in a room of their own, talk at the same moment: every turn is taken.
    let mut learners = Vec::new();
    for n in 0..6 {
        let token = signed_up(&format!("crowd{n}")).await;
        let room = created_room(&token, &setup).await;
        learners.push((token, room));
    }
    let replies = futures_util::future::join_all(learners.iter().enumerate().map(|(n, (t, r))| {
        turn(
            t.clone(),
            r.clone(),
            format!("Learner {n}: one ticket, please."),
        )
    }))
    .await;
    for (n, reply) in replies.iter().enumerate() {
        assert_eq!(
            reply.status,
            201,
            "learner {n}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    for (n, (token, room)) in learners.iter().enumerate() {
        let stored = lines(token.clone(), room.clone()).await;
        let roles: Vec<_> = stored.iter().map(|(role, _)| role.as_str()).collect();
        assert_eq!(roles, ["user", "assistant"], "learner {n}");
        assert_eq!(stored[0].1, format!("Learner {n}: one ticket, please."));
    }

    // Five turns at once in one room: those taken are stored whole and in turn (a line, its
    // reply), the others are told a turn is under way; none is lost or split.
    let (token, room) = learners[0].clone();
    let replies = futures_util::future::join_all(
        (0..5).map(|n| turn(token.clone(), room.clone(), format!("At once {n}"))),
    )
    .await;
    let statuses: Vec<_> = replies.iter().map(|r| r.status).collect();
    let taken: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert!(!taken.is_empty(), "statuses: {statuses:?}");
    for refused in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (409, "conflict")
        );
    }
    let stored = lines(token.clone(), room.clone()).await;
    assert_eq!(stored.len(), 2 + 2 * taken.len(), "statuses: {statuses:?}");
    for pair in stored.chunks(2) {
        assert_eq!(
            (pair[0].0.as_str(), pair[1].0.as_str()),
            ("user", "assistant")
        );
    }
    let mut taken_lines: Vec<_> = taken
        .iter()
        .map(|r| {
            r.json()["user_message"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut stored_lines: Vec<_> = stored[2..]
        .iter()
        .step_by(2)
        .map(|(_, c)| c.clone())
        .collect();
    taken_lines.sort();
    stored_lines.sort();
    assert_eq!(stored_lines, taken_lines);

    // And the turns really were spread: the stack started more than one chat instance.
    let log =
        std::fs::read_to_string(std::env::var("ROLECHAT_STACK_LOG").expect("the stack's log"))
            .expect("the stack's log is readable");
    let chat_instances = log
        .lines()
        .filter(|line| {
            line.contains("spawning function instance") && line.contains("function=\"chat\"")
        })
        .count();
    assert!(
        chat_instances > 1,
        "chat instances started: {chat_instances}"
    );
}

/// The account routes through the real functions, and a deletion finished by the real worker
/// binary, which the local stack's sweep runs: afterwards no table holds an item of the user.
#[tokio::test]
#[ignore = "needs the local stack: run `make smoke`"]
async fn an_account_is_exported_and_deleted_completely_over_the_real_stack() {
    let name = unique("leaver");
    let password = "a leaver's password";
    let body = json!({"username": name, "password": "smoke password"}).to_string();
    let token = send(Method::POST, "/signup", None, Some(body)).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = created_room(
        &token,
        &json!({"language": "ja-JP", "level": "A2", "situation": "駅で道を聞く",
                "my_role": "旅行者", "gpt_role": "駅員"}),
    )
    .await;
    let turn = send(
        Method::POST,
        &format!("/rooms/{room}/messages"),
        Some(&token),
        Some(json!({"content": "すみません、駅はどこですか"}).to_string()),
    )
    .await;
    assert_eq!(turn.status, 201);
    let word = json!({"text": "駅", "language": "ja-JP", "meaning": "station"}).to_string();
    assert_eq!(
        send(Method::POST, "/vocabulary", Some(&token), Some(word))
            .await
            .status,
        201
    );

    let export = send(Method::GET, "/me/export", Some(&token), None).await;
    assert_eq!(export.status, 200);
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let document = export.json();
    assert_eq!(
        document["rooms"][0]["messages"].as_array().unwrap().len(),
        2
    );
    assert_eq!(document["vocabulary"][0]["text"], "駅");

    let profile = send(
        Method::PATCH,
        "/me",
        Some(&token),
        Some(json!({"display_name": "Leaver", "native_language": "en"}).to_string()),
    )
    .await;
    assert_eq!(profile.json()["user"]["display_name"], "Leaver");
    let changed = send(
        Method::POST,
        "/me/password",
        Some(&token),
        Some(json!({"current_password": "smoke password", "new_password": password}).to_string()),
    )
    .await;
    assert_eq!(
        changed.status,
        200,
        "{}",
        String::from_utf8_lossy(&changed.body)
    );
    assert_eq!(
        send(Method::GET, "/me", Some(&token), None).await.status,
        401
    );
    let token = changed.json()["access_token"].as_str().unwrap().to_owned();

    let dynamodb = rolechat::state::local_dynamodb_client(
        &std::env::var("ROLECHAT_DYNAMODB_URL").expect("make smoke sets ROLECHAT_DYNAMODB_URL"),
    );
    let tables = rolechat::store::Tables::with_prefix(rolechat::config::DEFAULT_TABLE_PREFIX);
    let user = dynamodb
        .get_item()
        .table_name(&tables.users)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(name.to_lowercase()),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("the user is stored");
    let id = user["id"].as_s().unwrap().clone();

    let deleted = send(
        Method::DELETE,
        "/me",
        Some(&token),
        Some(json!({"password": password}).to_string()),
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        send(Method::GET, "/rooms", Some(&token), None).await.status,
        401
    );

    let started = std::time::Instant::now();
    let mut left = usize::MAX;
    while left > 0 && started.elapsed() < std::time::Duration::from_secs(60) {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        left = 0;
        for table in [
            &tables.users,
            &tables.sessions,
            &tables.rooms,
            &tables.limits,
            &tables.vocabulary,
            &tables.deletions,
        ] {
            let items = dynamodb.scan().table_name(table).send().await.unwrap();
            left += items
                .items()
                .iter()
                .filter(|item| format!("{item:?}").contains(&id))
                .count();
        }
    }
    assert_eq!(left, 0, "items of the deleted user remain after a minute");
    println!(
        "the worker removed the account in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
