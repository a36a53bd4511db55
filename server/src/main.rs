//! `rolechat serve`: Rolechat on one machine, in one process (see the crate's documentation).

use std::time::Instant;

const USAGE: &str = "\
usage: rolechat serve [--listen ADDRESS:PORT] [--data DIR] [--site DIR]
       rolechat export OUT_DIR [--data DIR]
       rolechat import IN_DIR

  --listen  where the API and the site listen (ROLECHAT_LISTEN; 127.0.0.1:8080)
  --data    the conversations, the signing key and the embedded tables (ROLECHAT_DATA_DIR; .local)
  --site    the built site to serve at / (ROLECHAT_SITE_DIR; frontend/dist); none: the API alone

export writes every table of this machine (the embedded tables under --data, or DYNAMODB_ENDPOINT's)
as DynamoDB JSON, a file a table; stop the server first. import writes such files into the tables
of DYNAMODB_ENDPOINT, or of AWS's DynamoDB with the environment's Region and credentials, named
with ROLECHAT_TABLE_PREFIX (a deployed stack's is its name and a dash). See docs/one-machine.md.

Every other setting is read from the environment as the functions read it (docs/configuration.md).";

fn main() -> std::process::ExitCode {
    // The embedded DynamoDB logs each refused request as a warning; a condition that fails is how
    // the store guards its writes, not news (`RUST_LOG` still says otherwise when set). Set
    // before any thread starts, as the environment may only be changed then.
    if std::env::var_os("RUST_LOG").is_none() && std::env::var_os("AWS_LAMBDA_LOG_LEVEL").is_none()
    {
        // SAFETY: the process has one thread so far; nothing reads the environment meanwhile.
        unsafe { std::env::set_var("RUST_LOG", "info,dynoxide=error") };
    }
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("rolechat: cannot start its runtime: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {}
        Some(command @ ("export" | "import")) => {
            return match move_tables(command, &args[1..]).await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("rolechat {command}: {error}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `rolechat export` and `rolechat import`.
async fn move_tables(command: &str, args: &[String]) -> Result<(), String> {
    let (dir, data_dir) = match args {
        [dir] => (
            dir,
            env("ROLECHAT_DATA_DIR").unwrap_or_else(|| ".local".into()),
        ),
        [dir, flag, data] if flag == "--data" && command == "export" => (dir, data.clone()),
        _ => return Err("usage: see `rolechat --help`".into()),
    };
    let dir = std::path::Path::new(dir);
    let prefix = env("ROLECHAT_TABLE_PREFIX")
        .unwrap_or_else(|| rolechat::config::DEFAULT_TABLE_PREFIX.into());
    let endpoint = env("DYNAMODB_ENDPOINT");
    let mut embedded = None;
    let client = match (command, endpoint) {
        ("export", None) => {
            let (db, _) = rolechat_local_dynamodb::open_in(std::path::Path::new(&data_dir))?;
            let local = rolechat_local_dynamodb::LocalDynamo::start(
                db,
                std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
            )
            .await
            .map_err(|e| e.to_string())?;
            let client = rolechat::state::local_dynamodb_client(&local.endpoint);
            embedded = Some(local);
            client
        }
        (_, endpoint) => rolechat::state::dynamodb_client(endpoint.as_deref())
            .await
            .map_err(|e| e.to_string())?,
    };
    let counts = if command == "export" {
        rolechat_server::tables::export(&client, &prefix, dir).await?
    } else {
        rolechat_server::tables::import(&client, &prefix, dir).await?
    };
    for (table, count) in counts {
        let verb = if command == "export" {
            "exported"
        } else {
            "imported"
        };
        println!("{prefix}{table}: {count} items {verb}");
    }
    if let Some(local) = embedded {
        local.stop().await?;
    }
    Ok(())
}
