//! `fake-openai [PORT]`: the fake chat-completions server on 127.0.0.1, for the smoke suite and
//! for trying the real model client locally. Replies stream a word every 80 ms after a first
//! delay of 300 ms, so streaming can be seen (`OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`).

use std::time::Duration;

use rolechat_tests::fake_openai::{Behaviour, FakeOpenAi};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .unwrap_or(0);
    let fake = FakeOpenAi::start(port).await?;
    // Its pace: FAKE_OPENAI_FIRST_DELAY_MS before the first word, FAKE_OPENAI_DELAY_MS after each.
    let pace = |name: &str, default: u64| {
        let ms = std::env::var(name).ok().and_then(|v| v.parse().ok());
        Duration::from_millis(ms.unwrap_or(default))
    };
    fake.answer_by_default(Behaviour::Reply {
        text: "Hello! I am the fake model, and this reply arrives one word at a time.".into(),
        first_delay: pace("FAKE_OPENAI_FIRST_DELAY_MS", 300),
        delay: pace("FAKE_OPENAI_DELAY_MS", 80),
    });
    // A learner message containing "#fail" fails once, so a failed turn and its retry can be shown.
    fake.fail_once_on("#fail");
    println!("fake OpenAI-compatible server on {}", fake.url);
    tokio::signal::ctrl_c().await
}
