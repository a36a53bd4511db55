//! `fake-provider [PORT]`: the fake GitHub, Kakao and Google on 127.0.0.1, for the local stack
//! (`make dev` logs in with it) and the smoke and browser tests.

use rolechat_tests::fake_provider::FakeProvider;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .unwrap_or(0);
    let fake = FakeProvider::start(port).await?;
    println!("fake OAuth/OpenID Connect provider on {}", fake.url);
    tokio::signal::ctrl_c().await
}
