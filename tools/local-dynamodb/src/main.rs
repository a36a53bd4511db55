//! `local-dynamodb`: the local stack's DynamoDB. Persists under `ROLECHAT_DATA_DIR` (`.local/` by
//! default, readable by its owner only), listens on 127.0.0.1:`ROLECHAT_DYNAMODB_PORT` (8000 by
//! default), creates the tables under `ROLECHAT_TABLE_PREFIX` if they are missing, then serves
//! until Ctrl-C or SIGTERM.
//!
//! `local-dynamodb tables` serves nothing: it creates the missing tables at `DYNAMODB_ENDPOINT`
//! (Amazon's DynamoDB Local, moto, or a real account with the AWS credentials of the
//! environment, a profile or SSO) and exits.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Instant;

use rolechat::config::DEFAULT_TABLE_PREFIX;
use rolechat::state::local_dynamodb_client;
use rolechat::store::schema::ensure_tables;
use rolechat_local_dynamodb::LocalDynamo;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
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

    if std::env::args().nth(1).as_deref() == Some("tables") {
        let endpoint = env("DYNAMODB_ENDPOINT").ok_or("set DYNAMODB_ENDPOINT to the endpoint")?;
        let client = rolechat::state::dynamodb_client_for(&endpoint).await?;
        let created = ensure_tables(&client, &prefix).await?;
        println!(
            "tables at {endpoint}: {}",
            if created.is_empty() {
                "all there".into()
            } else {
                format!("created {}", created.join(", "))
            }
        );
        return Ok(());
    }

    let (db, path) = rolechat_local_dynamodb::open_in(&data_dir)?;
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
