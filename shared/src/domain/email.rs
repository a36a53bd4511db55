//! A learner's email address and the reminders they chose: when, in their own time zone, a
//! reminder is due.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::learner::{Day, TimeZone};

/// An email address as kept: trimmed, lower-cased (one account per address, whatever the case
/// it was typed in), at most 254 characters, and one that SMTP can carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let address = raw.trim().to_lowercase();
        if address.is_empty() {
            return Err("is required".into());
        }
        if address.chars().count() > 254 {
            return Err("must be at most 254 characters".into());
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err("must be an email address such as minsu@example.com".into());
        };
        // A domain with a dot: a mail to `root@localhost` from a public service goes nowhere.
        let plausible = !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        if !plausible || address.parse::<lettre::Address>().is_err() {
            return Err("must be an email address such as minsu@example.com".into());
        }
        Ok(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with most of its local part hidden (`mi***@example.com`), for telling the old
    /// address where the account's mail now goes without giving the new one away.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let shown: String = local.chars().take(2).collect();
        format!("{shown}***@{domain}")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        EmailAddress::parse(&raw)
    }
}

impl From<EmailAddress> for String {
    fn from(address: EmailAddress) -> String {
        address.0
    }
}

/// The reminders a learner chose: a daily one at `hour` (their time) when the day's goal is not
/// met or words are due, and a summary of the week on Sundays at the same hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminders {
    pub daily: bool,
    pub weekly: bool,
    /// 0 to 23, in the learner's time zone.
    pub hour: u8,
}

impl Reminders {
    pub const DEFAULT_HOUR: u8 = 19;

    pub fn parse(daily: bool, weekly: bool, hour: i64) -> Result<Self, String> {
        let hour = u8::try_from(hour)
            .ok()
            .filter(|hour| *hour < 24)
            .ok_or("hour must be a whole number from 0 to 23")?;
        Ok(Reminders {
            daily,
            weekly,
            hour,
        })
    }

    pub fn off() -> Self {
        Reminders {
            daily: false,
            weekly: false,
            hour: Self::DEFAULT_HOUR,
        }
    }

    pub fn any(self) -> bool {
        self.daily || self.weekly
    }

    /// The next reminder after `after`: the learner's day it is for and its slot in UTC (see
    /// [`slot`]). On a day whose chosen hour does not exist (a clock moved forward past
    /// it) the reminder comes at the first time after the gap; on one where it happens twice,
    /// at the first.
    pub fn next(self, zone: &TimeZone, after: OffsetDateTime) -> (Day, String) {
        let tz = jiff::tz::TimeZone::get(zone.as_str()).unwrap_or(jiff::tz::TimeZone::UTC);
        let now = jiff::Timestamp::from_second(after.unix_timestamp())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut date = tz.to_datetime(now).date();
        loop {
            let local = date.at(self.hour as i8, 0, 0, 0);
            // `compatible`: forward past a gap, the earlier of a fold.
            if let Ok(at) = tz.to_timestamp(local)
                && at > now
            {
                let at = OffsetDateTime::from_unix_timestamp(at.as_second())
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                return (
                    Day::parse(&date.to_string()).expect("a civil date"),
                    slot(at),
                );
            }
            date = date.tomorrow().unwrap_or(date);
        }
    }
}

/// How long one slot is: a quarter of an hour, so a learner's hour falls exactly on one in every
/// time zone (India's is half an hour off UTC's, Nepal's three quarters).
pub const SLOT_MINUTES: u8 = 15;

/// The quarter of an hour (UTC) a reminder falls in, as `2026-12-03T09:45`: the key the scheduled
/// run, every quarter of an hour, looks reminders up by.
pub fn slot(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute() / SLOT_MINUTES * SLOT_MINUTES
    )
}

/// When a slot begins.
pub fn slot_start(slot: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(slot, format)
        .ok()
        .map(|at| at.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn addresses_are_kept_lower_case_and_checked() {
        assert_eq!(
            EmailAddress::parse("  MinSu@Example.COM ")
                .unwrap()
                .as_str(),
            "minsu@example.com"
        );
        for bad in [
            "",
            "minsu",
            "minsu@",
            "@example.com",
            "minsu@localhost",
            "a b@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was taken");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(EmailAddress::parse(&long).is_err());
        assert_eq!(
            EmailAddress::parse("minsu@example.com").unwrap().masked(),
            "mi***@example.com"
        );
    }

    #[test]
    fn the_next_reminder_is_at_the_chosen_hour_in_the_learners_zone() {
        let at = |hour| Reminders::parse(true, false, hour).unwrap();
        let seoul = TimeZone::parse("Asia/Seoul").unwrap();
        // 09:30 UTC is 18:30 in Seoul: 19:00 there is 10:00 UTC, the same day.
        let (day, slot) = at(19).next(&seoul, datetime!(2026-12-03 09:30 UTC));
        assert_eq!(
            (day.to_string(), slot.as_str()),
            ("2026-12-03".into(), "2026-12-03T10:00")
        );
        // Past it: tomorrow's.
        let (day, slot) = at(19).next(&seoul, datetime!(2026-12-03 10:00 UTC));
        assert_eq!(
            (day.to_string(), slot.as_str()),
            ("2026-12-04".into(), "2026-12-04T10:00")
        );
        // Across midnight: 07:00 in Los Angeles is 15:00 UTC (winter).
        let la = TimeZone::parse("America/Los_Angeles").unwrap();
        let (day, slot) = at(7).next(&la, datetime!(2026-12-03 23:00 UTC));
        assert_eq!(
            (day.to_string(), slot.as_str()),
            ("2026-12-04".into(), "2026-12-04T15:00")
        );
    }

    #[test]
    fn daylight_saving_moves_the_slot_not_the_local_hour() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        let eight = Reminders::parse(true, false, 8).unwrap();
        // Summer time ends on 2026-10-25: 08:00 is 06:00 UTC before, 07:00 UTC after.
        let (_, before) = eight.next(&berlin, datetime!(2026-10-24 00:00 UTC));
        let (_, after) = eight.next(&berlin, datetime!(2026-10-25 00:00 UTC));
        assert_eq!(
            (before.as_str(), after.as_str()),
            ("2026-10-24T06:00", "2026-10-25T07:00")
        );
        // It begins on 2026-03-29 at 02:00, which that day does not have: 03:00 (01:00 UTC).
        let two = Reminders::parse(true, false, 2).unwrap();
        let (day, slot) = two.next(&berlin, datetime!(2026-03-28 23:00 UTC));
        assert_eq!(
            (day.to_string(), slot.as_str()),
            ("2026-03-29".into(), "2026-03-29T01:00")
        );
    }

    #[test]
    fn zones_off_by_part_of_an_hour_fall_on_their_own_quarter() {
        let seven = Reminders::parse(true, false, 19).unwrap();
        // 19:00 in Kolkata (+05:30) is 13:30 UTC; in Kathmandu (+05:45), 13:15 UTC.
        let kolkata = TimeZone::parse("Asia/Kolkata").unwrap();
        let kathmandu = TimeZone::parse("Asia/Kathmandu").unwrap();
        let (_, india) = seven.next(&kolkata, datetime!(2026-12-03 00:00 UTC));
        let (_, nepal) = seven.next(&kathmandu, datetime!(2026-12-03 00:00 UTC));
        assert_eq!(
            (india.as_str(), nepal.as_str()),
            ("2026-12-03T13:30", "2026-12-03T13:15")
        );
        assert_eq!(slot_start(&india), Some(datetime!(2026-12-03 13:30 UTC)));
        assert_eq!(slot(datetime!(2026-12-03 13:44:59 UTC)), "2026-12-03T13:30");
    }
}
