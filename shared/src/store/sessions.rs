use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, is_condition_failure};

/// A login session. `user_key` is the user record's key (the folded username), `user_id` the
/// user's stable id, and `generation` the user's session generation when it started: a session
/// is live while its user record still has that id and generation. `expires_at` (epoch seconds)
/// is the TTL. `signed_in_at` is when the learner last proved who they are to this session (a
/// password, or a provider's sign-in): what changes how the account is entered asks for it to be
/// recent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub pk: String,
    pub user_key: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub generation: u64,
    pub expires_at: i64,
    /// Epoch seconds; 0 (a session stored before this was kept) is never recent.
    #[serde(default)]
    pub signed_in_at: i64,
}

impl SessionRecord {
    /// As read: a session stored before ids belongs to the user whose id is their key.
    pub(crate) fn from_item(
        item: std::collections::HashMap<String, AttributeValue>,
    ) -> Result<Self, StoreError> {
        let mut session: SessionRecord = serde_dynamo::from_item(item)?;
        if session.user_id.is_empty() {
            session.user_id = session.user_key.clone();
        }
        Ok(session)
    }
}

impl Store {
    #[tracing::instrument(name = "store.put_session", skip_all)]
    pub async fn put_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.sessions)
            .set_item(Some(serde_dynamo::to_item(session)?))
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(())
    }

    /// Deletes the session if it exists and belongs to `user_key`; `false` when it did not.
    #[tracing::instrument(name = "store.delete_session", skip_all)]
    pub async fn delete_session(&self, id: &str, user_key: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("pk", AttributeValue::S(id.to_owned()))
            .condition_expression("attribute_exists(pk) AND user_key = :user")
            .expression_attribute_values(":user", AttributeValue::S(user_key.to_owned()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }
}
