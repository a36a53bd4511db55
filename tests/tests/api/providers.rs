//! The tutor against servers that judge requests as real providers do (OpenAI's reasoning
//! models, a `json_object`-only provider, Mistral, llama-cpp-python) and answer at a real model's
//! length: every model task succeeds, through the provider's preset or by learning what the
//! server refuses; once learned, nothing refused is sent again. And what a provider's stream or
//! answer means: no finish reason, `error`, `content_filter`, a refusal, reasoning, a rate limit,
//! a spent quota.

use std::time::{Duration, Instant};

use super::model_streams::learner_and_room;
use rolechat_tests::fake_openai::{Behaviour, Ending, GPT5_EFFORTS, Judge, LUNA_EFFORTS, Shape};
use rolechat_tests::{TestApp, TestRequest, events};
use serde_json::{Value, json};

/// A server, and how the service is set up for it.
struct Setup {
    name: &'static str,
    judge: Judge,
    provider: &'static str,
    model: &'static str,
}

const SETUPS: &[Setup] = &[
    Setup {
        name: "OpenAI gpt-6-luna, preset",
        judge: Judge::OpenAiReasoning {
            efforts: LUNA_EFFORTS,
        },
        provider: "openai",
        model: "gpt-6-luna",
    },
    Setup {
        name: "OpenAI gpt-5 (no `none` effort), preset",
        judge: Judge::OpenAiReasoning {
            efforts: GPT5_EFFORTS,
        },
        provider: "openai",
        model: "gpt-5-mini",
    },
    Setup {
        name: "a reasoning model under a deployment name, learned",
        judge: Judge::OpenAiReasoning {
            efforts: LUNA_EFFORTS,
        },
        provider: "generic",
        model: "tutor-deployment",
    },
    Setup {
        name: "DeepSeek, preset",
        judge: Judge::JsonObjectOnly,
        provider: "deepseek",
        model: "deepseek-chat",
    },
    Setup {
        name: "a json_object-only server, learned",
        judge: Judge::JsonObjectOnly,
        provider: "generic",
        model: "some-model",
    },
    Setup {
        name: "Mistral, preset",
        judge: Judge::Mistral,
        provider: "mistral",
        model: "mistral-small-latest",
    },
    Setup {
        name: "Mistral's rules, learned",
        judge: Judge::Mistral,
        provider: "generic",
        model: "some-model",
    },
    Setup {
        name: "llama-cpp-python, preset",
        judge: Judge::LlamaCppPython,
        provider: "llama-cpp-python",
        model: "smollm2",
    },
    Setup {
        name: "llama-cpp-python's rules, learned",
        judge: Judge::LlamaCppPython,
        provider: "generic",
        model: "smollm2",
    },
];

async fn app_for(setup: &Setup) -> TestApp {
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_MODEL_PROVIDER", setup.provider),
        ("OPENAI_MODEL", setup.model),
        ("ROLECHAT_MODEL_TIMEOUT_SECONDS", "20"),
    ])
    .await;
    app.model.act_as(setup.judge);
    app.model.answer_at_real_length();
    app
}

fn post(token: &str, path: &str) -> TestRequest {
    TestRequest::post(path).token(token)
}

/// A turn in `room`, streamed or not: the reply, the learner line's feedback and the goals.
async fn turn(
    app: &TestApp,
    token: &str,
    room: &str,
    content: Option<&str>,
    streaming: bool,
) -> (Value, Option<Value>, Option<Value>) {
    let body = content.map_or(json!({}), |content| json!({"content": content}));
    let mut request = post(token, &format!("/rooms/{room}/messages?ui=ko")).json(&body);
    if streaming {
        request = request.header("accept", "text/event-stream");
    }
    let response = app.send(request).await;
    if !streaming {
        assert_eq!(response.status, 201, "{}", response.text());
        let body = response.json();
        let feedback = body["user_message"]["feedback"].clone();
        return (
            body["reply"].clone(),
            (!feedback.is_null()).then_some(feedback),
            body.get("goals").cloned(),
        );
    }
    assert_eq!(response.status, 200);
    let events = events(&response.body);
    let find = |name: &str| {
        events
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
    };
    assert!(find("error").is_none(), "{events:?}");
    (
        find("reply").expect("a reply"),
        find("feedback").map(|event| event["feedback"].clone()),
        find("goals").map(|event| event["goals"].clone()),
    )
}

/// Every model task once, as a learner would use them, checked to have succeeded.
async fn every_task(app: &TestApp, token: &str, room: &str, streaming: bool, word: &str) {
    let (opener, _, _) = turn(app, token, room, None, streaming).await;
    assert!(
        opener["content"]
            .as_str()
            .unwrap()
            .contains("いらっしゃいませ")
    );
    let (reply, feedback, goals) = turn(
        app,
        token,
        room,
        Some("コーヒーを一つください、ミルクがいります。#order"),
        streaming,
    )
    .await;
    assert!(!reply["content"].as_str().unwrap().is_empty());
    let feedback = feedback.expect("automatic feedback");
    assert_eq!(feedback["checked"], true);
    assert!(feedback["explanation"].as_str().unwrap().contains("부탁"));
    let goals = goals.expect("the goals after the reply");
    assert_eq!(goals[0]["id"], "order");
    assert_eq!(goals[0]["done"], true, "{goals}");

    let suggested = app
        .send(post(
            token,
            &format!("/rooms/{room}/suggestions?count=3&ui=ko"),
        ))
        .await;
    assert_eq!(suggested.status, 200, "{}", suggested.text());
    let suggestions = suggested.json()["suggestions"].as_array().unwrap().clone();
    assert_eq!(suggestions.len(), 3);
    assert!(suggestions.iter().all(|s| s["translation"].is_string()));

    let opener_id = opener["id"].as_str().unwrap();
    let translated = app
        .send(post(
            token,
            &format!("/rooms/{room}/messages/{opener_id}/translation?to=ko"),
        ))
        .await;
    assert_eq!(translated.status, 200, "{}", translated.text());
    assert!(
        translated.json()["translation"]["text"]
            .as_str()
            .unwrap()
            .contains("어서 오세요")
    );

    for (ui, words) in [("ko", "카페에서"), ("ja", "ホテル")] {
        let reported = app
            .send(post(token, &format!("/rooms/{room}/report?ui={ui}")))
            .await;
        assert_eq!(reported.status, 200, "{ui}: {}", reported.text());
        let report = &reported.json()["report"];
        assert!(
            report["summary"].as_str().unwrap().contains(words),
            "{report}"
        );
        assert_eq!(report["vocabulary"].as_array().unwrap().len(), 6);
        assert_eq!(report["next_steps"].as_array().unwrap().len(), 3);
        assert_eq!(
            report["mistakes"].as_array().unwrap().len(),
            1,
            "one learner line"
        );
    }

    let saved = app
        .send(post(token, "/vocabulary?ui=ko").json(&json!({"text": word, "language": "ja-JP"})))
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text());
    assert!(saved.json()["meaning"].as_str().unwrap().contains("포장"));
    assert_eq!(saved.json()["details"]["reading"], "おもちかえり");
}

#[tokio::test]
async fn every_task_works_against_each_providers_rules_and_a_learned_refusal_is_not_sent_again() {
    for setup in SETUPS {
        for streaming in [true, false] {
            let app = app_for(setup).await;
            let token = app.sign_up("mina", "mina's password").await;
            let room = app
                .create_room(
                    &token,
                    &json!({"scenario": "cafe-order", "language": "ja-JP", "level": "A2", "ui": "ko"}),
                )
                .await;
            every_task(&app, &token, &room, streaming, "お持ち帰り").await;
            let refused = app.model.refused().len();
            let sent = app.model.requests().len();

            // Another round of everything: nothing the server refused is sent again.
            let second = app
                .create_room(
                    &token,
                    &json!({"scenario": "cafe-order", "language": "ja-JP", "level": "A2", "ui": "ko"}),
                )
                .await;
            every_task(&app, &token, &second, streaming, "お会計").await;
            let name = setup.name;
            assert_eq!(
                app.model.refused().len(),
                refused,
                "{name}, streaming {streaming}: a learned refusal was sent again"
            );
            let requests = app.model.requests();
            // The opener (no goal check: the learner has said nothing), the turn with its
            // feedback and goal check, suggestions, a translation, two reports and a meaning:
            // nine calls, none refused.
            let what: Vec<String> = requests[sent..]
                .iter()
                .map(|r| {
                    let system = r["messages"][0]["content"].as_str().unwrap_or_default();
                    format!(
                        "{} {}",
                        r["stream"],
                        &system.chars().take(60).collect::<String>()
                    )
                })
                .collect();
            assert_eq!(
                requests.len() - sent,
                9,
                "{name}, streaming {streaming}: {what:#?}"
            );
            for request in &requests[sent..] {
                if matches!(setup.judge, Judge::OpenAiReasoning { .. }) {
                    assert!(request.get("temperature").is_none(), "{name}: {request}");
                    assert!(request.get("max_tokens").is_none(), "{name}: {request}");
                }
            }
            eprintln!(
                "{name}, streaming {streaming}: {refused} refusals learned in {sent} requests; \
                 none in the next {}",
                requests.len() - sent
            );
        }
    }
}

async fn stored_roles(app: &TestApp, token: &str, room: &str) -> Vec<String> {
    app.send(TestRequest::get(&format!("/rooms/{room}")).token(token))
        .await
        .json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_owned())
        .collect()
}

/// A failed turn's error: the status of the JSON reply, or the stream's `error` event.
async fn failed_turn(app: &TestApp, token: &str, room: &str, streaming: bool) -> Value {
    let mut request = post(token, &format!("/rooms/{room}/messages"))
        .json(&json!({"content": "A latte, please."}));
    if streaming {
        request = request.header("accept", "text/event-stream");
    }
    let response = app.send(request).await;
    if streaming {
        let events = events(&response.body);
        let (last, error) = events.last().unwrap();
        assert_eq!(last, "error", "{events:?}");
        assert!(events.iter().all(|(name, _)| name != "reply"));
        error.clone()
    } else {
        assert_eq!(response.status, 502, "{}", response.text());
        response.json()
    }
}

#[tokio::test]
async fn a_reply_without_a_proper_finish_is_never_stored_as_finished() {
    let cases = [
        (
            "[DONE] with no finish reason (an interrupted stream)",
            Behaviour::Shaped {
                text: "Hello, I'm your holiday vill".into(),
                shape: Shape {
                    ending: Ending::DoneWithoutFinish,
                    ..Shape::default()
                },
            },
        ),
        (
            "finish_reason error",
            Behaviour::Shaped {
                text: "Hello, I'm your".into(),
                shape: Shape {
                    finish_reason: "error",
                    ..Shape::default()
                },
            },
        ),
        (
            "finish_reason content_filter",
            Behaviour::Shaped {
                text: "Hello, I'm".into(),
                shape: Shape {
                    finish_reason: "content_filter",
                    ..Shape::default()
                },
            },
        ),
        (
            "an error inside the stream",
            Behaviour::FailMidStream { pieces: 3 },
        ),
        (
            "a refusal",
            Behaviour::Refusal("I'm sorry, I can't help with that.".into()),
        ),
    ];
    for streaming in [true, false] {
        for (name, behaviour) in &cases {
            let app = TestApp::spawn_with(&[("ROLECHAT_MODEL_RETRIES", "0")]).await;
            let (token, room) = learner_and_room(&app).await;
            app.model.then(behaviour.clone());
            let error = failed_turn(&app, &token, &room, streaming).await;
            assert_eq!(error["error"]["code"], "upstream_error", "{name}: {error}");
            if name.contains("refusal") || name.contains("content_filter") {
                assert!(
                    error["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("declined"),
                    "{name}: {error}"
                );
            }
            assert_eq!(
                stored_roles(&app, &token, &room).await,
                ["user"],
                "{name}, streaming {streaming}: the learner's line stays, no partial reply"
            );
            // `{}` asks for the reply again, and this time it comes.
            let retried = app
                .send(post(&token, &format!("/rooms/{room}/messages")).json(&json!({})))
                .await;
            assert_eq!(retried.status, 201, "{name}: {}", retried.text());
        }
    }
}

#[tokio::test]
async fn a_refused_structured_answer_is_its_own_error() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_and_room(&app).await;
    app.model.then(Behaviour::reply("Hi! What can I get you?"));
    let turn = app
        .send(post(&token, &format!("/rooms/{room}/messages")).json(&json!({"content": "Hi"})))
        .await
        .json();
    let line = turn["user_message"]["id"].as_str().unwrap();
    app.model
        .then(Behaviour::Refusal("I can't assist with that.".into()));
    let refused = app
        .send(post(
            &token,
            &format!("/rooms/{room}/messages/{line}/feedback"),
        ))
        .await;
    assert_eq!(refused.status, 502);
    assert_eq!(refused.error_code(), "upstream_error");
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("declined")
    );
    assert_eq!(
        app.model.requests().len(),
        2,
        "a refusal is not asked again"
    );
}

#[tokio::test]
async fn a_reasoning_model_that_thinks_past_the_first_token_deadline_is_alive() {
    let app = TestApp::spawn_with(&[
        ("ROLECHAT_MODEL_FIRST_TOKEN_SECONDS", "1"),
        ("ROLECHAT_MODEL_IDLE_SECONDS", "1"),
    ])
    .await;
    let (token, room) = learner_and_room(&app).await;
    // Half a second past the deadline: the reasoning it streams keeps the call alive.
    app.model.then(Behaviour::Thinking {
        thinking: Duration::from_millis(1500),
        text: "Sure, one latte coming up.".into(),
    });
    let response = app
        .send(
            post(&token, &format!("/rooms/{room}/messages"))
                .json(&json!({"content": "A latte, please."}))
                .header("accept", "text/event-stream"),
        )
        .await;
    let events = events(&response.body);
    assert_eq!(events.last().unwrap().0, "reply", "{events:?}");
    assert_eq!(
        events.last().unwrap().1["content"],
        "Sure, one latte coming up."
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_spent_quota_is_not_retried() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_and_room(&app).await;
    app.model.then(Behaviour::RateLimited { retry_after: 1 });
    app.model.then(Behaviour::reply("Here you are."));
    let started = Instant::now();
    let response = app
        .send(post(&token, &format!("/rooms/{room}/messages")).json(&json!({"content": "Hi"})))
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    let arrivals = app.model.arrivals();
    let waited = arrivals[1] - arrivals[0];
    assert!(
        waited >= Duration::from_millis(950),
        "waited {waited:?}, not the server's second"
    );
    assert!(started.elapsed() < Duration::from_secs(4));

    let before = app.model.requests().len();
    app.model.then(Behaviour::QuotaExhausted);
    let error = failed_turn(&app, &token, &room, false).await;
    assert_eq!(error["error"]["code"], "upstream_error");
    assert_eq!(
        app.model.requests().len() - before,
        1,
        "a spent quota is not asked again"
    );

    // A refusal the client cannot act on (a 400 naming nothing it sent) is not retried either.
    let before = app.model.requests().len();
    app.model.then(Behaviour::Status(400));
    failed_turn(&app, &token, &room, false).await;
    assert_eq!(app.model.requests().len() - before, 1);
}

#[tokio::test]
async fn a_structured_answer_cut_at_its_budget_is_asked_again_with_twice_the_budget() {
    let app = TestApp::spawn().await;
    let (token, room) = learner_and_room(&app).await;
    app.model.then(Behaviour::reply("What can I get you?"));
    app.send(post(&token, &format!("/rooms/{room}/messages")).json(&json!({"content": "Hi"})))
        .await;
    let before = app.model.requests().len();
    app.model.then(Behaviour::Shaped {
        text: r#"{"summary": "The learner gree"#.into(),
        shape: Shape {
            finish_reason: "length",
            ..Shape::default()
        },
    });
    let reported = app
        .send(post(&token, &format!("/rooms/{room}/report?ui=en")))
        .await;
    assert_eq!(reported.status, 200, "{}", reported.text());
    let requests = &app.model.requests()[before..];
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1]["max_tokens"].as_u64().unwrap(),
        2 * requests[0]["max_tokens"].as_u64().unwrap()
    );

    // Cut at twice the budget too: an error, and no report half-made.
    app.model.then(Behaviour::reply("Sure."));
    app.send(post(&token, &format!("/rooms/{room}/messages")).json(&json!({"content": "Thanks"})))
        .await;
    for _ in 0..2 {
        app.model.then(Behaviour::Shaped {
            text: r#"{"summary": "The lear"#.into(),
            shape: Shape {
                finish_reason: "length",
                ..Shape::default()
            },
        });
    }
    let cut = app
        .send(post(&token, &format!("/rooms/{room}/report?ui=en")))
        .await;
    assert_eq!(cut.status, 502);
    let room_now = app
        .send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
        .await
        .json();
    assert_eq!(
        room_now["report"]["message_count"], 2,
        "the earlier report stays"
    );
}

/// Each task's default budget against the longest realistic answer of it, counted in o200k
/// tokens (OpenAI's current tokenizer): the answers a good model gives, in Korean and Japanese,
/// which take the most tokens (`tests/fixtures/answers`). Prints the table the budgets were
/// sized from; fails if an answer would not fit with room to spare.
#[test]
fn budgets_fit_real_answers_with_room_to_spare() {
    use rolechat::tutor::task::Task;
    use rolechat_tests::fake_openai::tokens;
    let others: Value =
        serde_json::from_str(include_str!("../../fixtures/answers/other-tasks.json")).unwrap();
    let compact = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let answers = [
        (Task::Opener, "opener (ja)", compact(&others["opener"])),
        (Task::Reply, "reply, C2 (ja)", compact(&others["reply_c2"])),
        (
            Task::Feedback,
            "feedback (ko)",
            compact(&others["feedback"]),
        ),
        (Task::GoalCheck, "goal check", compact(&others["goals"])),
        (
            Task::Suggestions,
            "3 suggestions (ja/ko)",
            compact(&others["suggestions"]),
        ),
        (
            Task::Translation,
            "translation (ko)",
            compact(&others["translation"]),
        ),
        (
            Task::Report,
            "report (ko)",
            include_str!("../../fixtures/answers/report-ko.json").to_owned(),
        ),
        (
            Task::Report,
            "report (ja)",
            include_str!("../../fixtures/answers/report-ja.json").to_owned(),
        ),
        (Task::Meaning, "meaning (ko)", compact(&others["meaning"])),
    ];
    println!(
        "{:<24} {:>8} {:>8} {:>6}",
        "answer", "tokens", "budget", "room"
    );
    for (task, name, answer) in answers {
        // As a model writes JSON: compact, whatever the fixture's layout.
        let answer = serde_json::from_str::<Value>(&answer).map_or(answer, |v| v.to_string());
        let used = tokens(&answer);
        let budget = task.defaults().max_tokens as usize;
        println!(
            "{name:<24} {used:>8} {budget:>8} {:>5.1}x",
            budget as f64 / used as f64
        );
        assert!(
            used * 3 / 2 <= budget,
            "{name}: {used} tokens in a budget of {budget}"
        );
    }
}

/// The model's shutdown date is asked once a process, in the background, whatever the calls.
#[tokio::test]
async fn the_models_lifetime_is_asked_once_a_process() {
    let app = TestApp::spawn_with(&[("ROLECHAT_MODEL_PROVIDER", "openai")]).await;
    app.model.shut_down_on("2026-12-11");
    let (token, room) = learner_and_room(&app).await;
    for content in ["Hi", "A latte, please."] {
        let response = app
            .send(
                post(&token, &format!("/rooms/{room}/messages")).json(&json!({"content": content})),
            )
            .await;
        assert_eq!(response.status, 201);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.model.model_lookups(), ["fake-model"]);

    // Only OpenAI's API says when a model shuts down: another server is not asked.
    let elsewhere = TestApp::spawn().await;
    let (token, room) = learner_and_room(&elsewhere).await;
    elsewhere
        .send(post(&token, &format!("/rooms/{room}/messages")).json(&json!({"content": "Hi"})))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(elsewhere.model.model_lookups().is_empty());
}

/// What a turn sends, counted in o200k tokens: each task's prompt in a café scene (ja-JP at A2,
/// explained in Korean) after ten learner lines, the figures the cost estimate in
/// `docs/models.md` is made from. The reply's prompt is bounded by the history window.
#[tokio::test]
async fn the_prompts_of_a_turn_in_tokens() {
    use rolechat_tests::fake_openai::tokens;
    let app = TestApp::spawn().await;
    let token = app.sign_up("sora", "sora's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "language": "ja-JP", "level": "A2", "ui": "ko"}),
        )
        .await;
    let messages = format!("/rooms/{room}/messages?ui=ko");
    let send = |body: Value| app.send(TestRequest::post(&messages).token(&token).json(&body));
    assert_eq!(send(json!({})).await.status, 201);
    for line in 0..10 {
        let said = send(json!({"content": format!("コーヒーを{line}つください。")})).await;
        assert_eq!(said.status, 201, "{}", said.text());
    }
    let before = app.model.requests().len();
    assert_eq!(send(json!({"content": "いくらですか？"})).await.status, 201);
    let report = app
        .send(TestRequest::post(&format!("/rooms/{room}/report?ui=ko")).token(&token))
        .await;
    assert_eq!(report.status, 200, "{}", report.text());
    println!("{:<10} {:>14}", "task", "prompt tokens");
    let mut reply = 0;
    for request in &app.model.requests()[before..] {
        let task = request["response_format"]["json_schema"]["name"]
            .as_str()
            .unwrap_or("reply");
        let sent: usize = request["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| tokens(m["content"].as_str().unwrap_or_default()))
            .sum();
        if task == "reply" {
            reply = sent;
        }
        println!("{task:<10} {sent:>14}");
    }
    assert!(
        (500..2_500).contains(&reply),
        "the setup and the last 20 lines: {reply} tokens"
    );
}
