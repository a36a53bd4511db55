//! The guard on password guessing: attempts counted per source address and failures per
//! username, a minute at a time, for every route that checks a password or starts a login.

use lambda_http::Request;

use crate::AppState;
use crate::domain::user::Username;
use crate::error::ApiError;
use crate::store::Ceiling;

/// How many failed logins for one username, from all addresses together, a minute may see for
/// each one allowed from a single address: high enough that an attacker spread over many
/// addresses must work hard to lock the owner out, low enough to slow a distributed guess.
const USERNAME_CEILING_FACTOR: u32 = 10;

/// The guards on password guessing, at `ROLECHAT_AUTH_RATE_PER_MINUTE` (`limit`) a minute:
/// attempts from one address, and failed logins for one username from one address, are held to
/// `limit`; failed logins for one username from everywhere to ten times that. Only failures count
/// against a username, so an attacker hammering it from one address locks out only that address,
/// and its owner still logs in from their own.
pub(super) struct AuthGuard {
    limit: u32,
    ip: Option<String>,
    username: Option<String>,
}

impl AuthGuard {
    pub(super) fn new(state: &AppState, req: &Request, username: Option<&Username>) -> Self {
        AuthGuard {
            limit: state.config.auth_rate_per_minute,
            ip: crate::http::source_ip(req),
            username: username.map(Username::key),
        }
    }

    fn failure_keys(&self) -> Vec<String> {
        let Some(user) = &self.username else {
            return Vec::new();
        };
        let ip = self.ip.as_deref().unwrap_or("unknown");
        vec![format!("fail#{user}#{ip}"), format!("fail#{user}")]
    }

    /// Before any password is hashed: counts the attempt against the address, and checks the
    /// username's failure counts. `429` with the seconds to the next minute when over a limit.
    pub(super) async fn admit(&self, state: &AppState) -> Result<(), ApiError> {
        if self.limit == 0 {
            return Ok(());
        }
        let counted: Vec<Ceiling> = self
            .ip
            .iter()
            .map(|ip| Ceiling {
                key: format!("ip#{ip}"),
                limit: self.limit,
            })
            .collect();
        let limits = [
            self.limit,
            self.limit.saturating_mul(USERNAME_CEILING_FACTOR),
        ];
        let checked: Vec<Ceiling> = self
            .failure_keys()
            .into_iter()
            .zip(limits)
            .map(|(key, limit)| Ceiling { key, limit })
            .collect();
        let now = state.clock.now().unix_timestamp();
        if state.store.admit_attempt(&counted, &checked, now).await? {
            Ok(())
        } else {
            Err(ApiError::RateLimited {
                retry_after_secs: (60 - now.rem_euclid(60)) as u64,
            })
        }
    }

    /// After a wrong password: one more failure for the username, from this address and in all.
    pub(super) async fn failed(&self, state: &AppState) -> Result<(), ApiError> {
        let keys = self.failure_keys();
        if self.limit == 0 || keys.is_empty() {
            return Ok(());
        }
        let now = state.clock.now().unix_timestamp();
        Ok(state.store.count_failure(&keys, now).await?)
    }
}
