//! Rooms and messages in the owner's partition of the rooms table (see `schema::ROOMS`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

use super::schema::BY_ACTIVITY;
use super::{Owner, Store, StoreError, first_condition_failed, s, updated};
use crate::domain::language::{Language, Level, UiLanguage};
use crate::domain::report::Report;
use crate::domain::room::{Feedback, Goal, Message, Role, Room, RoomPatch, derived_title};

type Item = HashMap<String, AttributeValue>;

pub fn room_sk(room_id: &str) -> String {
    format!("{room_id}#room")
}

pub fn message_sk(room_id: &str, message_id: &str) -> String {
    format!("{room_id}#msg#{message_id}")
}

/// A room as stored. `activity` orders the room list (the id of the room's latest event, a
/// time-ordered ULID); it is removed when a delete begins, which takes the room off the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRecord {
    pub pk: String,
    pub sk: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub language: Language,
    pub level: Level,
    pub situation: String,
    pub my_role: String,
    pub gpt_role: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<String>,
    #[serde(default)]
    pub message_count: u64,
    /// The start of the latest message, for the room list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_line: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleting: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goals: Vec<Goal>,
    #[serde(default)]
    pub auto_feedback: bool,
    /// The latest review of the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
}

/// The most of a message the room list shows, in characters.
const LAST_LINE_CHARS: usize = 120;

/// The start of a message as the room list shows it: one line, at most `LAST_LINE_CHARS`.
pub fn last_line(content: &str) -> String {
    let flat = content.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(LAST_LINE_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Where a page of the activity index starts: after the room `[sk, activity]` of the owner.
fn activity_start(
    owner: &Owner,
    after: Option<(String, String)>,
) -> Option<HashMap<String, AttributeValue>> {
    after.map(|(sk, activity)| {
        HashMap::from([
            ("pk".to_owned(), s(owner.key())),
            ("sk".to_owned(), s(&sk)),
            ("activity".to_owned(), s(&activity)),
        ])
    })
}

/// Every attribute of a room's item but its report, for reads that list rooms.
const ROOM_WITHOUT_REPORT: &str = "pk, sk, id, title, #language, #level, situation, my_role, gpt_role, \
     created_at, updated_at, last_message_at, message_count, last_line, activity, deleting, scenario, goals, \
     auto_feedback";

impl RoomRecord {
    /// Whether the title or the situation contains `needle`, which is already lower case.
    pub fn matches(&self, needle: &str) -> bool {
        self.title
            .iter()
            .chain(std::iter::once(&self.situation))
            .any(|text| text.to_lowercase().contains(needle))
    }

    /// Goals not done yet.
    pub fn open_goals(&self) -> impl Iterator<Item = &Goal> {
        self.goals.iter().filter(|goal| !goal.done)
    }

    pub fn public(&self) -> Room {
        Room {
            id: self.id.clone(),
            title: self
                .title
                .clone()
                .unwrap_or_else(|| derived_title(&self.situation)),
            language: self.language,
            level: self.level,
            situation: self.situation.clone(),
            my_role: self.my_role.clone(),
            gpt_role: self.gpt_role.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            last_message_at: self.last_message_at.clone(),
            message_count: self.message_count,
            last_line: self.last_line.clone(),
            scenario: self.scenario.clone(),
            goals: self.goals.clone(),
            auto_feedback: self.auto_feedback,
        }
    }
}

/// A message as stored: one item each, sorted by its time-ordered id within its room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub role: Role,
    pub content: String,
    pub created_at: String,
    /// Stored once, when the learner first asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    /// Translations, one attribute per target language, each stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_ko: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_ja: Option<String>,
    /// A reply the model stopped at its token limit: kept, and shown as cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// The tokens the reply's model call used, when the server said (for measuring cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::domain::usage::TokenUsage>,
}

impl MessageRecord {
    pub fn new(
        owner: &str,
        room_id: &str,
        id: &str,
        role: Role,
        content: &str,
        created_at: &str,
    ) -> Self {
        MessageRecord {
            pk: owner.to_owned(),
            sk: message_sk(room_id, id),
            id: id.to_owned(),
            role,
            content: content.to_owned(),
            created_at: created_at.to_owned(),
            feedback: None,
            translation_ko: None,
            translation_en: None,
            translation_ja: None,
            cut: false,
            usage: None,
        }
    }

    pub fn translation(&self, to: UiLanguage) -> Option<&String> {
        match to {
            UiLanguage::Ko => self.translation_ko.as_ref(),
            UiLanguage::En => self.translation_en.as_ref(),
            UiLanguage::Ja => self.translation_ja.as_ref(),
        }
    }

    pub fn public(&self) -> Message {
        Message {
            id: self.id.clone(),
            role: self.role,
            content: self.content.clone(),
            created_at: self.created_at.clone(),
            feedback: self.feedback.clone(),
            translations: UiLanguage::ALL
                .iter()
                .copied()
                .filter_map(|to| self.translation(to).map(|text| (to.code(), text.clone())))
                .collect(),
            cut: self.cut,
        }
    }
}

/// Part of a list, newest first, and whether there is more past it.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<T> Page<T> {
    /// `fetched` holds up to `limit + 1` items: the extra one only says there is more.
    pub(crate) fn of(mut fetched: Vec<T>, limit: usize) -> Self {
        let more = fetched.len() > limit;
        fetched.truncate(limit);
        Page {
            items: fetched,
            more,
        }
    }
}

/// A room with its latest messages, newest first.
#[derive(Debug)]
pub struct OpenedRoom {
    pub room: RoomRecord,
    pub messages: Page<MessageRecord>,
}

impl Store {
    /// Creates the room in its owner's partition and counts it on the owner's user item, in one
    /// transaction: `false`, creating nothing, when the owner already has `max_rooms` rooms.
    #[tracing::instrument(name = "store.create_room", skip_all)]
    pub async fn create_room(
        &self,
        owner: &Owner,
        room: &RoomRecord,
        max_rooms: u32,
    ) -> Result<bool, StoreError> {
        if room.pk != owner.key() {
            return Err(StoreError::Request(
                "a room is created only in its owner's partition".into(),
            ));
        }
        let (live, values) = super::users::live_user_condition(owner);
        let count = Update::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .update_expression("ADD room_count :one")
            .condition_expression(format!(
                "{live} AND (attribute_not_exists(room_count) OR room_count < :max)"
            ))
            .set_expression_attribute_values(Some(values))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max_rooms.to_string()))
            .build()
            .map_err(StoreError::request)?;
        let put = Put::builder()
            .table_name(&self.tables.rooms)
            .set_item(Some(serde_dynamo::to_item(room)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(count).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if first_condition_failed(&error) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// Adds messages to a room in one transaction with the room's bookkeeping: its message count,
    /// last message time, and activity (which moves it to the top of its owner's list). `false`
    /// when the room does not exist under this owner or is being deleted; then nothing is written.
    #[tracing::instrument(name = "store.append_messages", skip_all)]
    pub async fn append_messages(
        &self,
        owner: &Owner,
        room_id: &str,
        messages: &[MessageRecord],
    ) -> Result<bool, StoreError> {
        let Some(newest) = messages.iter().max_by(|a, b| a.id.cmp(&b.id)) else {
            return Ok(true);
        };
        let update = Update::builder()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&room_sk(room_id)))
            .update_expression(
                "SET message_count = if_not_exists(message_count, :zero) + :count, \
                 last_message_at = :at, activity = :activity, last_line = :line",
            )
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleting)")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":count", AttributeValue::N(messages.len().to_string()))
            .expression_attribute_values(":at", s(&newest.created_at))
            .expression_attribute_values(":activity", s(&newest.id))
            .expression_attribute_values(":line", s(&last_line(&newest.content)))
            .build()
            .map_err(StoreError::request)?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build());
        for message in messages {
            let put = Put::builder()
                .table_name(&self.tables.rooms)
                .set_item(Some(serde_dynamo::to_item(message)?))
                .condition_expression("attribute_not_exists(sk)")
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if first_condition_failed(&error) => Ok(false),
            Err(error) => Err(StoreError::request(error)),
        }
    }

    /// The owner's rooms, most recently active first, after `start` (`[sk, activity]` of the
    /// last room of the previous page).
    #[tracing::instrument(name = "store.list_rooms", skip_all)]
    pub async fn list_rooms(
        &self,
        owner: &Owner,
        limit: usize,
        start: Option<(String, String)>,
    ) -> Result<Page<RoomRecord>, StoreError> {
        let start = activity_start(owner, start);
        let output = self
            .client
            .query()
            .table_name(&self.tables.rooms)
            .index_name(BY_ACTIVITY.name)
            .key_condition_expression("pk = :owner")
            .expression_attribute_values(":owner", s(owner.key()))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::request)?;
        let rooms: Vec<RoomRecord> = serde_dynamo::from_items(output.items.unwrap_or_default())?;
        Ok(Page::of(rooms, limit))
    }

    /// The owner's rooms whose title or situation contains `needle` (compared case-folded), most
    /// recently active first, paged like `list_rooms`. DynamoDB cannot match case-insensitively,
    /// so the owner's partition of the activity index is read in pages (without the reports,
    /// the one large attribute) until a page of matches is found; an owner has at most
    /// `ROLECHAT_MAX_ROOMS` rooms, so this stays a few reads.
    #[tracing::instrument(name = "store.search_rooms", skip_all)]
    pub async fn search_rooms(
        &self,
        owner: &Owner,
        needle: &str,
        limit: usize,
        start: Option<(String, String)>,
    ) -> Result<Page<RoomRecord>, StoreError> {
        let needle = needle.to_lowercase();
        let mut start = activity_start(owner, start);
        let mut found = Vec::new();
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.tables.rooms)
                .index_name(BY_ACTIVITY.name)
                .key_condition_expression("pk = :owner")
                .expression_attribute_values(":owner", s(owner.key()))
                .projection_expression(ROOM_WITHOUT_REPORT)
                .expression_attribute_names("#level", "level")
                .expression_attribute_names("#language", "language")
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(100)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::request)?;
            let rooms: Vec<RoomRecord> =
                serde_dynamo::from_items(output.items.unwrap_or_default())?;
            found.extend(rooms.into_iter().filter(|room| room.matches(&needle)));
            start = output.last_evaluated_key;
            if found.len() > limit || start.is_none() {
                break;
            }
        }
        found.truncate(limit + 1);
        Ok(Page::of(found, limit))
    }

    /// The room and its latest `limit` messages in one query: the room's item sorts above its
    /// messages. `None` when the room does not exist under this owner or is being deleted.
    #[tracing::instrument(name = "store.open_room", skip_all)]
    pub async fn open_room(
        &self,
        owner: &Owner,
        room_id: &str,
        limit: usize,
    ) -> Result<Option<OpenedRoom>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.rooms)
            .key_condition_expression("pk = :owner AND begins_with(sk, :room)")
            .expression_attribute_values(":owner", s(owner.key()))
            .expression_attribute_values(":room", s(&format!("{room_id}#")))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(limit as i32 + 2)
            .send()
            .await
            .map_err(StoreError::request)?;
        let mut items = output.items.unwrap_or_default().into_iter();
        let Some(first) = items.next() else {
            return Ok(None);
        };
        if first.get("sk") != Some(&s(&room_sk(room_id))) {
            return Ok(None);
        }
        let room: RoomRecord = serde_dynamo::from_item(first)?;
        if room.deleting {
            return Ok(None);
        }
        let messages: Vec<MessageRecord> = serde_dynamo::from_items(items.collect::<Vec<Item>>())?;
        Ok(Some(OpenedRoom {
            room,
            messages: Page::of(messages, limit),
        }))
    }

    /// Messages of a room older than the one whose sort key is `before_sk`, newest first.
    #[tracing::instrument(name = "store.older_messages", skip_all)]
    pub async fn older_messages(
        &self,
        owner: &Owner,
        room_id: &str,
        before_sk: &str,
        limit: usize,
    ) -> Result<Page<MessageRecord>, StoreError> {
        let start = HashMap::from([
            ("pk".to_owned(), s(owner.key())),
            ("sk".to_owned(), s(before_sk)),
        ]);
        let output = self
            .messages_query(owner, room_id)
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(Some(start))
            .send()
            .await
            .map_err(StoreError::request)?;
        let messages: Vec<MessageRecord> =
            serde_dynamo::from_items(output.items.unwrap_or_default())?;
        Ok(Page::of(messages, limit))
    }

    /// Messages of a room oldest first, after `after_sk` when given: for the export.
    #[tracing::instrument(name = "store.messages_in_order", skip_all)]
    pub async fn messages_in_order(
        &self,
        owner: &Owner,
        room_id: &str,
        after_sk: Option<&str>,
        limit: usize,
    ) -> Result<Page<MessageRecord>, StoreError> {
        let start = after_sk
            .map(|sk| HashMap::from([("pk".to_owned(), s(owner.key())), ("sk".to_owned(), s(sk))]));
        let output = self
            .messages_query(owner, room_id)
            .consistent_read(true)
            .limit(limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::request)?;
        let messages: Vec<MessageRecord> =
            serde_dynamo::from_items(output.items.unwrap_or_default())?;
        Ok(Page::of(messages, limit))
    }

    /// The room, unless it does not exist under this owner or is being deleted.
    #[tracing::instrument(name = "store.get_room", skip_all)]
    pub async fn get_room(
        &self,
        owner: &Owner,
        room_id: &str,
    ) -> Result<Option<RoomRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&room_sk(room_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::request)?;
        let room: Option<RoomRecord> = output.item.map(serde_dynamo::from_item).transpose()?;
        Ok(room.filter(|room| !room.deleting))
    }

    /// Applies `patch` to the room; `None` when it does not exist under this owner.
    #[tracing::instrument(name = "store.update_room", skip_all)]
    pub async fn update_room(
        &self,
        owner: &Owner,
        room_id: &str,
        patch: &RoomPatch,
        now: &str,
    ) -> Result<Option<RoomRecord>, StoreError> {
        // Every field goes through a `#name` placeholder: some (`level`) are reserved words.
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        let mut set = |field: &'static str, value: AttributeValue| {
            sets.push(format!("#{field} = :{field}"));
            names.insert(format!("#{field}"), field.to_owned());
            values.insert(format!(":{field}"), value);
        };
        set("updated_at", s(now));
        if let Some(language) = patch.language {
            set("language", s(language.code()));
        }
        if let Some(level) = patch.level {
            set("level", s(level.code()));
        }
        for (field, value) in [
            ("situation", &patch.situation),
            ("my_role", &patch.my_role),
            ("gpt_role", &patch.gpt_role),
        ] {
            if let Some(value) = value {
                set(field, s(value));
            }
        }
        if let Some(goals) = &patch.goals {
            set("goals", serde_dynamo::to_attribute_value(goals)?);
        }
        if let Some(on) = patch.auto_feedback {
            set("auto_feedback", AttributeValue::Bool(on));
        }
        let mut expression = String::new();
        match &patch.title {
            Some(Some(title)) => set("title", s(title)),
            Some(None) => {
                names.insert("#title".into(), "title".into());
                expression.push_str(" REMOVE #title");
            }
            None => {}
        }
        let expression = format!("SET {}{expression}", sets.join(", "));
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&room_sk(room_id)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleting)")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        updated(result)
    }

    /// Marks the goals `met` (ids of open goals of `room`) done at `now`, only if the room's goals
    /// are still the ones `room` holds at those places (a `PATCH` may have replaced them): the
    /// goals afterwards, or `None` when they changed or the room is gone.
    #[tracing::instrument(name = "store.mark_goals_done", skip_all)]
    pub async fn mark_goals_done(
        &self,
        owner: &Owner,
        room: &RoomRecord,
        met: &[&str],
        now: &str,
        after_reply: &str,
    ) -> Result<Option<Vec<Goal>>, StoreError> {
        let mut sets = Vec::new();
        let mut conditions =
            vec!["attribute_exists(pk) AND attribute_not_exists(deleting)".to_owned()];
        let mut request = self
            .client
            .update_item()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&room_sk(&room.id)))
            .expression_attribute_names("#goals", "goals")
            .expression_attribute_names("#id", "id")
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":reply", s(after_reply));
        for (index, goal) in room.goals.iter().enumerate() {
            if !met.contains(&goal.id.as_str()) {
                continue;
            }
            sets.push(format!(
                "#goals[{index}].#done = :yes, #goals[{index}].done_at = :now, \
                 #goals[{index}].met_after = :reply"
            ));
            conditions.push(format!("#goals[{index}].#id = :id{index}"));
            request = request.expression_attribute_values(format!(":id{index}"), s(&goal.id));
        }
        if sets.is_empty() {
            return Ok(Some(room.goals.clone()));
        }
        let result = request
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(updated::<RoomRecord>(result)?.map(|room| room.goals))
    }

    /// Stores the room's latest report: what is stored afterwards, or `None` if the room is gone.
    #[tracing::instrument(name = "store.store_report", skip_all)]
    pub async fn store_report(
        &self,
        owner: &Owner,
        room_id: &str,
        report: &Report,
    ) -> Result<Option<Report>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&room_sk(room_id)))
            .update_expression("SET report = :report")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleting)")
            .expression_attribute_values(":report", serde_dynamo::to_attribute_value(report)?)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(updated::<RoomRecord>(result)?.and_then(|room| room.report))
    }

    /// Items of the owner's partition by sort key, in one consistent read (up to 100 keys).
    pub(crate) async fn batch_get_rooms(
        &self,
        owner: &Owner,
        sort_keys: &[String],
    ) -> Result<Vec<Item>, StoreError> {
        if sort_keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys = sort_keys
            .iter()
            .map(|sk| HashMap::from([("pk".to_owned(), s(owner.key())), ("sk".to_owned(), s(sk))]))
            .collect();
        let request = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(StoreError::request)?;
        let output = self
            .client
            .batch_get_item()
            .request_items(&self.tables.rooms, request)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output
            .responses
            .unwrap_or_default()
            .remove(&self.tables.rooms)
            .unwrap_or_default())
    }

    /// A query of the messages of one room (not the room itself), oldest first unless reversed.
    fn messages_query(&self, owner: &Owner, room_id: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.rooms)
            .key_condition_expression("pk = :owner AND begins_with(sk, :messages)")
            .expression_attribute_values(":owner", s(owner.key()))
            .expression_attribute_values(":messages", s(&message_sk(room_id, "")))
    }
}

#[cfg(test)]
mod tests {
    use super::last_line;

    #[test]
    fn the_last_line_is_one_line_of_at_most_120_characters() {
        assert_eq!(
            last_line("  Hello,\n\n  how are you?  "),
            "Hello, how are you?"
        );
        let long = "가".repeat(130);
        let cut = last_line(&long);
        assert_eq!(cut.chars().count(), 121);
        assert!(cut.ends_with('…') && cut.starts_with("가가"));
        assert_eq!(last_line(&"a".repeat(120)), "a".repeat(120));
    }
}
