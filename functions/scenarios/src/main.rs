#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::http::run(
        rolechat::http::Secrets::None,
        rolechat::handlers::scenarios::handle,
    )
    .await
}
