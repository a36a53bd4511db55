//! The embedded DynamoDB: dynoxide serving the DynamoDB HTTP API on loopback, so the real
//! aws-sdk-dynamodb client talks to it exactly as it talks to AWS.

use std::net::SocketAddr;

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
