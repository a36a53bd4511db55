//! The scheduled run, once an hour: the learners whose reminder falls in this hour (one query of
//! `by_reminder_slot` per page, never a scan), each reminded at most once a day of theirs; and
//! what SES says of bounces and complaints, which stops mail to that address.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::domain::email::{SLOT_MINUTES, slot, slot_start};
use crate::mail::{MailError, letters};
use crate::services::email;
use crate::store::{Owner, StoreError, UserRecord};

/// How far back a run looks for reminders a failed or late run left: each slot since is asked
/// for, and a reminder older than [`LATE`] is moved to its next day without a mail.
const LOOK_BACK: time::Duration = time::Duration::hours(24);
/// A reminder later than this is no longer worth sending.
const LATE: Duration = Duration::from_secs(3 * 3600);
/// Learners looked at together (their counters read at once; mails still paced).
const AT_ONCE: usize = 8;

/// What one run did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// The learners whose slot the run looked at.
    pub due: u64,
    pub daily_sent: u64,
    pub weekly_sent: u64,
    /// Nothing to remind of (the goal met, no words due), or no address to send to.
    pub nothing_to_say: u64,
    /// Reminded already that day (a retried run), or changed meanwhile.
    pub already: u64,
    /// Too late: moved to the next day.
    pub late: u64,
    /// Given back for the next run (the mail service unavailable).
    pub retry: u64,
    /// Refused for good by the mail service.
    pub refused: u64,
    /// Left for the next run: this one ran out of time.
    pub left: u64,
}

enum Outcome {
    Daily,
    Weekly,
    Nothing,
    Already,
    Late,
    Retry,
    Refused,
}

/// Paces the mails of a run to the service's rate.
struct Pace {
    next: tokio::sync::Mutex<tokio::time::Instant>,
    gap: Duration,
}

impl Pace {
    async fn wait(&self) {
        let mut next = self.next.lock().await;
        tokio::time::sleep_until(*next).await;
        *next = tokio::time::Instant::now() + self.gap;
    }
}

/// One run at `now`, stopping to look at new learners after `budget` (a Lambda run has at most
/// fifteen minutes): those left keep their slot, and the next run, looking back, takes them.
pub async fn run(state: &Arc<AppState>, budget: Duration) -> Result<RunReport, StoreError> {
    let started = std::time::Instant::now();
    let now = state.clock.now();
    let pace = Pace {
        next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        gap: Duration::from_secs(1) / state.config.mail.per_second.max(1),
    };
    let mut report = RunReport::default();
    let step = time::Duration::minutes(SLOT_MINUTES.into());
    let slots = LOOK_BACK.whole_minutes() / i64::from(SLOT_MINUTES);
    for back in (0..slots).rev() {
        let slot = slot(now - step * back as i32);
        let mut start = None;
        loop {
            let (keys, next) = state.store.reminders_in_slot(&slot, start).await?;
            for chunk in keys.chunks(100) {
                if started.elapsed() > budget {
                    report.left += chunk.len() as u64;
                    continue;
                }
                let users = state.store.users(chunk).await?;
                report.due += users.len() as u64;
                let outcomes: Vec<Result<Outcome, StoreError>> = futures_util::stream::iter(users)
                    .map(|user| remind(state, &pace, user, &slot, now))
                    .buffer_unordered(AT_ONCE)
                    .collect()
                    .await;
                for outcome in outcomes {
                    match outcome {
                        Ok(Outcome::Daily) => report.daily_sent += 1,
                        Ok(Outcome::Weekly) => report.weekly_sent += 1,
                        Ok(Outcome::Nothing) => report.nothing_to_say += 1,
                        Ok(Outcome::Already) => report.already += 1,
                        Ok(Outcome::Late) => report.late += 1,
                        Ok(Outcome::Retry) => report.retry += 1,
                        Ok(Outcome::Refused) => report.refused += 1,
                        // One learner's failure is not the others': they are taken next run.
                        Err(error) => {
                            tracing::warn!(%error, "a reminder was not handled");
                            report.retry += 1;
                        }
                    }
                }
            }
            match next {
                Some(key) => start = Some(key),
                None => break,
            }
        }
    }
    tracing::info!(?report, "reminders run");
    Ok(report)
}

/// How long one run may look at new learners: inside the function's fifteen minutes.
pub const RUN_BUDGET: Duration = Duration::from_secs(12 * 60);

/// The scheduled function's handler: one run, its report as the answer.
pub async fn serve(
    state: Arc<AppState>,
    _event: serde_json::Value,
) -> Result<serde_json::Value, StoreError> {
    let report = Box::pin(run(&state, RUN_BUDGET)).await?;
    Ok(serde_json::to_value(report).unwrap_or_default())
}

/// The bounce and complaint function's handler.
pub async fn serve_mail_events(
    state: Arc<AppState>,
    event: serde_json::Value,
) -> Result<serde_json::Value, StoreError> {
    // Boxed: the future is deep enough to overflow the compiler's layout limit inline.
    let stopped = Box::pin(mail_events(&state, event)).await?;
    Ok(serde_json::json!({"stopped": stopped}))
}

async fn remind(
    state: &Arc<AppState>,
    pace: &Pace,
    user: UserRecord,
    slot: &str,
    now: OffsetDateTime,
) -> Result<Outcome, StoreError> {
    if user.remind_slot.as_deref() != Some(slot) {
        return Ok(Outcome::Already);
    }
    // The next one after this slot's: tomorrow's (a run early in the slot must not find this
    // same reminder still ahead today).
    let slot_end = slot_start(slot).map_or(now, |start| {
        start + time::Duration::minutes(SLOT_MINUTES.into())
    });
    let next = user.next_reminder_slot(now.max(slot_end));
    let Some(next) = next else {
        // Reminders off, no verified address, or it bounced: off the index.
        state.store.move_reminder(&user, slot, None).await?;
        return Ok(Outcome::Nothing);
    };
    let late = slot_start(slot).is_some_and(|start| now - start > LATE);
    if late {
        state.store.move_reminder(&user, slot, Some(&next)).await?;
        return Ok(Outcome::Late);
    }
    let zone = user.time_zone();
    let today = zone.day(now);
    let owner = Owner::of_record(&user);
    let due_key = crate::store::vocabulary_due_key(now.unix_timestamp(), "~");
    let (learning, due) = tokio::join!(
        state.store.learning(&owner, today.minus(6), today),
        state.store.due_vocabulary(&owner, &due_key, 1),
    );
    let (totals, days) = learning?;
    let (_, due_words) = due?;
    let reminders = user.reminders();
    let goal = user.daily_goal();
    let today_key = today.to_string();
    let this_day = days.iter().find(|day| day.day == today_key);
    let (turns, seconds) = this_day.map_or((0, 0), |d| (d.counters.turns, d.counters.seconds));
    let streak = crate::domain::learner::current_streak(
        today,
        totals
            .last_day
            .as_deref()
            .and_then(crate::domain::learner::Day::parse),
        totals.streak,
    );
    let address = user
        .email
        .as_ref()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let name = user
        .display_name
        .clone()
        .unwrap_or_else(|| user.username.clone());
    let language = user.native_language;
    let letter = if reminders.weekly && today.is_sunday() {
        let sum = |f: fn(&crate::store::Counters) -> u64| days.iter().map(|d| f(&d.counters)).sum();
        let week = letters::WeekSummary {
            days_studied: days
                .iter()
                .filter(|d| d.counters.turns > 0 || d.counters.reviews > 0)
                .count() as u64,
            minutes: (sum(|c| c.seconds) + 30) / 60,
            lines: sum(|c| c.turns),
            scenes_finished: sum(|c| c.scenes_finished),
            words_saved: days
                .iter()
                .map(|d| d.counters.words_saved.max(0) as u64)
                .sum(),
            streak,
        };
        letters::weekly(
            language,
            &address,
            &name,
            &week,
            &email::progress_link(state),
            email::unsubscribe(state, &user),
        )
    } else {
        let goal_met = goal.met_by(turns, seconds);
        if !reminders.daily || (goal_met && due_words == 0) {
            state.store.move_reminder(&user, slot, Some(&next)).await?;
            return Ok(Outcome::Nothing);
        }
        let nudge = letters::DayNudge {
            goal_met,
            goal_left: goal.left_after(turns, seconds),
            due_words: due_words as u64,
            streak,
        };
        letters::daily(
            language,
            &address,
            &name,
            &nudge,
            &email::today_link(state),
            email::unsubscribe(state, &user),
        )
    };
    if !state
        .store
        .claim_reminder(&user, slot, &today_key, &next)
        .await?
    {
        return Ok(Outcome::Already);
    }
    pace.wait().await;
    match state.mailer.send(&state.config.mail.from, &letter).await {
        Ok(()) if letter.kind == "weekly" => Ok(Outcome::Weekly),
        Ok(()) => Ok(Outcome::Daily),
        Err(MailError::Refused(detail)) => {
            tracing::warn!(%detail, "a reminder was refused");
            Ok(Outcome::Refused)
        }
        Err(error) => {
            tracing::warn!(%error, "a reminder will be tried again");
            state
                .store
                .release_reminder(&user, slot, &today_key, &next)
                .await?;
            Ok(Outcome::Retry)
        }
    }
}

/// What SES publishes through SNS about a mail: a permanent bounce or a complaint stops all mail
/// to the address. Both event publishing (`eventType`) and identity notifications
/// (`notificationType`) are read. Returns how many addresses were stopped.
pub async fn mail_events(state: &AppState, event: serde_json::Value) -> Result<u64, StoreError> {
    let mut stopped = 0;
    let records = event["Records"].as_array().cloned().unwrap_or_default();
    for record in records {
        let Some(message) = record["Sns"]["Message"].as_str() else {
            continue;
        };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(message) else {
            tracing::warn!("an SNS message that is not JSON was skipped");
            continue;
        };
        let kind = message["eventType"]
            .as_str()
            .or_else(|| message["notificationType"].as_str())
            .unwrap_or_default();
        let addresses: Vec<String> = match kind {
            "Bounce" if message["bounce"]["bounceType"] == "Permanent" => {
                recipients(&message["bounce"]["bouncedRecipients"])
            }
            "Complaint" => recipients(&message["complaint"]["complainedRecipients"]),
            _ => Vec::new(),
        };
        for address in addresses {
            if state.store.suppress_address(&address).await? {
                stopped += 1;
            }
        }
    }
    Ok(stopped)
}

fn recipients(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"].as_str())
        .filter_map(|raw| crate::domain::email::EmailAddress::parse(raw).ok())
        .map(String::from)
        .collect()
}
