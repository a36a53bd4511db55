//! `fake-speech [PORT]`: the fake OpenAI audio API on 127.0.0.1, for the browser tests' stack.

use rolechat_tests::fake_speech::FakeSpeech;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .unwrap_or(0);
    let fake = FakeSpeech::start(port).await?;
    println!("fake speech server on {}", fake.url);
    tokio::signal::ctrl_c().await
}
