//! Sign-up and login through GitHub, Kakao and Google, against the fake provider (a real HTTP
//! server signing real ID tokens): the flow, linking and unlinking, and every way it can go
//! wrong refused with no session made.

use rolechat_tests::fake_provider::{FakeProvider, Misbehaviour, consent, param};
use rolechat_tests::{
    LOGIN_BINDING, LOGIN_SECRET, SITE_ORIGIN, TestApp, TestRequest, TestResponse,
};
use serde_json::{Value, json};

pub(crate) async fn app_with(fake: &FakeProvider) -> TestApp {
    let mut settings = fake.settings();
    settings.push((
        "ROLECHAT_OAUTH_CALLBACK_BASE".into(),
        "http://api.test".into(),
    ));
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    TestApp::spawn_with(&settings).await
}

pub(crate) fn location(response: &TestResponse) -> String {
    assert_eq!(response.status, 302, "{}", response.text());
    response.headers["location"].to_str().unwrap().to_owned()
}

/// A whole provider login from the site's button: where the site is sent at the end.
pub(crate) async fn provider_login(app: &TestApp, provider: &str, login: &str) -> String {
    let start = app
        .send(TestRequest::get(&format!(
            "/auth/oauth/{provider}/start?binding={LOGIN_BINDING}&site={SITE_ORIGIN}&ui=ja"
        )))
        .await;
    let authorize = location(&start);
    let callback = consent(&authorize, login).await;
    location(&app.send(TestRequest::get(&callback)).await)
}

pub(crate) async fn exchange(app: &TestApp, site_url: &str) -> TestResponse {
    let code = param(site_url, "code").unwrap_or_else(|| panic!("no code in {site_url}"));
    app.send(
        TestRequest::post("/auth/oauth/exchange")
            .json(&json!({"code": code, "binding": LOGIN_SECRET})),
    )
    .await
}

async fn sessions(app: &TestApp) -> usize {
    app.scan_all(&app.tables.sessions).await.len()
}

#[tokio::test]
async fn signing_up_and_in_with_each_provider() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let providers = app
        .send(TestRequest::get("/auth/oauth/providers"))
        .await
        .json();
    assert_eq!(
        providers,
        json!({"providers": ["github", "kakao", "google"]})
    );

    for provider in ["github", "kakao", "google"] {
        let start = app
            .send(TestRequest::get(&format!(
                "/auth/oauth/{provider}/start?binding={LOGIN_BINDING}&site={SITE_ORIGIN}"
            )))
            .await;
        let authorize = location(&start);
        assert!(authorize.starts_with(&fake.base(provider)), "{authorize}");
        // State, PKCE S256, and a nonce for OpenID Connect; the verifier never leaves.
        assert!(param(&authorize, "state").is_some_and(|s| s.len() >= 16));
        assert_eq!(
            param(&authorize, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(param(&authorize, "nonce").is_some(), provider != "github");
        assert_eq!(
            param(&authorize, "redirect_uri").as_deref(),
            Some(format!("http://api.test/auth/oauth/{provider}/callback").as_str())
        );

        let back = provider_login(&app, provider, &format!("ada-{provider}")).await;
        assert!(
            back.starts_with(&format!("{SITE_ORIGIN}/#/oauth?code=")),
            "{back}"
        );
        assert!(!back.contains("access"), "no token in the URL: {back}");
        let login = exchange(&app, &back).await;
        assert_eq!(login.status, 200, "{}", login.text());
        let body = login.json();
        assert_eq!(body["user"]["login_methods"], json!([provider]));
        assert_eq!(body["user"]["username_changeable"], true);
        assert_eq!(
            body["user"]["native_language"], "ja",
            "the language the login began in"
        );
        let token = body["access_token"].as_str().unwrap().to_owned();
        let me = app.send(TestRequest::get("/me").token(&token)).await.json();
        assert_eq!(me["user"], body["user"]);

        // The same person again: the same user, a new session.
        let again = exchange(
            &app,
            &provider_login(&app, provider, &format!("ada-{provider}")).await,
        )
        .await;
        assert_eq!(again.json()["user"]["username"], body["user"]["username"]);
        // Someone else at the same provider: another user.
        let other = exchange(&app, &provider_login(&app, provider, "grace").await).await;
        assert_ne!(other.json()["user"]["username"], body["user"]["username"]);
    }
    // GitHub's login names the generated username.
    let github = exchange(&app, &provider_login(&app, "github", "octocat").await).await;
    let name = github.json()["user"]["username"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(name.starts_with("octocat-"), "{name}");
}

#[tokio::test]
async fn every_misbehaviour_of_the_provider_is_refused_with_no_session() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    // A first login, so the misbehaving ones are against a known user too.
    exchange(&app, &provider_login(&app, "google", "linus").await).await;
    let users = app.scan_all(&app.tables.users).await.len();
    let before = sessions(&app).await;
    for (misbehaviour, provider, error) in [
        (Misbehaviour::TokenError, "github", "provider_refused"),
        (Misbehaviour::TokenError, "google", "provider_refused"),
        (
            Misbehaviour::WrongAudience,
            "google",
            "provider_token_invalid",
        ),
        (Misbehaviour::Expired, "kakao", "provider_token_invalid"),
        (
            Misbehaviour::BadSignature,
            "google",
            "provider_token_invalid",
        ),
        (Misbehaviour::WrongNonce, "kakao", "provider_token_invalid"),
        (Misbehaviour::NoIssuer, "google", "provider_token_invalid"),
        (Misbehaviour::NoAudience, "kakao", "provider_token_invalid"),
        (
            Misbehaviour::SharedAudience,
            "google",
            "provider_token_invalid",
        ),
        (Misbehaviour::IssuerList, "kakao", "provider_token_invalid"),
        (
            Misbehaviour::NotYetValid,
            "google",
            "provider_token_invalid",
        ),
        (
            Misbehaviour::EmptySubject,
            "kakao",
            "provider_token_invalid",
        ),
        (
            Misbehaviour::LongSubject,
            "google",
            "provider_token_invalid",
        ),
    ] {
        fake.misbehave_once(misbehaviour);
        let back = provider_login(&app, provider, "linus").await;
        assert_eq!(
            back,
            format!("{SITE_ORIGIN}/#/oauth?error={error}"),
            "{misbehaviour:?} at {provider}"
        );
    }
    assert_eq!(sessions(&app).await, before, "no session was made");
    assert_eq!(
        app.scan_all(&app.tables.users).await.len(),
        users,
        "no user either"
    );

    // The provider said no (the learner cancelled).
    let start = location(
        &app.send(TestRequest::get(&format!(
            "/auth/oauth/github/start?binding={LOGIN_BINDING}"
        )))
        .await,
    );
    let state = param(&start, "state").unwrap();
    let cancelled = app
        .send(TestRequest::get(&format!(
            "/auth/oauth/github/callback?error=access_denied&state={state}"
        )))
        .await;
    assert_eq!(
        location(&cancelled),
        format!("{SITE_ORIGIN}/#/oauth?error=provider_refused")
    );
}

#[tokio::test]
async fn a_replayed_or_forged_state_a_replayed_code_and_an_open_redirect_are_refused() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let start = location(
        &app.send(TestRequest::get(&format!(
            "/auth/oauth/kakao/start?binding={LOGIN_BINDING}&site={SITE_ORIGIN}"
        )))
        .await,
    );
    let callback = consent(&start, "mallory").await;
    let first = location(&app.send(TestRequest::get(&callback)).await);
    assert!(first.contains("code="));
    // The same state again (a replayed callback): refused, and the provider not asked.
    let asked = fake.token_requests();
    let replay = location(&app.send(TestRequest::get(&callback)).await);
    assert_eq!(replay, format!("{SITE_ORIGIN}/#/oauth?error=state_invalid"));
    assert_eq!(fake.token_requests(), asked);
    // A made-up state, a state for another provider, none at all.
    let state = param(&callback, "state").unwrap();
    for path in [
        "/auth/oauth/kakao/callback?code=x&state=forged".to_owned(),
        format!(
            "/auth/oauth/kakao/callback?code=x&state={}",
            "s".repeat(3000)
        ),
        "/auth/oauth/kakao/callback?code=x".to_owned(),
        format!("/auth/oauth/google/callback?code=x&state={state}"),
    ] {
        let refused = location(&app.send(TestRequest::get(&path)).await);
        assert_eq!(
            refused,
            format!("{SITE_ORIGIN}/#/oauth?error=state_invalid"),
            "{path}"
        );
    }

    // The one-time code works once.
    let login = exchange(&app, &first).await;
    assert_eq!(login.status, 200);
    let replayed = exchange(&app, &first).await;
    assert_eq!(
        (replayed.status, replayed.error_code().as_str()),
        (401, "invalid_credentials")
    );
    for body in [
        json!({"code": "made-up", "binding": LOGIN_SECRET}),
        json!({}),
    ] {
        let response = app
            .send(TestRequest::post("/auth/oauth/exchange").json(&body))
            .await;
        assert!(matches!(response.status, 400 | 401), "{body}");
    }

    // The site to go back to is one of the configured origins, never one from the request.
    for site in [
        "https://evil.example",
        "http://site.test.evil.example",
        "//evil.example",
    ] {
        let response = app
            .send(TestRequest::get(&format!(
                "/auth/oauth/github/start?binding={LOGIN_BINDING}&site={site}"
            )))
            .await;
        assert_eq!(
            (response.status, response.error_code().as_str()),
            (400, "validation_failed"),
            "{site}"
        );
    }
    // A provider not configured.
    let app_without = TestApp::spawn().await;
    for path in [
        "/auth/oauth/github/start",
        "/auth/oauth/kakao/callback?code=x&state=y",
    ] {
        assert_eq!(
            app_without.send(TestRequest::get(path)).await.status,
            404,
            "{path}"
        );
    }
    assert_eq!(
        app_without
            .send(TestRequest::get("/auth/oauth/providers"))
            .await
            .json(),
        json!({"providers": []})
    );
    assert_eq!(
        app.send(TestRequest::get(&format!(
            "/auth/oauth/facebook/start?binding={LOGIN_BINDING}"
        )))
        .await
        .status,
        404
    );
}

/// Starts a link from the account page as the site does (this tab's secret, bound by its hash)
/// and consents at the provider as `login`: where the callback sends the browser.
pub(crate) async fn link_callback(
    app: &TestApp,
    token: &str,
    provider: &str,
    login: &str,
) -> String {
    let started = app
        .send(
            TestRequest::post(&format!("/me/identities/{provider}?site={SITE_ORIGIN}"))
                .token(token)
                .json(&json!({"binding": LOGIN_BINDING})),
        )
        .await;
    assert_eq!(started.status, 200, "{}", started.text());
    let authorize = started.json()["authorize_url"].as_str().unwrap().to_owned();
    let callback = consent(&authorize, login).await;
    location(&app.send(TestRequest::get(&callback)).await)
}

/// A whole link: the callback, the account it names, the learner's yes. The user after it, or
/// where the callback sent the browser when it refused.
pub(crate) async fn link(
    app: &TestApp,
    token: &str,
    provider: &str,
    login: &str,
) -> Result<Value, String> {
    let back = link_callback(app, token, provider, login).await;
    let waiting = format!("{SITE_ORIGIN}/#/account?link={provider}&code=");
    if !back.starts_with(&waiting) {
        return Err(back);
    }
    let code = param(&back, "code").unwrap();
    let named = app
        .send(TestRequest::get(&format!("/me/identities/{provider}?code={code}")).token(token))
        .await;
    assert_eq!(named.status, 200, "{}", named.text());
    assert_eq!(named.json()["provider"], provider);
    assert!(
        named.json()["account"]
            .as_str()
            .is_some_and(|a| a.contains(login))
    );
    let confirmed = app
        .send(
            TestRequest::put(&format!("/me/identities/{provider}"))
                .token(token)
                .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    Ok(confirmed.json()["user"].clone())
}

#[tokio::test]
async fn linking_and_unlinking_while_one_way_to_log_in_remains() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let token = app.sign_up("nora", "nora's password").await;

    let linked = link(&app, &token, "github", "nora-gh").await.unwrap();
    assert_eq!(linked["login_methods"], json!(["password", "github"]));
    let me = app.send(TestRequest::get("/me").token(&token)).await.json();
    assert_eq!(me["user"], linked);
    // The account page shows which provider account it is, and since when.
    assert_eq!(me["user"]["linked_logins"][0]["provider"], "github");
    assert_eq!(me["user"]["linked_logins"][0]["account"], "nora-gh");
    assert!(me["user"]["linked_logins"][0]["linked_at"].is_string());
    // The identity now logs in as nora.
    let via_github = exchange(&app, &provider_login(&app, "github", "nora-gh").await).await;
    assert_eq!(via_github.json()["user"]["username"], "nora");
    // Linking the same provider again, or an identity that is someone else's, is refused.
    let again = app
        .send(
            TestRequest::post(&format!("/me/identities/github?site={SITE_ORIGIN}"))
                .token(&token)
                .json(&json!({"binding": LOGIN_BINDING})),
        )
        .await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (409, "conflict")
    );
    let taken = exchange(&app, &provider_login(&app, "google", "otto").await).await;
    assert_eq!(taken.status, 200);
    assert_eq!(
        link(&app, &token, "google", "otto").await,
        Err(format!("{SITE_ORIGIN}/#/account?link_error=identity_taken"))
    );
    // A link started before every session ended is refused when it comes back.
    let started = app
        .send(
            TestRequest::post("/me/identities/kakao")
                .token(&token)
                .json(&json!({"binding": LOGIN_BINDING})),
        )
        .await
        .json();
    let callback = consent(started["authorize_url"].as_str().unwrap(), "nora-kakao").await;
    app.send(
        TestRequest::delete("/me/sessions")
            .token(via_github.json()["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        location(&app.send(TestRequest::get(&callback)).await),
        format!("{SITE_ORIGIN}/#/account?link_error=session_ended")
    );
    let token = app
        .send(
            TestRequest::post("/auth")
                .json(&json!({"username": "nora", "password": "nora's password"})),
        )
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Unlinking: fine while the password remains; the identity no longer logs in.
    let unlinked = app
        .send(TestRequest::delete("/me/identities/github").token(&token))
        .await;
    assert_eq!(unlinked.status, 200, "{}", unlinked.text());
    assert_eq!(
        unlinked.json()["user"]["login_methods"],
        json!(["password"])
    );
    let stranger = exchange(&app, &provider_login(&app, "github", "nora-gh").await).await;
    assert_ne!(
        stranger.json()["user"]["username"],
        "nora",
        "a new user now"
    );
    assert_eq!(
        app.send(TestRequest::delete("/me/identities/github").token(&token))
            .await
            .status,
        404
    );

    // An account with only a provider cannot unlink it; with another linked it can.
    let only = exchange(&app, &provider_login(&app, "kakao", "solo").await)
        .await
        .json();
    let solo = only["access_token"].as_str().unwrap().to_owned();
    let refused = app
        .send(TestRequest::delete("/me/identities/kakao").token(&solo))
        .await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (409, "conflict")
    );
    let linked = link(&app, &solo, "google", "solo-g").await.unwrap();
    assert_eq!(linked["login_methods"], json!(["kakao", "google"]));
    let solo = exchange(&app, &provider_login(&app, "google", "solo-g").await)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = app
        .send(TestRequest::delete("/me/identities/kakao").token(&solo))
        .await;
    assert_eq!(kept.json()["user"]["login_methods"], json!(["google"]));
}

#[tokio::test]
async fn a_provider_account_renames_once_sets_a_password_and_is_deleted_by_typing_its_name() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let body = exchange(&app, &provider_login(&app, "github", "ren").await)
        .await
        .json();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let generated = body["user"]["username"].as_str().unwrap().to_owned();
    let room = app
        .create_room(
            &token,
            &json!({"language": "en-US", "level": "A2", "situation": "A walk",
                    "my_role": "a walker", "gpt_role": "a guide"}),
        )
        .await;

    // The generated name changes once; the reply carries a new token; the rooms come along.
    app.sign_up("taken-name", "taken's password").await;
    let clash = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"username": "Taken-Name"})),
        )
        .await;
    assert_eq!(
        (clash.status, clash.error_code().as_str()),
        (409, "username_taken")
    );
    let renamed = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"username": "Ren_Kim"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let body: Value = renamed.json();
    assert_eq!(body["user"]["username"], "Ren_Kim");
    assert_eq!(body["user"]["username_changeable"], false);
    let token2 = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send(TestRequest::get("/me").token(&token)).await.status,
        401,
        "the old token"
    );
    let opened = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&token2))
        .await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    let again = app
        .send(
            TestRequest::patch("/me")
                .token(&token2)
                .json(&json!({"username": "ren-again"})),
        )
        .await;
    assert_eq!(again.status, 400);
    // The old name is free; the identity logs in as the new name.
    app.sign_up(&generated, "a new owner's password").await;
    let via_github = exchange(&app, &provider_login(&app, "github", "ren").await).await;
    assert_eq!(via_github.json()["user"]["username"], "Ren_Kim");
    let token3 = via_github.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // No password yet: the account may set one, then log in with it too.
    let set = app
        .send(
            TestRequest::post("/me/password")
                .token(&token3)
                .json(&json!({"new_password": "ren's own password"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(
        set.json()["user"]["login_methods"],
        json!(["password", "github"])
    );
    let by_password = app
        .send(
            TestRequest::post("/auth")
                .json(&json!({"username": "ren_kim", "password": "ren's own password"})),
        )
        .await;
    assert_eq!(by_password.status, 200);

    // A passwordless account is deleted by typing its username.
    let bare = exchange(&app, &provider_login(&app, "google", "bare").await)
        .await
        .json();
    let bare_token = bare["access_token"].as_str().unwrap().to_owned();
    let bare_name = bare["user"]["username"].as_str().unwrap().to_owned();
    let wrong = app
        .send(
            TestRequest::delete("/me")
                .token(&bare_token)
                .json(&json!({"confirm": "not it"})),
        )
        .await;
    assert_eq!(wrong.status, 400);
    let deleted = app
        .send(
            TestRequest::delete("/me")
                .token(&bare_token)
                .json(&json!({"confirm": bare_name})),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    // Its identity is free again: the next login with it is a new account.
    let fresh = exchange(&app, &provider_login(&app, "google", "bare").await)
        .await
        .json();
    assert_ne!(fresh["user"]["username"], bare["user"]["username"]);
    app.drain_deletions(5).await;
}

#[tokio::test]
async fn starts_and_code_exchanges_are_counted_against_the_address() {
    let fake = FakeProvider::start(0).await.unwrap();
    let mut settings = fake.settings();
    settings.push((
        "ROLECHAT_OAUTH_CALLBACK_BASE".into(),
        "http://api.test".into(),
    ));
    settings.push(("ROLECHAT_AUTH_RATE_PER_MINUTE".into(), "3".into()));
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = TestApp::spawn_at_noon(&settings).await;
    let from = |request: TestRequest| request.from_ip("198.51.100.4");
    for _ in 0..2 {
        let start = app
            .send(from(TestRequest::get(&format!(
                "/auth/oauth/github/start?binding={LOGIN_BINDING}"
            ))))
            .await;
        assert_eq!(start.status, 302);
    }
    let guess = app
        .send(from(
            TestRequest::post("/auth/oauth/exchange")
                .json(&json!({"code": "a guess", "binding": LOGIN_SECRET})),
        ))
        .await;
    assert_eq!(guess.status, 401);
    for request in [
        TestRequest::get(&format!("/auth/oauth/github/start?binding={LOGIN_BINDING}")),
        TestRequest::post("/auth/oauth/exchange")
            .json(&json!({"code": "another guess", "binding": LOGIN_SECRET})),
    ] {
        let refused = app.send(from(request)).await;
        assert_eq!(
            (refused.status, refused.error_code().as_str()),
            (429, "rate_limited")
        );
        assert!(refused.headers.contains_key("retry-after"));
    }
    // Another address is not held back.
    let elsewhere = app
        .send(
            TestRequest::get(&format!("/auth/oauth/github/start?binding={LOGIN_BINDING}"))
                .from_ip("198.51.100.5"),
        )
        .await;
    assert_eq!(elsewhere.status, 302);
}

/// The DynamoDB round trips of each step of a provider login (the provider's own requests apart).
#[tokio::test]
async fn dynamodb_round_trips_per_step() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let mut figures = Vec::new();
    let mut step = |what: &str, expected: usize| {
        let trips = app.round_trips.take();
        figures.push(format!("{what}: {trips}"));
        assert_eq!(trips, expected, "{what}");
    };
    // The first time the user is made, the second time read: the same count.
    for provider in ["google", "google"] {
        app.round_trips.take();
        let start = app
            .send(
                TestRequest::get(&format!(
                    "/auth/oauth/{provider}/start?binding={LOGIN_BINDING}"
                ))
                .from_ip("192.0.2.1"),
            )
            .await;
        step("start (the attempt counted, the state kept)", 2);
        let callback = consent(&location(&start), "counted").await;
        let back = location(&app.send(TestRequest::get(&callback)).await);
        // The state taken, the identity looked up, then the user made (one transaction) or
        // read, and the one-time code kept.
        step("callback", 4);
        let code = param(&back, "code").unwrap();
        app.send(
            TestRequest::post("/auth/oauth/exchange")
                .json(&json!({"code": code, "binding": LOGIN_SECRET}))
                .from_ip("192.0.2.1"),
        )
        .await;
        // The attempt counted, the code taken, the user read, the session started with a check.
        step("exchange", 4);
    }
    println!("{}", figures.join("\n"));
}

/// A one-time code written where the functions that call the model can write (the limits
/// table, as a compromised one could) starts no session: codes live where only the login
/// functions reach, and the exchange reads them from there alone.
#[tokio::test]
async fn a_login_code_forged_in_the_limits_table_starts_no_session() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    app.sign_up("victim", "the victim's password").await;
    let users = app.scan_all(&app.tables.users).await;
    let victim = users
        .iter()
        .find(|user| {
            user.get("username")
                .and_then(|u| u.as_s().ok())
                .map(String::as_str)
                == Some("victim")
        })
        .expect("the victim's record");
    let string = |name: &str| victim[name].as_s().unwrap().clone();
    let forged = [
        ("pk", "login#forged-code".to_owned()),
        ("user_key", string("pk")),
        ("user_id", string("id")),
    ];
    let mut request = app.dynamodb.put_item().table_name(&app.tables.limits);
    for (name, value) in forged {
        request = request.item(name, aws_sdk_dynamodb::types::AttributeValue::S(value));
    }
    let expires = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 120)
        .to_string();
    request
        .item(
            "expires_at",
            aws_sdk_dynamodb::types::AttributeValue::N(expires),
        )
        .send()
        .await
        .unwrap();
    let before = sessions(&app).await;
    let exchanged = app
        .send(
            TestRequest::post("/auth/oauth/exchange")
                .json(&json!({"code": "forged-code", "binding": LOGIN_SECRET})),
        )
        .await;
    assert_eq!(exchanged.status, 401, "{}", exchanged.text());
    assert_eq!(sessions(&app).await, before, "no session started");
}

/// A one-time code issued before "log out everywhere" is ended with the sessions.
#[tokio::test]
async fn a_code_issued_before_logging_out_everywhere_no_longer_exchanges() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let first = exchange(&app, &provider_login(&app, "google", "ada").await).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let token = first.json()["access_token"].as_str().unwrap().to_owned();
    let pending = provider_login(&app, "google", "ada").await;
    let ended = app
        .send(TestRequest::delete("/me/sessions").token(&token))
        .await;
    assert_eq!(ended.status, 204);
    let before = sessions(&app).await;
    let late = exchange(&app, &pending).await;
    assert_eq!(late.status, 401, "{}", late.text());
    assert_eq!(late.error_code(), "invalid_credentials");
    assert_eq!(sessions(&app).await, before);
    // A code issued afterwards works.
    let again = exchange(&app, &provider_login(&app, "google", "ada").await).await;
    assert_eq!(again.status, 200);
}

/// Starting a link keeps an item for ten minutes, as a login's start does: it is counted
/// against the address like one.
#[tokio::test]
async fn link_starts_are_counted_against_the_address() {
    let fake = FakeProvider::start(0).await.unwrap();
    let mut settings = fake.settings();
    settings.push(("ROLECHAT_AUTH_RATE_PER_MINUTE".into(), "3".into()));
    settings.push((
        "ROLECHAT_OAUTH_CALLBACK_BASE".into(),
        "http://api.test".into(),
    ));
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = TestApp::spawn_at_noon(&settings).await;
    let token = app.sign_up("nils", "nils's password").await;
    let start = |ip: &str| {
        TestRequest::post(&format!("/me/identities/github?site={SITE_ORIGIN}"))
            .token(&token)
            .json(&json!({"binding": LOGIN_BINDING}))
            .from_ip(ip)
    };
    for _ in 0..3 {
        assert_eq!(app.send(start("198.51.100.9")).await.status, 200);
    }
    let refused = app.send(start("198.51.100.9")).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (429, "rate_limited")
    );
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(app.send(start("198.51.100.10")).await.status, 200);
}

/// An unlink or a rename that loses a race to another change of the account is `409`, not the
/// end of the session (which the site would take as a logout); one whose sessions were ended
/// meanwhile is still `401`.
#[tokio::test]
async fn a_change_that_loses_a_race_is_a_conflict_not_a_logout() {
    use rolechat::store::AccountError;
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let token = app.sign_up("rosa", "rosa's password").await;
    link(&app, &token, "github", "rosa-gh").await.unwrap();
    link(&app, &token, "google", "rosa-g").await.unwrap();
    // Read as an unlink of github reads it, before an unlink of google is stored.
    let stale = app.authenticated(&token).await;
    let github = stale
        .user
        .identities
        .iter()
        .position(|identity| identity.provider == "github")
        .unwrap();
    let google = app
        .send(TestRequest::delete("/me/identities/google").token(&token))
        .await;
    assert_eq!(google.status, 200, "{}", google.text());
    let lost = app
        .state
        .store
        .unlink_identity(&stale.owner, &stale.user, github)
        .await;
    assert!(matches!(lost, Err(AccountError::Changed)), "{lost:?}");
    // Over HTTP that is a 409 (`account_error`: the site stays logged in); the retry works.
    let retried = app
        .send(TestRequest::delete("/me/identities/github").token(&token))
        .await;
    assert_eq!(retried.status, 200, "{}", retried.text());

    // With every session ended meanwhile, the same lost write is the end of the session.
    link(&app, &token, "google", "rosa-g").await.unwrap();
    let stale = app.authenticated(&token).await;
    app.send(TestRequest::delete("/me/sessions").token(&token))
        .await;
    let ended = app
        .state
        .store
        .unlink_identity(&stale.owner, &stale.user, 0)
        .await;
    assert!(
        matches!(ended, Err(AccountError::SessionEnded)),
        "{ended:?}"
    );
}

/// Login CSRF: a code (or a provider callback) sent to another browser logs no one in there.
/// The start names the S256 hash of a secret the starting tab keeps; the exchange needs the
/// secret itself, and a code presented without it is used up.
#[tokio::test]
async fn a_login_is_bound_to_the_browser_that_started_it() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    // A start that names no binding, or not a hash, is refused.
    for query in [
        "",
        "&binding=short",
        "&binding=not+base64url+at+all+but+43+characters+",
    ] {
        let refused = app
            .send(TestRequest::get(&format!(
                "/auth/oauth/google/start?site={SITE_ORIGIN}{query}"
            )))
            .await;
        assert_eq!(refused.status, 400, "{query}: {}", refused.text());
        assert_eq!(refused.error_code(), "validation_failed");
    }
    let before = sessions(&app).await;
    // The attacker's own login, its code given to a victim whose browser holds another secret
    // (or none).
    let attackers = provider_login(&app, "google", "mallory").await;
    let code = param(&attackers, "code").unwrap();
    let victims_secret = "a-different-secret-the-victims-tab-made-for-its-own-login-0123";
    let elsewhere = app
        .send(
            TestRequest::post("/auth/oauth/exchange")
                .json(&json!({"code": code, "binding": victims_secret})),
        )
        .await;
    assert_eq!(elsewhere.status, 401, "{}", elsewhere.text());
    assert_eq!(
        sessions(&app).await,
        before,
        "no session for the attacker's account"
    );
    // Used up: not even the right secret exchanges it now.
    let after = app
        .send(
            TestRequest::post("/auth/oauth/exchange")
                .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        )
        .await;
    assert_eq!(after.status, 401);
    let unbound = app
        .send(TestRequest::post("/auth/oauth/exchange").json(&json!({"code": "x"})))
        .await;
    assert_eq!(unbound.status, 400);
    // The browser that started a login exchanges its code.
    let own = exchange(&app, &provider_login(&app, "google", "mallory").await).await;
    assert_eq!(own.status, 200, "{}", own.text());
}

/// A deletion or a rename made from a read that a link landed after would leave that identity
/// behind (an orphan pointing at a gone account or name): both are conditioned on the identities
/// as read, so they lose the race instead, and the next try takes everything.
#[tokio::test]
async fn a_link_landing_between_the_read_and_a_deletion_leaves_no_orphan() {
    use rolechat::store::AccountError;
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let token = app.sign_up("olga", "olga's password").await;
    link(&app, &token, "github", "olga-gh").await.unwrap();
    let stale = app.authenticated(&token).await;
    link(&app, &token, "google", "olga-g").await.unwrap();
    let lost = app
        .state
        .store
        .delete_account(&stale.owner, &stale.user, time::OffsetDateTime::now_utc())
        .await;
    assert!(matches!(lost, Err(AccountError::Changed)), "{lost:?}");
    let me = app.send(TestRequest::get("/me").token(&token)).await.json();
    assert_eq!(
        me["user"]["login_methods"],
        json!(["password", "github", "google"]),
        "nothing was deleted"
    );
    let deleted = app
        .send(
            TestRequest::delete("/me")
                .token(&token)
                .json(&json!({"password": "olga's password"})),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let identities = app
        .scan_all(&app.tables.users)
        .await
        .into_iter()
        .filter(|item| item["pk"].as_s().unwrap().starts_with("identity#"))
        .count();
    assert_eq!(identities, 0, "every identity went with the account");
    app.drain_deletions(5).await;
}
