#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::runtime::run_worker_with_secrets(rolechat::services::reminders::serve).await
}
