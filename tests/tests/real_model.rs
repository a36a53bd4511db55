//! Every model-calling route through the real local stack (the function binaries under
//! `cargo lambda watch`) against a real OpenAI-compatible server nobody here wrote: llama.cpp's,
//! through llama-cpp-python, with SmolLM2-135M-Instruct. Run by `make real-model` (part of
//! `make test`), which starts both; ignored by a plain `cargo test`.
//!
//! A 135M model teaches nobody: this proves wire compatibility (requests it accepts, answers the
//! client reads, refusals it understands), not quality. Each call succeeds, or fails with the
//! contract's documented error (`502 upstream_error`, `504 upstream_timeout`): never a `500`,
//! never a partial line stored as finished. It prints what each step took and cost.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn api_url(path: &str) -> String {
    let base = std::env::var("ROLECHAT_API_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
    format!("{}{path}", base.trim_end_matches('/'))
}

/// One step's outcome: its status, how long it took, and its body.
struct Step {
    name: String,
    status: StatusCode,
    took: Duration,
    first_text: Option<Duration>,
    body: Value,
}

impl Step {
    fn succeeded(&self) -> bool {
        self.status.is_success()
    }

    /// A success, or the contract's documented failure of a model call.
    fn assert_documented(&self) {
        if self.succeeded() {
            return;
        }
        let code = self.body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            matches!(
                (self.status.as_u16(), code),
                (502, "upstream_error") | (504, "upstream_timeout")
            ),
            "{}: {} {}",
            self.name,
            self.status,
            self.body
        );
    }
}

async fn call(name: &str, token: &str, path: &str, body: Value) -> Step {
    let started = Instant::now();
    let response = Client::new()
        .post(api_url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the stack answers");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    Step {
        name: name.to_owned(),
        status,
        took: started.elapsed(),
        first_text: None,
        body,
    }
}

/// A streamed turn: when its first text came, and its last event as the body.
async fn streamed_turn(token: &str, room: &str, content: &str) -> Step {
    let started = Instant::now();
    let response = Client::new()
        .post(api_url(&format!("/rooms/{room}/messages?ui=en")))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .json(&json!({"content": content}))
        .send()
        .await
        .expect("the stack answers");
    let status = response.status();
    let mut first_text = None;
    let mut text = String::new();
    let mut bytes = response.bytes_stream();
    while let Some(chunk) = bytes.next().await {
        let chunk = chunk.expect("the stream reads");
        text.push_str(&String::from_utf8_lossy(&chunk));
        if first_text.is_none() && text.contains("event: delta") {
            first_text = Some(started.elapsed());
        }
    }
    let events = rolechat_tests::events(text.as_bytes());
    let last = events
        .iter()
        .rev()
        .find(|(name, _)| name == "reply" || name == "error")
        .cloned();
    let (status, body) = match last {
        Some((name, data)) if name == "reply" => (status, data),
        Some((_, error)) => {
            let code = error["error"]["code"].as_str().unwrap_or_default();
            let status = if code == "upstream_timeout" { 504 } else { 502 };
            (StatusCode::from_u16(status).unwrap(), error)
        }
        None => panic!("a stream with neither a reply nor an error: {text}"),
    };
    Step {
        name: "turn, streamed".into(),
        status,
        took: started.elapsed(),
        first_text,
        body,
    }
}

/// Tokens per task, from the functions' `model call` log lines (JSON, as Lambda writes them).
fn tokens_per_task(log: &str) -> Vec<(String, u64, u64, usize)> {
    let mut tasks: Vec<(String, u64, u64, usize)> = Vec::new();
    for line in log.lines().filter(|line| line.contains("model call")) {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let fields = &entry["fields"];
        let Some(task) = fields["task"].as_str() else {
            continue;
        };
        let number = |name: &str| fields[name].as_u64().unwrap_or(0);
        match tasks.iter_mut().find(|(t, ..)| t == task) {
            Some(entry) => {
                entry.1 += number("prompt_tokens");
                entry.2 += number("completion_tokens");
                entry.3 += 1;
            }
            None => tasks.push((
                task.to_owned(),
                number("prompt_tokens"),
                number("completion_tokens"),
                1,
            )),
        }
    }
    tasks
}

#[tokio::test]
#[ignore = "needs the local stack with a real model server: make real-model"]
async fn every_model_task_through_the_real_stack_against_a_real_model_server() {
    let username = format!("real-{}", &ulid::Ulid::new().to_string()[18..]).to_lowercase();
    let signup = Client::new()
        .post(api_url("/signup"))
        .json(
            &json!({"username": username, "password": "a real password", "native_language": "en"}),
        )
        .send()
        .await
        .expect("the stack answers");
    assert_eq!(signup.status(), 201);
    let token = signup.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = call(
        "room",
        &token,
        "/rooms",
        json!({"scenario": "cafe-order", "language": "en-US", "level": "A2", "ui": "en"}),
    )
    .await;
    assert_eq!(room.status, 201, "{}", room.body);
    let room_id = room.body["id"].as_str().unwrap().to_owned();
    let messages = format!("/rooms/{room_id}/messages?ui=en");

    let mut steps = Vec::new();
    let opener = call("opening line", &token, &messages, json!({})).await;
    assert_eq!(opener.status, 201, "the opening line: {}", opener.body);
    let opener_id = opener.body["reply"]["id"].as_str().unwrap().to_owned();
    steps.push(opener);
    let streamed = streamed_turn(&token, &room_id, "Hello! I would like a coffee, please.").await;
    assert!(streamed.succeeded(), "a streamed turn: {}", streamed.body);
    steps.push(streamed);
    let json_turn = call(
        "turn, JSON",
        &token,
        &messages,
        json!({"content": "A large one. How much is it?"}),
    )
    .await;
    assert_eq!(json_turn.status, 201, "a JSON turn: {}", json_turn.body);
    steps.push(json_turn);
    for (name, path, body) in [
        (
            "three suggestions",
            format!("/rooms/{room_id}/suggestions?count=3&ui=en"),
            Value::Null,
        ),
        (
            "translation",
            format!("/rooms/{room_id}/messages/{opener_id}/translation?to=ko"),
            Value::Null,
        ),
        (
            "report (ko)",
            format!("/rooms/{room_id}/report?ui=ko"),
            Value::Null,
        ),
        (
            "meaning",
            "/vocabulary?ui=en".to_owned(),
            json!({"text": "a large coffee", "language": "en-US"}),
        ),
    ] {
        steps.push(call(name, &token, &path, body).await);
    }
    for step in &steps {
        step.assert_documented();
    }

    // What was stored: the learner's lines and whole replies, never a partial one. A reply the
    // model ran on until its budget is whole as far as the model went: kept, and marked `cut`
    // (a small model rambles; that is the documented outcome, not a failure).
    let stored: Value = Client::new()
        .get(api_url(&format!("/rooms/{room_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = stored["messages"].as_array().unwrap();
    assert_eq!(lines.len(), 5, "{stored}");
    for line in lines {
        assert!(
            !line["content"].as_str().unwrap().trim().is_empty(),
            "{line}"
        );
        assert!(line["cut"].is_null() || line["cut"].is_boolean(), "{line}");
        if line["cut"] == true {
            assert_eq!(
                line["role"], "assistant",
                "only the tutor's lines are cut: {line}"
            );
        }
    }
    let feedback = lines
        .iter()
        .filter(|line| line["role"] == "user" && line["feedback"].is_object())
        .count();
    let goals_judged = stored["room"]["goals"].as_array().unwrap().len();

    println!("\nAgainst llama-cpp-python 0.3.36 with SmolLM2-135M-Instruct (Q4_1), this machine:");
    println!(
        "{:<20} {:>6} {:>12} {:>10}",
        "step", "status", "first text", "took"
    );
    for step in &steps {
        println!(
            "{:<20} {:>6} {:>12} {:>8} ms",
            step.name,
            step.status.as_u16(),
            step.first_text
                .map_or("-".into(), |t| format!("{} ms", t.as_millis())),
            step.took.as_millis()
        );
    }
    println!(
        "automatic feedback stored on {feedback} of 2 learner lines; {goals_judged} goals judged"
    );
    if let Ok(path) = std::env::var("ROLECHAT_STACK_LOG") {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        println!(
            "{:<14} {:>6} {:>14} {:>18}",
            "task", "calls", "prompt tokens", "completion tokens"
        );
        for (task, prompt, completion, calls) in tokens_per_task(&log) {
            println!("{task:<14} {calls:>6} {prompt:>14} {completion:>18}");
        }
        // No internal error anywhere: every failure was the model's, and said so.
        assert!(
            !log.contains("\"message\":\"request failed\""),
            "an internal error in the stack's log"
        );
    }
}
