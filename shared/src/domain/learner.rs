//! What a learner tells Rolechat about their learning (where their day begins, a daily goal, what
//! they study and why, facts the tutor may use), the kinds of mistakes feedback sorts lines into,
//! and how a day of study is counted.

use serde::{Deserialize, Serialize};
use strum::VariantArray;
use time::OffsetDateTime;

use super::language::{Language, Level, text_enum};

/// An IANA time zone (`Asia/Seoul`): a learner's day, streak and goal begin at their midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TimeZone(String);

impl TimeZone {
    pub fn parse(name: &str) -> Result<Self, String> {
        if name.len() > 64 || jiff::tz::TimeZone::get(name).is_err() {
            return Err("must be an IANA time zone such as Asia/Seoul".into());
        }
        Ok(TimeZone(name.to_owned()))
    }

    /// Where a learner who named none is assumed to be.
    pub fn utc() -> Self {
        TimeZone("UTC".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The learner's calendar day at `at`, as `2026-12-03`.
    pub fn day(&self, at: OffsetDateTime) -> Day {
        let zone = jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC);
        let instant = jiff::Timestamp::from_second(at.unix_timestamp())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        Day(zone.to_datetime(instant).date())
    }
}

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        TimeZone::parse(&name)
    }
}

impl From<TimeZone> for String {
    fn from(zone: TimeZone) -> String {
        zone.0
    }
}

/// A calendar day in a learner's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(jiff::civil::Date);

impl Day {
    pub fn parse(text: &str) -> Option<Day> {
        text.parse().ok().map(Day)
    }

    pub fn yesterday(self) -> Day {
        Day(self.0.yesterday().unwrap_or(self.0))
    }

    /// Whether this is a Sunday: the day a week's summary goes.
    pub fn is_sunday(self) -> bool {
        self.0.weekday() == jiff::civil::Weekday::Sunday
    }

    /// The day `days` before this one.
    pub fn minus(self, days: i32) -> Day {
        Day(self
            .0
            .checked_sub(jiff::Span::new().days(days))
            .unwrap_or(self.0))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the learner counts their day by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(into = "String", try_from = "String")]
pub enum GoalUnit {
    #[strum(serialize = "minutes")]
    Minutes,
    #[strum(serialize = "turns")]
    Turns,
}

text_enum!(GoalUnit);

/// A daily goal: so many minutes of conversation, or so many lines said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyGoal {
    pub unit: GoalUnit,
    pub amount: u32,
}

impl DailyGoal {
    pub fn parse(unit: &str, amount: i64) -> Result<Self, String> {
        let unit = GoalUnit::parse(unit)?;
        let range = match unit {
            GoalUnit::Minutes => 3..=120,
            GoalUnit::Turns => 5..=200,
        };
        if !range.contains(&amount) {
            return Err(format!(
                "{} must be {} to {}",
                unit.code(),
                range.start(),
                range.end()
            ));
        }
        Ok(DailyGoal {
            unit,
            amount: amount as u32,
        })
    }

    /// Until the learner chooses: ten minutes, as most learning apps start.
    pub fn default_goal() -> Self {
        DailyGoal {
            unit: GoalUnit::Minutes,
            amount: 10,
        }
    }

    /// What is left of it after `turns` lines and `seconds` of conversation: an amount in its
    /// unit, and whether that unit is minutes.
    pub fn left_after(self, turns: u64, seconds: u64) -> (u64, bool) {
        match self.unit {
            GoalUnit::Minutes => (
                (u64::from(self.amount) * 60)
                    .saturating_sub(seconds)
                    .div_ceil(60),
                true,
            ),
            GoalUnit::Turns => (u64::from(self.amount).saturating_sub(turns), false),
        }
    }

    /// Whether a day of `turns` lines and `seconds` of conversation meets it.
    pub fn met_by(self, turns: u64, seconds: u64) -> bool {
        match self.unit {
            GoalUnit::Minutes => seconds >= u64::from(self.amount) * 60,
            GoalUnit::Turns => turns >= u64::from(self.amount),
        }
    }
}

/// Why the learner studies: it chooses what the first scenes are about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(into = "String", try_from = "String")]
pub enum Reason {
    #[strum(serialize = "travel")]
    Travel,
    #[strum(serialize = "work")]
    Work,
    #[strum(serialize = "exam")]
    Exam,
    #[strum(serialize = "family")]
    Family,
    #[strum(serialize = "fun")]
    Fun,
}

text_enum!(Reason);

/// What the learner studies, chosen at onboarding: the defaults of every form after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Study {
    pub language: Language,
    pub level: Level,
    #[serde(default)]
    pub reason: Option<Reason>,
}

/// The kinds of mistake feedback sorts a line's errors into: a fixed list, so they can be
/// counted across days. Each language uses those that fit it ([`MistakeCategory::of`]).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MistakeCategory {
    WordChoice,
    WordForm,
    Tense,
    WordOrder,
    Spelling,
    Register,
    MissingWord,
    OtherLanguage,
    Article,
    Preposition,
    Agreement,
    Case,
    Particle,
    Counter,
}

impl MistakeCategory {
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// The categories that fit `language`, in the order a teacher would look for them.
    pub fn of(language: Language) -> Vec<MistakeCategory> {
        use MistakeCategory::*;
        let own: &[MistakeCategory] = match language {
            Language::EnUs => &[Article, Preposition, Agreement],
            Language::EsEs | Language::FrFr => &[Article, Preposition, Agreement],
            Language::DeDe => &[Article, Case, Agreement, Preposition],
            Language::JaJp | Language::KoKr => &[Particle, Counter],
            Language::ZhCn => &[Counter],
        };
        let mut all = vec![Tense, WordForm];
        all.extend_from_slice(own);
        all.extend_from_slice(&[
            WordChoice,
            WordOrder,
            MissingWord,
            Spelling,
            Register,
            OtherLanguage,
        ]);
        all
    }

    /// What the category covers in `language`, for the feedback prompt.
    pub fn meaning(self, language: Language) -> &'static str {
        use MistakeCategory::*;
        match (self, language) {
            (Tense, Language::ZhCn) => "aspect and time (了, 过, 在, 会)",
            (Tense, _) => "tense or aspect: the wrong time for the verb",
            (WordForm, Language::JaJp) => {
                "a verb or adjective form (conjugation, て-form, です/ます)"
            }
            (WordForm, Language::KoKr) => "a verb or adjective ending or conjugation",
            (WordForm, Language::ZhCn) => "a word's form (reduplication, 的/地/得)",
            (WordForm, _) => "a word's form: conjugation, plural, comparative",
            (Article, _) => "an article missing, extra or wrong",
            (Case, _) => "the case of an article, adjective or pronoun",
            (Agreement, Language::EnUs) => "subject-verb agreement (she go)",
            (Agreement, _) => "agreement in gender or number",
            (Preposition, _) => "a preposition missing or wrong",
            (Particle, Language::JaJp) => "a particle (は/が, を, に/で, へ)",
            (Particle, _) => "a particle (은/는, 이/가, 을/를, 에/에서)",
            (Counter, Language::ZhCn) => "a measure word (个, 张, 杯)",
            (Counter, Language::JaJp) => "a counter (つ, 本, 枚, 人)",
            (Counter, _) => "a counter or number system (개, 명, 잔; 하나 or 일)",
            (WordChoice, _) => "a wrong word for the meaning",
            (WordOrder, _) => "word order",
            (MissingWord, _) => "a needed word missing (other than the above)",
            (Spelling, Language::JaJp | Language::ZhCn) => "a wrong character or kana",
            (Spelling, _) => "spelling, accents or capitals that matter",
            (Register, _) => "the register: too formal or too casual for the scene",
            (OtherLanguage, _) => "words of another language mixed in",
        }
    }
}

/// A fact the learner chose to share with the tutor ("works as a nurse", "flies to Osaka in
/// May"): 2 to 120 characters once trimmed, one line.
pub fn fact(raw: &str) -> Result<String, &'static str> {
    let fact = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=120).contains(&fact.chars().count()) {
        return Err("must be 2 to 120 characters");
    }
    if fact.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(fact)
}

/// The most facts a learner keeps: the tutor is told all of them, so the list stays short.
pub const MAX_FACTS: usize = 20;

/// The time one line of conversation counts for: the pause since the conversation's previous
/// line (reading, thinking, typing or speaking), at least 5 seconds and at most 2 minutes, so a
/// learner who left and came back an hour later is not counted an hour.
pub fn seconds_of_turn(previous_line_at: Option<OffsetDateTime>, now: OffsetDateTime) -> u64 {
    let pause = previous_line_at.map_or(30, |at| (now - at).whole_seconds());
    pause.clamp(5, 120) as u64
}

/// How many days in a row, ending today or yesterday, a learner studied, given the day they last
/// studied and the run that day ended.
pub fn current_streak(today: Day, last_day: Option<Day>, streak: u64) -> u64 {
    match last_day {
        Some(day) if day == today || day == today.yesterday() => streak,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_day_begins_at_the_learners_midnight_across_a_daylight_saving_change() {
        let seoul = TimeZone::parse("Asia/Seoul").unwrap();
        let new_york = TimeZone::parse("America/New_York").unwrap();
        let at = datetime!(2026-03-08 14:30 UTC);
        assert_eq!(seoul.day(at).to_string(), "2026-03-08");
        assert_eq!(
            seoul.day(datetime!(2026-03-08 15:00 UTC)).to_string(),
            "2026-03-09"
        );
        // New York moves to daylight time at 07:00 UTC on 8 March 2026: midnight is 04:00 UTC after.
        assert_eq!(
            new_york.day(datetime!(2026-03-09 03:59 UTC)).to_string(),
            "2026-03-08"
        );
        assert_eq!(
            new_york.day(datetime!(2026-03-09 04:00 UTC)).to_string(),
            "2026-03-09"
        );
        assert_eq!(
            new_york.day(datetime!(2026-03-08 04:59 UTC)).to_string(),
            "2026-03-07"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn days_count_back_and_a_streak_lives_until_the_day_after_next() {
        let day = Day::parse("2026-03-01").unwrap();
        assert_eq!(day.yesterday().to_string(), "2026-02-28");
        assert_eq!(day.minus(83).to_string(), "2025-12-08");
        assert_eq!(current_streak(day, Some(day), 4), 4);
        assert_eq!(current_streak(day, Some(day.yesterday()), 4), 4);
        assert_eq!(current_streak(day, Some(day.minus(2)), 4), 0);
        assert_eq!(current_streak(day, None, 0), 0);
    }

    #[test]
    fn goals_and_facts_are_bounded() {
        assert!(DailyGoal::parse("minutes", 10).is_ok());
        assert!(DailyGoal::parse("minutes", 0).is_err());
        assert!(DailyGoal::parse("turns", 500).is_err());
        assert!(DailyGoal::parse("hours", 1).is_err());
        let goal = DailyGoal::parse("turns", 20).unwrap();
        assert!(goal.met_by(20, 0) && !goal.met_by(19, 10_000));
        assert_eq!(fact("  works as  a nurse ").unwrap(), "works as a nurse");
        assert!(fact("x").is_err() && fact(&"x".repeat(121)).is_err());
        assert!(fact("a\u{7}b").is_err());
    }

    #[test]
    fn a_turn_counts_the_pause_before_it_within_bounds() {
        let now = datetime!(2026-03-01 12:00 UTC);
        assert_eq!(
            seconds_of_turn(Some(now - time::Duration::seconds(40)), now),
            40
        );
        assert_eq!(
            seconds_of_turn(Some(now - time::Duration::hours(3)), now),
            120
        );
        assert_eq!(seconds_of_turn(Some(now), now), 5);
        assert_eq!(seconds_of_turn(None, now), 30);
    }

    #[test]
    fn every_language_has_the_common_categories_and_its_own() {
        for language in Language::VARIANTS {
            let categories = MistakeCategory::of(*language);
            assert!(categories.contains(&MistakeCategory::WordChoice));
            assert!(categories.contains(&MistakeCategory::Register));
            for category in categories {
                assert!(!category.meaning(*language).is_empty());
            }
        }
        assert!(MistakeCategory::of(Language::JaJp).contains(&MistakeCategory::Particle));
        assert!(!MistakeCategory::of(Language::EnUs).contains(&MistakeCategory::Particle));
        assert!(MistakeCategory::of(Language::DeDe).contains(&MistakeCategory::Case));
    }
}
