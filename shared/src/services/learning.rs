//! What carries a learner from one day to the next: their study counted as it happens (lines,
//! time, goals, scenes, words, reviews, mistakes by category), what the tutor remembers of them
//! (the facts they shared, their due words, their recurring mistakes), and the progress they see.

use serde::Serialize;

use crate::AppState;
use crate::domain::language::{Language, Level, UiLanguage};
use crate::domain::learner::{DailyGoal, Day, MistakeCategory, TimeZone, current_streak};
use crate::domain::scenarios::{self, ScenarioView, SuggestedFor};
use crate::domain::schedule::Rating;
use crate::error::ApiError;
use crate::store::{Activity, Owner, UserRecord, VocabularyRecord};

/// Adds `activity` to the learner's day in their time zone. Counting never fails what was
/// counted: a failure is logged and the event stands.
pub async fn record(state: &AppState, owner: &Owner, zone: &TimeZone, activity: Activity) {
    record_knowing(state, owner, zone, activity, false).await
}

/// `record`, told whether the learner is known to have studied today already (then the streak
/// needs no write).
pub async fn record_knowing(
    state: &AppState,
    owner: &Owner,
    zone: &TimeZone,
    activity: Activity,
    studied_today: bool,
) {
    let day = zone.day(state.clock.now());
    let store = &state.store;
    if let Err(error) = store
        .record_activity(owner, day, &activity, studied_today)
        .await
    {
        tracing::warn!(%error, "the activity was not counted");
    }
}

/// The learner's day now.
pub fn today(state: &AppState, zone: &TimeZone) -> Day {
    zone.day(state.clock.now())
}

/// A due word the tutor is asked to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWord {
    pub id: String,
    pub text: String,
}

/// What the tutor knows of the learner beyond this room: each part visible to them (the facts
/// page, the notebook, Progress) and deletable by them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// Facts they chose to keep.
    pub facts: Vec<String>,
    /// A few of their words due for review, in the room's language.
    pub due_words: Vec<DueWord>,
    /// Their most frequent kinds of mistake lately, most frequent first.
    pub recurring: Vec<MistakeCategory>,
    /// Whether they said a line or reviewed a card today already.
    pub studied_today: bool,
}

/// The learner a model task works for: where their day begins and what the tutor remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    pub zone: TimeZone,
    pub memory: Memory,
}

/// The due words woven into one conversation turn: a few, so the scene stays the scene.
pub const WOVEN_WORDS: usize = 3;
/// How many recurring kinds of mistake the tutor's emphasis follows.
pub const RECURRING: usize = 2;
/// A kind of mistake is recurring once made this often in the last weeks.
const RECURRING_AT_LEAST: u64 = 3;
/// The days the recurring mistakes are counted over.
const RECENT_DAYS: i32 = 27;

/// The learner's memory for a conversation in `language`: two reads at once (their learning
/// partition's last four weeks and facts, in one query; their first due words). A part that
/// cannot be read is left out: the conversation goes on without it.
pub async fn memory(
    state: &AppState,
    owner: &Owner,
    zone: &TimeZone,
    language: Language,
) -> Memory {
    let now = state.clock.now();
    let today = zone.day(now);
    let now_key = crate::store::vocabulary_due_key(now.unix_timestamp(), "~");
    let (learning, due) = tokio::join!(
        state
            .store
            .recent_days_and_facts(owner, today.minus(RECENT_DAYS)),
        state.store.due_words(owner, &now_key, 20),
    );
    let (days, facts) = learning.unwrap_or_else(|error| {
        tracing::warn!(%error, "the learner's memory could not be read");
        (Vec::new(), Vec::new())
    });
    let due_words = due
        .map(|items| {
            items
                .into_iter()
                .filter(|item| item.language == language)
                .take(WOVEN_WORDS)
                .map(|item| DueWord {
                    id: item.id,
                    text: item.text,
                })
                .collect()
        })
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "the due words could not be read");
            Vec::new()
        });
    let today_key = today.to_string();
    Memory {
        facts: facts.into_iter().map(|fact| fact.text).collect(),
        due_words,
        recurring: recurring(days.iter().flat_map(|day| day.counters.mistakes())),
        studied_today: days.iter().any(|day| {
            day.day == today_key && (day.counters.turns > 0 || day.counters.reviews > 0)
        }),
    }
}

/// The kinds of mistake made at least a few times, most frequent first.
pub fn recurring(
    mistakes: impl IntoIterator<Item = (MistakeCategory, u64)>,
) -> Vec<MistakeCategory> {
    let mut counts: std::collections::BTreeMap<MistakeCategory, u64> = Default::default();
    for (category, count) in mistakes {
        *counts.entry(category).or_default() += count;
    }
    let mut counts: Vec<_> = counts
        .into_iter()
        .filter(|(_, count)| *count >= RECURRING_AT_LEAST)
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .into_iter()
        .take(RECURRING)
        .map(|(category, _)| category)
        .collect()
}

/// The due words the learner used correctly in a line, as feedback found them, each counted as
/// a `good` review of its card ("reviewed in conversation"): the texts of those reviewed.
pub async fn review_in_conversation(
    state: &AppState,
    owner: &Owner,
    words: &[DueWord],
    used: &[String],
) -> Vec<String> {
    let mut reviewed = Vec::new();
    for word in words {
        if !used
            .iter()
            .any(|text| text.trim().eq_ignore_ascii_case(word.text.trim()))
        {
            continue;
        }
        let item: Option<VocabularyRecord> = match state.store.get_vocabulary(owner, &word.id).await
        {
            Ok(item) => item,
            Err(error) => {
                tracing::warn!(%error, "a word used in conversation could not be read");
                continue;
            }
        };
        let Some(item) = item else { continue };
        let now = state.clock.now();
        // Reviewed meanwhile, or no longer due: nothing to count.
        if item.schedule.due > now.unix_timestamp() {
            continue;
        }
        let schedule = item.schedule.review(Rating::Good, now);
        match state
            .store
            .reschedule_vocabulary(owner, &item, &schedule)
            .await
        {
            Ok(Some(_)) => reviewed.push(item.text),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "a review in conversation was not stored"),
        }
    }
    reviewed
}

/// The days Progress shows: twelve weeks.
pub const PROGRESS_DAYS: i32 = 84;

/// What the Today and Progress pages show, from one route.
#[derive(Debug, Serialize)]
pub struct ProgressView {
    pub today: TodayView,
    pub streak: StreakView,
    pub totals: TotalsView,
    /// The days studied in the last twelve weeks, oldest first (days with nothing are left out).
    pub days: Vec<DayView>,
    /// Mistakes by kind over those weeks, most frequent first.
    pub mistakes: Vec<MistakeCount>,
    /// The kinds of mistake the tutor's emphasis follows now.
    pub recurring: Vec<MistakeCategory>,
    /// Words due for review now (up to 99).
    pub due_words: usize,
    /// The room the learner was last in.
    #[serde(rename = "continue")]
    pub continue_room: Option<crate::domain::room::Room>,
    /// The scene suggested next.
    pub suggestion: Option<Suggestion>,
}

#[derive(Debug, Serialize)]
pub struct TodayView {
    pub day: String,
    pub turns: u64,
    pub minutes: u64,
    pub goal: DailyGoal,
    pub goal_met: bool,
}

#[derive(Debug, Serialize)]
pub struct StreakView {
    /// Days in a row up to today (or up to yesterday, while today can still keep it).
    pub current: u64,
    pub longest: u64,
    pub studied_today: bool,
}

#[derive(Debug, Serialize)]
pub struct TotalsView {
    pub turns: u64,
    pub minutes: u64,
    pub scenes_finished: u64,
    pub goals_met: u64,
    pub words_kept: i64,
    pub reviews: u64,
    pub reviewed_in_conversation: u64,
    pub days_studied: u64,
}

#[derive(Debug, Serialize)]
pub struct DayView {
    pub day: String,
    pub turns: u64,
    pub minutes: u64,
    pub goals_met: u64,
    pub scenes_finished: u64,
    pub words_saved: i64,
    pub reviews: u64,
    pub remembered: u64,
    pub reviewed_in_conversation: u64,
    pub mistakes: u64,
    /// The day's mistakes by kind, for the chart of kinds over time.
    pub mistake_kinds: Vec<MistakeCount>,
    pub goal_met: bool,
    pub estimate: Option<Level>,
}

#[derive(Debug, Serialize)]
pub struct MistakeCount {
    pub category: MistakeCategory,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct Suggestion {
    pub scenario: ScenarioView<'static>,
    pub language: Language,
    pub level: Level,
    pub because: SuggestedFor,
}

/// Minutes as people count them: a started minute of talk counts once it is half done.
fn minutes(seconds: u64) -> u64 {
    (seconds + 30) / 60
}

/// Today, the streak, totals, twelve weeks of days, the continuing room, due words and the next
/// scene: a read of the totals, a query of at most 84 days, a page of one room and a count of
/// due words (at most 99 keys), at once: the same cost after a year as after a day.
pub async fn progress(
    state: &AppState,
    owner: &Owner,
    user: &UserRecord,
    ui: UiLanguage,
) -> Result<ProgressView, ApiError> {
    let zone = user.time_zone();
    let goal = user.daily_goal();
    let now = state.clock.now();
    let today = zone.day(now);
    let now_key = crate::store::vocabulary_due_key(now.unix_timestamp(), "~");
    let (learning, rooms, due) = tokio::join!(
        state
            .store
            .learning(owner, today.minus(PROGRESS_DAYS - 1), today),
        state.store.list_rooms(owner, 1, None),
        state.store.due_vocabulary(owner, &now_key, 1),
    );
    let (totals, days) = learning?;
    let last_room = rooms?.items.into_iter().next();
    let (_, due_words) = due?;

    let today_key = today.to_string();
    let this_day = days.iter().find(|day| day.day == today_key);
    let (turns, seconds) =
        this_day.map_or((0, 0), |day| (day.counters.turns, day.counters.seconds));
    let last_day = totals.last_day.as_deref().and_then(Day::parse);
    let mut mistakes: std::collections::BTreeMap<MistakeCategory, u64> = Default::default();
    for (category, count) in days.iter().flat_map(|day| day.counters.mistakes()) {
        *mistakes.entry(category).or_default() += count;
    }
    let recent = today.minus(RECENT_DAYS).to_string();
    let recurring = recurring(
        days.iter()
            .filter(|day| day.day >= recent)
            .flat_map(|day| day.counters.mistakes()),
    );
    let mut mistakes: Vec<MistakeCount> = mistakes
        .into_iter()
        .map(|(category, count)| MistakeCount { category, count })
        .collect();
    mistakes.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));

    // The suggestion is for what they study, or else what they last practised.
    let (language, level, reason) = match (&user.study, &last_room) {
        (Some(study), _) => (study.language, study.level, study.reason),
        (None, Some(room)) => (room.language, room.level, None),
        (None, None) => (Language::EnUs, Level::A1, None),
    };
    let suggestion = scenarios::suggest(language, level, reason, &totals.played, &recurring).map(
        |(scene, because)| Suggestion {
            scenario: scene.view(ui),
            language,
            level,
            because,
        },
    );
    let counters = &totals.counters;
    Ok(ProgressView {
        today: TodayView {
            day: today_key,
            turns,
            minutes: minutes(seconds),
            goal,
            goal_met: goal.met_by(turns, seconds),
        },
        streak: StreakView {
            current: current_streak(today, last_day, totals.streak),
            longest: totals.longest,
            studied_today: last_day == Some(today),
        },
        totals: TotalsView {
            turns: counters.turns,
            minutes: minutes(counters.seconds),
            scenes_finished: counters.scenes_finished,
            goals_met: counters.goals_met,
            words_kept: counters.words_saved.max(0),
            reviews: counters.reviews,
            reviewed_in_conversation: counters.in_conversation,
            days_studied: totals.days_studied,
        },
        days: days
            .iter()
            .map(|day| {
                let c = &day.counters;
                let kinds = c.mistakes();
                DayView {
                    day: day.day.clone(),
                    turns: c.turns,
                    minutes: minutes(c.seconds),
                    goals_met: c.goals_met,
                    scenes_finished: c.scenes_finished,
                    words_saved: c.words_saved,
                    reviews: c.reviews,
                    remembered: c.remembered,
                    reviewed_in_conversation: c.in_conversation,
                    mistakes: kinds.iter().map(|(_, n)| n).sum(),
                    mistake_kinds: kinds
                        .into_iter()
                        .map(|(category, count)| MistakeCount { category, count })
                        .collect(),
                    goal_met: goal.met_by(c.turns, c.seconds),
                    estimate: c.estimate,
                }
            })
            .collect(),
        mistakes,
        recurring,
        due_words,
        continue_room: last_room.map(|room| room.public()),
        suggestion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use MistakeCategory::*;

    #[test]
    fn recurring_mistakes_are_the_frequent_ones_most_frequent_first() {
        let days = [
            (Tense, 2),
            (Article, 1),
            (Tense, 2),
            (Particle, 3),
            (Spelling, 2),
        ];
        assert_eq!(recurring(days), vec![Tense, Particle]);
        assert_eq!(recurring([(Tense, 2)]), Vec::<MistakeCategory>::new());
    }
}
