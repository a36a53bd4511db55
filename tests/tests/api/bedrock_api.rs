//! The tutor on Amazon Bedrock: every model-calling route through the real `aws-sdk-bedrockruntime`
//! client (its SigV4 signing, retries and event-stream parsing) against the stand-in that speaks
//! Converse and ConverseStream (`fake_openai::bedrock`), as strict as Bedrock where the tutor could
//! go wrong.

use rolechat_tests::fake_openai::{Behaviour, Ending, Shape};
use rolechat_tests::{TestApp, TestRequest, TestResponse, events};
use serde_json::{Value, json};

const HAIKU: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

async fn on_bedrock(model: &str, more: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("ROLECHAT_MODEL_PROVIDER", "bedrock"),
        ("ROLECHAT_BEDROCK_MODEL", model),
    ];
    settings.extend_from_slice(more);
    TestApp::spawn_with(&settings).await
}

/// A learner in a scene with goals, after the tutor's opening line and one line of theirs.
async fn scene(app: &TestApp, name: &str) -> (String, String, Value) {
    let token = app.sign_up(name, &format!("{name}'s password")).await;
    let room = app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2",
                    "auto_feedback": false}),
        )
        .await;
    let path = format!("/rooms/{room}/messages");
    let opener = app
        .send(TestRequest::post(&path).token(&token).json(&json!({})))
        .await;
    assert_eq!(opener.status, 201, "{}", opener.text());
    let turn = app
        .send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "I wants a big latte"})),
        )
        .await;
    assert_eq!(turn.status, 201, "{}", turn.text());
    (token, room, turn.json())
}

/// A turn streamed to the site: its server-sent events.
async fn streamed_turn(
    app: &TestApp,
    token: &str,
    path: &str,
    content: &str,
) -> Vec<(String, Value)> {
    let response = app
        .send(
            TestRequest::post(path)
                .token(token)
                .header("accept", "text/event-stream")
                .json(&json!({ "content": content })),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    events(&response.body)
}

fn ok(response: &TestResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", response.text());
    serde_json::from_slice(&response.body).unwrap_or(Value::Null)
}

/// The Bedrock calls since `from`: (operation, structured output's or tool's schema name, body).
fn calls(app: &TestApp, from: usize) -> Vec<(String, Option<String>, Value)> {
    app.model.bedrock_requests()[from..]
        .iter()
        .map(|call| {
            let body = call["body"].clone();
            let operation = if call["stream"] == true {
                "converse-stream"
            } else {
                "converse"
            };
            let name = body["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"]
                .as_str()
                .or_else(|| body["toolConfig"]["toolChoice"]["tool"]["name"].as_str())
                .map(str::to_owned);
            (operation.to_owned(), name, body)
        })
        .collect()
}

#[tokio::test]
async fn every_model_task_runs_on_bedrock_with_its_budget_and_temperature() {
    let app = on_bedrock(HAIKU, &[]).await;
    let (token, room, turn) = scene(&app, "bea").await;
    let reply = turn["reply"]["content"].as_str().unwrap();
    assert!(reply.starts_with("This is reply number"), "{reply}");
    let line = turn["user_message"]["id"].as_str().unwrap().to_owned();
    let tutor_line = turn["reply"]["id"].as_str().unwrap().to_owned();

    // A streamed turn: ConverseStream's events become the site's deltas.
    let path = format!("/rooms/{room}/messages");
    let events = streamed_turn(&app, &token, &path, "And a muffin, please.").await;
    let deltas: String = events
        .iter()
        .filter(|(name, _)| name == "delta")
        .map(|(_, data)| data["text"].as_str().unwrap())
        .collect();
    let (_, stored) = events.iter().find(|(name, _)| name == "reply").unwrap();
    assert_eq!(deltas, stored["content"].as_str().unwrap());
    assert!(
        events.iter().filter(|(name, _)| name == "delta").count() > 3,
        "in pieces"
    );

    let feedback = ok(
        &app.send(
            TestRequest::post(&format!("/rooms/{room}/messages/{line}/feedback?ui=en"))
                .token(&token),
        )
        .await,
        200,
    );
    assert_eq!(
        feedback["feedback"]["corrected"],
        "I wants a big latte (corrected)"
    );
    let translation = ok(
        &app.send(
            TestRequest::post(&format!(
                "/rooms/{room}/messages/{tutor_line}/translation?ui=ko"
            ))
            .token(&token),
        )
        .await,
        200,
    );
    assert!(
        translation["translation"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Translated: "),
        "{translation}"
    );
    let suggestions = ok(
        &app.send(TestRequest::post(&format!("/rooms/{room}/suggestions")).token(&token))
            .await,
        200,
    );
    assert!(
        !suggestions["suggestions"].as_array().unwrap().is_empty(),
        "{suggestions}"
    );
    let report = ok(
        &app.send(TestRequest::post(&format!("/rooms/{room}/report?ui=en")).token(&token))
            .await,
        200,
    );
    assert_eq!(report["report"]["mistakes"][0]["message_id"], line.as_str());
    let word = ok(
        &app.send(
            TestRequest::post("/vocabulary?ui=en")
                .token(&token)
                .json(&json!({"text": "latte", "language": "en-US"})),
        )
        .await,
        201,
    );
    assert_eq!(word["meaning"], "The fake model's meaning.");

    let calls = calls(&app, 0);
    let asked: Vec<(&str, Option<&str>)> = calls
        .iter()
        .map(|(op, name, _)| (op.as_str(), name.as_deref()))
        .collect();
    for expected in [
        ("converse-stream", None),
        ("converse", Some("goals")),
        ("converse", None),
        ("converse", Some("feedback")),
        ("converse", Some("translation")),
        ("converse", Some("report")),
        ("converse", Some("meaning")),
    ] {
        assert!(asked.contains(&expected), "{expected:?} in {asked:?}");
    }
    for path in app.model.bedrock_requests() {
        assert_eq!(
            path["model"], HAIKU,
            "the inference profile is what is invoked"
        );
    }
    // Each task's budget and temperature, as for any model; structured output through
    // `outputConfig`, its schema a JSON string without the bounds a grammar refuses.
    let budget = |name: Option<&str>, stream: bool| {
        let (_, _, body) = calls
            .iter()
            .rev()
            .find(|(op, n, _)| n.as_deref() == name && (op == "converse-stream") == stream)
            .unwrap();
        (
            body["inferenceConfig"]["maxTokens"].as_u64().unwrap(),
            (body["inferenceConfig"]["temperature"].as_f64().unwrap() * 10.0).round() / 10.0,
        )
    };
    assert_eq!(budget(None, true), (400, 0.8));
    assert_eq!(budget(Some("report"), false), (2500, 0.3));
    assert_eq!(budget(Some("feedback"), false), (400, 0.1));
    let (_, _, report_call) = calls
        .iter()
        .find(|(_, n, _)| n.as_deref() == Some("report"))
        .unwrap();
    let schema = report_call["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["schema"]
        .as_str()
        .expect("the schema goes as a JSON string");
    assert!(!schema.contains("maxItems"), "{schema}");
    assert!(
        report_call["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("CEFR")
    );
    // Converse's rules: the tutor's opening line comes after a line on the learner's side.
    let (_, _, turn_call) = &calls[2];
    assert_eq!(turn_call["messages"][0]["role"], "user");
    assert!(
        calls
            .iter()
            .all(|(_, _, body)| body["toolConfig"].is_null()),
        "no tools needed"
    );
}

#[tokio::test]
async fn a_model_without_structured_output_is_asked_with_a_forced_tool_or_in_words() {
    // Claude 3.5 Haiku takes a tool it must call; its input is the answer.
    let app = on_bedrock("us.anthropic.claude-3-5-haiku-20241022-v1:0", &[]).await;
    let (token, room, turn) = scene(&app, "tom").await;
    let line = turn["user_message"]["id"].as_str().unwrap();
    let from = app.model.bedrock_requests().len();
    let feedback = ok(
        &app.send(
            TestRequest::post(&format!("/rooms/{room}/messages/{line}/feedback?ui=en"))
                .token(&token),
        )
        .await,
        200,
    );
    assert_eq!(feedback["feedback"]["ok"], false);
    let (_, name, body) = &calls(&app, from)[0];
    assert_eq!(name.as_deref(), Some("feedback"));
    assert!(body["outputConfig"].is_null());
    assert!(body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["properties"]["corrected"].is_object());

    // Mistral 7B is documented for neither: each refusal (in Bedrock's words) steps down once,
    // and the process remembers, so the next structured call goes straight to the words.
    let app = on_bedrock("mistral.mistral-7b-instruct-v0:2", &[]).await;
    let (token, room, turn) = scene(&app, "mia").await;
    let line = turn["user_message"]["id"].as_str().unwrap();
    let from = app.model.bedrock_requests().len();
    let path = format!("/rooms/{room}/messages/{line}/feedback?ui=en");
    ok(&app.send(TestRequest::post(&path).token(&token)).await, 200);
    let tried: Vec<(bool, bool)> = calls(&app, from)
        .iter()
        .map(|(_, _, body)| {
            (
                !body["outputConfig"].is_null(),
                !body["toolConfig"].is_null(),
            )
        })
        .collect();
    // The goal check of the turn before had learned it already, or this call does now.
    assert_eq!(tried.last(), Some(&(false, false)));
    let (_, _, last) = calls(&app, from).pop().unwrap();
    assert!(
        last["system"][0]["text"]
            .as_str()
            .unwrap()
            .contains("JSON Schema")
    );
    let everything = calls(&app, 0);
    let refused_forms: Vec<_> = everything
        .iter()
        .filter(|(_, _, body)| !body["outputConfig"].is_null() || !body["toolConfig"].is_null())
        .collect();
    assert_eq!(
        refused_forms.len(),
        2,
        "each form refused once, then never sent again"
    );
}

#[tokio::test]
async fn throttling_is_retried_and_a_model_that_stays_busy_is_a_502() {
    let app = on_bedrock(HAIKU, &[]).await;
    // A room of the learner's own making: no goals, so each turn is one call.
    let token = app.sign_up("tia", "tia's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"language": "en-US", "level": "intermediate", "situation": "A cafe in Seattle",
                     "my_role": "a customer", "gpt_role": "a barista"}),
        )
        .await;
    let path = format!("/rooms/{room}/messages");
    let from = app.model.bedrock_requests().len();
    app.model.then(Behaviour::Status(429));
    app.model.then(Behaviour::Status(503));
    let turn = app
        .send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "Hello?"})),
        )
        .await;
    ok(&turn, 201);
    let attempts = calls(&app, from)
        .iter()
        .filter(|(_, name, _)| name.is_none())
        .count();
    assert_eq!(attempts, 3, "two retries by the SDK, then the answer");

    for _ in 0..3 {
        app.model.then(Behaviour::RateLimited { retry_after: 0 });
    }
    let busy = app
        .send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "Still there?"})),
        )
        .await;
    assert_eq!(
        (busy.status, busy.error_code().as_str()),
        (502, "upstream_error"),
        "{}",
        busy.text()
    );

    // A spent daily quota and a model error mid-stream: the turn fails, the room keeps the line.
    // (The SDK retries a throttle; a spent day's quota refuses every try.)
    for _ in 0..3 {
        app.model.then(Behaviour::QuotaExhausted);
    }
    let spent = app
        .send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "Hi?"})),
        )
        .await;
    assert_eq!(spent.status, 502, "{}", spent.text());
    assert!(
        spent.text().contains("operator"),
        "a day's quota is the deployer's to raise"
    );
    app.model.then(Behaviour::FailMidStream { pieces: 3 });
    let events = streamed_turn(&app, &token, &path, "One more?").await;
    assert_eq!(events.last().unwrap().0, "error", "{events:?}");
    let opened = ok(
        &app.send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
            .await,
        200,
    );
    let contents: Vec<&str> = opened["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default())
        .collect();
    assert!(
        !contents.iter().any(|c| c.contains("fails in the middle")),
        "{contents:?}"
    );
}

#[tokio::test]
async fn a_cut_answer_is_marked_or_asked_again_and_a_dropped_stream_fails() {
    let app = on_bedrock(HAIKU, &[]).await;
    let (token, room, _) = scene(&app, "cat").await;
    let path = format!("/rooms/{room}/messages");
    // A reply that stops at its budget is kept, marked cut.
    app.model.then(Behaviour::Shaped {
        text: "A reply that ran out of".into(),
        shape: Shape {
            ending: Ending::Done,
            crlf: false,
            comments: false,
            finish_reason: "length",
        },
    });
    let cut = ok(
        &app.send(
            TestRequest::post(&path)
                .token(&token)
                .json(&json!({"content": "Tell me more."})),
        )
        .await,
        201,
    );
    assert_eq!(cut["reply"]["cut"], true, "{cut}");

    // A structured answer cut at its budget is asked again with twice the budget.
    let report_from = app.model.bedrock_requests().len();
    app.model.then(Behaviour::Shaped {
        text: "{\"summary\": \"The".into(),
        shape: Shape {
            ending: Ending::Done,
            crlf: false,
            comments: false,
            finish_reason: "length",
        },
    });
    ok(
        &app.send(TestRequest::post(&format!("/rooms/{room}/report?ui=en")).token(&token))
            .await,
        200,
    );
    let budgets: Vec<u64> = calls(&app, report_from)
        .iter()
        .map(|(_, _, body)| body["inferenceConfig"]["maxTokens"].as_u64().unwrap())
        .collect();
    assert_eq!(budgets, [2500, 5000]);

    // A stream whose connection drops midway fails the turn; nothing half-written is kept.
    app.model.then(Behaviour::CutAfter { pieces: 3 });
    let events = streamed_turn(&app, &token, &path, "Go on?").await;
    assert_eq!(events.last().unwrap().0, "error", "{events:?}");
    let opened = ok(
        &app.send(TestRequest::get(&format!("/rooms/{room}")).token(&token))
            .await,
        200,
    );
    assert!(!opened.to_string().contains("cut off before"), "{opened}");
}

#[tokio::test]
async fn a_deployment_bedrock_refuses_is_the_operators_to_fix() {
    // The newest models have no on-demand throughput: their ID alone is refused.
    let app = on_bedrock("anthropic.claude-haiku-4-5-20251001-v1:0", &[]).await;
    let token = app.sign_up("ops", "ops's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2"}),
        )
        .await;
    let path = format!("/rooms/{room}/messages");
    let refused = app
        .send(TestRequest::post(&path).token(&token).json(&json!({})))
        .await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (502, "upstream_error")
    );
    assert!(refused.text().contains("operator"), "{}", refused.text());
    assert_eq!(
        app.model.bedrock_requests().len(),
        1,
        "not retried: retrying cannot help"
    );
    assert!(
        app.model.requests().is_empty(),
        "refused before any model saw it"
    );

    // A role without access to the model.
    let app = on_bedrock(HAIKU, &[]).await;
    app.model.deny_bedrock_access();
    let token = app.sign_up("ops", "ops's password").await;
    let room = app
        .create_room(
            &token,
            &json!({"scenario": "cafe-order", "ui": "en", "language": "en-US", "level": "A2"}),
        )
        .await;
    let denied = app
        .send(
            TestRequest::post(&format!("/rooms/{room}/messages"))
                .token(&token)
                .json(&json!({})),
        )
        .await;
    assert_eq!(denied.status, 502);
    assert!(denied.text().contains("operator"), "{}", denied.text());
}
