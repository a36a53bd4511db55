//! The embedded DynamoDB: dynoxide serving the DynamoDB HTTP API on loopback, so the real
//! aws-sdk-dynamodb client talks to it exactly as it talks to AWS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use dynoxide::Database;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running embedded DynamoDB. Dropping it stops the server.
pub struct LocalDynamo {
    pub endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    done: Option<oneshot::Receiver<Result<(), String>>>,
}

impl LocalDynamo {
    /// Serves `db` on `addr` (port 0 picks a free one), on threads of its own: the database does
    /// its work synchronously inside its request handlers (SQLite, one writer at a time), which
    /// must not hold up the threads of the runtime that embeds it (the one process's requests).
    pub async fn start(db: Database, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dynamodb")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (finished, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("dynamodb".into())
            .spawn(move || {
                let outcome = runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).map_err(|e| e.to_string())?;
                    dynoxide::server::serve_with_shutdown(listener, db, async {
                        let _ = stopped.await;
                    })
                    .await
                });
                let _ = finished.send(outcome);
            })?;
        Ok(LocalDynamo {
            endpoint,
            stop: Some(stop),
            done: Some(done),
        })
    }

    /// Stops accepting requests and waits for those in flight to finish.
    pub async fn stop(mut self) -> Result<(), String> {
        self.stop.take().map(|stop| stop.send(()));
        match self.done.take() {
            Some(done) => done
                .await
                .map_err(|_| "the embedded DynamoDB's thread ended early".to_owned())?,
            None => Ok(()),
        }
    }
}

impl Drop for LocalDynamo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Opens the embedded tables' database under `data_dir` (created if need be), the directory and
/// its files readable by their owner only: they hold every learner's conversations.
pub fn open_in(data_dir: &Path) -> Result<(Database, PathBuf), String> {
    private_dir(data_dir)?;
    let path = data_dir.join("dynamodb.sqlite3");
    let db = Database::new(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    for file in [
        "dynamodb.sqlite3",
        "dynamodb.sqlite3-wal",
        "dynamodb.sqlite3-shm",
    ] {
        private_file(&data_dir.join(file))?;
    }
    Ok((db, path))
}

/// A directory, created if need be, readable and writable by its owner only.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot make {} private: {e}", dir.display()))
}

/// Makes `file` readable and writable by its owner only, if it exists.
pub fn private_file(file: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot make {} private: {e}", file.display()))
        }
        _ => Ok(()),
    }
}
