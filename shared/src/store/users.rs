use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::{SessionRecord, Store, StoreError, failed_condition, s};
use crate::domain::email::{EmailAddress, Reminders};
use crate::domain::language::UiLanguage;
use crate::domain::learner::{DailyGoal, Study, TimeZone};
use crate::domain::user::User;
use crate::store::Owner;

/// A user as stored, at the case-folded username (`pk`), so a name is unique by construction.
/// `id` is the user's stable id: their rooms, notebook and counters live under it, so deleting
/// an account frees the name at once while what it owned is removed in the background, and a new
/// user of the same name starts with nothing of it. (A user stored before ids has none: their id
/// is their `pk`, which is where their data already is.) `session_generation` ends every session
/// at once when raised: a session is live only while it carries the user's current generation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub pk: String,
    #[serde(default)]
    pub id: String,
    pub username: String,
    /// An argon2id PHC string; none for an account made through a provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The provider identities linked to the account, in the order linked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<LinkedIdentity>,
    /// Whether the username was generated (an account made through a provider) and may still
    /// be changed, once.
    #[serde(default)]
    pub username_changeable: bool,
    /// The rooms the user owns (kept by room creation and deletion, with conditions); carried
    /// over when the record moves to a new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_count: Option<u64>,
    #[serde(default = "default_native_language")]
    pub native_language: UiLanguage,
    #[serde(default)]
    pub session_generation: u64,
    /// Where the learner's day begins (their streak and daily goal); UTC until they say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_goal: Option<DailyGoal>,
    /// What they study, from onboarding: the defaults of every form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study: Option<Study>,
    /// Whether onboarding was finished or skipped.
    #[serde(default)]
    pub onboarded: bool,
    /// The verified address: the only one mail other than a verification goes to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// An address asked for and waiting for its link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_pending: Option<EmailAddress>,
    /// The verified address bounced for good or complained: nothing more is sent to it.
    #[serde(default)]
    pub email_bounced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Reminders>,
    /// The UTC quarter-hour slot of the next reminder (`by_reminder_slot`); only while one can go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_slot: Option<String>,
    /// The learner's day last reminded: a run retried that day sends nothing again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_on: Option<String>,
}

fn default_native_language() -> UiLanguage {
    UiLanguage::Ko
}

/// A record with nothing set: new records name what they have and take the rest from this.
impl Default for UserRecord {
    fn default() -> Self {
        UserRecord {
            pk: String::new(),
            id: String::new(),
            username: String::new(),
            password_hash: None,
            created_at: String::new(),
            display_name: None,
            identities: Vec::new(),
            username_changeable: false,
            room_count: None,
            native_language: default_native_language(),
            session_generation: 0,
            time_zone: None,
            daily_goal: None,
            study: None,
            onboarded: false,
            email: None,
            email_pending: None,
            email_bounced: false,
            reminders: None,
            remind_slot: None,
            reminded_on: None,
        }
    }
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("pk", &self.pk)
            .field("id", &self.id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    /// A new user of `key` (the folded name), with a fresh id. The `U` keeps every new id apart
    /// from every folded name, which has no capital letters.
    pub fn new_id() -> String {
        format!("U{}", ulid::Ulid::new())
    }

    pub fn public(&self) -> User {
        User {
            username: self.username.clone(),
            created_at: self.created_at.clone(),
            display_name: self.display_name.clone(),
            native_language: self.native_language,
            login_methods: self.login_methods(),
            linked_logins: self
                .identities
                .iter()
                .map(|identity| crate::domain::user::LinkedLogin {
                    provider: identity.provider.clone(),
                    account: identity.account.clone(),
                    linked_at: identity.linked_at.clone(),
                })
                .collect(),
            username_changeable: self.username_changeable,
            time_zone: self.time_zone().as_str().to_owned(),
            daily_goal: self.daily_goal(),
            study: self.study,
            onboarded: self.onboarded,
            email: self.email.as_ref().map(|a| a.as_str().to_owned()),
            email_pending: self.email_pending.as_ref().map(|a| a.as_str().to_owned()),
            email_bounced: self.email_bounced,
            reminders: self.reminders(),
        }
    }

    pub fn reminders(&self) -> Reminders {
        self.reminders.unwrap_or_else(Reminders::off)
    }

    /// The slot of the next reminder after `now`, when one can go: reminders on, and a
    /// verified address that has not bounced.
    pub fn next_reminder_slot(&self, now: time::OffsetDateTime) -> Option<String> {
        let reminders = self.reminders();
        (reminders.any() && self.email.is_some() && !self.email_bounced)
            .then(|| reminders.next(&self.time_zone(), now).1)
    }

    pub fn time_zone(&self) -> TimeZone {
        self.time_zone.clone().unwrap_or_else(TimeZone::utc)
    }

    pub fn daily_goal(&self) -> DailyGoal {
        self.daily_goal.unwrap_or_else(DailyGoal::default_goal)
    }

    /// How the user can log in: `password`, then each linked provider.
    pub fn login_methods(&self) -> Vec<String> {
        self.password_hash
            .iter()
            .map(|_| "password".to_owned())
            .chain(self.identities.iter().map(|i| i.provider.clone()))
            .collect()
    }

    /// As read: a user stored before ids gets the id their data is kept under.
    pub(crate) fn from_item(
        item: std::collections::HashMap<String, AttributeValue>,
    ) -> Result<Self, StoreError> {
        let mut user: UserRecord = serde_dynamo::from_item(item)?;
        if user.id.is_empty() {
            user.id = user.pk.clone();
        }
        Ok(user)
    }
}

/// The condition, on the owner's user record, that it is still theirs (not deleted, its name not
/// taken by a new user) and that their sessions were not all ended since this one was checked;
/// with its values (`:uid`, `:gen`).
pub(crate) fn live_user_condition(owner: &Owner) -> (String, HashMap<String, AttributeValue>) {
    let generation = if owner.generation() == 0 {
        "(attribute_not_exists(session_generation) OR session_generation = :gen)"
    } else {
        "session_generation = :gen"
    };
    (
        format!(
            "attribute_exists(pk) AND (id = :uid OR (attribute_not_exists(id) AND pk = :uid)) AND {generation}"
        ),
        HashMap::from([
            (":uid".to_owned(), s(owner.key())),
            (
                ":gen".to_owned(),
                AttributeValue::N(owner.generation().to_string()),
            ),
        ]),
    )
}

/// The condition that the user's password is still the one read (`None`: that there is still
/// none), with its values: a change of password meanwhile makes the write fail.
pub(crate) fn same_password(hash: Option<&str>) -> (&'static str, HashMap<String, AttributeValue>) {
    match hash {
        Some(hash) => (
            "password_hash = :hash",
            HashMap::from([(":hash".to_owned(), s(hash))]),
        ),
        None => ("attribute_not_exists(password_hash)", HashMap::new()),
    }
}

/// The condition that the user record links as many identities as were read (`count`): a write
/// made from that read (deletion, rename) cannot leave out an identity linked meanwhile.
pub(crate) fn same_identities(count: usize) -> (&'static str, HashMap<String, AttributeValue>) {
    let condition = if count == 0 {
        "(attribute_not_exists(identities) OR size(identities) = :identities)"
    } else {
        "size(identities) = :identities"
    };
    (
        condition,
        HashMap::from([(
            ":identities".to_owned(),
            AttributeValue::N(count.to_string()),
        )]),
    )
}

/// A failed single-item write to the user record: its condition failing means the session ended.
fn account_error<E>(error: SdkError<E, HttpResponse>) -> AccountError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.as_service_error() {
        Some(service) if super::is_condition_failure(service) => AccountError::SessionEnded,
        _ => StoreError::request(error).into(),
    }
}

/// A provider identity on its user's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIdentity {
    pub provider: String,
    pub subject: String,
    /// How the provider account showed itself when it was linked (see `ProviderUser::account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// RFC 3339; absent for identities linked before this was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_at: Option<String>,
}

/// A provider identity (`identity#{provider}#{subject}`, in the users table): which user it logs
/// in. Written with the user's record in one transaction, so each belongs to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRecord {
    pub pk: String,
    pub user_key: String,
    pub user_id: String,
    pub provider: String,
    pub subject: String,
}

impl IdentityRecord {
    pub fn key(provider: &str, subject: &str) -> String {
        format!("identity#{provider}#{subject}")
    }

    pub fn new(user: &UserRecord, provider: &str, subject: &str) -> Self {
        IdentityRecord {
            pk: Self::key(provider, subject),
            user_key: user.pk.clone(),
            user_id: user.id.clone(),
            provider: provider.to_owned(),
            subject: subject.to_owned(),
        }
    }
}

/// The profile fields `PATCH /me` may change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChange {
    /// `Some(None)` removes the display name.
    pub display_name: Option<Option<String>>,
    pub native_language: Option<UiLanguage>,
    pub time_zone: Option<TimeZone>,
    pub daily_goal: Option<DailyGoal>,
    pub study: Option<Study>,
    pub onboarded: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("the username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a change to the account was not made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The user is gone, or every session was ended meanwhile: the request's own included.
    #[error("the session is no longer live")]
    SessionEnded,
    /// Another change to the account (a link, an unlink, a rename) was stored first: the
    /// session is still live, and the request can be made again on the account as it is now.
    #[error("the account changed meanwhile")]
    Changed,
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
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_user).build())
            .transact_items(self.put_session_item(session)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if super::first_condition_failed(&error) => {
                Err(CreateUserError::UsernameTaken)
            }
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Why a write conditioned on the owner's account being live and as it was read failed: the
    /// session ended (the user gone, or every session ended), or another write won the race.
    pub(crate) async fn why_refused(&self, owner: &Owner) -> AccountError {
        match self.get_user(owner.user_key()).await {
            Ok(Some(user))
                if user.id == owner.key() && user.session_generation == owner.generation() =>
            {
                AccountError::Changed
            }
            Ok(_) => AccountError::SessionEnded,
            Err(error) => error.into(),
        }
    }

    #[tracing::instrument(name = "store.get_user", skip_all)]
    pub async fn get_user(&self, key: &str) -> Result<Option<UserRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.users)
            .key("pk", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        output.item.map(UserRecord::from_item).transpose()
    }

    /// The session and the user a token names, in one strongly consistent round trip, so a
    /// logout, an ended generation or a deleted account is seen by the very next request.
    #[tracing::instrument(name = "store.session_and_user", skip_all)]
    pub async fn session_and_user(
        &self,
        session_id: &str,
        user_key: &str,
    ) -> Result<(Option<SessionRecord>, Option<UserRecord>), StoreError> {
        let keys = |table: &str, key: &str| {
            KeysAndAttributes::builder()
                .keys([("pk".to_owned(), s(key))].into())
                .consistent_read(true)
                .build()
                .map(|keys| (table.to_owned(), keys))
                .map_err(StoreError::request)
        };
        let mut asked = std::collections::HashMap::from([
            keys(&self.tables.sessions, session_id)?,
            keys(&self.tables.users, user_key)?,
        ]);
        let (mut session, mut user) = (None, None);
        // A batch may leave keys unprocessed under throttling: ask for those again, a few times,
        // after a growing pause.
        for attempt in 0..4u32 {
            if attempt > 0 {
                tokio::time::sleep(crate::domain::time::backoff(
                    std::time::Duration::from_millis(25),
                    attempt,
                ))
                .await;
            }
            let output = self
                .client
                .batch_get_item()
                .set_request_items(Some(asked))
                .send()
                .await
                .map_err(StoreError::request)?;
            let mut responses = output.responses.unwrap_or_default();
            if let Some(item) = responses
                .remove(&self.tables.sessions)
                .and_then(|items| items.into_iter().next())
            {
                session = Some(SessionRecord::from_item(item)?);
            }
            if let Some(item) = responses
                .remove(&self.tables.users)
                .and_then(|items| items.into_iter().next())
            {
                user = Some(UserRecord::from_item(item)?);
            }
            asked = output.unprocessed_keys.unwrap_or_default();
            if asked.is_empty() {
                return Ok((session, user));
            }
        }
        Err(StoreError::Request(
            "the session lookup was throttled".into(),
        ))
    }

    /// Changes the display name or the native language (at least one: the caller answers an
    /// empty change itself).
    #[tracing::instrument(name = "store.update_profile", skip_all)]
    pub async fn update_profile(
        &self,
        owner: &Owner,
        change: &ProfileChange,
    ) -> Result<UserRecord, AccountError> {
        let (condition, values) = live_user_condition(owner);
        let mut set = Vec::new();
        let mut remove = Vec::new();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        match &change.display_name {
            Some(Some(name)) => {
                set.push("display_name = :name");
                request = request.expression_attribute_values(":name", s(name));
            }
            Some(None) => remove.push("display_name"),
            None => {}
        }
        if let Some(language) = change.native_language {
            set.push("native_language = :language");
            request = request.expression_attribute_values(":language", s(language.code()));
        }
        if let Some(zone) = &change.time_zone {
            set.push("time_zone = :zone");
            request = request.expression_attribute_values(":zone", s(zone.as_str()));
        }
        if let Some(goal) = &change.daily_goal {
            set.push("daily_goal = :goal");
            request = request.expression_attribute_values(
                ":goal",
                serde_dynamo::to_attribute_value(goal).map_err(StoreError::from)?,
            );
        }
        if let Some(study) = &change.study {
            set.push("study = :study");
            request = request.expression_attribute_values(
                ":study",
                serde_dynamo::to_attribute_value(study).map_err(StoreError::from)?,
            );
        }
        if let Some(onboarded) = change.onboarded {
            set.push("onboarded = :onboarded");
            request =
                request.expression_attribute_values(":onboarded", AttributeValue::Bool(onboarded));
        }
        let mut expression = String::new();
        if !set.is_empty() {
            expression += &format!("SET {}", set.join(", "));
        }
        if !remove.is_empty() {
            expression += &format!(" REMOVE {}", remove.join(", "));
        }
        let output = request
            .update_expression(expression.trim())
            .send()
            .await
            .map_err(account_error)?;
        Ok(UserRecord::from_item(
            output.attributes.unwrap_or_default(),
        )?)
    }

    /// Stores a new password hash and ends every session of the user but `session`, which is
    /// started in the same transaction, under the next generation: one step, so no old session
    /// outlives the change. `SessionEnded` when the user, their generation or their hash changed
    /// since this request's check (another change won).
    #[tracing::instrument(name = "store.change_password", skip_all)]
    pub async fn change_password(
        &self,
        owner: &Owner,
        old_hash: Option<&str>,
        new_hash: &str,
        session: &SessionRecord,
    ) -> Result<(), AccountError> {
        let (condition, mut values) = live_user_condition(owner);
        let (password, password_values) = same_password(old_hash);
        values.extend(password_values);
        let update = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("SET password_hash = :new, session_generation = :next")
            .condition_expression(format!("{condition} AND {password}"))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":new", s(new_hash))
            .expression_attribute_values(":next", AttributeValue::N(session.generation.to_string()))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(self.put_session_item(session)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A change of password raises the generation too: whatever changed, this session
            // is no longer live.
            Err(error) if failed_condition(&error) == Some(0) => Err(AccountError::SessionEnded),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Ends every session of the user, the request's own included: one write.
    #[tracing::instrument(name = "store.end_sessions", skip_all)]
    pub async fn end_sessions(&self, owner: &Owner) -> Result<(), AccountError> {
        let (condition, values) = live_user_condition(owner);
        self.client
            .update_item()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("SET session_generation = :next")
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(
                ":next",
                AttributeValue::N((owner.generation() + 1).to_string()),
            )
            .send()
            .await
            .map_err(account_error)?;
        Ok(())
    }

    /// Starts a session for a user found at login, if the user is still that user: an account
    /// deleted (or a password changed) while the password was checked gets no session. `false`
    /// then.
    #[tracing::instrument(name = "store.start_session", skip_all)]
    pub async fn start_session(
        &self,
        user: &UserRecord,
        session: &SessionRecord,
    ) -> Result<bool, StoreError> {
        let (password, values) = same_password(user.password_hash.as_deref());
        let check = ConditionCheck::builder()
            .table_name(&self.tables.users)
            .key("pk", s(&user.pk))
            .condition_expression(format!(
                "attribute_exists(pk) AND (id = :uid OR (attribute_not_exists(id) AND pk = :uid)) AND {password}"
            ))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":uid", s(&user.id))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .transact_items(self.put_session_item(session)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if failed_condition(&error) == Some(0) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// The live-user condition as an item of a transaction.
    pub(crate) fn live_user_check(&self, owner: &Owner) -> Result<TransactWriteItem, StoreError> {
        let (condition, values) = live_user_condition(owner);
        let check = ConditionCheck::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(crate) fn put_session_item(
        &self,
        session: &SessionRecord,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.sessions)
            .set_item(Some(serde_dynamo::to_item(session)?))
            .build()
            .map_err(StoreError::request)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
