//! `local-dynamodb`: the local stack's DynamoDB. Persists under `ROLECHAT_DATA_DIR` (`.local/` by
//! default), listens on 127.0.0.1:`ROLECHAT_DYNAMODB_PORT` (8000 by default), creates the tables
//! under `ROLECHAT_TABLE_PREFIX` if they are missing, then serves until Ctrl-C or SIGTERM.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Instant;

use rolechat::config::DEFAULT_TABLE_PREFIX;
use rolechat::state::local_dynamodb_client;
use rolechat::store::schema::ensure_tables;
use rolechat_local_dynamodb::{Database, LocalDynamo};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let data_dir = PathBuf::from(env("ROLECHAT_DATA_DIR").unwrap_or_else(|| ".local".into()));
    let port: u16 = match env("ROLECHAT_DYNAMODB_PORT") {
        Some(port) => port
            .parse()
            .map_err(|_| format!("ROLECHAT_DYNAMODB_PORT={port} is not a port"))?,
        None => 8000,
    };
    let prefix = env("ROLECHAT_TABLE_PREFIX").unwrap_or_else(|| DEFAULT_TABLE_PREFIX.into());

    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let path = data_dir.join("dynamodb.sqlite3");
    let db = Database::new(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let server = LocalDynamo::start(db, SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;

    let created = ensure_tables(&local_dynamodb_client(&server.endpoint), &prefix).await?;
    println!(
        "local DynamoDB ready on {} in {:.0} ms (data in {}; tables created: {})",
        server.endpoint,
        started.elapsed().as_secs_f64() * 1e3,
        path.display(),
        if created.is_empty() {
            "none, all there".into()
        } else {
            created.join(", ")
        },
    );

    shutdown_signal().await;
    server.stop().await?;
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler can be installed");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
