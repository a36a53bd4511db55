//! Counters for the auth routes, to slow password guessing (one item per key and minute), and
//! for what one user may do a few times an hour (one item per user and hour), in the limits
//! table (which expires items by TTL).

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

use super::{Store, StoreError, failed_condition, s};

/// A counter of one minute, and the most it may have reached for a request to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceiling {
    /// What is counted: `ip#203.0.113.9`, `fail#alice`, `fail#alice#203.0.113.9`.
    pub key: String,
    pub limit: u32,
}

fn counter_pk(key: &str, minute: i64) -> String {
    format!("rate#{key}#{minute}")
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Store {
    /// Counts one `what` (an `export`) of the user against `limit` an hour; `false`, counting
    /// nothing, once the hour has had `limit`. The item carries the owner, so it goes with the
    /// account.
    #[tracing::instrument(name = "store.count_hourly", skip_all)]
    pub async fn count_hourly(
        &self,
        owner: &super::Owner,
        what: &str,
        limit: u32,
        now_unix: i64,
    ) -> Result<bool, StoreError> {
        let hour = now_unix.div_euclid(3600);
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.limits)
            .key("pk", s(&format!("{what}#{}#{hour}", owner.key())))
            .update_expression("ADD hits :one SET expires_at = :expires_at, #owner = :owner")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(owner.key()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":expires_at", n((hour + 2) * 3600))
            .send()
            .await;
        super::conditional(result)
    }

    /// In one transaction: counts this minute's attempt against each of `counted` and checks
    /// that each of `checked` is still under its limit, counting nothing there. `false`, with
    /// nothing counted, when any counter has reached its limit.
    #[tracing::instrument(name = "store.admit_attempt", skip_all)]
    pub async fn admit_attempt(
        &self,
        counted: &[Ceiling],
        checked: &[Ceiling],
        now_unix: i64,
    ) -> Result<bool, StoreError> {
        if counted.is_empty() && checked.is_empty() {
            return Ok(true);
        }
        let minute = now_unix.div_euclid(60);
        let expires_at = (minute + 2) * 60;
        let mut request = self.client.transact_write_items();
        for ceiling in counted {
            let update = Update::builder()
                .table_name(&self.tables.limits)
                .key("pk", s(&counter_pk(&ceiling.key, minute)))
                .update_expression("ADD hits :one SET expires_at = :expires_at")
                .condition_expression("attribute_not_exists(hits) OR hits < :limit")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":limit", n(ceiling.limit))
                .expression_attribute_values(":expires_at", n(expires_at))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(update).build());
        }
        for ceiling in checked {
            let check = ConditionCheck::builder()
                .table_name(&self.tables.limits)
                .key("pk", s(&counter_pk(&ceiling.key, minute)))
                .condition_expression("attribute_not_exists(hits) OR hits < :limit")
                .expression_attribute_values(":limit", n(ceiling.limit))
                .build()
                .map_err(StoreError::request)?;
            request =
                request.transact_items(TransactWriteItem::builder().condition_check(check).build());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if failed_condition(&error).is_some() => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// Counts one failure against each key for the current minute, whatever the counts are.
    #[tracing::instrument(name = "store.count_failure", skip_all)]
    pub async fn count_failure(&self, keys: &[String], now_unix: i64) -> Result<(), StoreError> {
        let minute = now_unix.div_euclid(60);
        let expires_at = (minute + 2) * 60;
        let mut request = self.client.transact_write_items();
        for key in keys {
            let update = Update::builder()
                .table_name(&self.tables.limits)
                .key("pk", s(&counter_pk(key, minute)))
                .update_expression("ADD hits :one SET expires_at = :expires_at")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":expires_at", n(expires_at))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(update).build());
        }
        request.send().await.map_err(StoreError::request)?;
        Ok(())
    }
}
