//! Taking over an account: what a stolen token, a link started by someone else, or a callback
//! sent to another browser can do. Each attack first, then what the owner can still do.

use rolechat::store::SessionRecord;
use rolechat_tests::fake_provider::{FakeProvider, param};
use rolechat_tests::{LOGIN_BINDING, LOGIN_SECRET, SITE_ORIGIN, TestApp, TestRequest};
use serde_json::json;

use super::social_api::{app_with, exchange, link, link_callback, provider_login};

/// Makes the token's session look signed in to `minutes` ago, as a token stolen from a browser
/// that logged in long before would be.
async fn signed_in_ago(app: &TestApp, token: &str, minutes: i64) {
    let session = app.authenticated(token).await.session;
    let signed_in_at = time::OffsetDateTime::now_utc().unix_timestamp() - minutes * 60;
    app.state
        .store
        .put_session(&SessionRecord {
            signed_in_at,
            ..session
        })
        .await
        .unwrap();
}

fn token_of(body: &serde_json::Value) -> String {
    body["access_token"].as_str().unwrap().to_owned()
}

fn start_link(token: &str, provider: &str, password: Option<&str>) -> TestRequest {
    let mut body = json!({"binding": LOGIN_BINDING});
    if let Some(password) = password {
        body["password"] = json!(password);
    }
    TestRequest::post(&format!("/me/identities/{provider}?site={SITE_ORIGIN}"))
        .token(token)
        .json(&body)
}

/// Linking, unlinking, a first password, the once-only rename and a passwordless deletion each
/// need the password or a sign-in within the last ten minutes: with an old token alone each is
/// `403 reauthentication_required` and changes nothing.
#[tokio::test]
async fn a_stolen_token_alone_cannot_change_how_the_account_is_entered() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;

    // An account with a password: the password confirms; a recent sign-in does too.
    let token = app.sign_up("pia", "pia's password").await;
    link(&app, &token, "github", "pia-gh").await.unwrap();
    signed_in_ago(&app, &token, 11).await;
    let refused = app.send(start_link(&token, "kakao", None)).await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (403, "reauthentication_required"),
        "{}",
        refused.text()
    );
    let wrong = app
        .send(start_link(&token, "kakao", Some("not pia's password")))
        .await;
    assert_eq!(
        (wrong.status, wrong.error_code().as_str()),
        (401, "invalid_credentials")
    );
    assert_eq!(
        app.send(start_link(&token, "kakao", Some("pia's password")))
            .await
            .status,
        200
    );
    let unlink = app
        .send(TestRequest::delete("/me/identities/github").token(&token))
        .await;
    assert_eq!(
        (unlink.status, unlink.error_code().as_str()),
        (403, "reauthentication_required")
    );
    let me = app.send(TestRequest::get("/me").token(&token)).await.json();
    assert_eq!(me["user"]["login_methods"], json!(["password", "github"]));
    let unlinked = app
        .send(
            TestRequest::delete("/me/identities/github")
                .token(&token)
                .json(&json!({"password": "pia's password"})),
        )
        .await;
    assert_eq!(unlinked.status, 200, "{}", unlinked.text());
    // Nine minutes after signing in is still recent.
    signed_in_ago(&app, &token, 9).await;
    assert_eq!(
        app.send(start_link(&token, "kakao", None)).await.status,
        200
    );

    // An account made through a provider has no password: only a recent sign-in confirms.
    let body = exchange(&app, &provider_login(&app, "kakao", "gus").await)
        .await
        .json();
    let gus = token_of(&body);
    let name = body["user"]["username"].as_str().unwrap().to_owned();
    signed_in_ago(&app, &gus, 30).await;
    let attempts = [
        TestRequest::post("/me/password")
            .token(&gus)
            .json(&json!({"new_password": "the thief's password"})),
        TestRequest::patch("/me")
            .token(&gus)
            .json(&json!({"username": "thief-name", "password": "anything at all"})),
        TestRequest::delete("/me")
            .token(&gus)
            .json(&json!({"confirm": name})),
        start_link(&gus, "google", Some("anything at all")),
        TestRequest::delete("/me/identities/kakao").token(&gus),
    ];
    for attempt in attempts {
        let path = format!("{} {}", attempt.method, attempt.path);
        let refused = app.send(attempt).await;
        assert!(
            (refused.status, refused.error_code().as_str()) == (403, "reauthentication_required")
                // The last way in cannot be unlinked at all.
                || (path.starts_with("DELETE /me/identities") && refused.status == 409),
            "{path}: {}",
            refused.text()
        );
    }
    let me = app.send(TestRequest::get("/me").token(&gus)).await.json();
    assert_eq!(me["user"]["username"], name.as_str(), "nothing changed");
    assert_eq!(me["user"]["login_methods"], json!(["kakao"]));

    // Signing in again with the provider makes the new session recent: each is allowed.
    let again = exchange(&app, &provider_login(&app, "kakao", "gus").await)
        .await
        .json();
    let fresh = token_of(&again);
    let renamed = app
        .send(
            TestRequest::patch("/me")
                .token(&fresh)
                .json(&json!({"username": "gus-kim"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    let fresh = token_of(&renamed.json());
    let set = app
        .send(
            TestRequest::post("/me/password")
                .token(&fresh)
                .json(&json!({"new_password": "gus's own password"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(
        app.send(TestRequest::get("/me").token(&gus)).await.status,
        401,
        "the old token ended with the change"
    );
}

/// An attacker starts a link on their own account and sends the provider's URL to the victim:
/// the victim's sign-in there comes back to the victim's browser, which did not start it, and
/// nothing is linked. A waiting link is confirmed only with the starting browser's secret, and
/// a wrong secret uses it up.
#[tokio::test]
async fn a_link_is_made_only_with_a_yes_from_the_browser_that_started_it() {
    let fake = FakeProvider::start(0).await.unwrap();
    let app = app_with(&fake).await;
    let attacker = app.sign_up("mallory", "mallory's password").await;
    let victim = app.sign_up("vera", "vera's password").await;

    // The victim signs in at the provider on the attacker's link.
    let back = link_callback(&app, &attacker, "google", "vera").await;
    assert!(
        back.starts_with(&format!("{SITE_ORIGIN}/#/account?link=google&code=")),
        "{back}"
    );
    let code = param(&back, "code").unwrap();
    // The callback linked nothing: the victim's Google still signs in as no one of theirs.
    let me = app
        .send(TestRequest::get("/me").token(&attacker))
        .await
        .json();
    assert_eq!(me["user"]["login_methods"], json!(["password"]));
    // The victim's own session cannot see or confirm a link that is not theirs.
    let seen = app
        .send(TestRequest::get(&format!("/me/identities/google?code={code}")).token(&victim))
        .await;
    assert_eq!(seen.status, 404);
    let confirmed = app
        .send(
            TestRequest::put("/me/identities/google")
                .token(&victim)
                .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        )
        .await;
    assert_eq!(confirmed.status, 404);

    // The starting browser names the account before anyone says yes.
    let back = link_callback(&app, &attacker, "google", "vera").await;
    let code = param(&back, "code").unwrap();
    let named = app
        .send(TestRequest::get(&format!("/me/identities/google?code={code}")).token(&attacker))
        .await;
    assert_eq!(named.status, 200);
    assert_eq!(named.json()["account"], "vera@example.com");
    // Another browser's secret: refused, and the code is used up.
    let other_secret = "another-browsers-secret-another-browsers-secret";
    let wrong = app
        .send(
            TestRequest::put("/me/identities/google")
                .token(&attacker)
                .json(&json!({"code": code, "binding": other_secret})),
        )
        .await;
    assert_eq!(wrong.status, 404);
    let right = app
        .send(
            TestRequest::put("/me/identities/google")
                .token(&attacker)
                .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        )
        .await;
    assert_eq!(right.status, 404, "used up by the wrong secret");
    let missing = app
        .send(
            TestRequest::put("/me/identities/google")
                .token(&attacker)
                .json(&json!({"code": code})),
        )
        .await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (400, "validation_failed")
    );
    let vera = exchange(&app, &provider_login(&app, "google", "vera").await)
        .await
        .json();
    assert_ne!(vera["user"]["username"], "mallory", "a user of her own");

    // A link waiting when every session ends is ended with them.
    let back = link_callback(&app, &victim, "github", "vera-gh").await;
    let code = param(&back, "code").unwrap();
    app.send(TestRequest::delete("/me/sessions").token(&victim))
        .await;
    let login = app
        .send(
            TestRequest::post("/auth")
                .json(&json!({"username": "vera", "password": "vera's password"})),
        )
        .await
        .json();
    let victim = token_of(&login);
    let late = app
        .send(
            TestRequest::put("/me/identities/github")
                .token(&victim)
                .json(&json!({"code": code, "binding": LOGIN_SECRET})),
        )
        .await;
    assert_eq!(late.status, 404);
    // A link is started with the hash of the tab's secret, nothing else.
    let unbound = app
        .send(
            TestRequest::post(&format!("/me/identities/github?site={SITE_ORIGIN}"))
                .token(&victim)
                .json(&json!({})),
        )
        .await;
    assert_eq!(
        (unbound.status, unbound.error_code().as_str()),
        (400, "validation_failed")
    );
    // The victim's own link, confirmed in her browser, is made.
    let linked = link(&app, &victim, "github", "vera-gh").await.unwrap();
    assert_eq!(linked["linked_logins"][0]["account"], "vera-gh");
}
