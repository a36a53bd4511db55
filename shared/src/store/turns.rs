//! The bookkeeping of a model call: a chat turn begins in one transaction and ends in another;
//! a suggestion is charged in one. Short-lived records (the daily usage counters and the
//! idempotency records) live in the sessions table, whose TTL removes them.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::rooms::{message_sk, room_sk};
use super::{MessageRecord, Store, StoreError, TransactWriteError, s};

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The user's model calls of one UTC day, counted against their daily limit.
#[derive(Debug, Clone)]
pub struct Usage {
    pub day: String,
    pub limit: u32,
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
    pub session_id: String,
    pub owner: String,
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
}

/// What became of a turn started with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub pk: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<String>,
    /// The error code of a failed turn, replayed to a repeated request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub expires_at: i64,
}

pub fn idempotency_pk(owner: &str, room_id: &str, key: &str) -> String {
    format!("idem#{owner}#{room_id}#{key}")
}

fn usage_pk(owner: &str, day: &str) -> String {
    format!("usage#{owner}#{day}")
}

/// The index of the first item whose condition failed in a cancelled transaction.
fn failed_item(error: &TransactWriteError) -> Option<usize> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => canceled
            .cancellation_reasons()
            .iter()
            .position(|reason| reason.code() == Some("ConditionalCheckFailed")),
        _ => None,
    }
}

impl Store {
    fn session_check(
        &self,
        session_id: &str,
        owner: &str,
        now_s: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.tables.sessions)
            .key("pk", s(session_id))
            .condition_expression("attribute_exists(pk) AND user_key = :user AND expires_at > :now")
            .expression_attribute_values(":user", s(owner))
            .expression_attribute_values(":now", n(now_s))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    fn usage_charge(&self, owner: &str, usage: &Usage) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.sessions)
            .key("pk", s(&usage_pk(owner, &usage.day)))
            .update_expression(
                "SET turns = if_not_exists(turns, :zero) + :one, expires_at = :expires",
            )
            .condition_expression("attribute_not_exists(turns) OR turns < :limit")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(usage.limit))
            .expression_attribute_values(":expires", n(usage.expires_at))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Charges one model call that stores nothing (a suggestion), if the session is live and the
    /// daily limit allows it: one transaction.
    pub async fn charge_usage(
        &self,
        session_id: &str,
        owner: &str,
        usage: &Usage,
        now_s: i64,
    ) -> Result<(), BeginError> {
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.session_check(session_id, owner, now_s)?)
            .transact_items(self.usage_charge(owner, usage)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match failed_item(&error) {
                Some(0) => Err(BeginError::Refused(Refusal::LoggedOut)),
                Some(_) => Err(BeginError::Refused(Refusal::QuotaExhausted)),
                None => Err(StoreError::request(error).into()),
            },
        }
    }

    /// Begins a chat turn in one transaction: checks the session, takes the room's turn lock
    /// (only if no other turn holds it and none finished since the room was read), stores the
    /// learner's message, counts the call against the daily limit, and records the idempotency
    /// key. All of it happens, or none.
    pub async fn begin_turn(&self, start: &TurnStart) -> Result<(), BeginError> {
        let mut purposes = vec![Refusal::LoggedOut, Refusal::RoomGone];
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(self.session_check(
                &start.session_id,
                &start.owner,
                start.now_ms / 1000,
            )?);

        let mut set = "SET turn_id = :turn, turn_until = :until".to_owned();
        let mut room = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(&start.owner))
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
            set.push_str(", message_count = message_count + :one, last_message_at = :at, activity = :activity");
            room = room
                .expression_attribute_values(":one", n(1))
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
                state: "pending".into(),
                user_message_id: start.user_message.as_ref().map(|m| m.id.clone()),
                reply_id: None,
                error: None,
                expires_at: start.usage.expires_at,
            };
            let put = Put::builder()
                .table_name(&self.tables.sessions)
                .set_item(Some(
                    serde_dynamo::to_item(&record).map_err(StoreError::from)?,
                ))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
            purposes.push(Refusal::Repeated);
        }

        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) => match failed_item(&error).and_then(|index| purposes.get(index)) {
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
            .key("pk", s(&start.owner))
            .key("sk", s(&room_sk(&start.room_id)))
            .update_expression(
                "SET message_count = message_count + :one, last_message_at = :at, activity = :activity \
                 REMOVE turn_id, turn_until",
            )
            .condition_expression("turn_id = :turn AND attribute_not_exists(deleting)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":at", s(&reply.created_at))
            .expression_attribute_values(":activity", s(&reply.id))
            .expression_attribute_values(":turn", s(&start.turn_id))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(room).build())
            .transact_items(TransactWriteItem::builder().put(put).build());
        if let Some(key) = &start.idempotency_key {
            let done = Update::builder()
                .table_name(&self.tables.sessions)
                .key("pk", s(&idempotency_pk(&start.owner, &start.room_id, key)))
                .update_expression("SET #state = :done, reply_id = :reply")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":done", s("done"))
                .expression_attribute_values(":reply", s(&reply.id))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(done).build());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if failed_item(&error) == Some(0) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// Releases the turn after the model failed, and records the failure for a repeated request.
    /// The learner's message stays. Best effort: a lock left behind expires by itself.
    pub async fn abandon_turn(&self, start: &TurnStart, error_code: &str) {
        let release = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(&start.owner))
            .key("sk", s(&room_sk(&start.room_id)))
            .update_expression("REMOVE turn_id, turn_until")
            .condition_expression("turn_id = :turn")
            .expression_attribute_values(":turn", s(&start.turn_id))
            .build();
        let failed = start.idempotency_key.as_ref().map(|key| {
            Update::builder()
                .table_name(&self.tables.sessions)
                .key("pk", s(&idempotency_pk(&start.owner, &start.room_id, key)))
                .update_expression("SET #state = :failed, #error = :error")
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#error", "error")
                .expression_attribute_values(":failed", s("failed"))
                .expression_attribute_values(":error", s(error_code))
                .build()
        });
        let mut request = self.client.transact_write_items();
        for update in std::iter::once(release).chain(failed) {
            match update {
                Ok(update) => {
                    request =
                        request.transact_items(TransactWriteItem::builder().update(update).build())
                }
                Err(error) => return tracing::error!(%error, "cannot build the release of a turn"),
            }
        }
        if let Err(error) = request.send().await {
            tracing::warn!(error = %StoreError::request(error), "a failed turn's lock was not released; it will expire");
        }
    }

    pub async fn get_idempotency(
        &self,
        owner: &str,
        room_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.sessions)
            .key("pk", s(&idempotency_pk(owner, room_id, key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// Messages of a room by id, in one read.
    pub async fn get_messages(
        &self,
        owner: &str,
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
