#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::http::run(
        rolechat::http::Secrets::Read,
        rolechat::handlers::me_identities::handle,
    )
    .await
}
