//! The embedded DynamoDB: dynoxide serving the DynamoDB HTTP API on loopback, so the real
//! aws-sdk-dynamodb client talks to it exactly as it talks to AWS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use dynoxide::Database;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running embedded DynamoDB. Dropping it stops the server.
pub struct LocalDynamo {
    pub endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), String>>>,
}

impl LocalDynamo {
    /// Serves `db` on `addr` (port 0 picks a free one) from the current Tokio runtime.
    pub async fn start(db: Database, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(dynoxide::server::serve_with_shutdown(listener, db, async {
            let _ = stopped.await;
        }));
        Ok(LocalDynamo {
            endpoint,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Stops accepting requests and waits for those in flight to finish.
    pub async fn stop(mut self) -> Result<(), String> {
        self.stop.take().map(|stop| stop.send(()));
        match self.task.take() {
            Some(task) => task.await.map_err(|e| e.to_string())?,
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
