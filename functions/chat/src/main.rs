#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::http::run_streaming(rolechat::handlers::chat::handle).await
}
