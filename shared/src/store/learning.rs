//! What a learner's study adds up to, in their partition of the learning table (see
//! `schema::LEARNING`): one item a day of counters, the running totals with the streak, and the
//! facts they shared. Counters are added to as things happen (a turn, a goal met, a review), so
//! reading progress costs the same after a year as after a day.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValue, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::users::live_user_condition;
use super::{Owner, Store, StoreError, failed_condition, s};
use crate::domain::language::Level;
use crate::domain::learner::{Day, MAX_FACTS, MistakeCategory};

/// What one event adds to the learner's day and totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    /// Lines the learner said.
    pub turns: u64,
    /// Time in conversation (see `learner::seconds_of_turn`).
    pub seconds: u64,
    pub goals_met: u64,
    pub scenes_finished: u64,
    /// Words kept in the notebook: negative when one is deleted.
    pub words_saved: i64,
    pub reviews: u64,
    /// Reviews answered `good` or `easy`.
    pub remembered: u64,
    /// Reviews counted from the conversation: a due word the learner used correctly.
    pub reviewed_in_conversation: u64,
    pub mistakes: Vec<MistakeCategory>,
    /// A report's estimate of the learner's level.
    pub estimate: Option<Level>,
    /// The catalogue scene the learner played.
    pub scenario: Option<String>,
}

impl Activity {
    /// Whether it is study that keeps a streak alive (a line said, a card reviewed).
    pub fn is_study(&self) -> bool {
        self.turns > 0 || self.reviews > 0
    }

    fn counters(&self) -> Vec<(String, i64)> {
        let mut counters: Vec<(String, i64)> = [
            ("turns", self.turns as i64),
            ("seconds", self.seconds as i64),
            ("goals_met", self.goals_met as i64),
            ("scenes_finished", self.scenes_finished as i64),
            ("words_saved", self.words_saved),
            ("reviews", self.reviews as i64),
            ("remembered", self.remembered as i64),
            ("in_conversation", self.reviewed_in_conversation as i64),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        for category in &self.mistakes {
            let name = mistake_attribute(*category);
            match counters.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => counters.push((name, 1)),
            }
        }
        counters.retain(|(_, value)| *value != 0);
        counters
    }
}

fn mistake_attribute(category: MistakeCategory) -> String {
    format!("mistake_{}", category.code())
}

/// One day's counters, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    #[serde(default)]
    pub turns: u64,
    #[serde(default)]
    pub seconds: u64,
    #[serde(default)]
    pub goals_met: u64,
    #[serde(default)]
    pub scenes_finished: u64,
    #[serde(default)]
    pub words_saved: i64,
    #[serde(default)]
    pub reviews: u64,
    #[serde(default)]
    pub remembered: u64,
    #[serde(default)]
    pub in_conversation: u64,
    /// The last estimate of the learner's level that day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Level>,
    /// `mistake_{category}` counters.
    #[serde(flatten)]
    pub rest: HashMap<String, serde_json::Value>,
}

impl Counters {
    /// The day's mistakes by category.
    pub fn mistakes(&self) -> Vec<(MistakeCategory, u64)> {
        let mut mistakes: Vec<(MistakeCategory, u64)> = self
            .rest
            .iter()
            .filter_map(|(name, value)| {
                let category = name.strip_prefix("mistake_")?.parse().ok()?;
                Some((category, value.as_u64()?))
            })
            .filter(|(_, count)| *count > 0)
            .collect();
        mistakes.sort();
        mistakes
    }
}

/// A day of study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRecord {
    pub day: String,
    #[serde(flatten)]
    pub counters: Counters,
}

/// Everything so far, with the streak.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    #[serde(flatten)]
    pub counters: Counters,
    /// The last day the learner studied, and the run of days that ended with it.
    #[serde(default)]
    pub last_day: Option<String>,
    #[serde(default)]
    pub streak: u64,
    #[serde(default)]
    pub longest: u64,
    #[serde(default)]
    pub days_studied: u64,
    /// The catalogue scenes played.
    #[serde(default)]
    pub played: Vec<String>,
}

/// A fact the learner shared, which the tutor may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactRecord {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub text: String,
    pub created_at: String,
}

const TOTAL_SK: &str = "total";

/// An item's key, where a page of a query starts.
type Key = HashMap<String, AttributeValue>;

fn day_sk(day: Day) -> String {
    format!("day#{day}")
}

fn fact_sk(id: &str) -> String {
    format!("fact#{id}")
}

/// Why an event was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The account is gone or its sessions ended: nothing of it may be written again.
    #[error("the user is no longer live")]
    NotLive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Adds `activity` to the learner's `day` and to their totals, in one transaction that holds
    /// only while the account is live (an account being deleted gets nothing new). The first study
    /// of a day carries the streak on (from yesterday) or starts it again.
    #[tracing::instrument(name = "store.record_activity", skip_all)]
    pub async fn record_activity(
        &self,
        owner: &Owner,
        day: Day,
        activity: &Activity,
        studied_today: bool,
    ) -> Result<(), RecordError> {
        let counters = activity.counters();
        if counters.is_empty() && activity.estimate.is_none() && activity.scenario.is_none() {
            return Ok(());
        }
        // The counters, added to the day and to the totals alike.
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut adds = Vec::new();
        for (i, (name, value)) in counters.iter().enumerate() {
            names.insert(format!("#c{i}"), name.clone());
            values.insert(format!(":c{i}"), AttributeValue::N(value.to_string()));
            adds.push(format!("#c{i} :c{i}"));
        }
        let (mut day_names, mut day_values) = (names.clone(), values.clone());
        let mut day_sets = vec!["#day = :day".to_owned()];
        day_names.insert("#day".into(), "day".into());
        day_values.insert(":day".into(), s(&day.to_string()));
        if let Some(level) = activity.estimate {
            day_sets.push("estimate = :estimate".into());
            day_values.insert(":estimate".into(), s(level.code()));
        }
        let mut total_adds = adds.clone();
        let mut total_values = values;
        if let Some(scenario) = &activity.scenario {
            total_adds.push("played :played".into());
            total_values.insert(":played".into(), AttributeValue::Ss(vec![scenario.clone()]));
        }

        let check = self.live_check(owner)?;
        let mut items = vec![TransactWriteItem::builder().condition_check(check).build()];
        items.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.tables.learning)
                        .key("pk", s(owner.key()))
                        .key("sk", s(&day_sk(day)))
                        .update_expression(join_update(&day_sets, &adds))
                        .set_expression_attribute_names(Some(day_names))
                        .set_expression_attribute_values(Some(day_values))
                        .build()
                        .map_err(StoreError::request)?,
                )
                .build(),
        );
        if !total_adds.is_empty() {
            items.push(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.tables.learning)
                            .key("pk", s(owner.key()))
                            .key("sk", s(TOTAL_SK))
                            .update_expression(join_update(&[], &total_adds))
                            .set_expression_attribute_names((!names.is_empty()).then_some(names))
                            .set_expression_attribute_values(Some(total_values))
                            .build()
                            .map_err(StoreError::request)?,
                    )
                    .build(),
            );
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => {}
            Err(error) if failed_condition(&error) == Some(0) => return Err(RecordError::NotLive),
            Err(error) => return Err(StoreError::request(error).into()),
        }
        // Known to have studied today already (from a read this request made): nothing to carry.
        if activity.is_study() && !studied_today {
            self.carry_streak(owner, day).await?;
        }
        Ok(())
    }

    /// The transaction item that holds only while the owner's account is live.
    fn live_check(&self, owner: &Owner) -> Result<ConditionCheck, StoreError> {
        let (live, live_values) = live_user_condition(owner);
        ConditionCheck::builder()
            .table_name(&self.tables.users)
            .key("pk", s(owner.user_key()))
            .condition_expression(live)
            .set_expression_attribute_values(Some(live_values))
            .build()
            .map_err(StoreError::request)
    }

    /// Marks `day` studied: the first study of the day (only one request can be first, since the
    /// mark is conditional) carries the streak on from yesterday, or starts it at one.
    async fn carry_streak(&self, owner: &Owner, day: Day) -> Result<(), StoreError> {
        let marked = self
            .client
            .update_item()
            .table_name(&self.tables.learning)
            .key("pk", s(owner.key()))
            .key("sk", s(TOTAL_SK))
            .update_expression("SET last_day = :today ADD days_studied :one")
            // The totals exist (the transaction before wrote them): once an account's data is
            // deleted, this writes nothing back.
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(last_day) OR last_day < :today)",
            )
            .expression_attribute_values(":today", s(&day.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let before: Totals = match marked {
            Ok(output) => serde_dynamo::from_item(output.attributes.unwrap_or_default())?,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(super::is_condition_failure) =>
            {
                // Already studied today (or a later day, after a change of time zone), or the
                // account's data is gone.
                return Ok(());
            }
            Err(error) => return Err(StoreError::request(error)),
        };
        let yesterday = day.yesterday().to_string();
        let streak = if before.last_day.as_deref() == Some(yesterday.as_str()) {
            before.streak + 1
        } else {
            1
        };
        self.client
            .update_item()
            .table_name(&self.tables.learning)
            .key("pk", s(owner.key()))
            .key("sk", s(TOTAL_SK))
            .update_expression("SET streak = :streak, longest = :longest")
            .condition_expression("last_day = :today")
            .expression_attribute_values(":today", s(&day.to_string()))
            .expression_attribute_values(":streak", AttributeValue::N(streak.to_string()))
            .expression_attribute_values(
                ":longest",
                AttributeValue::N(streak.max(before.longest).to_string()),
            )
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(())
    }

    /// The totals and the days from `from` to `to` (both included): one read and one query of
    /// at most `to - from + 1` items, however long the learner has studied.
    #[tracing::instrument(name = "store.learning", skip_all)]
    pub async fn learning(
        &self,
        owner: &Owner,
        from: Day,
        to: Day,
    ) -> Result<(Totals, Vec<DayRecord>), StoreError> {
        let total = self
            .client
            .get_item()
            .table_name(&self.tables.learning)
            .key("pk", s(owner.key()))
            .key("sk", s(TOTAL_SK))
            .send();
        let days = self
            .client
            .query()
            .table_name(&self.tables.learning)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(owner.key()))
            .expression_attribute_values(":from", s(&day_sk(from)))
            .expression_attribute_values(":to", s(&day_sk(to)))
            .send();
        let (total, days) = tokio::join!(total, days);
        let totals = match total.map_err(StoreError::request)?.item {
            Some(mut item) => {
                // A string set is read as a list.
                if let Some(AttributeValue::Ss(played)) = item.remove("played") {
                    item.insert(
                        "played".into(),
                        AttributeValue::L(played.into_iter().map(AttributeValue::S).collect()),
                    );
                }
                serde_dynamo::from_item(item)?
            }
            None => Totals::default(),
        };
        let days = days
            .map_err(StoreError::request)?
            .items
            .unwrap_or_default()
            .into_iter()
            .map(serde_dynamo::from_item)
            .collect::<Result<Vec<DayRecord>, _>>()?;
        Ok((totals, days))
    }

    /// What the tutor remembers of the learner from their partition, in one query: the days from
    /// `from` on (the `day#` keys sort before the `fact#` ones) and every fact.
    #[tracing::instrument(name = "store.memory", skip_all)]
    pub async fn recent_days_and_facts(
        &self,
        owner: &Owner,
        from: Day,
    ) -> Result<(Vec<DayRecord>, Vec<FactRecord>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.learning)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(owner.key()))
            .expression_attribute_values(":from", s(&day_sk(from)))
            .expression_attribute_values(":to", s("fact#~"))
            .send()
            .await
            .map_err(StoreError::request)?;
        let mut days = Vec::new();
        let mut facts = Vec::new();
        for item in output.items.unwrap_or_default() {
            let is_fact =
                matches!(item.get("sk"), Some(AttributeValue::S(sk)) if sk.starts_with("fact#"));
            if is_fact {
                facts.push(serde_dynamo::from_item(item)?);
            } else {
                days.push(serde_dynamo::from_item(item)?);
            }
        }
        Ok((days, facts))
    }

    /// A page of everything in the learner's partition (days, totals, facts), for the export:
    /// each item without its keys, with `kind`; and where the next page starts.
    #[tracing::instrument(name = "store.learning_page", skip_all)]
    pub async fn learning_page(
        &self,
        owner: &Owner,
        start: Option<Key>,
    ) -> Result<(Vec<serde_json::Value>, Option<Key>), StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.learning)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(owner.key()))
            .set_exclusive_start_key(start)
            .limit(100)
            .send()
            .await
            .map_err(StoreError::request)?;
        let mut items = Vec::new();
        for mut item in output.items.unwrap_or_default() {
            let kind = match item.remove("sk") {
                Some(AttributeValue::S(sk)) if sk.starts_with("day#") => "day",
                Some(AttributeValue::S(sk)) if sk.starts_with("fact#") => "fact",
                _ => "totals",
            };
            item.remove("pk");
            let mut value: serde_json::Value = serde_dynamo::from_item(item)?;
            value["kind"] = kind.into();
            items.push(value);
        }
        Ok((items, output.last_evaluated_key))
    }

    /// The facts the learner shared, oldest first.
    #[tracing::instrument(name = "store.facts", skip_all)]
    pub async fn facts(&self, owner: &Owner) -> Result<Vec<FactRecord>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.learning)
            .key_condition_expression("pk = :pk AND begins_with(sk, :fact)")
            .expression_attribute_values(":pk", s(owner.key()))
            .expression_attribute_values(":fact", s("fact#"))
            .limit(MAX_FACTS as i32 + 1)
            .send()
            .await
            .map_err(StoreError::request)?;
        Ok(output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(serde_dynamo::from_item)
            .collect::<Result<_, _>>()?)
    }

    /// Keeps a fact, unless the list is full: the fact, and whether it is new (the same text
    /// again is the one kept).
    #[tracing::instrument(name = "store.add_fact", skip_all)]
    pub async fn add_fact(
        &self,
        owner: &Owner,
        text: &str,
        now: time::OffsetDateTime,
    ) -> Result<Result<(FactRecord, bool), FactRefusal>, RecordError> {
        let existing = self.facts(owner).await?;
        if let Some(same) = existing
            .iter()
            .find(|fact| fact.text.eq_ignore_ascii_case(text))
        {
            return Ok(Ok((same.clone(), false)));
        }
        if existing.len() >= MAX_FACTS {
            return Ok(Err(FactRefusal::Full));
        }
        let id = ulid::Ulid::new().to_string();
        let fact = FactRecord {
            pk: owner.key().to_owned(),
            sk: fact_sk(&id),
            id,
            text: text.to_owned(),
            created_at: crate::domain::time::rfc3339(now),
        };
        let check = self.live_check(owner)?;
        let put = Put::builder()
            .table_name(&self.tables.learning)
            .set_item(Some(
                serde_dynamo::to_item(&fact).map_err(StoreError::from)?,
            ))
            .build()
            .map_err(StoreError::request)?;
        match self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await
        {
            Ok(_) => Ok(Ok((fact, true))),
            Err(error) if failed_condition(&error) == Some(0) => Err(RecordError::NotLive),
            Err(error) => Err(StoreError::request(error).into()),
        }
    }

    /// Forgets a fact: whether there was one of that id.
    #[tracing::instrument(name = "store.delete_fact", skip_all)]
    pub async fn delete_fact(&self, owner: &Owner, id: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.learning)
            .key("pk", s(owner.key()))
            .key("sk", s(&fact_sk(id)))
            .condition_expression("attribute_exists(sk)")
            .send()
            .await;
        super::conditional(result)
    }
}

/// Why a fact was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactRefusal {
    Full,
}

fn join_update(sets: &[String], adds: &[String]) -> String {
    let mut expression = String::new();
    if !sets.is_empty() {
        expression += &format!("SET {}", sets.join(", "));
    }
    if !adds.is_empty() {
        expression += &format!(" ADD {}", adds.join(", "));
    }
    expression.trim().to_owned()
}
