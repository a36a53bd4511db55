//! Goal tracking: after each tutor reply in a room with open goals, one small structured-output
//! model call judges which goals the conversation has now met, and a conditional update marks
//! them done. It runs after the reply is stored, so it never delays the reply, and a failure of
//! it never fails the turn: the goals are then left as they were.

use std::collections::BTreeMap;

use crate::domain::room::Goal;
use crate::services::prompt;
use crate::store::{MessageRecord, Owner, RoomRecord, Store};
use crate::tutor::{Task, Tutor, answers};

/// What a goal check needs: the model, the rooms, the time, and how many recent lines it reads.
pub struct GoalCheck<'a> {
    pub tutor: &'a Tutor,
    pub store: &'a Store,
    pub now: time::OffsetDateTime,
    pub window: usize,
}

/// The room's goals after the check: `None` when the check failed (or the room changed
/// meanwhile), so the caller leaves them out of its reply.
pub async fn check(
    with: GoalCheck<'_>,
    owner: &Owner,
    room: &RoomRecord,
    conversation: &[MessageRecord],
) -> Option<Vec<Goal>> {
    if room.open_goals().next().is_none() {
        return Some(room.goals.clone());
    }
    let window = with.window.max(2);
    let verdict: BTreeMap<String, bool> = match with
        .tutor
        .structured(
            Task::GoalCheck,
            &prompt::goal_check(room, conversation, window),
            &answers::goals(room.open_goals().map(|goal| goal.id.as_str())),
            // The offline tutor judges nothing met.
            BTreeMap::new(),
        )
        .await
    {
        Ok(verdict) => verdict,
        Err(error) => {
            tracing::warn!(%error, "the goal check failed; the goals stay as they were");
            return None;
        }
    };
    let met: Vec<&str> = room
        .open_goals()
        .filter(|goal| verdict.get(&goal.id).copied().unwrap_or(false))
        .map(|goal| goal.id.as_str())
        .collect();
    if met.is_empty() {
        return Some(room.goals.clone());
    }
    let now = crate::domain::time::rfc3339(with.now);
    match with.store.mark_goals_done(owner, room, &met, &now).await {
        Ok(Some(goals)) => Some(goals),
        Ok(None) => {
            tracing::info!("the room's goals changed during the check; nothing marked");
            None
        }
        Err(error) => {
            tracing::warn!(%error, "the met goals could not be stored");
            None
        }
    }
}
