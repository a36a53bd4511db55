//! Provider identities, the state of a provider login in flight, and the one-time codes that
//! hand a login to the site.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::users::{IdentityRecord, LinkedIdentity, UserRecord, live_user_condition};
use super::{
    AccountError, CreateUserError, Owner, SessionRecord, Store, StoreError, failed_condition, s,
};

/// A provider login in flight (`oauth#{state}` in the logins table, for ten minutes): what the
/// callback needs, kept on the server so that nothing of it travels through the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthState {
    pub pk: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The callback URL the provider was given, which the code exchange must name again.
    pub redirect_uri: String,
    /// The site origin to send the browser back to: one of the configured ones.
    pub site: String,
    /// Linking: the user (id and record key) the identity is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_user_key: Option<String>,
    #[serde(default)]
    pub link_generation: u64,
    /// The interface language the login started in: a new user's own language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui: Option<String>,
    /// The S256 hash of the secret the browser that started it keeps (see `handlers::oauth`),
    /// which the exchange (a login) or the confirmation (a link) must present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    pub expires_at: i64,
}

/// A one-time code (`login#{code}`, for two minutes) the site exchanges for a login body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginCode {
    pub pk: String,
    pub user_key: String,
    pub user_id: String,
    /// The user's session generation when the code was issued: "log out everywhere" (or a
    /// password change) before the exchange ends it like any session.
    #[serde(default)]
    pub session_generation: u64,
    /// The S256 hash of the starting browser's secret, from the login's state.
    #[serde(default)]
    pub binding: String,
    pub expires_at: i64,
}

/// A provider account waiting for the learner to confirm linking it (`link#{code}` in the logins
/// table, for ten minutes): the callback keeps it instead of linking at once, so that a link
/// started by someone else, or in another browser, is never made without the owner's yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    pub pk: String,
    pub user_key: String,
    pub user_id: String,
    /// The session generation the link was started in: ending every session ends it too.
    pub session_generation: u64,
    pub provider: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The S256 hash of the starting browser's secret.
    pub binding: String,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the identity belongs to another user")]
    Taken,
    #[error(transparent)]
    Account(#[from] AccountError),
}

#[derive(Debug, thiserror::Error)]
pub enum RenameError {
    #[error("the username is taken")]
    Taken,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<StoreError> for LinkError {
    fn from(error: StoreError) -> Self {
        LinkError::Account(error.into())
    }
}

impl From<StoreError> for RenameError {
    fn from(error: StoreError) -> Self {
        RenameError::Account(error.into())
    }
}

fn item<T: Serialize>(value: &T) -> Result<HashMap<String, AttributeValue>, StoreError> {
    Ok(serde_dynamo::to_item(value)?)
}

impl Store {
    #[tracing::instrument(name = "store.find_identity", skip_all)]
    pub async fn find_identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<IdentityRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.users)
            .key("pk", s(&IdentityRecord::key(provider, subject)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output.item.map(serde_dynamo::from_item).transpose()?)
    }

    /// A new user made through a provider, with its identity, in one transaction.
    /// `UsernameTaken` when the generated name exists; `None` of both written then.
    #[tracing::instrument(name = "store.create_user_with_identity", skip_all)]
    pub async fn create_user_with_identity(
        &self,
        user: &UserRecord,
        identity: &IdentityRecord,
    ) -> Result<(), CreateUserError> {
        let put = |value: HashMap<String, AttributeValue>| {
            Put::builder()
                .table_name(&self.tables.users)
                .set_item(Some(value))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map(|put| TransactWriteItem::builder().put(put).build())
                .map_err(StoreError::request)
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(item(user)?)?)
            .transact_items(put(item(identity)?)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if failed_condition(&error).is_some() => Err(CreateUserError::UsernameTaken),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Links an identity to the signed-in user: the identity item and the user's list, in one
    /// transaction. `Taken` if the identity belongs to someone (another user, or this one).
    #[tracing::instrument(name = "store.link_identity", skip_all)]
    pub async fn link_identity(
        &self,
        owner: &Owner,
        user: &UserRecord,
        linked: &LinkedIdentity,
    ) -> Result<(), LinkError> {
        let identity = &IdentityRecord::new(user, &linked.provider, &linked.subject);
        let put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(item(identity)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::request)?;
        let (live, values) = live_user_condition(owner);
        let update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression(
                "SET identities = list_append(if_not_exists(identities, :none), :new)",
            )
            // Unchanged since it was read, so two links at once cannot both land.
            .condition_expression(format!(
                "{live} AND (attribute_not_exists(identities) OR size(identities) = :count)"
            ))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(
                ":new",
                AttributeValue::L(vec![
                    serde_dynamo::to_attribute_value(linked).map_err(StoreError::from)?,
                ]),
            )
            .expression_attribute_values(
                ":count",
                AttributeValue::N(user.identities.len().to_string()),
            )
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(update).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => match failed_condition(&error) {
                Some(0) => Err(LinkError::Taken),
                Some(_) => Err(self.why_refused(owner).await.into()),
                None => Err(StoreError::request(error).into()),
            },
        }
    }

    /// Unlinks the user's identity at `index` of their list, in one transaction with removing
    /// the identity item. The caller checks that another way to log in remains.
    #[tracing::instrument(name = "store.unlink_identity", skip_all)]
    pub async fn unlink_identity(
        &self,
        owner: &Owner,
        user: &UserRecord,
        index: usize,
    ) -> Result<(), AccountError> {
        let linked = &user.identities[index];
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key(
                "pk",
                s(&IdentityRecord::key(&linked.provider, &linked.subject)),
            )
            .build()
            .map_err(StoreError::request)?;
        let (live, values) = live_user_condition(owner);
        let update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression(format!("REMOVE identities[{index}]"))
            .condition_expression(format!("{live} AND size(identities) = :count"))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(
                ":count",
                AttributeValue::N(user.identities.len().to_string()),
            )
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if failed_condition(&error).is_some() => Err(self.why_refused(owner).await),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Moves the user to a new name (the record's key), once: the record under the new key, the
    /// old one gone, each identity pointed at the new key, and the request's new session (every
    /// other session named the old key), in one transaction.
    #[tracing::instrument(name = "store.rename_user", skip_all)]
    pub async fn rename_user(
        &self,
        owner: &Owner,
        renamed: &UserRecord,
        session: &SessionRecord,
    ) -> Result<(), RenameError> {
        let put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(item(renamed)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::request)?;
        let (live, mut values) = live_user_condition(owner);
        // The identities as read: each is pointed at the new key below, so one linked meanwhile
        // would be left pointing at a name that is gone.
        let (identities, identity_values) = super::users::same_identities(renamed.identities.len());
        values.extend(identity_values);
        // The address as read: its item is pointed at the new key below.
        let (email, email_values) = super::email::same_email(renamed);
        values.extend(email_values);
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .condition_expression(format!(
                "{live} AND username_changeable = :yes AND {identities} AND {email}"
            ))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(self.put_session_item(session)?);
        for linked in &renamed.identities {
            let point = Update::builder()
                .table_name(&self.tables.users)
                .key(
                    "pk",
                    s(&IdentityRecord::key(&linked.provider, &linked.subject)),
                )
                .update_expression("SET user_key = :key")
                .condition_expression("attribute_exists(pk) AND user_id = :id")
                .expression_attribute_values(":key", s(&renamed.pk))
                .expression_attribute_values(":id", s(&renamed.id))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(point).build());
        }
        if let Some(address) = &renamed.email {
            let point = Update::builder()
                .table_name(&self.tables.users)
                .key("pk", s(&super::address_key(address.as_str())))
                .update_expression("SET user_key = :key")
                .condition_expression("attribute_exists(pk) AND user_id = :id")
                .expression_attribute_values(":key", s(&renamed.pk))
                .expression_attribute_values(":id", s(&renamed.id))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().update(point).build());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) => match failed_condition(&error) {
                Some(0) => Err(RenameError::Taken),
                Some(_) => Err(self.why_refused(owner).await.into()),
                None => Err(StoreError::request(error).into()),
            },
        }
    }

    #[tracing::instrument(name = "store.put_oauth_state", skip_all)]
    pub async fn put_oauth_state(&self, state: &OAuthState) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.logins)
            .set_item(Some(item(state)?))
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(())
    }

    /// The login in flight under `pk`, taken once: a second take (a replayed `state`) finds
    /// nothing, nor does an expired one.
    #[tracing::instrument(name = "store.take_oauth_state", skip_all)]
    pub async fn take_oauth_state(
        &self,
        pk: &str,
        now_s: i64,
    ) -> Result<Option<OAuthState>, StoreError> {
        self.take(pk, now_s).await
    }

    #[tracing::instrument(name = "store.put_login_code", skip_all)]
    pub async fn put_login_code(&self, code: &LoginCode) -> Result<(), StoreError> {
        self.put_new_login_item(code).await
    }

    #[tracing::instrument(name = "store.take_login_code", skip_all)]
    pub async fn take_login_code(
        &self,
        pk: &str,
        now_s: i64,
    ) -> Result<Option<LoginCode>, StoreError> {
        self.take(pk, now_s).await
    }

    #[tracing::instrument(name = "store.put_pending_link", skip_all)]
    pub async fn put_pending_link(&self, link: &PendingLink) -> Result<(), StoreError> {
        self.put_new_login_item(link).await
    }

    /// A new one-time item of the logins table: its key is random, so one already there is a
    /// fault, not a race to lose.
    pub(super) async fn put_new_login_item<T: Serialize>(
        &self,
        value: &T,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.logins)
            .set_item(Some(item(value)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(())
    }

    /// The link waiting under `pk`, read without taking it (to name the account before the
    /// learner confirms); `None` once expired.
    #[tracing::instrument(name = "store.pending_link", skip_all)]
    pub async fn pending_link(
        &self,
        pk: &str,
        now_s: i64,
    ) -> Result<Option<PendingLink>, StoreError> {
        let link: Option<PendingLink> = self.login_item(pk).await?;
        Ok(link.filter(|link| link.expires_at > now_s))
    }

    /// An item of the logins table, read strongly (its TTL deletes it late: callers check
    /// when it expires).
    pub(super) async fn login_item<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
    ) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.logins)
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output.item.map(serde_dynamo::from_item).transpose()?)
    }

    #[tracing::instrument(name = "store.take_pending_link", skip_all)]
    pub async fn take_pending_link(
        &self,
        pk: &str,
        now_s: i64,
    ) -> Result<Option<PendingLink>, StoreError> {
        self.take(pk, now_s).await
    }

    /// Deletes a short-lived item and returns it, if it existed and had not expired.
    async fn take<T: serde::de::DeserializeOwned>(
        &self,
        pk: &str,
        now_s: i64,
    ) -> Result<Option<T>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.logins)
            .key("pk", s(pk))
            .condition_expression("attribute_exists(pk) AND expires_at > :now")
            .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.attributes.map(serde_dynamo::from_item).transpose()?),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(super::is_condition_failure) =>
            {
                Ok(None)
            }
            Err(error) => Err(StoreError::request(error)),
        }
    }
}
