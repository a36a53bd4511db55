//! The tests' S3: moto's server (a real S3-compatible HTTP server, from the project's `.venv`),
//! one per test run, each test with a bucket of its own.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::OnceLock;

/// The endpoint of this test run's S3 server, started on first use; it ends with the process.
pub fn s3_endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let server = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server");
        assert!(
            server.exists(),
            "the tests' S3 server is installed by `make tools` (moto in .venv)"
        );
        let port = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut command = std::process::Command::new(server);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stderr(std::process::Stdio::null());
        crate::spawn_for_this_process(command);
        crate::wait_for_port(port, 30, "the S3 server");
        format!("http://127.0.0.1:{port}")
    })
}

/// A new, empty bucket on the tests' S3 server; its name.
pub async fn new_bucket() -> String {
    let name = format!("audio-{}", ulid::Ulid::new().to_string().to_lowercase());
    let client = client();
    client
        .create_bucket()
        .bucket(&name)
        .send()
        .await
        .expect("a bucket");
    name
}

/// A plain client of the tests' S3 server, for looking at what a test left there.
pub fn client() -> aws_sdk_s3::Client {
    let config = rolechat::state::local_s3_config()
        .endpoint_url(s3_endpoint())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// The keys in `bucket`.
pub async fn keys(bucket: &str) -> Vec<String> {
    let listed = client()
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("a listing");
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}
