//! DynamoDB through aws-sdk-dynamodb, items mapped with serde_dynamo.
//!
//! Every method that reads or writes a user's rooms takes the [`Owner`] that only a checked
//! session gives, so no caller can reach room data before the session check.

mod aids;
pub mod audio;
mod deletions;
mod email;
mod identities;
mod learning;
mod limits;
mod owner;
mod rooms;
pub mod schema;
mod sessions;
mod turns;
mod users;
mod vocabulary;

pub use deletions::{Budget, DeletionJob, JobKind, Part, Progress};
pub use email::{AddressRecord, MailToken, Verified, VerifyError, address_key, token_key};
pub use identities::{LinkError, LoginCode, OAuthState, PendingLink, RenameError};
pub use learning::{Activity, Counters, DayRecord, FactRecord, FactRefusal, RecordError, Totals};
pub use limits::Ceiling;
pub use rooms::{MessageRecord, OpenedRoom, Page, RoomRecord, message_sk, room_sk};
pub use sessions::SessionRecord;
pub use turns::{
    BeginError, CallLease, IdempotencyRecord, IdempotencyState, Refusal, TurnFailure, TurnStart,
    Usage,
};
pub use users::{
    AccountError, CreateUserError, IdentityRecord, LinkedIdentity, ProfileChange, UserRecord,
};
pub use vocabulary::{
    Added, DUE_COUNT_CAP, NewItem, VocabularyRecord, due_key as vocabulary_due_key,
};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

pub use audio::AudioCache;
pub use owner::Owner;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB request failed: {0}")]
    Request(String),
    #[error("a stored item has an unexpected shape: {0}")]
    Item(#[from] serde_dynamo::Error),
    #[error("the audio cache failed to {0}")]
    Audio(String),
}

impl StoreError {
    pub(crate) fn request(error: impl std::error::Error) -> Self {
        StoreError::Request(DisplayErrorContext(error).to_string())
    }
}

/// A string attribute value.
pub(crate) fn s(value: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(value.to_owned())
}

/// Whether a request failed because its condition did not hold.
pub(crate) fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(
    error: &E,
) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

/// The item as a conditional `UpdateItem` (asked for `ALL_NEW`) left it: `None` when its
/// condition did not hold.
pub(crate) fn updated<T: serde::de::DeserializeOwned>(
    result: Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    >,
) -> Result<Option<T>, StoreError> {
    match result {
        Ok(output) => Ok(Some(serde_dynamo::from_item(
            output.attributes.unwrap_or_default(),
        )?)),
        Err(error) if error.as_service_error().is_some_and(is_condition_failure) => Ok(None),
        Err(error) => Err(StoreError::request(error)),
    }
}

/// A conditional write's outcome: `false` when its condition did not hold.
pub(crate) fn conditional<T, E>(
    result: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    >,
) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(error) if error.as_service_error().is_some_and(is_condition_failure) => Ok(false),
        Err(error) => Err(StoreError::request(error)),
    }
}

/// The index of the first item whose condition failed in a cancelled transaction.
pub(crate) fn failed_condition(error: &TransactWriteError) -> Option<usize> {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => canceled
            .cancellation_reasons()
            .iter()
            .position(|reason| reason.code() == Some("ConditionalCheckFailed")),
        _ => None,
    }
}

/// Whether a transaction was cancelled because the condition on its first item failed (the item
/// each transaction here puts first is the one whose condition means "exists" or "is taken").
fn first_condition_failed(error: &TransactWriteError) -> bool {
    failed_condition(error) == Some(0)
}

pub(crate) type TransactWriteError = aws_sdk_dynamodb::error::SdkError<
    TransactWriteItemsError,
    aws_sdk_dynamodb::config::http::HttpResponse,
>;

/// The names of the tables, after the configured prefix.
#[derive(Debug, Clone)]
pub struct Tables {
    pub users: String,
    pub sessions: String,
    pub rooms: String,
    pub limits: String,
    pub logins: String,
    pub vocabulary: String,
    pub learning: String,
    pub deletions: String,
}

impl Tables {
    pub fn with_prefix(prefix: &str) -> Self {
        Tables {
            users: schema::USERS.table_name(prefix),
            sessions: schema::SESSIONS.table_name(prefix),
            rooms: schema::ROOMS.table_name(prefix),
            limits: schema::LIMITS.table_name(prefix),
            logins: schema::LOGINS.table_name(prefix),
            vocabulary: schema::VOCABULARY.table_name(prefix),
            learning: schema::LEARNING.table_name(prefix),
            deletions: schema::DELETIONS.table_name(prefix),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    tables: Tables,
}

impl Store {
    pub fn new(client: Client, tables: Tables) -> Self {
        Store { client, tables }
    }
}
