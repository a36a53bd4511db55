use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError, is_condition_failure};
use crate::user::User;

/// A login session. It carries the user's public fields so an authenticated request needs one
/// read for both the session check and `GET /auth`. `expires_at` (epoch seconds) is the TTL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub pk: String,
    pub user_key: String,
    pub username: String,
    pub user_created_at: String,
    pub expires_at: i64,
}

impl SessionRecord {
    pub fn user(&self) -> User {
        User {
            username: self.username.clone(),
            created_at: self.user_created_at.clone(),
        }
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

    /// A strongly consistent read, so a session deleted by logout is gone for the next request.
    #[tracing::instrument(name = "store.get_session", skip_all)]
    pub async fn get_session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.sessions)
            .key("pk", AttributeValue::S(id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        output
            .item
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(StoreError::from)
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
