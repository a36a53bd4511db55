//! Prints what a chat turn costs, measured in-process on the real handlers, the embedded
//! DynamoDB and the fake model:
//!
//! - time from sending a streamed turn to its first `delta`, minus the fake model's own delay
//!   before its first token (what Rolechat adds before text flows);
//! - the prompt the model is sent (messages, characters) at turns 20, 100 and 200 of one
//!   conversation, with the default history window.
//!
//! `cargo run --release -p rolechat-tests --example turn_figures`

use std::time::Duration;

use rolechat_tests::fake_openai::Behaviour;
use rolechat_tests::{TestApp, TestRequest};
use serde_json::json;

const MODEL_FIRST_TOKEN: Duration = Duration::from_millis(50);

#[tokio::main]
async fn main() {
    let app = TestApp::spawn().await;
    let token = app.sign_up("figures", "figures password").await;
    let setup = json!({"language": "en-US", "level": "intermediate", "situation": "Ordering coffee in Seattle",
                       "my_role": "a customer", "gpt_role": "a barista"});
    let room = app
        .send(TestRequest::post("/rooms").token(&token).json(&setup))
        .await
        .json();
    let path = format!("/rooms/{}/messages", room["id"].as_str().unwrap());

    // Time to the first streamed delta, beyond the model's own first-token delay.
    app.model.answer_by_default(Behaviour::Reply {
        text: "Sure, one latte coming right up. Anything else for you today?".into(),
        first_delay: MODEL_FIRST_TOKEN,
        delay: Duration::from_millis(1),
    });
    let mut overheads = Vec::new();
    for n in 0..40 {
        let request = TestRequest::post(&path)
            .token(&token)
            .header("accept", "text/event-stream")
            .json(&json!({"content": format!("Message number {n} from the learner.")}));
        let timed = app.send_timed(request).await;
        let first_delta = timed
            .chunks
            .iter()
            .find(|(_, bytes)| bytes.starts_with(b"event: delta"))
            .expect("a delta")
            .0;
        overheads.push(first_delta.saturating_sub(MODEL_FIRST_TOKEN));
    }
    overheads.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "first streamed delta minus the model's first-token delay, {} turns: p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms",
        overheads.len(),
        ms(overheads[overheads.len() / 2]),
        ms(overheads[overheads.len() * 9 / 10]),
        ms(*overheads.last().unwrap()),
    );

    // Prompt size as the conversation grows (40 turns are already in it).
    app.model.answer_by_default(Behaviour::reply(
        "Sure, one latte coming right up. Anything else for you today?",
    ));
    for n in 40..200 {
        let request = TestRequest::post(&path)
            .token(&token)
            .json(&json!({"content": format!("Message number {n} from the learner.")}));
        assert_eq!(app.send(request).await.status, 201);
    }
    let requests = app.model.requests();
    for turn in [20, 100, 200] {
        let messages = requests[turn - 1]["messages"].as_array().unwrap();
        let characters: usize = messages
            .iter()
            .map(|m| m["content"].as_str().unwrap().chars().count())
            .sum();
        println!(
            "prompt at turn {turn}: {} messages, {characters} characters",
            messages.len()
        );
    }
}
