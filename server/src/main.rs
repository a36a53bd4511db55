//! `rolechat serve`: Rolechat on one machine, in one process (see the crate's documentation).

use std::time::Instant;

const USAGE: &str = "\
usage: rolechat serve [--listen ADDRESS:PORT] [--data DIR] [--site DIR]

  --listen  where the API and the site listen (ROLECHAT_LISTEN; 127.0.0.1:8080)
  --data    the conversations, the signing key and the embedded tables (ROLECHAT_DATA_DIR; .local)
  --site    the built site to serve at / (ROLECHAT_SITE_DIR; frontend/dist); none: the API alone

Every other setting is read from the environment as the functions read it (docs/configuration.md).";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {}
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            return std::process::ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    }
    lambda_http::tracing::init_default_subscriber();
    let started = Instant::now();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let served = async {
        let options = rolechat_server::Options::parse(&args[1..], env)?;
        let data_dir = options.data_dir.clone();
        let site = options.site_dir.clone();
        let base_url = options.base_url();
        let server = rolechat_server::Server::start(options, env).await?;
        println!(
            "Rolechat is ready on http://{} in {:.0} ms: {} (data in {}).",
            server.addr,
            started.elapsed().as_secs_f64() * 1e3,
            match site {
                Some(_) => format!("open {base_url} and sign up"),
                None => "the API alone, no site".into(),
            },
            data_dir.display(),
        );
        rolechat_server::shutdown_signal().await;
        println!("Stopping: the requests in flight finish first.");
        server.stop().await
    };
    match served.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("rolechat: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
