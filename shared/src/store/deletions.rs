//! Deleting what cannot be deleted in one request: a whole account, a room of any size. The
//! request hides the data at once and writes a job in the same transaction; the deletion worker
//! removes the items in runs of bounded time, rewriting the job between runs, and removes the
//! job last. A job is idempotent: running it again, or twice at once, deletes nothing twice and
//! nothing else.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, Put, TransactWriteItem, Update, WriteRequest,
};
use serde::{Deserialize, Serialize};

use super::rooms::room_sk;
use super::users::live_user_condition;
use super::{
    AccountError, IdentityRecord, Owner, Store, StoreError, UserRecord, failed_condition, s,
};
use crate::store::schema;

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Everything of one user: sessions, counters, notebook, rooms and messages.
    Account,
    /// One room and its messages.
    Room,
}

/// A deletion still to finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionJob {
    /// `account#{user id}` or `room#{user id}#{room id}`.
    pub pk: String,
    pub kind: JobKind,
    /// The id of the user whose data it deletes.
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<String>,
    pub requested_at: String,
    /// Epoch seconds of the last write to the job, for the sweep.
    pub updated_at: i64,
    /// Runs that ended before the job was done.
    #[serde(default)]
    pub rounds: u64,
    /// Items deleted so far.
    #[serde(default)]
    pub removed: u64,
}

impl DeletionJob {
    pub fn account(owner: &Owner, now: time::OffsetDateTime) -> Self {
        DeletionJob {
            pk: format!("account#{}", owner.key()),
            kind: JobKind::Account,
            owner: owner.key().to_owned(),
            room_id: None,
            requested_at: crate::domain::time::rfc3339(now),
            updated_at: now.unix_timestamp(),
            rounds: 0,
            removed: 0,
        }
    }

    pub fn room(owner: &Owner, room_id: &str, now: time::OffsetDateTime) -> Self {
        DeletionJob {
            pk: format!("room#{}#{room_id}", owner.key()),
            kind: JobKind::Room,
            owner: owner.key().to_owned(),
            room_id: Some(room_id.to_owned()),
            requested_at: crate::domain::time::rfc3339(now),
            updated_at: now.unix_timestamp(),
            rounds: 0,
            removed: 0,
        }
    }

    /// What the job deletes, in order. Rooms first: once a room is gone, a turn that was running
    /// in it can store nothing more, not even its counters. The parts found through an index go
    /// last, which gives the index the most time to show the latest items (its reads lag the
    /// table's); the user's tokens were refused from the moment the job was written anyway.
    pub fn parts(&self) -> Vec<Part> {
        match (self.kind, &self.room_id) {
            (JobKind::Room, Some(room_id)) => vec![Part::Room(self.owner.clone(), room_id.clone())],
            (JobKind::Room, None) => Vec::new(),
            (JobKind::Account, _) => vec![
                Part::Rooms(self.owner.clone()),
                Part::Notebook(self.owner.clone()),
                Part::Learning(self.owner.clone()),
                Part::Sessions(self.owner.clone()),
                Part::Counters(self.owner.clone()),
            ],
        }
    }
}

/// One kind of item a job deletes, found without a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The user's sessions, through `sessions/by_user`.
    Sessions(String),
    /// Their usage counters, turn leases and idempotency records, through `limits/by_owner`.
    Counters(String),
    /// Their vocabulary partition.
    Notebook(String),
    /// Their learning partition: days, totals, facts.
    Learning(String),
    /// Their rooms partition: every room and message.
    Rooms(String),
    /// One room's items: its messages, then the room.
    Room(String, String),
}

/// The query that finds the keys of one part.
struct PartQuery<'a> {
    table: &'a str,
    index: Option<&'static str>,
    key_names: &'static [&'static str],
    condition: &'static str,
    values: Vec<(&'static str, String)>,
}

/// How far one run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Everything is deleted.
    Done { removed: u64 },
    /// The run's budget ran out first.
    Unfinished { removed: u64 },
}

/// What one run may spend.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub until: std::time::Instant,
    pub items: u64,
}

impl Store {
    /// Deletes the account: the user record and its provider identities go (the name and the
    /// identities are free, every token of theirs is refused from the next request) and the job
    /// to remove the rest is written, in one transaction. `SessionEnded` if the user is gone or
    /// their sessions ended meanwhile; `Changed` if their password or identities changed since
    /// `user` was read (an identity linked meanwhile would be left behind otherwise).
    #[tracing::instrument(name = "store.delete_account", skip_all)]
    pub async fn delete_account(
        &self,
        owner: &Owner,
        user: &UserRecord,
        now: time::OffsetDateTime,
    ) -> Result<(), AccountError> {
        let (condition, mut values) = live_user_condition(owner);
        let (password, password_values) =
            super::users::same_password(user.password_hash.as_deref());
        values.extend(password_values);
        let (identities, identity_values) = super::users::same_identities(user.identities.len());
        values.extend(identity_values);
        let (email, email_values) = super::email::same_email(user);
        values.extend(email_values);
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .condition_expression(format!(
                "{condition} AND {password} AND {identities} AND {email}"
            ))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(self.put_job(&DeletionJob::account(owner, now))?);
        for linked in &user.identities {
            let identity = Delete::builder()
                .table_name(&self.tables.users)
                .key(
                    "pk",
                    s(&IdentityRecord::key(&linked.provider, &linked.subject)),
                )
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().delete(identity).build());
        }
        if let Some(address) = &user.email {
            request = request.transact_items(self.release_address(address, &user.id)?);
        }
        let result = request.send().await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if failed_condition(&error) == Some(0) => Err(self.why_refused(owner).await),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Deletes a room: it is marked, taken off the list and uncounted (so it is gone for every
    /// reader at once, no message can be added, and the owner may make another), and its job is
    /// written, in one transaction. `false` if there is no such room (or it is already going).
    #[tracing::instrument(name = "store.delete_room", skip_all)]
    pub async fn delete_room(
        &self,
        owner: &Owner,
        room_id: &str,
        now: time::OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mark = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&room_sk(room_id)))
            .update_expression("SET deleting = :yes REMOVE activity")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleting)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()
            .map_err(StoreError::request)?;
        let count = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("ADD room_count :minus_one")
            .condition_expression("room_count > :zero")
            .expression_attribute_values(":minus_one", AttributeValue::N("-1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .build()
            .map_err(StoreError::request)?;
        let job = self.put_job(&DeletionJob::room(owner, room_id, now))?;
        let mark = TransactWriteItem::builder().update(mark).build();
        let count = TransactWriteItem::builder().update(count).build();
        let attempt = |items: Vec<TransactWriteItem>| {
            self.client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
        };
        match attempt(vec![mark.clone(), job.clone(), count]).await {
            Ok(_) => Ok(true),
            Err(error) => match failed_condition(&error) {
                Some(0) => Ok(false),
                // An owner whose rooms were not counted yet (stored before the count was kept).
                Some(_) => match attempt(vec![mark, job]).await {
                    Ok(_) => Ok(true),
                    Err(error) if failed_condition(&error) == Some(0) => Ok(false),
                    Err(error) => Err(StoreError::request(error)),
                },
                None => Err(StoreError::request(error)),
            },
        }
    }

    fn put_job(&self, job: &DeletionJob) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.deletions)
            .set_item(Some(serde_dynamo::to_item(job)?))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The job as it is now: `None` once it is done.
    #[tracing::instrument(name = "store.get_deletion", skip_all)]
    pub async fn get_deletion(&self, pk: &str) -> Result<Option<DeletionJob>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.deletions)
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// The jobs no run has touched since `before` (epoch seconds): for the sweep, which takes up
    /// any that a stream run dropped. The table holds only unfinished jobs, so it is read whole.
    #[tracing::instrument(name = "store.stalled_deletions", skip_all)]
    pub async fn stalled_deletions(&self, before: i64) -> Result<Vec<DeletionJob>, StoreError> {
        let mut jobs = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.tables.deletions)
                .filter_expression("updated_at <= :before")
                .expression_attribute_values(":before", AttributeValue::N(before.to_string()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::request)?;
            for item in output.items.unwrap_or_default() {
                jobs.push(serde_dynamo::from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(jobs);
            }
        }
    }

    /// Records a run that did not finish; writing the job is what starts the next run (its
    /// stream). Nothing is written if the job was finished meanwhile.
    #[tracing::instrument(name = "store.continue_deletion", skip_all)]
    pub async fn continue_deletion(
        &self,
        job: &DeletionJob,
        removed: u64,
        now_s: i64,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.deletions)
            .key("pk", s(&job.pk))
            .update_expression(
                "SET rounds = if_not_exists(rounds, :zero) + :one, removed = if_not_exists(removed, :zero) + :removed, updated_at = :now",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":removed", AttributeValue::N(removed.to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(super::is_condition_failure) =>
            {
                Ok(())
            }
            Err(error) => Err(StoreError::request(error)),
        }
    }

    #[tracing::instrument(name = "store.finish_deletion", skip_all)]
    pub async fn finish_deletion(&self, job: &DeletionJob) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.deletions)
            .key("pk", s(&job.pk))
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(())
    }

    /// Deletes the job's items until they are all gone or the budget is spent.
    #[tracing::instrument(name = "store.run_deletion", skip_all, fields(job = %job.pk))]
    pub async fn run_deletion(
        &self,
        job: &DeletionJob,
        budget: Budget,
    ) -> Result<Progress, StoreError> {
        let mut removed = 0;
        for part in job.parts() {
            let mut start: Option<Item> = None;
            loop {
                if removed >= budget.items || std::time::Instant::now() >= budget.until {
                    return Ok(Progress::Unfinished { removed });
                }
                let page_size = (budget.items - removed).min(500) as i32;
                let (table, keys, next) = self.page_of(&part, start.take(), page_size).await?;
                for chunk in keys.chunks(25) {
                    self.delete_keys(table, chunk.to_vec()).await?;
                }
                removed += keys.len() as u64;
                match next {
                    Some(next) => start = Some(next),
                    None => break,
                }
            }
        }
        Ok(Progress::Done { removed })
    }

    /// One page of the keys of a part, the table they are in, and where the next page starts.
    async fn page_of(
        &self,
        part: &Part,
        start: Option<Item>,
        page_size: i32,
    ) -> Result<(&str, Vec<Item>, Option<Item>), StoreError> {
        let PartQuery {
            table,
            index,
            key_names,
            condition,
            values,
        } = self.query_of(part);
        let mut query = self
            .client
            .query()
            .table_name(table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(condition)
            .projection_expression(
                key_names
                    .iter()
                    .map(|name| format!("#{name}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .set_exclusive_start_key(start)
            .limit(page_size);
        for name in key_names {
            query = query.expression_attribute_names(format!("#{name}"), *name);
        }
        if matches!(part, Part::Counters(_)) {
            query = query.expression_attribute_names("#owner", "owner");
        }
        // The table's own reads are consistent; an index's cannot be, and paging on from where
        // the last page ended keeps an index that lags from showing the same keys again.
        if index.is_none() {
            query = query.consistent_read(true);
        }
        for (name, value) in values {
            query = query.expression_attribute_values(name, s(&value));
        }
        let output = query.send().await.map_err(StoreError::request)?;
        let keys = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|mut item| {
                key_names
                    .iter()
                    .filter_map(|name| item.remove_entry(*name))
                    .collect()
            })
            .collect();
        Ok((table, keys, output.last_evaluated_key))
    }

    /// Where a part's items are and how to find them.
    fn query_of(&self, part: &Part) -> PartQuery<'_> {
        let (table, index, key_names, condition) = match part {
            Part::Sessions(_) => (
                &self.tables.sessions,
                Some(schema::BY_USER.name),
                &["pk"][..],
                "user_id = :key",
            ),
            Part::Counters(_) => (
                &self.tables.limits,
                Some(schema::BY_OWNER.name),
                &["pk"][..],
                "#owner = :key",
            ),
            Part::Notebook(_) => (
                &self.tables.vocabulary,
                None,
                &["pk", "sk"][..],
                "pk = :key",
            ),
            Part::Learning(_) => (&self.tables.learning, None, &["pk", "sk"][..], "pk = :key"),
            Part::Rooms(_) => (&self.tables.rooms, None, &["pk", "sk"][..], "pk = :key"),
            Part::Room(..) => (
                &self.tables.rooms,
                None,
                &["pk", "sk"][..],
                "pk = :key AND begins_with(sk, :room)",
            ),
        };
        let values = match part {
            Part::Sessions(user)
            | Part::Counters(user)
            | Part::Notebook(user)
            | Part::Learning(user)
            | Part::Rooms(user) => {
                vec![(":key", user.clone())]
            }
            Part::Room(user, room) => vec![(":key", user.clone()), (":room", format!("{room}#"))],
        };
        PartQuery {
            table,
            index,
            key_names,
            condition,
            values,
        }
    }

    /// Deletes up to 25 items of `table` by key, retrying what DynamoDB leaves unprocessed
    /// (throttling) with a growing pause, a bounded number of times.
    async fn delete_keys(&self, table: &str, keys: Vec<Item>) -> Result<(), StoreError> {
        let mut requests: Vec<WriteRequest> = keys
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(StoreError::request)
            })
            .collect::<Result<_, _>>()?;
        for attempt in 0..8u32 {
            if requests.is_empty() {
                return Ok(());
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(table, requests)
                .send()
                .await
                .map_err(StoreError::request)?;
            requests = output
                .unprocessed_items
                .unwrap_or_default()
                .remove(table)
                .unwrap_or_default();
            if !requests.is_empty() {
                tokio::time::sleep(crate::domain::time::backoff(
                    Duration::from_millis(25),
                    attempt,
                ))
                .await;
            }
        }
        if requests.is_empty() {
            return Ok(());
        }
        Err(StoreError::Request(
            "DynamoDB kept items of a batch delete unprocessed".into(),
        ))
    }
}
