//! Email: an address verified by its link, password reset through it, and reminders at the
//! learner's hour, through the real local mail server (aiosmtpd).

use std::time::{Duration, Instant};

use rolechat::domain::time::Clock;
use rolechat_tests::fake_ses::{FakeSes, SesFailure};
use rolechat_tests::mailbox::{Mail, mail_server};
use rolechat_tests::{SITE_ORIGIN, TestApp, TestRequest};
use serde_json::{Value, json};
use time::OffsetDateTime;

const PASSWORD: &str = "correct horse battery";

fn address(name: &str) -> String {
    format!(
        "{name}-{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

fn mail_settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ROLECHAT_MAIL", mail_server().url.as_str()),
        ("ROLECHAT_API_URL", "http://api.test"),
        ("ROLECHAT_MAIL_PER_SECOND", "1000"),
    ]
}

async fn app() -> TestApp {
    TestApp::spawn_with(&mail_settings()).await
}

/// The next `weekday` at `hour`:30 UTC at least a day away (sessions are signed with the real
/// time, so a test's clock is never moved into the past).
fn upcoming(weekday: time::Weekday, hour: u8) -> OffsetDateTime {
    let mut day = OffsetDateTime::now_utc().date().next_day().unwrap();
    while day.weekday() != weekday {
        day = day.next_day().unwrap();
    }
    day.with_hms(hour, 30, 0).unwrap().assume_utc()
}

/// The Saturday before the next end of summer time in Europe (the last Sunday of October), at
/// 05:30 UTC.
fn before_summer_time_ends() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    for year in [now.year(), now.year() + 1] {
        let mut sunday = time::Date::from_calendar_date(year, time::Month::October, 31).unwrap();
        while sunday.weekday() != time::Weekday::Sunday {
            sunday = sunday.previous_day().unwrap();
        }
        let saturday = sunday
            .previous_day()
            .unwrap()
            .with_hms(5, 30, 0)
            .unwrap()
            .assume_utc();
        if saturday > now + time::Duration::days(1) {
            return saturday;
        }
    }
    unreachable!("within two years")
}

/// An app whose clock reads `at` now.
async fn app_at(at: OffsetDateTime) -> TestApp {
    let clock = Clock::shifted(at - OffsetDateTime::now_utc());
    TestApp::spawn_with_clock(&mail_settings(), clock).await
}

async fn ask_for(app: &TestApp, token: &str, email: &str) -> rolechat_tests::TestResponse {
    app.send(
        TestRequest::patch("/me")
            .token(token)
            .json(&json!({"email": email, "password": PASSWORD})),
    )
    .await
}

async fn verify(app: &TestApp, link_token: &str) -> rolechat_tests::TestResponse {
    app.send(TestRequest::post("/email/verify").json(&json!({"token": link_token})))
        .await
}

/// The latest mail to `to` whose link starts with the site's `route`.
async fn mail_with(to: &str, count: usize) -> Mail {
    let mails = mail_server().wait_for(to, count).await;
    assert_eq!(mails.len(), count, "mails to {to}: {mails:#?}");
    mails.last().cloned().unwrap()
}

fn link_token(mail: &Mail, route: &str) -> String {
    mail.token(&format!("{SITE_ORIGIN}/#/{route}?token="))
        .unwrap_or_else(|| panic!("no {route} link in {}", mail.text))
}

/// A new user with `email` verified; their access token.
async fn verified_user(app: &TestApp, name: &str, email: &str) -> String {
    let token = app.sign_up(name, PASSWORD).await;
    let english = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"native_language": "en"})),
        )
        .await;
    assert_eq!(english.status, 200);
    assert_eq!(ask_for(app, &token, email).await.status, 200);
    let mail = mail_with(email, 1).await;
    assert_eq!(
        verify(app, &link_token(&mail, "verify-email")).await.status,
        200
    );
    token
}

async fn me(app: &TestApp, token: &str) -> Value {
    let response = app.send(TestRequest::get("/me").token(token)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["user"].clone()
}

#[tokio::test]
async fn an_address_is_verified_once_by_its_link() {
    let app = app().await;
    let token = app.sign_up("mina", PASSWORD).await;
    let email = address("mina");
    let asked = ask_for(&app, &token, &email.to_uppercase()).await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    assert_eq!(asked.json()["user"]["email_pending"], json!(email));
    assert_eq!(asked.json()["user"]["email"], Value::Null);

    let mail = mail_with(&email, 1).await;
    // In the learner's interface language (Korean unless they chose another).
    assert_eq!(mail.subject, "Rolechat 이메일 주소를 확인해 주세요");
    assert!(
        mail.html.contains("<a href="),
        "the HTML part has the button"
    );
    assert!(
        !mail.html.contains("src="),
        "no remote content: {}",
        mail.html
    );
    let link = link_token(&mail, "verify-email");

    // A forged token, and one of another purpose, are refused in the contract's shape.
    for forged in ["x".repeat(32), link.chars().rev().collect()] {
        let refused = verify(&app, &forged).await;
        assert_eq!(refused.status, 400);
        assert!(refused.json()["error"]["fields"]["token"].is_string());
    }
    // Opened by another user, logged in: the link proves the mailbox, not who holds it. It
    // confirms the address for the account it was sent for, never for the one opening it.
    let other = app.sign_up("opener", PASSWORD).await;
    let verified = app
        .send(
            TestRequest::post("/email/verify")
                .token(&other)
                .json(&json!({"token": link})),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(me(&app, &other).await["email"], Value::Null);
    assert_eq!(verified.json()["email"], json!(email));
    let user = me(&app, &token).await;
    assert_eq!(user["email"], json!(email));
    assert_eq!(user["email_pending"], Value::Null);
    // Once only.
    assert_eq!(verify(&app, &link).await.status, 400);
    // Only its owner sees it: another user's profile has none of it.
    assert!(
        !app.send(TestRequest::get("/me").token(&other))
            .await
            .text()
            .contains(&email)
    );
    // The export has it.
    let export = app.send(TestRequest::get("/me/export").token(&token)).await;
    assert!(export.text().contains(&email));
}

#[tokio::test]
async fn an_expired_or_replaced_link_does_nothing() {
    let app = app().await;
    let token = app.sign_up("jun", PASSWORD).await;
    let first = address("jun");
    ask_for(&app, &token, &first).await;
    let stale = link_token(&mail_with(&first, 1).await, "verify-email");
    // Replaced: a newer address asked for.
    let second = address("jun2");
    ask_for(&app, &token, &second).await;
    assert_eq!(verify(&app, &stale).await.status, 400);
    let current = link_token(&mail_with(&second, 1).await, "verify-email");
    // Expired: a day later.
    app.state.clock.advance(time::Duration::hours(25));
    assert_eq!(verify(&app, &current).await.status, 400);
    let user = app.state.store.get_user("jun").await.unwrap().unwrap();
    assert_eq!(user.email, None);
}

#[tokio::test]
async fn changing_the_address_needs_fresh_authentication_and_tells_the_old_one() {
    let app = app().await;
    let old = address("sora");
    let token = verified_user(&app, "sora", &old).await;
    app.state.clock.advance(time::Duration::minutes(11));
    let new = address("sora-new");
    let bare = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"email": new})),
        )
        .await;
    assert_eq!(bare.status, 403, "{}", bare.text());
    assert_eq!(bare.error_code(), "reauthentication_required");
    let wrong = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"email": new, "password": "not the password"})),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        mail_server().mails_to(&new).is_empty(),
        "nothing sent before it was confirmed"
    );

    assert_eq!(ask_for(&app, &token, &new).await.status, 200);
    // Until the new one is verified, the old one stays the account's.
    assert_eq!(me(&app, &token).await["email"], json!(old));
    verify(&app, &link_token(&mail_with(&new, 1).await, "verify-email")).await;
    assert_eq!(me(&app, &token).await["email"], json!(new));
    let notice = mail_with(&old, 2).await;
    assert!(notice.text.contains("***@example.com"), "{}", notice.text);
    assert!(
        !notice.text.contains(&new),
        "the new address is not given away"
    );

    // The old address is free again; the new one is this account's alone.
    let taker = app.sign_up("taker", PASSWORD).await;
    assert_eq!(ask_for(&app, &taker, &new).await.status, 200);
    let taken = verify(&app, &link_token(&mail_with(&new, 2).await, "verify-email")).await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.error_code(), "email_taken");
    assert_eq!(ask_for(&app, &taker, &old).await.status, 200);
    let freed = verify(&app, &link_token(&mail_with(&old, 3).await, "verify-email")).await;
    assert_eq!(freed.status, 200, "{}", freed.text());
}

#[tokio::test]
async fn bad_addresses_and_reminders_are_refused_in_the_contracts_shape() {
    let app = app().await;
    let token = app.sign_up("hana", PASSWORD).await;
    for bad in [
        json!({"email": "hana"}),
        json!({"email": "a@b"}),
        json!({"email": 7}),
    ] {
        let refused = app
            .send(TestRequest::patch("/me").token(&token).json(&bad))
            .await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.text());
    }
    let hour = app
        .send(
            TestRequest::patch("/me")
                .token(&token)
                .json(&json!({"reminders": {"daily": true, "weekly": false, "hour": 24}})),
        )
        .await;
    assert_eq!(hour.status, 400);
    assert!(hour.json()["error"]["fields"]["reminders"].is_string());
    // Without mail, an address cannot be verified: said plainly, nothing stored.
    let no_mail = TestApp::spawn().await;
    let token = no_mail.sign_up("hana", PASSWORD).await;
    let off = ask_for(&no_mail, &token, &address("hana")).await;
    assert_eq!(off.status, 503, "{}", off.text());
    assert_eq!(off.error_code(), "mail_unavailable");
    assert_eq!(me(&no_mail, &token).await["email_pending"], Value::Null);
}

async fn request_reset(app: &TestApp, login: &str, ip: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = app
        .send(
            TestRequest::post("/password-reset")
                .from_ip(ip)
                .json(&json!({"login": login})),
        )
        .await;
    (response.status, response.json(), started.elapsed())
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = app().await;
    let email = address("dami");
    let token = verified_user(&app, "dami", &email).await;
    let other_session = app
        .send(TestRequest::post("/auth").json(&json!({"username": "dami", "password": PASSWORD})))
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, _, _) = request_reset(&app, "DAMI", "198.51.100.1").await;
    assert_eq!(status, 202);
    let mail = mail_with(&email, 2).await;
    assert!(
        mail.text.contains("dami"),
        "names the account: {}",
        mail.text
    );
    let reset = link_token(&mail, "reset-password");
    let weak = app
        .send(
            TestRequest::post("/password-reset/confirm")
                .json(&json!({"token": reset, "new_password": "short"})),
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.json()["error"]["fields"]["new_password"].is_string());
    let done = app
        .send(
            TestRequest::post("/password-reset/confirm")
                .json(&json!({"token": reset, "new_password": "a brand new password"})),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let fresh = done.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &fresh).await["username"], "dami");
    for ended in [&token, &other_session] {
        let gone = app.send(TestRequest::get("/me").token(ended)).await;
        assert_eq!(gone.status, 401, "every earlier session ended");
    }
    let login = |password: &str| {
        TestRequest::post("/auth").json(&json!({"username": "dami", "password": password}))
    };
    assert_eq!(app.send(login(PASSWORD)).await.status, 401);
    assert_eq!(app.send(login("a brand new password")).await.status, 200);
    // Single use.
    let again = app
        .send(
            TestRequest::post("/password-reset/confirm")
                .json(&json!({"token": reset, "new_password": "yet another password"})),
        )
        .await;
    assert_eq!(again.status, 400);

    // A link asked for before "log out everywhere" dies with the sessions.
    request_reset(&app, &email, "198.51.100.1").await;
    let later = link_token(&mail_with(&email, 3).await, "reset-password");
    app.send(TestRequest::delete("/me/sessions").token(&fresh))
        .await;
    let dead = app
        .send(
            TestRequest::post("/password-reset/confirm")
                .json(&json!({"token": later, "new_password": "yet another password"})),
        )
        .await;
    assert_eq!(dead.status, 400);
}

#[tokio::test]
async fn a_reset_request_says_nothing_of_whether_the_account_exists() {
    let app = app().await;
    let email = address("kira");
    verified_user(&app, "kira", &email).await;
    app.sign_up("nomail", PASSWORD).await;
    let mut times = Vec::new();
    let mut bodies = Vec::new();
    for login in [
        "kira",
        email.as_str(),
        "nomail",
        "nobody-here",
        "nobody@example.com",
    ] {
        let (status, body, took) = request_reset(&app, login, "198.51.100.2").await;
        assert_eq!(status, 202, "{login}");
        bodies.push(body);
        times.push(took);
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );
    let slowest = times.iter().max().unwrap();
    let fastest = times.iter().min().unwrap();
    assert!(
        *fastest >= rolechat::services::email::RESET_REQUEST_FLOOR,
        "{times:?}"
    );
    assert!(
        *slowest - *fastest < Duration::from_millis(150),
        "found and unknown accounts take the same time: {times:?}"
    );
    // Only the real account's address got mail: two links.
    assert_eq!(
        mail_with(&email, 3).await.subject,
        "Set a new password for Rolechat"
    );
    let bad = app
        .send(TestRequest::post("/password-reset").json(&json!({"login": ""})))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn reset_requests_are_counted_per_address_and_per_account() {
    // The counts are per calendar minute, and four requests take over three seconds (each is
    // held to the reset floor): at noon on the app's clock all of them fall in one minute.
    let app = TestApp::spawn_at_noon(
        &[
            mail_settings().as_slice(),
            &[("ROLECHAT_AUTH_RATE_PER_MINUTE", "3")],
        ]
        .concat(),
    )
    .await;
    let email = address("rui");
    verified_user(&app, "rui", &email).await;
    for _ in 0..3 {
        assert_eq!(request_reset(&app, "rui", "198.51.100.3").await.0, 202);
    }
    let (status, body, _) = request_reset(&app, "rui", "198.51.100.3").await;
    assert_eq!(status, 429, "{body}");
    // From elsewhere it goes on, but the mailbox gets at most five links an hour.
    for ip in ["198.51.100.4", "198.51.100.5", "198.51.100.6"] {
        assert_eq!(request_reset(&app, "rui", ip).await.0, 202);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resets = mail_server()
        .mails_to(&email)
        .iter()
        .filter(|m| m.text.contains("reset-password"))
        .count();
    assert_eq!(resets, rolechat::services::email::MAILS_PER_HOUR as usize);
}

/// Turns reminders on at `hour` (their time) in `zone`.
async fn remind_at(app: &TestApp, token: &str, zone: &str, hour: u8, weekly: bool) {
    let response = app
        .send(TestRequest::patch("/me").token(token).json(&json!({
            "time_zone": zone,
            "reminders": {"daily": true, "weekly": weekly, "hour": hour},
        })))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
}

async fn run(app: &TestApp) -> rolechat::services::reminders::RunReport {
    rolechat::services::reminders::run(&app.state, Duration::from_secs(60))
        .await
        .expect("the run")
}

fn reminders_to(email: &str) -> usize {
    mail_server()
        .mails_to(email)
        .iter()
        .filter(|mail| mail.header("List-Unsubscribe").is_some())
        .count()
}

#[tokio::test]
async fn reminders_come_at_each_learners_hour_across_midnight_once_a_day() {
    let app = app_at(upcoming(time::Weekday::Thursday, 9)).await;
    let seoul = address("seoul");
    let new_york = address("ny");
    let los_angeles = address("la");
    let s = verified_user(&app, "seoul", &seoul).await;
    let n = verified_user(&app, "newyork", &new_york).await;
    let l = verified_user(&app, "losangeles", &los_angeles).await;
    remind_at(&app, &s, "Asia/Seoul", 19, false).await; // 10:00 UTC
    remind_at(&app, &n, "America/New_York", 7, false).await; // 12:00 UTC, tomorrow
    remind_at(&app, &l, "America/Los_Angeles", 23, false).await; // 07:00 UTC, tomorrow

    assert_eq!(run(&app).await.daily_sent, 0, "09:30: nobody's hour");
    app.state.clock.advance(time::Duration::minutes(40)); // 10:10
    let report = run(&app).await;
    assert_eq!(report.daily_sent, 1, "{report:?}");
    assert_eq!(reminders_to(&seoul), 1);
    // A run again (a retry) in the same hour sends nothing more.
    let again = run(&app).await;
    assert_eq!(again.daily_sent, 0, "{again:?}");
    assert_eq!(reminders_to(&seoul), 1);

    app.state.clock.advance(time::Duration::hours(21)); // Friday 07:10 UTC
    run(&app).await;
    assert_eq!(
        reminders_to(&los_angeles),
        1,
        "23:10 Thursday in Los Angeles"
    );
    assert_eq!(reminders_to(&new_york), 0);
    app.state.clock.advance(time::Duration::hours(5)); // 12:10
    run(&app).await;
    assert_eq!(reminders_to(&new_york), 1);
    assert_eq!(
        reminders_to(&seoul),
        2,
        "Seoul's Friday (the 10:00 run was missed, caught up)"
    );

    let mail = &mail_server().mails_to(&new_york)[1];
    assert!(
        mail.text.contains("Today's goal is still open"),
        "{}",
        mail.text
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
}

#[tokio::test]
async fn a_daylight_saving_change_keeps_the_local_hour() {
    // Berlin leaves summer time on the Sunday: 08:00 is 06:00 UTC, then 07:00 UTC.
    let app = app_at(before_summer_time_ends()).await;
    let email = address("berlin");
    let token = verified_user(&app, "berlin", &email).await;
    remind_at(&app, &token, "Europe/Berlin", 8, false).await;
    app.state.clock.advance(time::Duration::minutes(40)); // Saturday 06:10 UTC = 08:10
    run(&app).await;
    assert_eq!(reminders_to(&email), 1);
    app.state.clock.advance(time::Duration::hours(24)); // Sunday 06:10 UTC = 07:10 local
    run(&app).await;
    assert_eq!(reminders_to(&email), 1, "07:10 in Berlin is not the hour");
    app.state.clock.advance(time::Duration::hours(1)); // 07:10 UTC = 08:10 local
    run(&app).await;
    assert_eq!(reminders_to(&email), 2);
}

#[tokio::test]
async fn a_reminder_that_could_not_go_goes_with_the_next_run_and_only_then() {
    let app = app_at(upcoming(time::Weekday::Thursday, 9)).await;
    let email = address("retry");
    let token = verified_user(&app, "retry", &email).await;
    remind_at(&app, &token, "UTC", 10, false).await;
    app.state.clock.advance(time::Duration::minutes(40));
    // The same tables and clock, with a mail server that is not there.
    let mut config = app.state.config.clone();
    config.mail.transport = rolechat::mail::MailTransport::Smtp("smtp://127.0.0.1:9".into());
    let down = rolechat::AppState::with_mailer(
        config,
        app.state.store.clone(),
        &rolechat_tests::JWT_SECRET.into(),
        None,
        app.state.clock.clone(),
        rolechat::mail::Mailer::smtp("smtp://127.0.0.1:9").unwrap(),
    );
    let failed = rolechat::services::reminders::run(&down, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((failed.retry, failed.daily_sent), (1, 0), "{failed:?}");
    assert_eq!(reminders_to(&email), 0);
    assert_eq!(run(&app).await.daily_sent, 1);
    assert_eq!(run(&app).await.daily_sent, 0);
    assert_eq!(reminders_to(&email), 1);
}

#[tokio::test]
async fn one_click_unsubscribe_needs_no_login_and_stops_the_reminders() {
    let app = app_at(upcoming(time::Weekday::Thursday, 9)).await;
    let email = address("stop");
    let token = verified_user(&app, "stop", &email).await;
    remind_at(&app, &token, "UTC", 10, true).await;
    app.state.clock.advance(time::Duration::minutes(40));
    run(&app).await;
    let mail = mail_with(&email, 2).await;
    let header = mail.header("List-Unsubscribe").expect("the header");
    let url = header.trim_start_matches('<').trim_end_matches('>');
    let path = url
        .strip_prefix("http://api.test")
        .expect("the API's address");
    // Forged: refused.
    let forged = app
        .send(
            TestRequest::post("/email/unsubscribe?token=forged").raw("List-Unsubscribe=One-Click"),
        )
        .await;
    assert_eq!(forged.status, 400);
    // As a mail client sends it: a form body, no token of a session.
    let done = app
        .send(
            TestRequest::post(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw("List-Unsubscribe=One-Click"),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    let reminders = &me(&app, &token).await["reminders"];
    assert_eq!(
        reminders,
        &json!({"daily": false, "weekly": false, "hour": 10})
    );
    app.state.clock.advance(time::Duration::days(1));
    assert_eq!(run(&app).await.due, 0, "off the index");
    assert_eq!(reminders_to(&email), 1);
}

#[tokio::test]
async fn a_bounce_stops_mail_and_deletion_frees_the_address() {
    let app = app_at(upcoming(time::Weekday::Thursday, 9)).await;
    let email = address("bounce");
    let token = verified_user(&app, "bounce", &email).await;
    remind_at(&app, &token, "UTC", 10, false).await;
    // What SES publishes through SNS for a permanent bounce.
    let message = json!({
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                   "bouncedRecipients": [{"emailAddress": email.to_uppercase()}]},
        "mail": {"destination": [email]},
    });
    let event =
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": message.to_string()}}]});
    let stopped = rolechat::services::reminders::mail_events(&app.state, event)
        .await
        .unwrap();
    assert_eq!(stopped, 1);
    assert_eq!(me(&app, &token).await["email_bounced"], json!(true));
    app.state.clock.advance(time::Duration::minutes(40));
    assert_eq!(run(&app).await.daily_sent, 0);
    let (status, _, _) = request_reset(&app, "bounce", "198.51.100.9").await;
    assert_eq!(status, 202);
    assert_eq!(
        mail_server().mails_to(&email).len(),
        1,
        "only the verification ever went"
    );

    // Deleting the account frees the address.
    let deleted = app
        .send(
            TestRequest::delete("/me")
                .token(&token)
                .json(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status, 204);
    let next = app.sign_up("after", PASSWORD).await;
    ask_for(&app, &next, &email).await;
    let verified = verify(
        &app,
        &link_token(&mail_with(&email, 2).await, "verify-email"),
    )
    .await;
    assert_eq!(verified.status, 200, "{}", verified.text());
}

/// An app sending through the SES stand-in, from `from`, naming `configuration_set`.
async fn ses_app(ses: &FakeSes, from: &str, configuration_set: &str) -> TestApp {
    TestApp::spawn_with(&[
        ("ROLECHAT_MAIL", "ses"),
        ("ROLECHAT_SES_ENDPOINT", ses.url.as_str()),
        ("ROLECHAT_MAIL_FROM", from),
        ("ROLECHAT_SES_CONFIGURATION_SET", configuration_set),
    ])
    .await
}

#[tokio::test]
async fn in_aws_mail_goes_through_ses_v2_with_the_configuration_set() {
    let ses = FakeSes::start(&["rolechat.example"], &["rolechat-mail"], false).await;
    let app = ses_app(
        &ses,
        "Rolechat <no-reply@rolechat.example>",
        "rolechat-mail",
    )
    .await;
    let token = app.sign_up("sesuser", PASSWORD).await;
    let asked = ask_for(&app, &token, "learner@elsewhere.example").await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    let sent = ses.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].configuration_set.as_deref(), Some("rolechat-mail"));
    let message = mail_parser::MessageParser::default()
        .parse(&sent[0].raw)
        .unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    let link = text
        .split_whitespace()
        .find_map(|word| {
            word.split_once("/#/verify-email?token=")
                .map(|(_, t)| t.to_owned())
        })
        .expect("the link");
    assert_eq!(verify(&app, &link).await.status, 200);
    assert_eq!(me(&app, &token).await["email"], "learner@elsewhere.example");

    // Throttled once: the SDK's own retry sends it.
    ses.fail_next(SesFailure::Throttled);
    assert_eq!(
        ask_for(&app, &token, "first@elsewhere.example")
            .await
            .status,
        200
    );
    assert_eq!(ses.sent().len(), 2);
    // Throttled past the SDK's three attempts: the learner is told to try again; the address
    // waits, and asking again sends.
    for _ in 0..3 {
        ses.fail_next(SesFailure::Throttled);
    }
    let throttled = ask_for(&app, &token, "second@elsewhere.example").await;
    assert_eq!(throttled.status, 503, "{}", throttled.text());
    assert_eq!(throttled.error_code(), "mail_unavailable");
    assert_eq!(
        ask_for(&app, &token, "second@elsewhere.example")
            .await
            .status,
        200
    );
    assert_eq!(ses.sent().len(), 3);
}

#[tokio::test]
async fn what_ses_refuses_for_the_deployments_setup_is_not_blamed_on_the_learner() {
    // In the sandbox, a recipient must be verified too.
    let sandbox = FakeSes::start(&["rolechat.example"], &["rolechat-mail"], true).await;
    let unverified_sender = FakeSes::start(&["other.example"], &["rolechat-mail"], false).await;
    let cases = [
        (&sandbox, "rolechat-mail"),
        (&unverified_sender, "rolechat-mail"),
        (&sandbox, "no-such-set"),
    ];
    for (ses, configuration_set) in cases {
        let app = ses_app(
            ses,
            "Rolechat <no-reply@rolechat.example>",
            configuration_set,
        )
        .await;
        let token = app.sign_up("refused", PASSWORD).await;
        let refused = ask_for(&app, &token, "learner@elsewhere.example").await;
        assert_eq!(refused.status, 503, "{}", refused.text());
        assert_eq!(refused.error_code(), "mail_unavailable");
        assert!(
            refused.json()["error"].get("fields").is_none(),
            "not the address's fault"
        );
        assert!(
            !refused.text().contains("identities"),
            "SES's words stay in the logs"
        );
    }
    assert!(sandbox.sent().is_empty() && unverified_sender.sent().is_empty());
}

#[tokio::test]
async fn a_users_table_made_before_reminders_gets_their_index_with_its_items() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    let client = rolechat::state::local_dynamodb_client(rolechat_tests::embedded_dynamodb());
    let prefix = format!("old{}-", ulid::Ulid::new().to_string().to_lowercase());
    let users = format!("{prefix}users");
    // The users table as an older version made it: no index.
    client
        .create_table()
        .table_name(&users)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name(&users)
        .item("pk", AttributeValue::S("early".into()))
        .item("remind_slot", AttributeValue::S("2026-12-03T10:00".into()))
        .send()
        .await
        .unwrap();
    let created = rolechat::store::schema::ensure_tables(&client, &prefix)
        .await
        .unwrap();
    assert!(!created.contains(&users), "the table was kept");
    let store = rolechat::store::Store::new(client, rolechat::store::Tables::with_prefix(&prefix));
    let (keys, _) = store
        .reminders_in_slot("2026-12-03T10:00", None)
        .await
        .unwrap();
    assert_eq!(keys, ["early"]);
}
