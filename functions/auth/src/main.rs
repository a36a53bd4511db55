#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // At cold start, so the first login of an unknown name takes no longer than any other.
    rolechat::auth::prepare_dummy_hash();
    rolechat::http::run(
        rolechat::http::Secrets::Read,
        rolechat::handlers::auth::handle,
    )
    .await
}
