//! Timestamps as the contract writes them: RFC 3339, UTC, whole seconds (`2026-11-22T10:54:00Z`).

use time::OffsetDateTime;
use time::macros::format_description;

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
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
}
