#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::http::run_without_secrets(rolechat::handlers::health::handle).await
}
