//! Attempt counters for the auth routes, to slow password guessing: one item per key and minute
//! in the sessions table (which already expires items by TTL), counted only while under the limit.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::{Store, StoreError, s};

impl Store {
    /// Counts one attempt against each key (`ip#...`, `user#...`) for the current minute, in one
    /// round trip. `false`, counting nothing, when any key has had `limit` attempts this minute.
    pub async fn count_auth_attempt(
        &self,
        keys: &[String],
        limit: u32,
        now_unix: i64,
    ) -> Result<bool, StoreError> {
        let minute = now_unix.div_euclid(60);
        let expires_at = (minute + 2) * 60;
        let mut request = self.client.transact_write_items();
        for key in keys {
            let update = Update::builder()
                .table_name(&self.tables.sessions)
                .key("pk", s(&format!("rate#{key}#{minute}")))
                .update_expression("ADD hits :one SET expires_at = :expires_at")
                .condition_expression("attribute_not_exists(hits) OR hits < :limit")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
                .expression_attribute_values(
                    ":expires_at",
                    AttributeValue::N(expires_at.to_string()),
                )
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(update).build());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if over_limit(&error) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }
}

fn over_limit(error: &super::TransactWriteError) -> bool {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => canceled
            .cancellation_reasons()
            .iter()
            .any(|reason| reason.code() == Some("ConditionalCheckFailed")),
        _ => false,
    }
}
