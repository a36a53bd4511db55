#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::http::run(rolechat::handlers::feedback::handle).await
}
