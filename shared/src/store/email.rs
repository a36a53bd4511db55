//! Email: the address on the user's record (verified, or waiting for its link), the item that
//! makes a verified address one account's (`email#{address}` in the users table), the one-time
//! tokens of verification and password reset (in the logins table, stored as their SHA-256),
//! and the reminders' schedule (`remind_slot` on the record, indexed by `by_reminder_slot`).

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::users::{UserRecord, live_user_condition};
use super::{AccountError, Owner, SessionRecord, Store, StoreError, failed_condition, s};
use crate::domain::email::EmailAddress;
use crate::store::schema::BY_REMINDER_SLOT;

/// The key a one-time token is kept under: `{purpose}#` and the token's SHA-256, so what the
/// table holds cannot be used as a link.
pub fn token_key(purpose: &str, token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{purpose}#{hex}")
}

/// A one-time token of the logins table: an address waiting for its verification
/// (`verify#…`), or a password reset (`reset#…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailToken {
    pub pk: String,
    pub user_key: String,
    pub user_id: String,
    /// Verification: the address it confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Reset: the session generation it was issued in. A password change or "log out
    /// everywhere" since then ends it, as it ends every session.
    #[serde(default)]
    pub session_generation: u64,
    pub expires_at: i64,
}

/// The item that makes a verified address one account's, and remembers that it bounced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressRecord {
    pub pk: String,
    pub user_id: String,
    pub user_key: String,
}

pub fn address_key(address: &str) -> String {
    format!("email#{address}")
}

/// Why a verification did not take.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// No such token, used already, expired, or the address it was for is no longer the one
    /// waiting.
    #[error("the link is not valid")]
    Invalid,
    /// Another account verified the address first.
    #[error("the address belongs to another account")]
    Taken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified address: the user as they were before, and the address.
pub struct Verified {
    pub user: UserRecord,
    pub address: EmailAddress,
}

/// The condition that the record's verified address is still the one read, with its value: a
/// write made from that read (deletion, rename) then cannot leave an address item behind.
pub(crate) fn same_email(
    user: &UserRecord,
) -> (
    &'static str,
    std::collections::HashMap<String, AttributeValue>,
) {
    match &user.email {
        Some(address) => (
            "email = :email",
            [(":email".to_owned(), s(address.as_str()))].into(),
        ),
        None => ("attribute_not_exists(email)", Default::default()),
    }
}

impl Store {
    /// Asks for `address` on the user's record (waiting for `token`'s link), in one transaction
    /// with the token, while the session is live.
    #[tracing::instrument(name = "store.request_email", skip_all)]
    pub async fn request_email(
        &self,
        owner: &Owner,
        address: &EmailAddress,
        token: &MailToken,
    ) -> Result<(), AccountError> {
        let (condition, values) = live_user_condition(owner);
        let update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("SET email_pending = :pending")
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":pending", s(address.as_str()))
            .build()
            .map_err(StoreError::request)?;
        let put = Put::builder()
            .table_name(&self.tables.logins)
            .set_item(Some(
                serde_dynamo::to_item(token).map_err(StoreError::from)?,
            ))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if failed_condition(&error) == Some(0) => Err(AccountError::SessionEnded),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Removes the address (and one waiting), frees it for other accounts, and stops reminders.
    #[tracing::instrument(name = "store.remove_email", skip_all)]
    pub async fn remove_email(&self, owner: &Owner, user: &UserRecord) -> Result<(), AccountError> {
        let (condition, mut values) = live_user_condition(owner);
        let (same, email_values) = same_email(user);
        values.extend(email_values);
        let update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("REMOVE email, email_pending, email_bounced, remind_slot")
            .condition_expression(format!("{condition} AND {same}"))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build());
        if let Some(address) = &user.email {
            request = request.transact_items(self.release_address(address, &user.id)?);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) if failed_condition(&error) == Some(0) => Err(self.why_refused(owner).await),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Drops the address waiting for its link (its token then finds nothing to confirm).
    #[tracing::instrument(name = "store.cancel_pending_email", skip_all)]
    pub async fn cancel_pending_email(&self, owner: &Owner) -> Result<(), AccountError> {
        let (condition, values) = live_user_condition(owner);
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("REMOVE email_pending")
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match super::conditional(result)? {
            true => Ok(()),
            false => Err(AccountError::SessionEnded),
        }
    }

    /// Deletes the address item if it is still this user's.
    pub(crate) fn release_address(
        &self,
        address: &EmailAddress,
        user_id: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key("pk", s(&address_key(address.as_str())))
            .condition_expression("attribute_not_exists(pk) OR user_id = :uid")
            .expression_attribute_values(":uid", s(user_id))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// A one-time token, if it exists and has not expired (TTL deletes late).
    #[tracing::instrument(name = "store.mail_token", skip_all)]
    pub async fn mail_token(&self, pk: &str, now_s: i64) -> Result<Option<MailToken>, StoreError> {
        let token: Option<MailToken> = self.login_item(pk).await?;
        Ok(token.filter(|token| token.expires_at > now_s))
    }

    #[tracing::instrument(name = "store.put_mail_token", skip_all)]
    pub async fn put_mail_token(&self, token: &MailToken) -> Result<(), StoreError> {
        self.put_new_login_item(token).await
    }

    /// The token taken (deleted, so it works once) as the condition of the rest.
    fn take_token(&self, token: &MailToken, now_s: i64) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.logins)
            .key("pk", s(&token.pk))
            .condition_expression("attribute_exists(pk) AND expires_at > :now")
            .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Makes the address the token confirms the user's, in one transaction: the token taken,
    /// the record changed only while that address is still the one waiting, the address claimed
    /// for this account, and the old one released. `remind_slot` is the reminders' next slot
    /// now that mail can go (none when they are off).
    #[tracing::instrument(name = "store.verify_email", skip_all)]
    pub async fn verify_email(
        &self,
        token: &MailToken,
        now_s: i64,
        remind_slot: impl Fn(&UserRecord) -> Option<String>,
    ) -> Result<Verified, VerifyError> {
        let Some(address) = token
            .address
            .as_deref()
            .and_then(|a| EmailAddress::parse(a).ok())
        else {
            return Err(VerifyError::Invalid);
        };
        let Some(user) = self.get_user(&token.user_key).await? else {
            return Err(VerifyError::Invalid);
        };
        if user.id != token.user_id || user.email_pending.as_ref() != Some(&address) {
            return Err(VerifyError::Invalid);
        }
        let mut verified = user.clone();
        verified.email = Some(address.clone());
        verified.email_pending = None;
        verified.email_bounced = false;
        let slot = remind_slot(&verified);
        let mut update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(&user.pk))
            .condition_expression("id = :uid AND email_pending = :address")
            .expression_attribute_values(":uid", s(&user.id))
            .expression_attribute_values(":address", s(address.as_str()));
        update = match &slot {
            Some(slot) => update
                .update_expression(
                    "SET email = :address, remind_slot = :slot REMOVE email_pending, email_bounced",
                )
                .expression_attribute_values(":slot", s(slot)),
            None => update.update_expression(
                "SET email = :address REMOVE email_pending, email_bounced, remind_slot",
            ),
        };
        let claim = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(
                serde_dynamo::to_item(AddressRecord {
                    pk: address_key(address.as_str()),
                    user_id: user.id.clone(),
                    user_key: user.pk.clone(),
                })
                .map_err(StoreError::from)?,
            ))
            .condition_expression("attribute_not_exists(pk) OR user_id = :uid")
            .expression_attribute_values(":uid", s(&user.id))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(self.take_token(token, now_s)?)
            .transact_items(
                TransactWriteItem::builder()
                    .update(update.build().map_err(StoreError::request)?)
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().put(claim).build());
        if let Some(old) = user.email.as_ref().filter(|old| **old != address) {
            request = request.transact_items(self.release_address(old, &user.id)?);
        }
        match request.send().await {
            Ok(_) => Ok(Verified { user, address }),
            Err(error) => match failed_condition(&error) {
                Some(2) => Err(VerifyError::Taken),
                Some(_) => Err(VerifyError::Invalid),
                None => Err(StoreError::request(error).into()),
            },
        }
    }

    /// The user whose verified address `address` is.
    #[tracing::instrument(name = "store.user_by_email", skip_all)]
    pub async fn user_by_email(&self, address: &str) -> Result<Option<UserRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.users)
            .key("pk", s(&address_key(address)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        let Some(record) = output
            .item
            .map(serde_dynamo::from_item::<_, AddressRecord>)
            .transpose()?
        else {
            return Ok(None);
        };
        Ok(self
            .get_user(&record.user_key)
            .await?
            .filter(|user| user.id == record.user_id))
    }

    /// Sets a new password with a reset token, in one transaction: the token taken, the hash
    /// stored and every session ended (the generation raised) while the account is as the
    /// token found it, and `session` started under the new generation. `false` when the token
    /// was used, expired, or the account changed.
    #[tracing::instrument(name = "store.reset_password", skip_all)]
    pub async fn reset_password(
        &self,
        token: &MailToken,
        new_hash: &str,
        session: &SessionRecord,
        now_s: i64,
    ) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(&token.user_key))
            .update_expression("SET password_hash = :hash, session_generation = :next")
            .condition_expression(
                "attribute_exists(pk) AND id = :uid AND (session_generation = :gen OR \
                 (attribute_not_exists(session_generation) AND :gen = :zero))",
            )
            .expression_attribute_values(":uid", s(&token.user_id))
            .expression_attribute_values(":hash", s(new_hash))
            .expression_attribute_values(
                ":gen",
                AttributeValue::N(token.session_generation.to_string()),
            )
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":next", AttributeValue::N(session.generation.to_string()))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.take_token(token, now_s)?)
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(self.put_session_item(session)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if failed_condition(&error).is_some() => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// Sets or removes the reminders' next slot (and the reminders chosen) on the record, while
    /// the session is live.
    #[tracing::instrument(name = "store.set_reminders", skip_all)]
    pub async fn set_reminders(
        &self,
        owner: &Owner,
        reminders: &crate::domain::email::Reminders,
        slot: Option<&str>,
    ) -> Result<UserRecord, AccountError> {
        let (condition, values) = live_user_condition(owner);
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(
                ":reminders",
                serde_dynamo::to_attribute_value(reminders).map_err(StoreError::from)?,
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        request = match slot {
            Some(slot) => request
                .update_expression("SET reminders = :reminders, remind_slot = :slot")
                .expression_attribute_values(":slot", s(slot)),
            None => request.update_expression("SET reminders = :reminders REMOVE remind_slot"),
        };
        match request.send().await {
            Ok(output) => Ok(UserRecord::from_item(
                output.attributes.unwrap_or_default(),
            )?),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(super::is_condition_failure) =>
            {
                Err(AccountError::SessionEnded)
            }
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// The record keys of the users whose reminder falls in `slot`, a page at a time (the
    /// index holds keys only): one query per page, however many learners there are in all.
    #[tracing::instrument(name = "store.reminders_in_slot", skip_all)]
    pub async fn reminders_in_slot(
        &self,
        slot: &str,
        start: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name(BY_REMINDER_SLOT.name)
            .key_condition_expression("remind_slot = :slot")
            .expression_attribute_values(":slot", s(slot))
            .set_exclusive_start_key(start.map(|pk| {
                [
                    ("pk".to_owned(), s(&pk)),
                    ("remind_slot".to_owned(), s(slot)),
                ]
                .into()
            }))
            .send()
            .await
            .map_err(StoreError::request)?;
        let keys = output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| match item.get("pk") {
                Some(AttributeValue::S(pk)) => Some(pk.clone()),
                _ => None,
            })
            .collect();
        let next = output
            .last_evaluated_key
            .and_then(|key| match key.get("pk") {
                Some(AttributeValue::S(pk)) => Some(pk.clone()),
                _ => None,
            });
        Ok((keys, next))
    }

    /// Up to 100 user records in one round trip (more when some come back unprocessed).
    #[tracing::instrument(name = "store.users", skip_all)]
    pub async fn users(&self, keys: &[String]) -> Result<Vec<UserRecord>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = Vec::new();
        let mut left: Vec<std::collections::HashMap<String, AttributeValue>> = keys
            .iter()
            .map(|key| [("pk".to_owned(), s(key))].into())
            .collect();
        for attempt in 0..6u32 {
            if left.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(crate::domain::time::backoff(
                    std::time::Duration::from_millis(50),
                    attempt,
                ))
                .await;
            }
            let asked = KeysAndAttributes::builder()
                .set_keys(Some(left))
                .build()
                .map_err(StoreError::request)?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.tables.users, asked)
                .send()
                .await
                .map_err(StoreError::request)?;
            for item in output
                .responses
                .unwrap_or_default()
                .remove(&self.tables.users)
                .unwrap_or_default()
            {
                found.push(UserRecord::from_item(item)?);
            }
            left = output
                .unprocessed_keys
                .unwrap_or_default()
                .remove(&self.tables.users)
                .map(|keys| keys.keys)
                .unwrap_or_default();
        }
        if !left.is_empty() {
            return Err(StoreError::Request("the user reads were throttled".into()));
        }
        Ok(found)
    }

    /// Takes a user's reminder of `day` (in their time zone) once: moves their slot from `slot`
    /// to `next` and marks the day reminded, unless the day was reminded already or the slot
    /// moved meanwhile (reminders changed, a run before this one). `false` then: nothing to send.
    #[tracing::instrument(name = "store.claim_reminder", skip_all)]
    pub async fn claim_reminder(
        &self,
        user: &UserRecord,
        slot: &str,
        day: &str,
        next: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(&user.pk))
            .update_expression("SET reminded_on = :day, remind_slot = :next")
            .condition_expression(
                "id = :uid AND remind_slot = :slot AND (attribute_not_exists(reminded_on) OR reminded_on <> :day)",
            )
            .expression_attribute_values(":uid", s(&user.id))
            .expression_attribute_values(":slot", s(slot))
            .expression_attribute_values(":day", s(day))
            .expression_attribute_values(":next", s(next))
            .send()
            .await;
        super::conditional(result)
    }

    /// Gives a claimed reminder back after its mail could not go for now, so the next run sends
    /// it: the slot and the last day reminded as they were, if nothing moved them since.
    #[tracing::instrument(name = "store.release_reminder", skip_all)]
    pub async fn release_reminder(
        &self,
        user: &UserRecord,
        slot: &str,
        day: &str,
        next: &str,
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(&user.pk))
            .condition_expression("id = :uid AND remind_slot = :next AND reminded_on = :day")
            .expression_attribute_values(":uid", s(&user.id))
            .expression_attribute_values(":slot", s(slot))
            .expression_attribute_values(":day", s(day))
            .expression_attribute_values(":next", s(next));
        request = match &user.reminded_on {
            Some(previous) => request
                .update_expression("SET remind_slot = :slot, reminded_on = :previous")
                .expression_attribute_values(":previous", s(previous)),
            None => request.update_expression("SET remind_slot = :slot REMOVE reminded_on"),
        };
        super::conditional(request.send().await)
    }

    /// Moves a user's slot along without a mail (nothing to remind of, no address left).
    #[tracing::instrument(name = "store.move_reminder", skip_all)]
    pub async fn move_reminder(
        &self,
        user: &UserRecord,
        slot: &str,
        next: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(&user.pk))
            .condition_expression("id = :uid AND remind_slot = :slot")
            .expression_attribute_values(":uid", s(&user.id))
            .expression_attribute_values(":slot", s(slot));
        request = match next {
            Some(next) => request
                .update_expression("SET remind_slot = :next")
                .expression_attribute_values(":next", s(next)),
            None => request.update_expression("REMOVE remind_slot"),
        };
        super::conditional(request.send().await)
    }

    /// Stops all mail to an address that bounced for good or complained: the account keeps the
    /// address (the learner sees it bounced and can set another) but gets nothing more.
    #[tracing::instrument(name = "store.suppress_address", skip_all)]
    pub async fn suppress_address(&self, address: &str) -> Result<bool, StoreError> {
        let Some(user) = self.user_by_email(address).await? else {
            return Ok(false);
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(&user.pk))
            .update_expression("SET email_bounced = :yes REMOVE remind_slot")
            .condition_expression("id = :uid AND email = :address")
            .expression_attribute_values(":uid", s(&user.id))
            .expression_attribute_values(":address", s(address))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        super::conditional(result)
    }

    /// Turns the user's reminders off (their hour kept) and takes them off the index: the
    /// one-click unsubscribe. Nothing happens for a user who is gone.
    #[tracing::instrument(name = "store.stop_reminders", skip_all)]
    pub async fn stop_reminders(&self, user_key: &str, user_id: &str) -> Result<bool, StoreError> {
        let Some(user) = self.get_user(user_key).await?.filter(|u| u.id == user_id) else {
            return Ok(false);
        };
        let off = crate::domain::email::Reminders {
            daily: false,
            weekly: false,
            ..user.reminders()
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(user_key))
            .update_expression("SET reminders = :off REMOVE remind_slot")
            .condition_expression("id = :uid")
            .expression_attribute_values(":uid", s(user_id))
            .expression_attribute_values(
                ":off",
                serde_dynamo::to_attribute_value(off).map_err(StoreError::from)?,
            )
            .send()
            .await;
        super::conditional(result)
    }
}
