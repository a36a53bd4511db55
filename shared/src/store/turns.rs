//! The bookkeeping of a model call: a chat turn begins in one transaction and ends in another;
//! a suggestion is charged in one. Short-lived records (the daily usage counters, the leases of
//! running turns and the idempotency records) live in the limits table, whose TTL removes them:
//! a function that calls the model may check a session but never write one.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::rooms::{message_sk, room_sk};
use super::{MessageRecord, Owner, Store, StoreError, failed_condition, s};

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The user's model calls of one UTC day, counted against their daily limit.
#[derive(Debug, Clone)]
pub struct Usage {
    pub day: String,
    pub limit: u32,
    /// The model calls this charge is for: a turn in a room with open goals is two (the reply
    /// and the goal check), charged together so the check costs no round trip of its own.
    pub calls: u32,
    /// When the counter may be deleted (a day after the day ends).
    pub expires_at: i64,
}

/// Why a model call may not go ahead. Nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The session behind the token is gone (logged out or expired).
    LoggedOut,
    /// The room does not exist under this owner, or is being deleted.
    RoomGone,
    /// Another turn is running in the room, or one finished since the room was read.
    Busy,
    /// The daily limit is reached.
    QuotaExhausted,
    /// A request with the same idempotency key came before.
    Repeated,
    /// The user already has as many turns running as they may.
    TooManyTurns,
}

#[derive(Debug, thiserror::Error)]
pub enum BeginError {
    #[error("the model call was refused: {0:?}")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The start of a chat turn, written in one transaction before the model is called.
#[derive(Debug, Clone)]
pub struct TurnStart {
    pub owner: Owner,
    pub room_id: String,
    /// The room's message count when its history was read: the turn goes ahead only if no
    /// other turn added messages since.
    pub seen_message_count: u64,
    pub turn_id: String,
    /// Epoch milliseconds; a lock older than this is taken to belong to a turn that died.
    pub now_ms: i64,
    pub lock_until_ms: i64,
    pub user_message: Option<MessageRecord>,
    pub usage: Usage,
    pub idempotency_key: Option<String>,
    /// How many turns the user may have running at once, in all their rooms.
    pub concurrent_turns: u32,
}

impl TurnStart {
    /// The turn's lease among the user's running turns: when it lapses, and which turn it is.
    fn lease(&self) -> String {
        format!("{}#{}", self.lock_until_ms, self.turn_id)
    }
}

/// Where a turn started with an idempotency key has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdempotencyState {
    Pending,
    Done,
    Failed,
}

impl IdempotencyState {
    fn as_str(self) -> &'static str {
        match self {
            IdempotencyState::Pending => "pending",
            IdempotencyState::Done => "done",
            IdempotencyState::Failed => "failed",
        }
    }
}

/// How a failed turn failed, replayed to a repeated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnFailure {
    UpstreamTimeout,
    NotFound,
    /// The model failed otherwise (or the failure is one this version does not know).
    #[serde(other)]
    UpstreamError,
}

impl TurnFailure {
    fn as_str(self) -> &'static str {
        match self {
            TurnFailure::UpstreamTimeout => "upstream_timeout",
            TurnFailure::NotFound => "not_found",
            TurnFailure::UpstreamError => "upstream_error",
        }
    }
}

/// What became of a turn started with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub pk: String,
    /// The user's id, for `by_owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub state: IdempotencyState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<String>,
    /// How a failed turn failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TurnFailure>,
    pub expires_at: i64,
}

pub fn idempotency_pk(owner: &Owner, room_id: &str, key: &str) -> String {
    format!("idem#{}#{room_id}#{key}", owner.key())
}

/// The user's running turns: a string set of leases (`{until_ms}#{turn_id}`), at most the
/// configured number at once. A turn whose function died leaves its lease until it lapses.
fn turns_pk(owner: &Owner) -> String {
    format!("turns#{}", owner.key())
}

/// A learning aid's call among the user's running calls of that aid (`calls#{aid}#{user}` in the
/// limits table): one function's reserved concurrency cannot be held by one user.
#[derive(Debug, Clone)]
pub struct CallLease {
    pk: String,
    /// `{until_ms}#{id}`, as a turn's lease: lapsed once `until_ms` is past.
    lease: String,
    until_ms: i64,
    max: u32,
}

impl CallLease {
    pub fn new(owner: &Owner, aid: &str, until_ms: i64, max: u32) -> Self {
        CallLease {
            pk: format!("calls#{aid}#{}", owner.key()),
            lease: format!("{until_ms}#{}", ulid::Ulid::new()),
            until_ms,
            max,
        }
    }
}

fn usage_pk(owner: &Owner, day: &str) -> String {
    format!("usage#{}#{day}", owner.key())
}

impl Store {
    /// The session is still live: checked again in the transaction that charges a model call,
    /// so a logout, an ending of every session or the account's deletion between the request's
    /// check and the charge stops the call. Two items: the session, then its user.
    fn session_checks(
        &self,
        owner: &Owner,
        now_s: i64,
    ) -> Result<[TransactWriteItem; 2], StoreError> {
        let session = ConditionCheck::builder()
            .table_name(&self.tables.sessions)
            .key("pk", s(owner.session_id()))
            .condition_expression("attribute_exists(pk) AND user_key = :user AND expires_at > :now")
            .expression_attribute_values(":user", s(owner.user_key()))
            .expression_attribute_values(":now", n(now_s))
            .build()
            .map_err(StoreError::request)?;
        Ok([
            TransactWriteItem::builder()
                .condition_check(session)
                .build(),
            self.live_user_check(owner)?,
        ])
    }

    fn usage_charge(&self, owner: &Owner, usage: &Usage) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.limits)
            .key("pk", s(&usage_pk(owner, &usage.day)))
            .update_expression(
                "SET turns = if_not_exists(turns, :zero) + :calls, expires_at = :expires, #owner = :owner",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner.key()))
            .condition_expression("attribute_not_exists(turns) OR turns <= :most")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":calls", n(usage.calls))
            // The count before this charge may be at most this for the calls to fit the limit.
            .expression_attribute_values(
                ":most",
                n(i64::from(usage.limit) - i64::from(usage.calls)),
            )
            .expression_attribute_values(":expires", n(usage.expires_at))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Charges one model call of a learning aid, if the session is live, the daily limit allows
    /// it and the user has fewer than `lease.max` calls of that aid running: one transaction,
    /// retried once after dropping leases whose function died. The caller ends the lease with
    /// [`Store::end_call`] when the call is done, however it went.
    #[tracing::instrument(name = "store.charge_usage", skip_all)]
    pub async fn charge_usage(
        &self,
        owner: &Owner,
        usage: &Usage,
        now_ms: i64,
        lease: &CallLease,
    ) -> Result<(), BeginError> {
        match self.try_charge_usage(owner, usage, now_ms, lease).await {
            Err(BeginError::Refused(Refusal::TooManyTurns))
                if self.drop_lapsed_leases(&lease.pk, now_ms).await? =>
            {
                self.try_charge_usage(owner, usage, now_ms, lease).await
            }
            outcome => outcome,
        }
    }

    async fn try_charge_usage(
        &self,
        owner: &Owner,
        usage: &Usage,
        now_ms: i64,
        lease: &CallLease,
    ) -> Result<(), BeginError> {
        let [session, user] = self.session_checks(owner, now_ms / 1000)?;
        let held = Update::builder()
            .table_name(&self.tables.limits)
            .key("pk", s(&lease.pk))
            .update_expression("ADD leases :lease SET expires_at = :expires, #owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner.key()))
            .condition_expression("attribute_not_exists(leases) OR size(leases) < :max")
            .expression_attribute_values(":lease", AttributeValue::Ss(vec![lease.lease.clone()]))
            .expression_attribute_values(":max", n(lease.max))
            .expression_attribute_values(":expires", n(lease.until_ms / 1000 + 3600))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(session)
            .transact_items(user)
            .transact_items(self.usage_charge(owner, usage)?)
            .transact_items(TransactWriteItem::builder().update(held).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match failed_condition(&error) {
                Some(0 | 1) => Err(BeginError::Refused(Refusal::LoggedOut)),
                Some(2) => Err(BeginError::Refused(Refusal::QuotaExhausted)),
                Some(_) => Err(BeginError::Refused(Refusal::TooManyTurns)),
                None => Err(StoreError::request(error).into()),
            },
        }
    }

    /// Ends a learning aid's call lease. A failure only leaves it to lapse, so it is logged.
    #[tracing::instrument(name = "store.end_call", skip_all)]
    pub async fn end_call(&self, lease: &CallLease) {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.limits)
            .key("pk", s(&lease.pk))
            .update_expression("DELETE leases :lease")
            .expression_attribute_values(":lease", AttributeValue::Ss(vec![lease.lease.clone()]))
            .send()
            .await;
        if let Err(error) = result {
            tracing::warn!(error = %StoreError::request(error), "a call's lease was not ended; it will lapse");
        }
    }

    /// Begins a chat turn in one transaction: checks the session, takes the room's turn lock
    /// (only if no other turn holds it and none finished since the room was read), stores the
    /// learner's message, counts the call against the daily limit, and records the idempotency
    /// key. All of it happens, or none.
    #[tracing::instrument(name = "store.begin_turn", skip_all)]
    pub async fn begin_turn(&self, start: &TurnStart) -> Result<(), BeginError> {
        match self.try_begin_turn(start).await {
            // Leases of turns whose function died may fill the set: drop the lapsed, try again.
            Err(BeginError::Refused(Refusal::TooManyTurns))
                if self
                    .drop_lapsed_leases(&turns_pk(&start.owner), start.now_ms)
                    .await? =>
            {
                self.try_begin_turn(start).await
            }
            outcome => outcome,
        }
    }

    async fn try_begin_turn(&self, start: &TurnStart) -> Result<(), BeginError> {
        let mut purposes = vec![Refusal::LoggedOut, Refusal::LoggedOut, Refusal::RoomGone];
        let [session, user] = self.session_checks(&start.owner, start.now_ms / 1000)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(session)
            .transact_items(user);

        let mut set = "SET turn_id = :turn, turn_until = :until".to_owned();
        let mut room = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(start.owner.key()))
            .key("sk", s(&room_sk(&start.room_id)))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(deleting) AND message_count = :seen \
                 AND (attribute_not_exists(turn_until) OR turn_until < :now)",
            )
            .expression_attribute_values(":turn", s(&start.turn_id))
            .expression_attribute_values(":until", n(start.lock_until_ms))
            .expression_attribute_values(":seen", n(start.seen_message_count))
            .expression_attribute_values(":now", n(start.now_ms));
        if let Some(message) = &start.user_message {
            set.push_str(", message_count = message_count + :one, last_message_at = :at, activity = :activity, last_line = :line");
            room = room
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":line", s(&super::rooms::last_line(&message.content)))
                .expression_attribute_values(":at", s(&message.created_at))
                .expression_attribute_values(":activity", s(&message.id));
        }
        let room = room
            .update_expression(set)
            .build()
            .map_err(StoreError::request)?;
        request = request.transact_items(TransactWriteItem::builder().update(room).build());

        if let Some(message) = &start.user_message {
            let put = Put::builder()
                .table_name(&self.tables.rooms)
                .set_item(Some(
                    serde_dynamo::to_item(message).map_err(StoreError::from)?,
                ))
                .condition_expression("attribute_not_exists(sk)")
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
            purposes.push(Refusal::Busy);
        }

        request = request.transact_items(self.usage_charge(&start.owner, &start.usage)?);
        purposes.push(Refusal::QuotaExhausted);

        if let Some(key) = &start.idempotency_key {
            let record = IdempotencyRecord {
                pk: idempotency_pk(&start.owner, &start.room_id, key),
                owner: Some(start.owner.key().to_owned()),
                state: IdempotencyState::Pending,
                user_message_id: start.user_message.as_ref().map(|m| m.id.clone()),
                reply_id: None,
                error: None,
                expires_at: start.usage.expires_at,
            };
            let put = Put::builder()
                .table_name(&self.tables.limits)
                .set_item(Some(
                    serde_dynamo::to_item(&record).map_err(StoreError::from)?,
                ))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
            purposes.push(Refusal::Repeated);
        }

        // Last, so that a repeated request is told it repeats before it is told to wait.
        let lease = Update::builder()
            .table_name(&self.tables.limits)
            .key("pk", s(&turns_pk(&start.owner)))
            .update_expression("ADD leases :lease SET expires_at = :expires, #owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(start.owner.key()))
            .condition_expression("attribute_not_exists(leases) OR size(leases) < :max")
            .expression_attribute_values(":lease", AttributeValue::Ss(vec![start.lease()]))
            .expression_attribute_values(":max", n(start.concurrent_turns))
            .expression_attribute_values(":expires", n(start.lock_until_ms / 1000 + 3600))
            .build()
            .map_err(StoreError::request)?;
        request = request.transact_items(TransactWriteItem::builder().update(lease).build());
        purposes.push(Refusal::TooManyTurns);

        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) => match failed_condition(&error).and_then(|index| purposes.get(index)) {
                // The room's condition covers a missing room, a deleted one and a busy one.
                Some(Refusal::RoomGone) => match self.get_room(&start.owner, &start.room_id).await?
                {
                    Some(_) => Err(BeginError::Refused(Refusal::Busy)),
                    None => Err(BeginError::Refused(Refusal::RoomGone)),
                },
                Some(refusal) => Err(BeginError::Refused(*refusal)),
                None => Err(StoreError::request(error).into()),
            },
        }
    }

    /// Stores the complete reply and releases the turn, in one transaction. `false` (and nothing
    /// stored) when the turn no longer holds the room: it was deleted meanwhile.
    #[tracing::instrument(name = "store.finish_turn", skip_all)]
    pub async fn finish_turn(
        &self,
        start: &TurnStart,
        reply: &MessageRecord,
    ) -> Result<bool, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.rooms)
            .set_item(Some(serde_dynamo::to_item(reply)?))
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .map_err(StoreError::request)?;
        let room = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(start.owner.key()))
            .key("sk", s(&room_sk(&start.room_id)))
            .update_expression(
                "SET message_count = message_count + :one, last_message_at = :at, activity = :activity, \
                 last_line = :line REMOVE turn_id, turn_until",
            )
            .condition_expression("turn_id = :turn AND attribute_not_exists(deleting)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":at", s(&reply.created_at))
            .expression_attribute_values(":activity", s(&reply.id))
            .expression_attribute_values(":line", s(&super::rooms::last_line(&reply.content)))
            .expression_attribute_values(":turn", s(&start.turn_id))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(room).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(self.lease_release(start)?);
        if let Some(key) = &start.idempotency_key {
            let done = Update::builder()
                .table_name(&self.tables.limits)
                .key("pk", s(&idempotency_pk(&start.owner, &start.room_id, key)))
                .update_expression("SET #state = :done, reply_id = :reply")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":done", s(IdempotencyState::Done.as_str()))
                .expression_attribute_values(":reply", s(&reply.id))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(done).build());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if failed_condition(&error) == Some(0) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// Releases the turn after the model failed, and records the failure for a repeated request.
    /// The learner's message stays. Best effort: a lock or lease left behind lapses by itself.
    #[tracing::instrument(name = "store.abandon_turn", skip_all)]
    pub async fn abandon_turn(&self, start: &TurnStart, failure: TurnFailure) {
        if let Err(error) = self.try_abandon_turn(start, failure).await {
            tracing::warn!(%error, "a failed turn's lock was not released; it will lapse");
        }
    }

    async fn try_abandon_turn(
        &self,
        start: &TurnStart,
        failure: TurnFailure,
    ) -> Result<(), StoreError> {
        let release = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(start.owner.key()))
            .key("sk", s(&room_sk(&start.room_id)))
            .update_expression("REMOVE turn_id, turn_until")
            .condition_expression("turn_id = :turn")
            .expression_attribute_values(":turn", s(&start.turn_id))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(release).build())
            .transact_items(self.lease_release(start)?);
        if let Some(key) = &start.idempotency_key {
            let failed = Update::builder()
                .table_name(&self.tables.limits)
                .key("pk", s(&idempotency_pk(&start.owner, &start.room_id, key)))
                .update_expression("SET #state = :failed, #error = :error")
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#error", "error")
                .expression_attribute_values(":failed", s(IdempotencyState::Failed.as_str()))
                .expression_attribute_values(":error", s(failure.as_str()))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(failed).build());
        }
        request.send().await.map_err(StoreError::request)?;
        Ok(())
    }

    /// The update that ends a turn's lease, for the transaction that finishes or abandons it.
    fn lease_release(&self, start: &TurnStart) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.limits)
            .key("pk", s(&turns_pk(&start.owner)))
            .update_expression("DELETE leases :lease")
            .expression_attribute_values(":lease", AttributeValue::Ss(vec![start.lease()]))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Removes the leases under `pk` that lapsed before `now_ms`; `true` if there were any.
    async fn drop_lapsed_leases(&self, pk: &str, now_ms: i64) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.limits)
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        let lapsed: Vec<String> = match output.item.as_ref().and_then(|item| item.get("leases")) {
            Some(AttributeValue::Ss(leases)) => leases
                .iter()
                .filter(|lease| {
                    let until = lease
                        .split('#')
                        .next()
                        .and_then(|ms| ms.parse::<i64>().ok());
                    until.is_none_or(|until| until < now_ms)
                })
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if lapsed.is_empty() {
            return Ok(false);
        }
        tracing::warn!(count = lapsed.len(), "dropping lapsed leases");
        self.client
            .update_item()
            .table_name(&self.tables.limits)
            .key("pk", s(pk))
            .update_expression("DELETE leases :lapsed")
            .expression_attribute_values(":lapsed", AttributeValue::Ss(lapsed))
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(true)
    }

    #[tracing::instrument(name = "store.get_idempotency", skip_all)]
    pub async fn get_idempotency(
        &self,
        owner: &Owner,
        room_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.limits)
            .key("pk", s(&idempotency_pk(owner, room_id, key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// Messages of a room by id, in one read.
    #[tracing::instrument(name = "store.get_messages", skip_all)]
    pub async fn get_messages(
        &self,
        owner: &Owner,
        room_id: &str,
        ids: &[&str],
    ) -> Result<Vec<MessageRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sort_keys: Vec<String> = ids.iter().map(|id| message_sk(room_id, id)).collect();
        let items = self.batch_get_rooms(owner, &sort_keys).await?;
        let mut messages: Vec<MessageRecord> = serde_dynamo::from_items(items)?;
        messages.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(messages)
    }
}
