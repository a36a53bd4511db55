//! The one source of truth for the DynamoDB tables: the local stack and the tests create tables
//! from these definitions, and a test checks `template.yaml` against them.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, StreamSpecification,
    StreamViewType, TimeToLiveSpecification,
};

use super::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDef {
    /// The table's name after the configured prefix (`rolechat-users`).
    pub name: &'static str,
    /// The table's logical id in `template.yaml`.
    pub resource: &'static str,
    /// Every key attribute is a string.
    pub partition_key: &'static str,
    pub sort_key: Option<&'static str>,
    /// The epoch-seconds attribute after which DynamoDB may delete an item.
    pub ttl_attribute: Option<&'static str>,
    /// Local secondary indexes: same partition key, another string sort key, all attributes.
    pub local_indexes: &'static [LocalIndex],
    /// Global secondary indexes: another string partition key, keys only. Sparse: only items
    /// that carry the attribute are in them.
    pub global_indexes: &'static [GlobalIndex],
    /// Whether the table has a stream of new images (the deployed template wires it to a
    /// function; the local stack reads the table instead).
    pub stream: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalIndex {
    pub name: &'static str,
    pub partition_key: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalIndex {
    pub name: &'static str,
    pub sort_key: &'static str,
}

/// Users, keyed by the case-folded username; beside them the items that make a provider
/// identity (`identity#…`) or a verified address (`email#…`) one user's. Only the records of
/// users with reminders due to go carry `remind_slot` (the UTC hour of the next, see
/// `domain::email`), so `by_reminder_slot` lists exactly whom one slot's run reminds.
pub const USERS: TableDef = TableDef {
    name: "users",
    resource: "UsersTable",
    partition_key: "pk",
    sort_key: None,
    ttl_attribute: None,
    local_indexes: &[],
    global_indexes: &[BY_REMINDER_SLOT],
    stream: false,
};

pub const BY_REMINDER_SLOT: GlobalIndex = GlobalIndex {
    name: "by_reminder_slot",
    partition_key: "remind_slot",
};

/// Login sessions, keyed by session id; they expire by TTL and logout deletes them. `by_user`
/// finds a user's sessions (by their stable id) without a scan, for deleting an account.
pub const SESSIONS: TableDef = TableDef {
    name: "sessions",
    resource: "SessionsTable",
    partition_key: "pk",
    sort_key: None,
    ttl_attribute: Some("expires_at"),
    local_indexes: &[],
    global_indexes: &[BY_USER],
    stream: false,
};

pub const BY_USER: GlobalIndex = GlobalIndex {
    name: "by_user",
    partition_key: "user_id",
};

/// Rooms and their messages, in their owner's partition (`pk` = the owner's user key), so
/// ownership is structural. A room is `sk = "{room_id}#room"`; each message is
/// `sk = "{room_id}#msg#{message_id}"`, and since `room` sorts after `msg#`, one query newest-first
/// reads a room and its latest messages. Only rooms carry `activity`, so the index lists rooms,
/// most recently active first.
pub const ROOMS: TableDef = TableDef {
    name: "rooms",
    resource: "RoomsTable",
    partition_key: "pk",
    sort_key: Some("sk"),
    ttl_attribute: None,
    local_indexes: &[BY_ACTIVITY],
    global_indexes: &[],
    stream: false,
};

pub const BY_ACTIVITY: LocalIndex = LocalIndex {
    name: "by_activity",
    sort_key: "activity",
};

/// Short-lived counters and records, keyed by purpose (`usage#`, `rate#`, `idem#`, `turns#`,
/// `calls#`), expired by TTL. Apart from sessions, so the functions that call the model, which
/// write these, hold no write on any session. The ones of one user (usage, leases, idempotency) carry
/// `owner`, their user's id, so `by_owner` finds them when the account is deleted.
pub const LIMITS: TableDef = TableDef {
    name: "limits",
    resource: "LimitsTable",
    partition_key: "pk",
    sort_key: None,
    ttl_attribute: Some("expires_at"),
    local_indexes: &[],
    global_indexes: &[BY_OWNER],
    stream: false,
};

pub const BY_OWNER: GlobalIndex = GlobalIndex {
    name: "by_owner",
    partition_key: "owner",
};

/// Logins in flight: a provider login's state (`oauth#{state}`, ten minutes) and the one-time
/// code the site exchanges for a session (`login#{code}`, two minutes), expired by TTL. Apart
/// from the limits, which the functions that call the model write: only the login functions
/// may write here (or read), so none of those can mint a code that starts a session.
pub const LOGINS: TableDef = TableDef {
    name: "logins",
    resource: "LoginsTable",
    partition_key: "pk",
    sort_key: None,
    ttl_attribute: Some("expires_at"),
    local_indexes: &[],
    global_indexes: &[],
    stream: false,
};

/// Deletions still to finish, one item a job (`user#{id}`, `room#{owner}#{room}`), written in the
/// same transaction that hides what is deleted. Its stream starts the deletion worker; the
/// worker rewrites the item to go on where one run could not finish, and removes it when done.
pub const DELETIONS: TableDef = TableDef {
    name: "deletions",
    resource: "DeletionsTable",
    partition_key: "pk",
    sort_key: None,
    ttl_attribute: None,
    local_indexes: &[],
    global_indexes: &[],
    stream: true,
};

/// The vocabulary notebook, in its owner's partition: each word or phrase is `sk = "item#{id}"`
/// (time-ordered ids: newest first is one query backwards), and `sk = "text#{language}#{text}"`
/// holds the id of the item with that text, so a duplicate is found with one read. Only items
/// carry `due_key` (`{due_at}#{id}`: the due ones, earliest first, are one query of `by_due`) and
/// `language_key` (`{language}#{id}`: one language's items, newest first, from `by_language`).
pub const VOCABULARY: TableDef = TableDef {
    name: "vocabulary",
    resource: "VocabularyTable",
    partition_key: "pk",
    sort_key: Some("sk"),
    ttl_attribute: None,
    local_indexes: &[BY_DUE, BY_LANGUAGE],
    global_indexes: &[],
    stream: false,
};

pub const BY_DUE: LocalIndex = LocalIndex {
    name: "by_due",
    sort_key: "due_key",
};

pub const BY_LANGUAGE: LocalIndex = LocalIndex {
    name: "by_language",
    sort_key: "language_key",
};

/// What a learner's study adds up to, in their partition: a day's counters (`sk = "day#{day}"`,
/// the learner's calendar day, so a range of days is one query), the totals with the streak
/// (`sk = "total"`), and the facts they shared (`sk = "fact#{id}"`).
pub const LEARNING: TableDef = TableDef {
    name: "learning",
    resource: "LearningTable",
    partition_key: "pk",
    sort_key: Some("sk"),
    ttl_attribute: None,
    local_indexes: &[],
    global_indexes: &[],
    stream: false,
};

pub const ALL_TABLES: &[TableDef] = &[
    USERS, SESSIONS, ROOMS, LIMITS, LOGINS, VOCABULARY, LEARNING, DELETIONS,
];

impl TableDef {
    pub fn table_name(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.name)
    }

    fn key_attributes(&self) -> impl Iterator<Item = (&'static str, KeyType)> {
        std::iter::once((self.partition_key, KeyType::Hash))
            .chain(self.sort_key.map(|sort_key| (sort_key, KeyType::Range)))
    }

    /// Every attribute used as a key, by the table or an index: each needs a definition.
    pub fn key_attribute_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.key_attributes().map(|(name, _)| name).collect();
        names.extend(self.local_indexes.iter().map(|index| index.sort_key));
        names.extend(self.global_indexes.iter().map(|index| index.partition_key));
        names
    }

    async fn create(&self, client: &Client, table_name: &str) -> Result<bool, StoreError> {
        let mut request = client
            .create_table()
            .table_name(table_name)
            .billing_mode(BillingMode::PayPerRequest);
        for (attribute, key_type) in self.key_attributes() {
            request = request.key_schema(key(attribute, key_type)?);
        }
        for attribute in self.key_attribute_names() {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(StoreError::request)?,
            );
        }
        for index in self.local_indexes {
            request = request.local_secondary_indexes(
                LocalSecondaryIndex::builder()
                    .index_name(index.name)
                    .key_schema(key(self.partition_key, KeyType::Hash)?)
                    .key_schema(key(index.sort_key, KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(StoreError::request)?,
            );
        }
        for index in self.global_indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .key_schema(key(index.partition_key, KeyType::Hash)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::KeysOnly)
                            .build(),
                    )
                    .build()
                    .map_err(StoreError::request)?,
            );
        }
        if self.stream {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .map_err(StoreError::request)?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                self.add_missing_indexes(client, table_name).await?;
                return Ok(false);
            }
            Err(error) => return Err(StoreError::request(error)),
        }
        if let Some(attribute) = self.ttl_attribute {
            client
                .update_time_to_live()
                .table_name(table_name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attribute)
                        .enabled(true)
                        .build()
                        .map_err(StoreError::request)?,
                )
                .send()
                .await
                .map_err(StoreError::request)?;
        }
        Ok(true)
    }
}

impl TableDef {
    /// Adds to a table made before them the global indexes this definition has and it lacks (a
    /// data directory of an older version, a table made by `make tables` then): one at a time,
    /// as DynamoDB allows, each filled from the items already there.
    async fn add_missing_indexes(
        &self,
        client: &Client,
        table_name: &str,
    ) -> Result<(), StoreError> {
        if self.global_indexes.is_empty() {
            return Ok(());
        }
        let described = client
            .describe_table()
            .table_name(table_name)
            .send()
            .await
            .map_err(StoreError::request)?;
        let present: Vec<String> = described
            .table()
            .map(|table| {
                table
                    .global_secondary_indexes()
                    .iter()
                    .filter_map(|index| index.index_name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for index in self.global_indexes {
            if present.iter().any(|name| name == index.name) {
                continue;
            }
            let create = aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                .index_name(index.name)
                .key_schema(key(index.partition_key, KeyType::Hash)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .map_err(StoreError::request)?;
            client
                .update_table()
                .table_name(table_name)
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(index.partition_key)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(StoreError::request)?,
                )
                .global_secondary_index_updates(
                    aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                        .create(create)
                        .build(),
                )
                .send()
                .await
                .map_err(StoreError::request)?;
        }
        Ok(())
    }
}

fn key(attribute: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(attribute)
        .key_type(key_type)
        .build()
        .map_err(StoreError::request)
}

/// Creates every table that does not exist yet; returns the names of those it created.
pub async fn ensure_tables(client: &Client, prefix: &str) -> Result<Vec<String>, StoreError> {
    let mut created = Vec::new();
    for table in ALL_TABLES {
        let name = table.table_name(prefix);
        if table.create(client, &name).await? {
            created.push(name);
        }
    }
    Ok(created)
}
