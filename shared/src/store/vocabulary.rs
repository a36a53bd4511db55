//! The vocabulary notebook in its owner's partition of the vocabulary table (see
//! `schema::VOCABULARY`): items, the lookup that finds an item by its text, and the indexes for
//! the due items and for one language's.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, Select, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::rooms::Page;
use super::schema::{BY_DUE, BY_LANGUAGE};
use super::{Owner, Store, StoreError, failed_condition, s, updated};
use crate::domain::language::Language;
use crate::domain::schedule::Schedule;
use crate::domain::word::WordDetails;

/// A word or phrase the learner keeps, with its FSRS schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabularyRecord {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub text: String,
    pub language: Language,
    pub meaning: String,
    /// Reading, dictionary form and grammar, where the lookup gave them.
    #[serde(default, skip_serializing_if = "WordDetails::is_empty")]
    pub details: WordDetails,
    #[serde(default)]
    pub example: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub created_at: String,
    /// `{due_at}#{id}`, the `by_due` index's sort key (RFC 3339 UTC sorts as time does).
    pub due_key: String,
    /// `{language}#{id}`, the `by_language` index's sort key.
    pub language_key: String,
    pub schedule: Schedule,
}

/// What a new item is made of.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub text: String,
    pub language: Language,
    pub meaning: String,
    pub details: WordDetails,
    pub example: String,
    pub room_id: Option<String>,
    pub message_id: Option<String>,
}

/// The lookup's sort key: the same text in the same language is the same item, whatever the
/// letter case and spacing.
fn lookup_sk(language: Language, text: &str) -> String {
    let folded: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    format!("text#{}#{}", language.code(), folded.join(" "))
}

fn item_sk(id: &str) -> String {
    format!("item#{id}")
}

/// The notebook's counter, in its owner's partition beside the items (not an item: no `item#`
/// prefix, no due or language key), so counting a word needs no write on the user record.
const COUNTER_SK: &str = "count";

/// The most due words one count reads: `due_count` says "this many or more" beyond it.
pub const DUE_COUNT_CAP: usize = 99;

pub fn due_key(due: i64, id: &str) -> String {
    format!("{}#{id}", crate::domain::time::rfc3339_unix(due))
}

type Item = HashMap<String, AttributeValue>;

/// What became of a new notebook item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    New,
    /// The owner's notebook holds the most words it may.
    Full,
    /// An item with the same text and language exists (made meanwhile by another request).
    Exists,
    /// The owner's session ended, or the account was deleted, meanwhile.
    OwnerGone,
}

impl VocabularyRecord {
    pub fn new(owner: &Owner, item: NewItem, now: time::OffsetDateTime) -> Self {
        let id = ulid::Ulid::new().to_string();
        let schedule = Schedule::new(now);
        VocabularyRecord {
            pk: owner.key().to_owned(),
            sk: item_sk(&id),
            due_key: due_key(schedule.due, &id),
            language_key: format!("{}#{id}", item.language.code()),
            id,
            text: item.text,
            language: item.language,
            meaning: item.meaning,
            details: item.details,
            example: item.example,
            room_id: item.room_id,
            message_id: item.message_id,
            created_at: crate::domain::time::rfc3339(now),
            schedule,
        }
    }
}

impl Store {
    /// The owner's item with this text in this language, if there is one: two reads at most.
    #[tracing::instrument(name = "store.find_vocabulary", skip_all)]
    pub async fn find_vocabulary(
        &self,
        owner: &Owner,
        language: Language,
        text: &str,
    ) -> Result<Option<VocabularyRecord>, StoreError> {
        let lookup = self
            .vocabulary_item(owner, &lookup_sk(language, text))
            .await?;
        let Some(id) = lookup
            .as_ref()
            .and_then(|item| item.get("item_id")?.as_s().ok())
        else {
            return Ok(None);
        };
        self.get_vocabulary(owner, id).await
    }

    async fn vocabulary_item(&self, owner: &Owner, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.vocabulary)
            .key("pk", s(owner.key()))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output.item)
    }

    #[tracing::instrument(name = "store.get_vocabulary", skip_all)]
    pub async fn get_vocabulary(
        &self,
        owner: &Owner,
        id: &str,
    ) -> Result<Option<VocabularyRecord>, StoreError> {
        self.vocabulary_item(owner, &item_sk(id))
            .await?
            .map(serde_dynamo::from_item)
            .transpose()
            .map_err(StoreError::from)
    }

    /// Stores a new item and its lookup in one transaction, counted in the notebook's counter,
    /// if the owner is still there; stores nothing when an item with the same text and language
    /// exists, the owner is gone, or the notebook already holds `max_words`.
    #[tracing::instrument(name = "store.add_vocabulary", skip_all)]
    pub async fn add_vocabulary(
        &self,
        owner: &Owner,
        record: &VocabularyRecord,
        max_words: u32,
    ) -> Result<Added, StoreError> {
        let lookup = Put::builder()
            .table_name(&self.tables.vocabulary)
            .item("pk", s(owner.key()))
            .item("sk", s(&lookup_sk(record.language, &record.text)))
            .item("item_id", s(&record.id))
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .map_err(StoreError::request)?;
        let item = Put::builder()
            .table_name(&self.tables.vocabulary)
            .set_item(Some(serde_dynamo::to_item(record)?))
            .condition_expression("attribute_not_exists(sk)")
            .build()
            .map_err(StoreError::request)?;
        // The owner still there: a word whose meaning was being looked up while the account was
        // deleted is not stored behind the deletion worker's back.
        let count = Update::builder()
            .table_name(&self.tables.vocabulary)
            .key("pk", s(owner.key()))
            .key("sk", s(COUNTER_SK))
            .update_expression("ADD words :one")
            .condition_expression("attribute_not_exists(words) OR words < :max")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max_words.to_string()))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(lookup).build())
            .transact_items(TransactWriteItem::builder().put(item).build())
            .transact_items(self.live_user_check(owner)?)
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Added::New),
            Err(error) => match failed_condition(&error) {
                Some(2) => Ok(Added::OwnerGone),
                Some(3) => Ok(Added::Full),
                Some(_) => Ok(Added::Exists),
                None => Err(StoreError::request(error)),
            },
        }
    }

    /// How many words the owner's notebook holds, as its counter says.
    #[tracing::instrument(name = "store.vocabulary_count", skip_all)]
    pub async fn vocabulary_count(&self, owner: &Owner) -> Result<u64, StoreError> {
        Ok(self
            .vocabulary_item(owner, COUNTER_SK)
            .await?
            .and_then(|item| item.get("words").and_then(|n| n.as_n().ok()?.parse().ok()))
            .unwrap_or(0))
    }

    /// The owner's items, newest first, or one language's; after `start` (the last item's keys).
    #[tracing::instrument(name = "store.list_vocabulary", skip_all)]
    pub async fn list_vocabulary(
        &self,
        owner: &Owner,
        language: Option<Language>,
        limit: usize,
        start: Option<Vec<String>>,
    ) -> Result<Page<VocabularyRecord>, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.vocabulary)
            .expression_attribute_values(":owner", s(owner.key()))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(limit as i32 + 1);
        query = match language {
            None => query
                .key_condition_expression("pk = :owner AND begins_with(sk, :items)")
                .expression_attribute_values(":items", s("item#")),
            Some(language) => query
                .index_name(BY_LANGUAGE.name)
                .key_condition_expression("pk = :owner AND begins_with(language_key, :language)")
                .expression_attribute_values(":language", s(&format!("{}#", language.code()))),
        };
        if let Some(keys) = start {
            let mut names = vec!["sk"];
            if language.is_some() {
                names.push("language_key");
            }
            let mut key = HashMap::from([("pk".to_owned(), s(owner.key()))]);
            for (name, value) in names.into_iter().zip(keys) {
                key.insert(name.to_owned(), s(&value));
            }
            query = query.set_exclusive_start_key(Some(key));
        }
        let output = query.send().await.map_err(StoreError::request)?;
        let items: Vec<VocabularyRecord> =
            serde_dynamo::from_items(output.items.unwrap_or_default())?;
        Ok(Page::of(items, limit))
    }

    /// The items due by `now_key` (a due key), earliest first, and how many are due, counted up
    /// to `DUE_COUNT_CAP`: one page of keys however large the notebook, so the route costs the
    /// same at 3,000 due words as at 100.
    #[tracing::instrument(name = "store.due_vocabulary", skip_all)]
    pub async fn due_vocabulary(
        &self,
        owner: &Owner,
        now_key: &str,
        limit: usize,
    ) -> Result<(Vec<VocabularyRecord>, usize), StoreError> {
        let query = || {
            self.client
                .query()
                .table_name(&self.tables.vocabulary)
                .index_name(BY_DUE.name)
                .key_condition_expression("pk = :owner AND due_key <= :now")
                .expression_attribute_values(":owner", s(owner.key()))
                .expression_attribute_values(":now", s(now_key))
                .consistent_read(true)
        };
        let (items, count) = tokio::try_join!(
            async {
                query()
                    .limit(limit as i32)
                    .send()
                    .await
                    .map_err(StoreError::request)
            },
            async {
                query()
                    .select(Select::Count)
                    .limit(DUE_COUNT_CAP as i32)
                    .send()
                    .await
                    .map(|page| page.count as usize)
                    .map_err(StoreError::request)
            }
        )?;
        let items = serde_dynamo::from_items(items.items.unwrap_or_default())?;
        Ok((items, count))
    }

    /// The first `limit` items due by `now_key`, earliest first, uncounted.
    #[tracing::instrument(name = "store.due_words", skip_all)]
    pub async fn due_words(
        &self,
        owner: &Owner,
        now_key: &str,
        limit: usize,
    ) -> Result<Vec<VocabularyRecord>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.vocabulary)
            .index_name(BY_DUE.name)
            .key_condition_expression("pk = :owner AND due_key <= :now")
            .expression_attribute_values(":owner", s(owner.key()))
            .expression_attribute_values(":now", s(now_key))
            .limit(limit as i32)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(serde_dynamo::from_items(output.items.unwrap_or_default())?)
    }

    /// Stores a review's new schedule, if no other review changed the item since it was read:
    /// the item afterwards, or `None` when it is gone or changed.
    #[tracing::instrument(name = "store.reschedule_vocabulary", skip_all)]
    pub async fn reschedule_vocabulary(
        &self,
        owner: &Owner,
        item: &VocabularyRecord,
        schedule: &Schedule,
    ) -> Result<Option<VocabularyRecord>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.vocabulary)
            .key("pk", s(owner.key()))
            .key("sk", s(&item.sk))
            .update_expression("SET schedule = :schedule, due_key = :due_key")
            .condition_expression("attribute_exists(sk) AND due_key = :seen")
            .expression_attribute_values(":schedule", serde_dynamo::to_attribute_value(schedule)?)
            .expression_attribute_values(":due_key", s(&due_key(schedule.due, &item.id)))
            .expression_attribute_values(":seen", s(&item.due_key))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        updated(result)
    }

    /// Deletes the item and its lookup in one transaction; `false` when there was no item.
    #[tracing::instrument(name = "store.delete_vocabulary", skip_all)]
    pub async fn delete_vocabulary(
        &self,
        owner: &Owner,
        item: &VocabularyRecord,
    ) -> Result<bool, StoreError> {
        let delete = |sk: String, condition: bool| {
            let mut delete = Delete::builder()
                .table_name(&self.tables.vocabulary)
                .key("pk", s(owner.key()))
                .key("sk", s(&sk));
            if condition {
                delete = delete.condition_expression("attribute_exists(sk)");
            }
            delete.build().map_err(StoreError::request)
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .delete(delete(item.sk.clone(), true)?)
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .delete(delete(lookup_sk(item.language, &item.text), false)?)
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.tables.vocabulary)
                            .key("pk", s(owner.key()))
                            .key("sk", s(COUNTER_SK))
                            .update_expression("ADD words :minus")
                            .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
                            .build()
                            .map_err(StoreError::request)?,
                    )
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if failed_condition(&error) == Some(0) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }
}
