//! The learning aids stored on a message: feedback on a learner's line, and translations. Each
//! is written once, only if the message exists and has none yet, so a repeat reads the first.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::rooms::{message_sk, room_sk};
use super::{MessageRecord, Owner, RoomRecord, Store, StoreError, is_condition_failure, s};
use crate::domain::language::UiLanguage;
use crate::domain::room::Feedback;

impl Store {
    /// A room and one of its messages, in one read. Either is `None` when it does not exist
    /// under this owner (a room being deleted counts as gone).
    #[tracing::instrument(name = "store.room_and_message", skip_all)]
    pub async fn room_and_message(
        &self,
        owner: &Owner,
        room_id: &str,
        message_id: &str,
    ) -> Result<(Option<RoomRecord>, Option<MessageRecord>), StoreError> {
        let items = self
            .batch_get_rooms(owner, &[room_sk(room_id), message_sk(room_id, message_id)])
            .await?;
        let (mut room, mut message) = (None, None);
        for item in items {
            if item.get("sk") == Some(&s(&room_sk(room_id))) {
                room = Some(serde_dynamo::from_item::<_, RoomRecord>(item)?)
                    .filter(|room| !room.deleting);
            } else {
                message = Some(serde_dynamo::from_item(item)?);
            }
        }
        Ok((room, message))
    }

    /// Stores feedback on a message unless it has some; returns what is stored afterwards
    /// (`None` if the message is gone).
    #[tracing::instrument(name = "store.store_feedback", skip_all)]
    pub async fn store_feedback(
        &self,
        owner: &Owner,
        room_id: &str,
        message_id: &str,
        feedback: &Feedback,
    ) -> Result<Option<Feedback>, StoreError> {
        let value = AttributeValue::M(serde_dynamo::to_item(feedback)?);
        let message = self
            .store_once(owner, room_id, message_id, "feedback", value)
            .await?;
        Ok(message.and_then(|message| message.feedback))
    }

    /// Stores a translation of a message unless it has one in that language; returns what is
    /// stored afterwards (`None` if the message is gone).
    #[tracing::instrument(name = "store.store_translation", skip_all)]
    pub async fn store_translation(
        &self,
        owner: &Owner,
        room_id: &str,
        message_id: &str,
        to: UiLanguage,
        text: &str,
    ) -> Result<Option<String>, StoreError> {
        let attribute = match to {
            UiLanguage::Ko => "translation_ko",
            UiLanguage::En => "translation_en",
            UiLanguage::Ja => "translation_ja",
        };
        let message = self
            .store_once(owner, room_id, message_id, attribute, s(text))
            .await?;
        Ok(message.and_then(|message| message.translation(to).cloned()))
    }

    /// Sets `attribute` on the message if the message exists and the attribute does not; the
    /// message as it is afterwards.
    async fn store_once(
        &self,
        owner: &Owner,
        room_id: &str,
        message_id: &str,
        attribute: &'static str,
        value: AttributeValue,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let sk = message_sk(room_id, message_id);
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.rooms)
            .key("pk", s(owner.key()))
            .key("sk", s(&sk))
            .update_expression("SET #aid = :value")
            .condition_expression("attribute_exists(sk) AND attribute_not_exists(#aid)")
            .expression_attribute_names("#aid", attribute)
            .expression_attribute_values(":value", value)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(serde_dynamo::from_item(
                output.attributes.unwrap_or_default(),
            )?)),
            Err(error) if error.as_service_error().is_some_and(is_condition_failure) => {
                // Stored meanwhile by another request, or the message is gone: read which.
                let output = self
                    .client
                    .get_item()
                    .table_name(&self.tables.rooms)
                    .key("pk", s(owner.key()))
                    .key("sk", s(&sk))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(StoreError::request)?;
                Ok(output.item.map(serde_dynamo::from_item).transpose()?)
            }
            Err(error) => Err(StoreError::request(error)),
        }
    }
}
