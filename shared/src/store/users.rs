use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::{SessionRecord, Store, StoreError, first_condition_failed};
use crate::user::User;

/// A user as stored. `pk` is the case-folded username; `password_hash` is an argon2id PHC string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub pk: String,
    pub username: String,
    pub password_hash: String,
    pub created_at: String,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("pk", &self.pk)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    pub fn public(&self) -> User {
        User {
            username: self.username.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Stores a new user and their first session in one transaction, so a signup either logs the
    /// user in or leaves nothing behind. Fails with `UsernameTaken` when the key exists.
    #[tracing::instrument(name = "store.create_user", skip_all)]
    pub async fn create_user(
        &self,
        user: &UserRecord,
        session: &SessionRecord,
    ) -> Result<(), CreateUserError> {
        let put_user = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(serde_dynamo::to_item(user).map_err(StoreError::from)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::request)?;
        let put_session = Put::builder()
            .table_name(&self.tables.sessions)
            .set_item(Some(
                serde_dynamo::to_item(session).map_err(StoreError::from)?,
            ))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_user).build())
            .transact_items(TransactWriteItem::builder().put(put_session).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if first_condition_failed(&error) => Err(CreateUserError::UsernameTaken),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    #[tracing::instrument(name = "store.get_user", skip_all)]
    pub async fn get_user(&self, key: &str) -> Result<Option<UserRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.users)
            .key("pk", AttributeValue::S(key.to_owned()))
            .send()
            .await
            .map_err(StoreError::request)?;
        output
            .item
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(StoreError::from)
    }
}
