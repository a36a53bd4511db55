//! A function outside the local stack's shortcut: with AWS credentials in the environment, as
//! Lambda sets them, the store signs its requests with them (here against the embedded DynamoDB,
//! which takes any signature). Its own test binary, as it sets the process's environment.

use rolechat::AppState;
use rolechat::store::schema::ensure_tables;
use rolechat_tests::{JWT_SECRET, embedded_dynamodb};

#[tokio::test]
async fn the_store_uses_the_credentials_lambda_puts_in_the_environment() {
    let endpoint = embedded_dynamodb();
    let prefix = format!("t{}-", ulid::Ulid::new().to_string().to_lowercase());
    ensure_tables(&rolechat::state::local_dynamodb_client(endpoint), &prefix)
        .await
        .unwrap();
    let environment = [
        ("DYNAMODB_ENDPOINT", endpoint),
        ("ROLECHAT_TABLE_PREFIX", prefix.as_str()),
        ("ROLECHAT_JWT_SECRET", JWT_SECRET),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_SESSION_TOKEN", "session-token"),
    ];
    for (name, value) in environment {
        // SAFETY: this test binary runs this one test; nothing else reads the environment.
        unsafe { std::env::set_var(name, value) };
    }
    let state = AppState::from_env().await.expect("the state builds");
    assert_eq!(state.store.get_user("nobody").await.unwrap(), None);
}
