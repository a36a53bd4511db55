//! What the model-calling routes share: the daily limit, refusals as API errors, and
//! server-sent events.

use bytes::Bytes;
use serde::Serialize;
use time::OffsetDateTime;

use crate::config::Config;
use crate::error::ApiError;
use crate::store::{Refusal, Usage};

/// Today's usage counter of a user, under the configured daily limit.
pub fn usage_today(config: &Config, now: OffsetDateTime) -> Usage {
    Usage {
        day: crate::domain::time::day(now),
        limit: config.daily_turns,
        calls: 1,
        expires_at: (crate::domain::time::next_midnight(now) + time::Duration::DAY)
            .unix_timestamp(),
    }
}

pub fn refusal_error(refusal: Refusal, now: OffsetDateTime) -> ApiError {
    match refusal {
        Refusal::LoggedOut => ApiError::Unauthorized,
        Refusal::RoomGone => ApiError::NotFound,
        Refusal::Busy | Refusal::Repeated => {
            ApiError::Conflict("A turn is already being generated in this room.")
        }
        // A running turn takes seconds: worth trying again soon.
        Refusal::TooManyTurns => ApiError::RateLimited {
            retry_after_secs: 5,
        },
        Refusal::QuotaExhausted => {
            let wait = (crate::domain::time::next_midnight(now) - now)
                .whole_seconds()
                .max(1) as u64;
            ApiError::RateLimited {
                retry_after_secs: wait,
            }
        }
    }
}

/// One server-sent event: `event: <name>` and its JSON data.
pub fn event(name: &str, data: &impl Serialize) -> Bytes {
    let data = serde_json::to_string(data).expect("events carry plain data");
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}
