#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    rolechat::runtime::run("speech").await
}
