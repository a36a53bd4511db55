//! DynamoDB failing on demand, at the wire: a request picked to fail is sent not to DynamoDB but
//! to a loopback server that answers `ThrottlingException` (so nothing was executed, as with real
//! throttling), or to a closed port (the endpoint is down). The SDK's own retries see exactly
//! what they would see in AWS.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttled,
    Down,
}

#[derive(Debug, Default)]
struct Plan {
    fault: Option<Fault>,
    /// Requests still let through before the fault starts.
    pass: usize,
    /// Requests still to fail; `None` until `heal`.
    fail: Option<usize>,
    injected: usize,
}

#[derive(Debug, Clone)]
pub struct Faults {
    plan: Arc<Mutex<Plan>>,
    throttling_server: SocketAddr,
    closed_port: SocketAddr,
}

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;

impl Faults {
    /// Starts the throttling server on the current Tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let throttling_server = listener.local_addr()?;
        let router = axum::Router::new().fallback(|| async {
            (
                axum::http::StatusCode::BAD_REQUEST,
                [("content-type", "application/x-amz-json-1.0")],
                THROTTLED,
            )
        });
        tokio::spawn(async move { axum::serve(listener, router).await });
        // A port nothing listens on: bound, noted, released.
        let closed_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        Ok(Faults {
            plan: Arc::default(),
            throttling_server,
            closed_port,
        })
    }

    /// After `pass` more requests, the next `count` fail with `fault` (`None`: all, until `heal`).
    pub fn inject(&self, fault: Fault, pass: usize, count: Option<usize>) {
        let mut plan = self.plan.lock().unwrap();
        *plan = Plan {
            fault: Some(fault),
            pass,
            fail: count,
            injected: 0,
        };
    }

    /// No more faults; returns how many requests failed.
    pub fn heal(&self) -> usize {
        let mut plan = self.plan.lock().unwrap();
        let injected = plan.injected;
        *plan = Plan::default();
        injected
    }
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut plan = self.plan.lock().unwrap();
        let Some(fault) = plan.fault else {
            return Ok(());
        };
        if plan.pass > 0 {
            plan.pass -= 1;
            return Ok(());
        }
        match plan.fail {
            Some(0) => return Ok(()),
            Some(ref mut left) => *left -= 1,
            None => {}
        }
        plan.injected += 1;
        let target = match fault {
            Fault::Throttled => self.throttling_server,
            Fault::Down => self.closed_port,
        };
        context
            .request_mut()
            .set_uri(format!("http://{target}/"))
            .map_err(|e| format!("cannot redirect the request: {e}"))?;
        Ok(())
    }
}
