#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::runtime::run_worker(rolechat::services::deletion::serve).await
}
