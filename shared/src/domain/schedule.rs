//! Spaced review of the vocabulary notebook, scheduled by FSRS (the `rs-fsrs` crate, with its
//! default parameters: 90% retention, short-term steps on). An item's schedule is stored with it;
//! each rating moves it to the date FSRS gives.

use rs_fsrs::{Card, FSRS, Rating as FsrsRating, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How well the learner recalled an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Again,
    Hard,
    Good,
    Easy,
}

impl Rating {
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "again" => Ok(Rating::Again),
            "hard" => Ok(Rating::Hard),
            "good" => Ok(Rating::Good),
            "easy" => Ok(Rating::Easy),
            _ => Err("must be one of again, hard, good, easy".into()),
        }
    }

    fn fsrs(self) -> FsrsRating {
        match self {
            Rating::Again => FsrsRating::Again,
            Rating::Hard => FsrsRating::Hard,
            Rating::Good => FsrsRating::Good,
            Rating::Easy => FsrsRating::Easy,
        }
    }
}

/// Where an item is in its learning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardState {
    New,
    Learning,
    Review,
    Relearning,
}

/// An item's FSRS memory state and when it is next due (epoch seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    pub due: i64,
    pub state: CardState,
    pub reps: u32,
    pub lapses: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_review: Option<i64>,
    pub stability: f64,
    pub difficulty: f64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
}

fn chrono(at: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(at, 0).unwrap_or_default()
}

impl Schedule {
    /// A new item: due at once.
    pub fn new(now: OffsetDateTime) -> Self {
        Schedule {
            due: now.unix_timestamp(),
            state: CardState::New,
            reps: 0,
            lapses: 0,
            last_review: None,
            stability: 0.0,
            difficulty: 0.0,
            elapsed_days: 0,
            scheduled_days: 0,
        }
    }

    fn card(&self) -> Card {
        Card {
            due: chrono(self.due),
            stability: self.stability,
            difficulty: self.difficulty,
            elapsed_days: self.elapsed_days,
            scheduled_days: self.scheduled_days,
            reps: self.reps as i32,
            lapses: self.lapses as i32,
            state: match self.state {
                CardState::New => State::New,
                CardState::Learning => State::Learning,
                CardState::Review => State::Review,
                CardState::Relearning => State::Relearning,
            },
            last_review: chrono(self.last_review.unwrap_or(self.due)),
        }
    }

    /// The schedule after a review rated `rating` at `now`.
    pub fn review(&self, rating: Rating, now: OffsetDateTime) -> Schedule {
        let next = FSRS::default()
            .next(self.card(), chrono(now.unix_timestamp()), rating.fsrs())
            .card;
        Schedule {
            due: next.due.timestamp(),
            state: match next.state {
                State::New => CardState::New,
                State::Learning => CardState::Learning,
                State::Review => CardState::Review,
                State::Relearning => CardState::Relearning,
            },
            reps: next.reps.max(0) as u32,
            lapses: next.lapses.max(0) as u32,
            last_review: Some(now.unix_timestamp()),
            stability: next.stability,
            difficulty: next.difficulty,
            elapsed_days: next.elapsed_days,
            scheduled_days: next.scheduled_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(day: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_795_000_000 + day * 86_400).unwrap()
    }

    #[test]
    fn again_comes_back_the_same_day_and_easy_after_good_later_than_good() {
        let now = at(0);
        let new = Schedule::new(now);
        let again = new.review(Rating::Again, now);
        assert!(again.due - now.unix_timestamp() < 86_400, "{again:?}");
        let good = new.review(Rating::Good, now);
        let later = at(3);
        let good_then_good = good.review(Rating::Good, later);
        let good_then_easy = good.review(Rating::Easy, later);
        assert!(
            good_then_easy.due > good_then_good.due,
            "{good_then_easy:?} {good_then_good:?}"
        );
        assert_eq!(good_then_good.reps, 2);
        let lapse = good_then_good.review(Rating::Again, at(20));
        assert_eq!(lapse.lapses, 1);
        assert_eq!(lapse.state, CardState::Relearning);
    }

    fn rating() -> impl Strategy<Value = Rating> {
        prop::sample::select(Rating::ALL.to_vec())
    }

    proptest! {
        /// For any sequence of ratings at any pace, the item is never due before it was
        /// reviewed, and `again` never schedules later than `good` from the same state.
        #[test]
        fn due_never_moves_into_the_past_and_again_is_never_later_than_good(
            steps in prop::collection::vec((rating(), 0i64..40 * 86_400), 1..30)
        ) {
            let mut now = at(0);
            let mut schedule = Schedule::new(now);
            for (rating, wait) in steps {
                now += time::Duration::seconds(wait);
                let again = schedule.review(Rating::Again, now);
                let good = schedule.review(Rating::Good, now);
                prop_assert!(again.due <= good.due, "{again:?} later than {good:?}");
                schedule = schedule.review(rating, now);
                prop_assert!(schedule.due >= now.unix_timestamp(), "{schedule:?} before {now}");
            }
        }
    }
}
