//! `rolechat serve`: the site and every route from one process and one origin, its data kept
//! across restarts, and the tables moved out of it with `export` and `import`. (The whole API
//! suite also runs through it: `ROLECHAT_TEST_SERVER=one`.)

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rolechat::store::schema::{ALL_TABLES, ensure_tables};
use rolechat_server::{Options, Server};
use rolechat_tests::{TestApp, TestRequest, assert_error_shape};
use serde_json::{Value, json};

fn options(data: &Path, site: Option<&Path>) -> Options {
    Options::parse(
        &[
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data".into(),
            data.display().to_string(),
        ],
        |_| None,
    )
    .map(|options| Options {
        site_dir: site.map(Path::to_path_buf),
        ..options
    })
    .unwrap()
}

/// The environment of a server with no model (the offline tutor) and nothing else set.
fn bare(name: &str) -> Option<String> {
    match name {
        "ROLECHAT_OFFLINE_WORD_DELAY_MS" => Some("1".into()),
        _ => None,
    }
}

/// A new learner (`name`) with a room made from `setup` in which they said `line`: their token
/// and the room's id.
async fn learner_who_said(
    app: &TestApp,
    name: &str,
    setup: &Value,
    line: &str,
) -> (String, String) {
    let token = app.sign_up(name, &format!("{name}'s long password")).await;
    let room = app.create_room(&token, setup).await;
    let turn = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({"content": line})),
        )
        .await;
    assert_eq!(turn.status, 201, "{}", turn.text());
    (token, room)
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rolechat-{name}-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn one_process_serves_the_site_and_the_api_from_one_origin_and_keeps_logins_over_a_restart() {
    let data = temp_dir("one-data");
    let site = temp_dir("one-site");
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>Rolechat</title>",
    )
    .unwrap();
    std::fs::create_dir(site.join("assets")).unwrap();
    std::fs::write(site.join("assets/app.js"), "console.log('hi')").unwrap();
    std::fs::write(
        site.join("config.json"),
        r#"{"api_base_url": "http://stale"}"#,
    )
    .unwrap();

    // A site directory with no site in it is refused at start, not served as 404s.
    let empty = temp_dir("no-site");
    let error = Server::start(options(&data, Some(&empty)), bare)
        .await
        .err()
        .unwrap();
    assert!(error.contains("holds no site"), "{error}");

    let server = Server::start(options(&data, Some(&site)), bare)
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    let page = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self'")
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<title>Rolechat</title>")
    );
    let script = http
        .get(format!("{url}/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.text().await.unwrap(), "console.log('hi')");

    // The site's configuration names this server, whatever a stale file says.
    let config: Value = http
        .get(format!("{url}/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config, json!({"api_base_url": url}));

    // The API on the same origin; a path nothing serves is the API's 404.
    let health = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let nowhere = http
        .get(format!("{url}/assets/none.js"))
        .send()
        .await
        .unwrap();
    let (status, headers) = (nowhere.status().as_u16(), nowhere.headers().clone());
    assert_eq!(status, 404);
    assert_error_shape(status, &headers, &nowhere.bytes().await.unwrap());

    let signup: Value = http
        .post(format!("{url}/signup"))
        .json(&json!({"username": "uma", "password": "uma's long password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = signup["access_token"].as_str().unwrap().to_owned();

    // A body past any the API takes is refused in the contract's shape, not read to the end.
    let huge = http
        .post(format!("{url}/rooms"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 11 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    let (status, headers) = (huge.status().as_u16(), huge.headers().clone());
    assert_eq!(status, 413);
    assert_error_shape(status, &headers, &huge.bytes().await.unwrap());

    // The signing key and the tables are the data directory's, the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    for file in ["jwt-secret", "dynamodb.sqlite3"] {
        let mode = std::fs::metadata(data.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    server.stop().await.unwrap();

    // Started again on the same data: the learner is still logged in.
    let again = Server::start(options(&data, None), bare).await.unwrap();
    let me = http
        .get(format!("http://{}/auth", again.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "{}", me.text().await.unwrap());
    // Without a site, `/` is the API's.
    let root = http
        .get(format!("http://{}/", again.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(root.status(), 404);
    again.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&site);
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn options_come_from_the_arguments_then_the_environment() {
    let env = |name: &str| match name {
        "ROLECHAT_LISTEN" => Some("0.0.0.0:9000".to_owned()),
        "ROLECHAT_DATA_DIR" => Some("/var/lib/rolechat".to_owned()),
        "ROLECHAT_PUBLIC_URL" => Some("https://tutor.example.org/".to_owned()),
        "ROLECHAT_TRUSTED_PROXIES" => Some("127.0.0.1, ::1".to_owned()),
        _ => None,
    };
    let options = Options::parse(&["--listen".into(), "127.0.0.1:7000".into()], env).unwrap();
    assert_eq!(options.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(options.data_dir, Path::new("/var/lib/rolechat"));
    assert_eq!(options.base_url(), "https://tutor.example.org");
    assert_eq!(options.trusted_proxies.len(), 2);

    let plain = Options::parse(&[], |_| None).unwrap();
    assert_eq!(plain.base_url(), "http://127.0.0.1:8080");
    assert_eq!(plain.site_dir, None);

    for (args, env_value, expected) in [
        (vec!["--listen"], None, "--listen needs a value"),
        (vec!["--port", "1"], None, "unknown argument `--port`"),
        (
            vec!["--listen", "localhost"],
            None,
            "is not an address and port",
        ),
        (vec![], Some("ftp://x"), "is not an http(s) URL"),
    ] {
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let error = Options::parse(&args, |name| {
            (name == "ROLECHAT_PUBLIC_URL")
                .then(|| env_value.map(str::to_owned))
                .flatten()
        })
        .unwrap_err();
        assert!(error.contains(expected), "{args:?}: {error}");
    }
    let error = Options::parse(&[], |name| {
        (name == "ROLECHAT_TRUSTED_PROXIES").then(|| "10.0.0.1, proxy".to_owned())
    })
    .unwrap_err();
    assert!(error.contains("`proxy` is not an IP address"), "{error}");
}

/// Every item of every table, by table, as DynamoDB JSON.
async fn contents(app: &TestApp, prefix: &str) -> BTreeMap<&'static str, Vec<String>> {
    let mut all = BTreeMap::new();
    for table in ALL_TABLES {
        let mut items: Vec<String> = app
            .dynamodb
            .scan()
            .table_name(table.table_name(prefix))
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|item: Result<HashMap<_, _>, _>| {
                rolechat_server::tables::item_json(&item.unwrap()).to_string()
            })
            .collect();
        items.sort();
        all.insert(table.name, items);
    }
    all
}

#[tokio::test]
async fn export_then_import_moves_every_table_item_for_item() {
    let app = TestApp::spawn().await;
    let setup = json!({"language": "es-ES", "level": "A2", "situation": "En el mercado",
                       "my_role": "una clienta", "gpt_role": "un vendedor"});
    learner_who_said(&app, "ines", &setup, "Quiero dos kilos de tomates.").await;

    let dir = temp_dir("export");
    let prefix = app.tables.users.strip_suffix("users").unwrap().to_owned();
    let exported = rolechat_server::tables::export(&app.dynamodb, &prefix, &dir)
        .await
        .unwrap();
    assert!(
        exported
            .iter()
            .any(|(table, n)| *table == "rooms" && *n >= 3)
    );

    let target = format!("{prefix}moved-");
    ensure_tables(&app.dynamodb, &target).await.unwrap();
    let imported = rolechat_server::tables::import(&app.dynamodb, &target, &dir)
        .await
        .unwrap();
    assert_eq!(imported, exported);
    assert_eq!(contents(&app, &target).await, contents(&app, &prefix).await);

    // A directory with no export in it is refused rather than imported as nothing.
    let empty = temp_dir("empty");
    let error = rolechat_server::tables::import(&app.dynamodb, &target, &empty)
        .await
        .unwrap_err();
    assert!(error.contains("holds no exported table"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&empty);
}

/// A client that leaves mid-request does not cut its request short: it runs to its end, as a
/// function does in Lambda. Cut short at an await, a learning aid's call kept its slot (taken
/// before the model call, given back after it) until the slot lapsed, and a learner who gave up
/// waiting twice was refused (`429`) for minutes.
#[tokio::test]
async fn a_client_leaving_mid_request_does_not_leave_its_work_half_done() {
    let app = TestApp::spawn_with(&[("ROLECHAT_CONCURRENT_AIDS", "2")]).await;
    let setup = json!({"language": "en-US", "level": "B1", "situation": "Ordering coffee",
                       "my_role": "a customer", "gpt_role": "a barista"});
    let (token, room) = learner_who_said(&app, "leaver", &setup, "A coffee, please.").await;

    // The one process's own front over this app's state, whatever mode the suite runs in.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let (addr, _) = rolechat_server::Front::default()
        .serve(app.state.clone(), listener, stopped)
        .unwrap();
    let suggestions = format!("http://{addr}/rooms/{room}/suggestions?count=2&ui=en");
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let calls = app.model.requests().len();
    app.model
        .pause_answers(std::time::Duration::from_millis(1200));
    for _ in 0..2 {
        let left = impatient
            .post(&suggestions)
            .bearer_auth(&token)
            .send()
            .await;
        assert!(
            left.is_err_and(|error| error.is_timeout()),
            "the client gave up"
        );
    }
    app.model.pause_answers(std::time::Duration::ZERO);
    // Both calls go on to the model and end meanwhile; their slots are given back.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.model.requests().len() < calls + 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.model.requests().len(),
        calls + 2,
        "both calls reached the model"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let next = app
        .send(TestRequest::post(&format!("/rooms/{room}/suggestions?count=2&ui=en")).token(&token))
        .await;
    assert_eq!(next.status, 200, "{}", next.text());
}
