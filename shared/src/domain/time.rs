//! Timestamps as the contract writes them: RFC 3339, UTC, whole seconds (`2026-11-22T10:54:00Z`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;
use time::macros::format_description;

/// The system's time. What the application decides by (quotas, expiries, timestamps) reads
/// [`Clock::now`] instead, so a test can set it.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The time the application goes by: the system's, or the system's shifted by an amount a test
/// sets (a test starts at noon, far from the edges of the day, the hour and the minute that quotas
/// and rate limits count in, and moves to the next day to see a streak go on). Clones share the
/// shift. On a local stack, `ROLECHAT_CLOCK_FILE` names a file holding the shift in seconds, read
/// at every tick, so browser tests can move every function's clock at once.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    shift_ms: Arc<AtomicI64>,
    file: Option<Arc<std::path::PathBuf>>,
}

impl Clock {
    pub fn system() -> Self {
        Clock::default()
    }

    /// The system's time moved by `shift`; it goes on ticking.
    pub fn shifted(shift: time::Duration) -> Self {
        let clock = Clock::default();
        clock.advance(shift);
        clock
    }

    /// The system's time moved to the nearest noon (UTC): at most twelve hours away.
    pub fn at_noon() -> Self {
        let now = OffsetDateTime::now_utc();
        let noon = now.replace_time(time::macros::time!(12:00));
        let shift = match noon - now {
            shift if shift > time::Duration::hours(12) => shift - time::Duration::DAY,
            shift if shift < -time::Duration::hours(12) => shift + time::Duration::DAY,
            shift => shift,
        };
        Clock::shifted(shift)
    }

    /// The system's time shifted by the seconds written in `path` (none while it is missing or
    /// unreadable).
    pub fn from_file(path: std::path::PathBuf) -> Self {
        Clock {
            file: Some(Arc::new(path)),
            ..Clock::default()
        }
    }

    /// Moves this clock, and every clone of it, by `by`.
    pub fn advance(&self, by: time::Duration) {
        self.shift_ms
            .fetch_add(by.whole_milliseconds() as i64, Ordering::Relaxed);
    }

    pub fn now(&self) -> OffsetDateTime {
        let mut shift = time::Duration::milliseconds(self.shift_ms.load(Ordering::Relaxed));
        if let Some(path) = &self.file
            && let Ok(text) = std::fs::read_to_string(path.as_path())
            && let Ok(seconds) = text.trim().parse::<i64>()
        {
            shift += time::Duration::seconds(seconds);
        }
        OffsetDateTime::now_utc() + shift
    }
}

pub fn rfc3339(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("a UTC date within years 0..=9999 always formats")
}

/// `rfc3339` of epoch seconds (the epoch itself for a time out of range).
pub fn rfc3339_unix(seconds: i64) -> String {
    rfc3339(OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// The UTC day of `at`, as `2026-11-22`.
pub fn day(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .expect("a UTC date always formats")
}

/// The start of the UTC day after `at`.
pub fn next_midnight(at: OffsetDateTime) -> OffsetDateTime {
    let date = at.to_offset(time::UtcOffset::UTC).date();
    date.next_day().unwrap_or(date).midnight().assume_utc()
}

/// The pause before retry number `attempt` (0 first): "full jitter", a random time up to
/// `base` doubled `attempt` times, so that clients refused together do not come back together.
pub fn backoff(base: std::time::Duration, attempt: u32) -> std::time::Duration {
    let ceiling = base.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    ceiling.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_in_utc_to_the_second() {
        assert_eq!(
            rfc3339(datetime!(2026-11-22 10:54:00.987 UTC)),
            "2026-11-22T10:54:00Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-22 19:54:00 +9)),
            "2026-11-22T10:54:00Z"
        );
    }

    #[test]
    fn backoff_is_jittered_under_a_doubling_ceiling() {
        let base = std::time::Duration::from_millis(100);
        let waits: Vec<_> = (0..50).map(|_| super::backoff(base, 3)).collect();
        assert!(waits.iter().all(|w| *w <= base * 8));
        assert!(waits.iter().any(|w| *w != waits[0]), "not all the same");
        assert!(super::backoff(base, 200) <= base * 65_536);
    }
}
