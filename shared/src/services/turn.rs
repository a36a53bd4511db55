//! What the model-calling routes share: the daily limit, and refusals as API errors.

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
