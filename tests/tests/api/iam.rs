//! Least privilege: each function's role in `template.yaml` grants exactly what the function
//! asks of DynamoDB and Secrets Manager. Every function is driven through its paths, the happy
//! ones and the failing ones, with a recorder on the SDK client; the grants of the template must
//! equal what was asked, function for function: nothing missing, nothing to spare.

use std::collections::{BTreeMap, BTreeSet};

use rolechat_tests::access::Access;
use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::fake_provider::{FakeProvider, Misbehaviour, consent, param};
use rolechat_tests::repo::{deployed, function_of, text, untagged, yaml};
use rolechat_tests::{LOGIN_BINDING, LOGIN_SECRET, TestApp, TestRequest, TestResponse};
use serde_json::{Value, json};
use serde_norway::Value as Yaml;

type Permissions = BTreeMap<String, BTreeSet<Access>>;

const READ_SECRET: &str = "secretsmanager:GetSecretValue";
const SIGNING_KEY: &str = "JwtSigningKey";
const MODEL_KEY: &str = "OpenAiApiKey";

/// Drives the functions and keeps, for each, what it asked for.
struct Journey {
    app: TestApp,
    asked: Permissions,
    /// The mails the journey's addresses (`@iam.example`) had received.
    mails: usize,
}

/// What sending a mail is granted on: the SES identity and the configuration set.
const SEND_MAIL: &str = "ses:SendEmail";
const MAIL_GRANTS: [&str; 2] = [
    "identity/${MailSendingIdentity}",
    "configuration-set/${MailConfigurationSet}",
];

fn journey_mails() -> Vec<rolechat_tests::mailbox::Mail> {
    rolechat_tests::mailbox::read_maildir(&rolechat_tests::mailbox::mail_server().maildir)
        .into_iter()
        .filter(|mail| mail.to.ends_with("@iam.example"))
        .collect()
}

impl Journey {
    async fn send(&mut self, request: TestRequest) -> TestResponse {
        let function = TestApp::function_for(&request.method, &request.path);
        let model_calls = self.app.model.requests().len() + self.app.speech.requests().len();
        // A provider's callback exchanges the code with the client's secret.
        let exchanges_code = request.path.contains("/callback");
        let response = self.app.send(request).await;
        self.record(function, model_calls);
        if exchanges_code {
            let asked = self.asked.entry(function.to_owned()).or_default();
            asked.insert((READ_SECRET.into(), "OAuthClientSecrets".into()));
        }
        response
    }

    /// Adds what `function` asked for since the model had `model_calls` requests.
    fn record(&mut self, function: &str, model_calls: usize) {
        let asked = self.asked.entry(function.to_owned()).or_default();
        let accesses = self.app.accesses.take();
        // Whoever reads or writes sessions verifies or issues tokens: it needs the signing key.
        // (The deletion worker only deletes them, by key, and reads no token.)
        if accesses
            .iter()
            .any(|(action, table)| table == "sessions" && action != "dynamodb:BatchWriteItem")
        {
            asked.insert((READ_SECRET.into(), SIGNING_KEY.into()));
        }
        // The speech server's key is the model's (a Bedrock tutor has none).
        let model_key = self.app.state.config.tutor.bedrock.is_none();
        let speech_calls = self.app.speech.requests().len();
        if self.app.model.requests().len() + speech_calls > model_calls
            && (model_key || speech_calls > 0)
        {
            asked.insert((READ_SECRET.into(), MODEL_KEY.into()));
        }
        // Whoever sent a mail needs the grant to send it through SES.
        let mails = journey_mails().len();
        if mails > self.mails {
            for grant in MAIL_GRANTS {
                asked.insert((SEND_MAIL.into(), grant.into()));
            }
            self.mails = mails;
        }
        asked.extend(accesses);
    }

    /// Sends two requests to one function at once, so one of them loses the race to store: the
    /// model waits a little before it answers, so both have read before either stores.
    async fn race(&mut self, first: TestRequest, second: TestRequest) {
        let function = TestApp::function_for(&first.method, &first.path);
        let model_calls = self.app.model.requests().len() + self.app.speech.requests().len();
        self.app
            .model
            .pause_answers(std::time::Duration::from_millis(200));
        let (a, b) = tokio::join!(self.app.send(first), self.app.send(second));
        self.app.model.pause_answers(std::time::Duration::ZERO);
        // Both succeed: the winner stores (200, or 201 for a new item), the loser reads it.
        assert!(
            [a.status, b.status].iter().all(|s| *s == 200 || *s == 201),
            "{}\n{}",
            a.text(),
            b.text()
        );
        self.record(function, model_calls);
    }

    async fn expect(&mut self, request: TestRequest, status: u16) -> Value {
        let what = format!("{} {}", request.method, request.path);
        let response = self.send(request).await;
        assert_eq!(response.status, status, "{what}: {}", response.text());
        serde_json::from_slice(&response.body).unwrap_or(Value::Null)
    }
}

/// Every path of every function, including refusals, races lost and failures of the model.
async fn drive_every_function() -> Permissions {
    let fake = FakeProvider::start(0).await.unwrap();
    let mut settings: Vec<(String, String)> = fake.settings();
    settings.extend(
        [
            ("ROLECHAT_DAILY_TURNS", "40"),
            ("ROLECHAT_MODEL_RETRIES", "0"),
            // Deletion runs of a few items, so the worker also hands jobs on to a next run.
            ("ROLECHAT_DELETION_ROUND_ITEMS", "25"),
            ("ROLECHAT_OAUTH_CALLBACK_BASE", "http://api.test"),
            (
                "ROLECHAT_MAIL",
                rolechat_tests::mailbox::mail_server().url.as_str(),
            ),
            ("ROLECHAT_API_URL", "http://api.test"),
            // The synthesized speech in a bucket, so its S3 requests are recorded.
            (
                "ROLECHAT_S3_ENDPOINT",
                rolechat_tests::s3_server::s3_endpoint(),
            ),
            ("ROLECHAT_AUDIO_DIR", ""),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    settings.push((
        "ROLECHAT_AUDIO_BUCKET".into(),
        rolechat_tests::s3_server::new_bucket().await,
    ));
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = TestApp::spawn_with(&settings).await;
    let mut journey = Journey {
        app,
        asked: Permissions::new(),
        mails: journey_mails().len(),
    };
    let j = &mut journey;

    j.expect(TestRequest::get("/health"), 200).await;
    j.expect(TestRequest::get("/scenarios?ui=ja"), 200).await;
    j.expect(TestRequest::get("/scenarios?ui=xx"), 400).await;
    j.expect(TestRequest::get("/nowhere"), 404).await;
    j.expect(
        TestRequest::new(lambda_http::http::Method::PUT, "/rooms"),
        405,
    )
    .await;

    // Accounts: signup, a taken name, login right and wrong, who am I, logout.
    let credentials = json!({"username": "mina", "password": "mina's password"});
    let token = j
        .expect(
            TestRequest::post("/signup")
                .json(&credentials)
                .from_ip("203.0.113.5"),
            201,
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(TestRequest::post("/signup").json(&credentials), 409)
        .await;
    j.expect(
        TestRequest::post("/signup").json(&json!({"username": "x"})),
        400,
    )
    .await;
    let second = j
        .expect(
            TestRequest::post("/auth")
                .json(&credentials)
                .from_ip("203.0.113.5"),
            200,
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = json!({"username": "mina", "password": "not the password"});
    j.expect(TestRequest::post("/auth").json(&wrong), 401).await;
    let nobody = json!({"username": "nobody", "password": "nobody's password"});
    j.expect(TestRequest::post("/auth").json(&nobody), 401)
        .await;
    j.expect(TestRequest::get("/auth").token(&token), 200).await;
    j.expect(TestRequest::delete("/auth").token(&second), 204)
        .await;
    j.expect(TestRequest::delete("/auth").token(&second), 401)
        .await;

    // Rooms: create, list (two pages), open, edit, and the same on a room that is not there.
    let setup = json!({"language": "en-US", "level": "beginner", "situation": "ordering coffee in Seattle",
                       "my_role": "customer", "gpt_role": "barista"});
    let mut rooms = Vec::new();
    for _ in 0..3 {
        let room = j
            .expect(TestRequest::post("/rooms").token(&token).json(&setup), 201)
            .await;
        rooms.push(room["id"].as_str().unwrap().to_owned());
    }
    let page = j
        .expect(TestRequest::get("/rooms?limit=2").token(&token), 200)
        .await;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    j.expect(
        TestRequest::get(&format!("/rooms?limit=2&cursor={cursor}")).token(&token),
        200,
    )
    .await;
    let missing = "01JD6Z5YV3N1J0Q8M9K2W7R4TB";
    let (room, spare, doomed) = (&rooms[0], &rooms[1], &rooms[2]);
    j.expect(
        TestRequest::get(&format!("/rooms/{room}")).token(&token),
        200,
    )
    .await;
    j.expect(
        TestRequest::get(&format!("/rooms/{missing}")).token(&token),
        404,
    )
    .await;
    let edit = json!({"title": "Coffee"});
    j.expect(
        TestRequest::patch(&format!("/rooms/{room}"))
            .token(&token)
            .json(&edit),
        200,
    )
    .await;
    j.expect(
        TestRequest::patch(&format!("/rooms/{missing}"))
            .token(&token)
            .json(&edit),
        404,
    )
    .await;
    j.expect(
        TestRequest::patch(&format!("/rooms/{room}"))
            .token(&token)
            .json(&json!({})),
        200,
    )
    .await;

    // Turns: the opening line, JSON and streamed turns, an idempotent replay, a failed model
    // call and its retry, a turn racing another, a logged-out token, suggestions.
    let messages = format!("/rooms/{room}/messages");
    // Calls whose function died leave leases that fill the user's set: the next call of each
    // model-calling function reads them, drops the lapsed ones and goes ahead.
    let user_id = j.app.owner(&token).await.key().to_owned();
    j.app
        .fill_with_lapsed_leases(&format!("turns#{user_id}"), &user_id, 3)
        .await;
    j.expect(
        TestRequest::post(&messages).token(&token).json(&json!({})),
        201,
    )
    .await;
    let said = j
        .expect(
            TestRequest::post(&messages)
                .token(&token)
                .json(&json!({"content": "A latte, please."})),
            201,
        )
        .await["user_message"]
        .clone();
    let replay = TestRequest::post(&messages)
        .token(&token)
        .header("idempotency-key", "turn-1")
        .json(&json!({"content": "Large, please."}));
    let large = j.expect(replay, 201).await["user_message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = TestRequest::post(&messages)
        .token(&token)
        .header("idempotency-key", "turn-1")
        .json(&json!({"content": "Large, please."}));
    j.expect(again, 201).await;
    let streamed = TestRequest::post(&messages)
        .token(&token)
        .header("accept", "text/event-stream")
        .json(&json!({"content": "How much is it?"}));
    j.expect(streamed, 200).await;
    j.app.model.then(Behaviour::Status(400));
    j.expect(
        TestRequest::post(&messages)
            .token(&token)
            .json(&json!({"content": "Thanks!"})),
        502,
    )
    .await;
    let reply = j
        .expect(
            TestRequest::post(&messages).token(&token).json(&json!({})),
            201,
        )
        .await["reply"]
        .clone();
    j.expect(
        TestRequest::post(&format!("/rooms/{missing}/messages"))
            .token(&token)
            .json(&json!({})),
        404,
    )
    .await;
    j.expect(
        TestRequest::post(&messages)
            .token(&second)
            .json(&json!({"content": "Hi"})),
        401,
    )
    .await;
    for aid in [
        "suggestions",
        "feedback",
        "translation",
        "report",
        "meaning",
        "speech",
    ] {
        j.app
            .fill_with_lapsed_leases(&format!("calls#{aid}#{user_id}"), &user_id, 2)
            .await;
    }
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&token),
        200,
    )
    .await;
    j.expect(
        TestRequest::post(&format!("/rooms/{missing}/suggestions")).token(&token),
        404,
    )
    .await;

    // Learning aids: fresh (a model call), stored (none), refused, and a failed model answer.
    let said_id = said["id"].as_str().unwrap();
    let reply_id = reply["id"].as_str().unwrap();
    let feedback = format!("/rooms/{room}/messages/{said_id}/feedback?ui=en");
    let translation = format!("/rooms/{room}/messages/{reply_id}/translation?to=ko");
    j.app.model.then(Behaviour::Malformed);
    j.expect(TestRequest::post(&feedback).token(&token), 502)
        .await;
    j.expect(TestRequest::post(&feedback).token(&token), 200)
        .await;
    j.expect(TestRequest::post(&feedback).token(&token), 200)
        .await;
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/messages/{reply_id}/feedback?ui=en"))
            .token(&token),
        400,
    )
    .await;
    j.expect(TestRequest::post(&translation).token(&token), 200)
        .await;
    j.expect(TestRequest::post(&translation).token(&token), 200)
        .await;
    // Two first asks at once: the loser reads what the winner stored.
    let feedback = format!("/rooms/{room}/messages/{large}/feedback?ui=en");
    j.race(
        TestRequest::post(&feedback).token(&token),
        TestRequest::post(&feedback).token(&token),
    )
    .await;
    let translation = format!("/rooms/{room}/messages/{reply_id}/translation?to=ja");
    j.race(
        TestRequest::post(&translation).token(&token),
        TestRequest::post(&translation).token(&token),
    )
    .await;
    j.expect(
        TestRequest::post(&format!(
            "/rooms/{room}/messages/{missing}/translation?to=ko"
        ))
        .token(&token),
        404,
    )
    .await;

    // Speech: the settings, a line synthesized and heard again (kept in the bucket), a missing
    // line, a recording transcribed, a line said again, one refused.
    j.expect(TestRequest::get("/speech").token(&token), 200)
        .await;
    let line = format!("/rooms/{room}/messages/{reply_id}/speech");
    j.expect(TestRequest::post(&line).token(&token), 200).await;
    j.expect(TestRequest::post(&line).token(&token), 200).await;
    let no_line = format!("/rooms/{room}/messages/{missing}/speech");
    j.expect(TestRequest::post(&no_line).token(&token), 404)
        .await;
    let wav = std::process::Command::new("espeak-ng")
        .args(["--stdout", "two coffees, please"])
        .output()
        .expect("espeak-ng runs")
        .stdout;
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/transcriptions"))
            .token(&token)
            .header("content-type", "audio/wav")
            .raw(wav.clone()),
        200,
    )
    .await;
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/messages/{reply_id}/attempts"))
            .token(&token)
            .header("content-type", "audio/wav")
            .raw(wav),
        200,
    )
    .await;
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/transcriptions"))
            .token(&token)
            .raw(b"not audio".to_vec()),
        400,
    )
    .await;

    // The report: made, reused, refused for a room with nothing to review, and missing.
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/report?ui=en")).token(&token),
        200,
    )
    .await;
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/report?ui=en")).token(&token),
        200,
    )
    .await;
    let empty = j
        .expect(TestRequest::post("/rooms").token(&token).json(&setup), 201)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(
        TestRequest::post(&format!("/rooms/{empty}/report")).token(&token),
        409,
    )
    .await;
    j.expect(
        TestRequest::post(&format!("/rooms/{missing}/report")).token(&token),
        404,
    )
    .await;

    // The notebook: saved with and without a meaning, from a line, again, listed, reviewed.
    let save = |body: Value| {
        TestRequest::post("/vocabulary?ui=en")
            .token(&token)
            .json(&body)
    };
    let word = j
        .expect(
            save(json!({"text": "latte", "language": "en-US", "meaning": "milky coffee"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(
        save(json!({"text": "barista", "language": "en-US", "room_id": room})),
        201,
    )
    .await;
    j.expect(
        save(
            json!({"text": "reply", "language": "en-US", "room_id": room, "message_id": reply_id}),
        ),
        201,
    )
    .await;
    j.expect(save(json!({"text": "LATTE", "language": "en-US"})), 200)
        .await;
    j.expect(
        save(json!({"text": "x", "language": "en-US", "room_id": missing})),
        404,
    )
    .await;
    j.race(
        save(json!({"text": "espresso", "language": "en-US", "meaning": "strong coffee"})),
        save(json!({"text": "espresso", "language": "en-US", "meaning": "strong coffee"})),
    )
    .await;
    let page = j
        .expect(TestRequest::get("/vocabulary?limit=1").token(&token), 200)
        .await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    j.expect(
        TestRequest::get(&format!("/vocabulary?cursor={cursor}")).token(&token),
        200,
    )
    .await;
    j.expect(
        TestRequest::get("/vocabulary?language=en-US").token(&token),
        200,
    )
    .await;
    j.expect(TestRequest::get("/vocabulary/due").token(&token), 200)
        .await;
    let rate = |id: &str| {
        TestRequest::post(&format!("/vocabulary/{id}/review"))
            .token(&token)
            .json(&json!({"rating": "good"}))
    };
    j.expect(rate(&word), 200).await;
    j.expect(rate(missing), 404).await;
    j.expect(
        TestRequest::delete(&format!("/vocabulary/{word}")).token(&token),
        204,
    )
    .await;
    j.expect(
        TestRequest::delete(&format!("/vocabulary/{word}")).token(&token),
        404,
    )
    .await;

    // The daily quota runs out: turns, suggestions and aids are refused before the model.
    for n in 0.. {
        let turn = TestRequest::post(&format!("/rooms/{spare}/messages"))
            .token(&token)
            .json(&json!({"content": format!("Line {n}")}));
        let response = j.send(turn).await;
        if response.status == 429 {
            break;
        }
        assert_eq!(response.status, 201, "{}", response.text());
    }
    j.expect(
        TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&token),
        429,
    )
    .await;

    // Messages: pages back in time, then a cursor into a room deleted since.
    let page = j
        .expect(
            TestRequest::get(&format!("{messages}?limit=2")).token(&token),
            200,
        )
        .await;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("older messages")
        .to_owned();
    j.expect(
        TestRequest::get(&format!("{messages}?limit=2&cursor={cursor}")).token(&token),
        200,
    )
    .await;
    j.expect(
        TestRequest::get(&format!("/rooms/{missing}/messages")).token(&token),
        404,
    )
    .await;
    j.expect(
        TestRequest::delete(&format!("/rooms/{room}")).token(&token),
        204,
    )
    .await;
    j.expect(
        TestRequest::get(&format!("{messages}?limit=2&cursor={cursor}")).token(&token),
        404,
    )
    .await;
    j.expect(
        TestRequest::delete(&format!("/rooms/{doomed}")).token(&token),
        204,
    )
    .await;
    j.expect(
        TestRequest::delete(&format!("/rooms/{missing}")).token(&token),
        404,
    )
    .await;

    // The account: profile, export, password right and wrong and raced, sessions, deletion.
    j.expect(TestRequest::get("/me").token(&token), 200).await;
    j.expect(
        TestRequest::patch("/me")
            .token(&token)
            .json(&json!({"display_name": "Mina", "native_language": "ja"})),
        200,
    )
    .await;
    j.expect(
        TestRequest::patch("/me").token(&token).json(&json!({})),
        200,
    )
    .await;
    j.expect(
        TestRequest::patch("/me")
            .token(&token)
            .json(&json!({"native_language": "fr"})),
        400,
    )
    .await;
    // What the learner lets the tutor remember, and the progress their study adds up to.
    let fact = j
        .expect(
            TestRequest::post("/me/facts")
                .token(&token)
                .json(&json!({"text": "works as a nurse"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(TestRequest::get("/me/facts").token(&token), 200)
        .await;
    j.expect(
        TestRequest::post("/me/facts")
            .token(&token)
            .json(&json!({"text": ""})),
        400,
    )
    .await;
    j.expect(TestRequest::get("/progress").token(&token), 200)
        .await;
    j.expect(TestRequest::get("/me/export").token(&token), 200)
        .await;
    j.expect(
        TestRequest::delete(&format!("/me/facts/{fact}")).token(&token),
        204,
    )
    .await;
    j.expect(
        TestRequest::delete(&format!("/me/facts/{fact}")).token(&token),
        404,
    )
    .await;
    j.expect(
        TestRequest::post("/me/password").token(&token).json(
            &json!({"current_password": "wrong guess!", "new_password": "mina's new password"}),
        ),
        401,
    )
    .await;
    let change = |token: &str| {
        TestRequest::post("/me/password").token(token).json(
            &json!({"current_password": "mina's password", "new_password": "mina's new password"}),
        )
    };
    // Two changes at once: one wins; the other's session ended with it (401).
    let function = TestApp::function_for(&lambda_http::http::Method::POST, "/me/password");
    let (a, b) = tokio::join!(j.app.send(change(&token)), j.app.send(change(&second)));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    j.record(
        function,
        j.app.model.requests().len() + j.app.speech.requests().len(),
    );
    let token = [a, b].into_iter().find(|r| r.status == 200).unwrap().json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = json!({"username": "mina", "password": "mina's new password"});
    let other = j.expect(TestRequest::post("/auth").json(&login), 200).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(TestRequest::delete("/me/sessions").token(&other), 204)
        .await;
    j.expect(TestRequest::get("/me").token(&token), 401).await;
    let token = j.expect(TestRequest::post("/auth").json(&login), 200).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(
        TestRequest::delete("/me")
            .token(&token)
            .json(&json!({"password": "not it at all"})),
        401,
    )
    .await;
    j.expect(
        TestRequest::delete("/me")
            .token(&token)
            .json(&json!({"password": "mina's new password"})),
        204,
    )
    .await;

    // Email: an address asked for and verified (a used link refused), reminders on and the
    // hourly run, a reset asked for (of a name with an address, and of an unknown address) and
    // used, the one-click unsubscribe, a new address (the old one told), a bounce, the address
    // removed.
    let password = json!({"username": "iam-mail", "password": "iam mail password"});
    let mail_user = j
        .expect(TestRequest::post("/signup").json(&password), 201)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(
        TestRequest::patch("/me")
            .token(&mail_user)
            .json(&json!({"email": "learner@iam.example", "native_language": "en"})),
        200,
    )
    .await;
    let link = |route: &str| {
        let mails = journey_mails();
        let mail = mails.last().unwrap();
        mail.token(&format!("{}/#/{route}?token=", rolechat_tests::SITE_ORIGIN))
            .unwrap()
    };
    let verify = json!({"token": link("verify-email")});
    j.expect(TestRequest::post("/email/verify").json(&verify), 200)
        .await;
    j.expect(TestRequest::post("/email/verify").json(&verify), 400)
        .await;
    let hour = (j.app.state.clock.now().hour() + 1) % 24;
    j.expect(
        TestRequest::patch("/me")
            .token(&mail_user)
            .json(&json!({"reminders": {"daily": true, "weekly": true, "hour": hour}})),
        200,
    )
    .await;
    j.app.state.clock.advance(time::Duration::hours(1));
    let model_calls = j.app.model.requests().len() + j.app.speech.requests().len();
    let report =
        rolechat::services::reminders::run(&j.app.state, std::time::Duration::from_secs(60))
            .await
            .unwrap();
    assert_eq!(report.daily_sent + report.weekly_sent, 1, "{report:?}");
    j.record("reminders", model_calls);
    let unsubscribe = journey_mails()
        .last()
        .unwrap()
        .header("List-Unsubscribe")
        .unwrap();
    let unsubscribe = unsubscribe
        .trim_start_matches("<http://api.test")
        .trim_end_matches('>')
        .to_owned();
    j.expect(
        TestRequest::post("/password-reset").json(&json!({"login": "iam-mail"})),
        202,
    )
    .await;
    j.expect(
        TestRequest::post("/password-reset").json(&json!({"login": "nobody@iam.example"})),
        202,
    )
    .await;
    let reset = link("reset-password");
    j.expect(
        TestRequest::post("/password-reset/confirm")
            .json(&json!({"token": reset, "new_password": "iam-mail"})),
        400,
    )
    .await;
    let mail_user = j
        .expect(
            TestRequest::post("/password-reset/confirm")
                .json(&json!({"token": reset, "new_password": "the reset password"})),
            200,
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    j.expect(
        TestRequest::post(&unsubscribe).raw("List-Unsubscribe=One-Click"),
        200,
    )
    .await;
    // The unsubscribe links are signed with a key derived from the signing key: the run that
    // writes them and the function that checks them read it.
    for function in ["reminders", "email"] {
        let asked = j.asked.entry(function.to_owned()).or_default();
        asked.insert((READ_SECRET.into(), SIGNING_KEY.into()));
    }
    j.expect(
        TestRequest::patch("/me")
            .token(&mail_user)
            .json(&json!({"email": "moved@iam.example"})),
        200,
    )
    .await;
    j.expect(
        TestRequest::post("/email/verify").json(&json!({"token": link("verify-email")})),
        200,
    )
    .await;
    let bounce = json!({"eventType": "Bounce", "bounce": {"bounceType": "Permanent",
        "bouncedRecipients": [{"emailAddress": "moved@iam.example"}]}});
    let model_calls = j.app.model.requests().len() + j.app.speech.requests().len();
    let stopped = rolechat::services::reminders::mail_events(
        &j.app.state,
        json!({"Records": [{"Sns": {"Message": bounce.to_string()}}]}),
    )
    .await
    .unwrap();
    assert_eq!(stopped, 1);
    j.record("mail-events", model_calls);
    j.expect(
        TestRequest::patch("/me")
            .token(&mail_user)
            .json(&json!({"email": null})),
        200,
    )
    .await;

    // Social login: the providers, a sign-up, a replayed state, a bad ID token, the one-time
    // code and its replay, a link and an unlink, the rename, a passwordless deletion.
    j.expect(TestRequest::get("/auth/oauth/providers"), 200)
        .await;
    j.expect(
        TestRequest::get(
            "/auth/oauth/google/start?binding={LOGIN_BINDING}&site=https://evil.example",
        ),
        400,
    )
    .await;
    // From an address, as API Gateway always gives one: the attempt is counted against it.
    let start = j
        .send(
            TestRequest::get(&format!("/auth/oauth/google/start?binding={LOGIN_BINDING}"))
                .from_ip("203.0.113.7"),
        )
        .await;
    let callback = consent(start.headers["location"].to_str().unwrap(), "iam-user").await;
    let back = j.send(TestRequest::get(&callback)).await;
    let site = back.headers["location"].to_str().unwrap().to_owned();
    j.send(TestRequest::get(&callback)).await; // replayed: the state is gone
    let start = j
        .send(TestRequest::get(&format!(
            "/auth/oauth/kakao/start?binding={LOGIN_BINDING}"
        )))
        .await;
    let refused = consent(start.headers["location"].to_str().unwrap(), "iam-user").await;
    fake.misbehave_once(Misbehaviour::BadSignature);
    j.send(TestRequest::get(&refused)).await;
    let code = param(&site, "code").unwrap();
    let login = j
        .expect(
            TestRequest::post("/auth/oauth/exchange")
                .json(&json!({"code": code, "binding": LOGIN_SECRET})),
            200,
        )
        .await;
    j.expect(
        TestRequest::post("/auth/oauth/exchange")
            .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        401,
    )
    .await;
    let social = login["access_token"].as_str().unwrap().to_owned();
    let linking = j
        .expect(
            // From an address, as every request through API Gateway is: the start is counted.
            TestRequest::post("/me/identities/github")
                .token(&social)
                .json(&json!({"binding": LOGIN_BINDING}))
                .from_ip("203.0.113.40"),
            200,
        )
        .await;
    let callback = consent(linking["authorize_url"].as_str().unwrap(), "iam-user").await;
    let back = j.send(TestRequest::get(&callback)).await;
    let code = param(back.headers["location"].to_str().unwrap(), "code").unwrap();
    j.expect(
        TestRequest::get(&format!("/me/identities/github?code={code}")).token(&social),
        200,
    )
    .await;
    j.expect(
        TestRequest::put("/me/identities/github")
            .token(&social)
            .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        200,
    )
    .await;
    // An unlink that loses a race to another reads the account again to say why (409).
    let stale = j.app.authenticated(&social).await;
    j.expect(
        TestRequest::delete("/me/identities/github").token(&social),
        200,
    )
    .await;
    let github = stale
        .user
        .identities
        .iter()
        .position(|identity| identity.provider == "github")
        .unwrap();
    let model_calls = j.app.model.requests().len() + j.app.speech.requests().len();
    let lost = j
        .app
        .state
        .store
        .unlink_identity(&stale.owner, &stale.user, github)
        .await;
    assert!(lost.is_err());
    j.record("me-identities", model_calls);
    j.expect(
        TestRequest::delete("/me/identities/google").token(&social),
        409,
    )
    .await;
    let renamed = j
        .expect(
            TestRequest::patch("/me")
                .token(&social)
                .json(&json!({"username": "iam-renamed"})),
            200,
        )
        .await;
    let social = renamed["access_token"].as_str().unwrap().to_owned();
    j.expect(
        TestRequest::delete("/me")
            .token(&social)
            .json(&json!({"confirm": "iam-renamed"})),
        204,
    )
    .await;

    // The deletion worker: the stream's batches until every job is done, and a sweep.
    let model_calls = j.app.model.requests().len() + j.app.speech.requests().len();
    j.app.drain_deletions(10).await;
    rolechat::services::deletion::sweep(rolechat::services::deletion::Worker::of(&j.app.state))
        .await
        .unwrap();
    j.record("deletion-worker", model_calls);

    journey.asked
}

/// `!GetAtt UsersTable.Arn` is `users`, `!Sub "${RoomsTable.Arn}/index/by_activity"` is
/// `rooms/index/by_activity`, `!Ref JwtSigningKey` is `JwtSigningKey`.
fn resource_name(template: &Yaml, resource: &Yaml) -> String {
    let reference = text(resource);
    // An ARN written out (SES's identity and configuration set): what follows its last colon.
    if reference.starts_with("arn:") {
        return reference.rsplit(':').next().unwrap_or_default().to_owned();
    }
    let (logical_id, rest) = match reference.strip_prefix("${") {
        Some(sub) => sub.split_once('}').expect("a closed ${...}"),
        None => (reference, ""),
    };
    let logical_id = logical_id.trim_end_matches(".Arn");
    let properties = &template["Resources"][logical_id]["Properties"];
    match properties.get("TableName") {
        Some(name) => {
            let name = text(name);
            let table = name
                .strip_prefix("${AWS::StackName}-")
                .expect("tables are named by stack");
            format!("{table}{rest}")
        }
        None => format!("{logical_id}{rest}"),
    }
}

fn one_or_many(value: &Yaml) -> Vec<&Yaml> {
    match untagged(value) {
        Yaml::Sequence(items) => items.iter().collect(),
        _ => vec![value],
    }
}

fn granted() -> Permissions {
    granted_with(&[])
}

/// The grants of the template as deployed with `parameters`.
fn granted_with(parameters: &[(&str, &str)]) -> Permissions {
    let template = deployed(&yaml("template.yaml"), parameters);
    let mut granted = Permissions::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let grants = granted.entry(function_of(resource)).or_default();
        for policy in resource["Properties"]["Policies"].as_sequence().unwrap() {
            for statement in policy["Statement"]
                .as_sequence()
                .expect("inline statements only")
            {
                assert_eq!(text(&statement["Effect"]), "Allow");
                for action in one_or_many(&statement["Action"]) {
                    for target in one_or_many(&statement["Resource"]) {
                        grants.insert((text(action).to_owned(), resource_name(&template, target)));
                    }
                }
            }
        }
    }
    granted
}

#[tokio::test]
async fn each_function_is_granted_exactly_what_it_uses() {
    let asked = drive_every_function().await;
    let granted = granted();
    assert_eq!(
        granted.keys().collect::<Vec<_>>(),
        asked.keys().collect::<Vec<_>>(),
        "the journey must drive every function of the template"
    );
    let mut wrong = Vec::new();
    for (function, grants) in &granted {
        let used = &asked[function];
        let missing: Vec<_> = used.difference(grants).collect();
        let spare: Vec<_> = grants.difference(used).collect();
        if !missing.is_empty() || !spare.is_empty() {
            wrong.push(format!(
                "{function}: template.yaml lacks {missing:?} and grants unused {spare:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // No function that calls the model may write anything a login reads (users, identities,
    // sessions, provider states, one-time codes), nor read a login in flight: it could start a
    // session for anyone. Checked on the template's grants, whatever the journey drove.
    for function in MODEL_CALLING {
        let reaches: Vec<_> = granted[*function]
            .iter()
            .filter(|(action, table)| match table.as_str() {
                "logins" => action.starts_with("dynamodb:"),
                "users" | "sessions" => {
                    action.starts_with("dynamodb:")
                        && !matches!(
                            action.as_str(),
                            "dynamodb:GetItem"
                                | "dynamodb:BatchGetItem"
                                | "dynamodb:ConditionCheckItem"
                        )
                }
                _ => false,
            })
            .collect();
        assert!(
            reaches.is_empty(),
            "{function} may write what a login reads: {reaches:?}"
        );
    }
}

/// The functions whose role reads the model's key: they run on text anyone can send.
const MODEL_CALLING: &[&str] = &[
    "chat",
    "speech",
    "suggest",
    "feedback",
    "translate",
    "report",
    "vocabulary",
];

#[test]
fn the_model_calling_functions_are_the_ones_that_read_the_models_key() {
    let granted = granted();
    let with_key: Vec<&str> = granted
        .iter()
        .filter(|(_, grants)| grants.contains(&(READ_SECRET.into(), MODEL_KEY.into())))
        .map(|(function, _)| function.as_str())
        .collect();
    assert_eq!(
        with_key,
        MODEL_CALLING
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
}

/// What a Bedrock deployment grants: the functions that call the model may invoke the one model
/// (through its inference profile, and the model behind it only through that profile), and
/// nothing reads a key, which is not even created. Driven through every model-calling route on
/// the Bedrock tutor, with the recorder on the Bedrock client.
#[tokio::test]
async fn a_bedrock_deployment_invokes_the_one_model_and_reads_no_key() {
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_MODEL_PROVIDER", "bedrock"),
        (
            "ROLECHAT_BEDROCK_MODEL",
            "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
    ])
    .await;
    let mut j = Journey {
        app,
        asked: Permissions::new(),
        mails: journey_mails().len(),
    };
    let token = j.app.sign_up("iam-bedrock", "iam-bedrock's password").await;
    let room = j
        .app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2",
                    "auto_feedback": false}),
        )
        .await;
    j.app.accesses.take();
    let path = format!("/rooms/{room}/messages");
    j.expect(TestRequest::post(&path).token(&token).json(&json!({})), 201)
        .await;
    let turn = j
        .expect(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "A latte"})),
            201,
        )
        .await;
    j.send(
        TestRequest::post(&path)
            .token(&token)
            .header("accept", "text/event-stream")
            .json(&json!({"content": "A big one"})),
    )
    .await;
    let line = turn["user_message"]["id"].as_str().unwrap();
    let reply = turn["reply"]["id"].as_str().unwrap();
    for (request, status) in [
        (
            TestRequest::post(&format!("/rooms/{room}/messages/{line}/feedback?ui=en")),
            200,
        ),
        (
            TestRequest::post(&format!("/rooms/{room}/messages/{reply}/translation?ui=ko")),
            200,
        ),
        (
            TestRequest::post(&format!("/rooms/{room}/suggestions")),
            200,
        ),
        (
            TestRequest::post(&format!("/rooms/{room}/report?ui=en")),
            200,
        ),
        (
            TestRequest::post("/vocabulary?ui=en")
                .json(&json!({"text": "latte", "language": "en-US"})),
            201,
        ),
    ] {
        j.expect(request.token(&token), status).await;
    }

    let parameters = [("ModelProvider", "bedrock"), ("SpeechBaseUrl", "")];
    let granted = granted_with(&parameters);
    let models_grants = |grants: &BTreeSet<Access>| -> BTreeSet<Access> {
        grants
            .iter()
            .filter(|(action, resource)| action.starts_with("bedrock:") || resource == MODEL_KEY)
            .cloned()
            .collect()
    };
    for function in MODEL_CALLING.iter().filter(|f| **f != "speech") {
        let asked = models_grants(&j.asked[*function]);
        assert!(!asked.is_empty(), "{function} was driven");
        assert_eq!(models_grants(&granted[*function]), asked, "{function}");
    }
    let with_model: Vec<&String> = granted
        .iter()
        .filter(|(_, grants)| !models_grants(grants).is_empty())
        .map(|(function, _)| function)
        .collect();
    assert_eq!(with_model.len(), MODEL_CALLING.len() - 1, "{with_model:?}");
    // The model behind the profile is granted only through it, and the key does not exist.
    let template = deployed(&yaml("template.yaml"), &parameters);
    let chat = template["Resources"]["ChatFunction"]["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap()
        .clone();
    let behind = chat
        .iter()
        .find(|s| {
            untagged(&s["Resource"])
                .as_str()
                .is_some_and(|r| r.contains("foundation-model"))
        })
        .unwrap();
    assert!(
        text(&behind["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"])
            .ends_with("inference-profile/${BedrockModel}")
    );
    assert!(template["Resources"]["OpenAiApiKey"].is_null());
    assert!(
        template["Resources"]["ChatFunction"]["Properties"]["Environment"]["Variables"]
            ["ROLECHAT_OPENAI_KEY_SECRET_ARN"]
            .is_null()
    );
    // A model invoked by its own ID is granted that model in this Region, and no profile.
    let direct = granted_with(&[
        ("ModelProvider", "bedrock"),
        ("BedrockModel", "amazon.nova-lite-v1:0"),
        ("BedrockFoundationModel", "amazon.nova-lite-v1:0"),
    ]);
    assert_eq!(
        models_grants(&direct["chat"]),
        // (Only the turns stream: the other functions are granted `InvokeModel` alone.)
        [
            (
                "bedrock:InvokeModel".to_owned(),
                rolechat_tests::access::BEDROCK_MODEL.to_owned()
            ),
            (
                "bedrock:InvokeModelWithResponseStream".to_owned(),
                rolechat_tests::access::BEDROCK_MODEL.to_owned()
            ),
        ]
        .into_iter()
        .collect()
    );
}
