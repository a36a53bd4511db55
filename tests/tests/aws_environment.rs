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

    // A Bedrock tutor signs its calls with the same credentials, for the `bedrock` service in
    // the function's Region, and reads no key: the secret named here does not exist (with no
    // Secrets Manager to ask, reading it would fail the start).
    let model = rolechat_tests::fake_openai::FakeOpenAi::start(0)
        .await
        .unwrap();
    let endpoint = model.bedrock_endpoint();
    for (name, value) in [
        ("ROLECHAT_MODEL_PROVIDER", "bedrock"),
        ("ROLECHAT_BEDROCK_ENDPOINT", endpoint.as_str()),
        (
            "ROLECHAT_OPENAI_KEY_SECRET_ARN",
            "arn:aws:secretsmanager:eu-west-1:1:secret:none",
        ),
    ] {
        // SAFETY: as above.
        unsafe { std::env::set_var(name, value) };
    }
    let state = AppState::from_env()
        .await
        .expect("a Bedrock tutor needs no secret");
    let prompt = [rolechat::tutor::PromptMessage {
        role: "user",
        content: "Hello".into(),
    }];
    let answer = match &state.tutor {
        rolechat::tutor::Tutor::Bedrock(client) => client
            .complete(rolechat::tutor::Task::Reply, &prompt)
            .await
            .unwrap(),
        _ => panic!("the Bedrock tutor is chosen"),
    };
    assert!(
        answer.text.starts_with("This is reply number"),
        "{}",
        answer.text
    );
    let signed = model.bedrock_requests()[0]["signed_as"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        signed.starts_with("AKIDEXAMPLE/") && signed.ends_with("/eu-west-1/bedrock/aws4_request"),
        "{signed}"
    );
}
