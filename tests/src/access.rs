//! Records every DynamoDB request as the IAM permissions it needs: one `(action, resource)` per
//! table or index touched, where a transaction or batch needs the action of each item.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::operation::{
    batch_get_item::BatchGetItemInput, batch_write_item::BatchWriteItemInput,
    delete_item::DeleteItemInput, get_item::GetItemInput, put_item::PutItemInput,
    query::QueryInput, scan::ScanInput, transact_get_items::TransactGetItemsInput,
    transact_write_items::TransactWriteItemsInput, update_item::UpdateItemInput,
};

/// An IAM action (`dynamodb:GetItem`) on a resource named as the template names it: a table
/// (`rooms`) or an index (`rooms/index/by_activity`).
pub type Access = (String, String);

#[derive(Debug, Clone)]
pub struct Accesses {
    prefix: String,
    seen: Arc<Mutex<BTreeSet<Access>>>,
}

impl Accesses {
    pub fn new(table_prefix: &str) -> Self {
        Accesses {
            prefix: table_prefix.to_owned(),
            seen: Arc::default(),
        }
    }

    /// What was asked since the last call.
    pub fn take(&self) -> BTreeSet<Access> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }

    fn record(&self, action: &str, table: Option<&str>, index: Option<&str>) {
        let table = table.unwrap_or("?");
        let table = table.strip_prefix(&self.prefix).unwrap_or(table);
        let resource = match index {
            Some(index) => format!("{table}/index/{index}"),
            None => table.to_owned(),
        };
        self.seen
            .lock()
            .unwrap()
            .insert((format!("dynamodb:{action}"), resource));
    }
}

impl Accesses {
    /// An S3 request on the audio bucket: the bucket itself (listing) or its objects (`bucket/*`),
    /// named as the template names it.
    fn record_s3(&self, action: &str, bucket: Option<&str>, objects: bool) {
        let bucket = if bucket.is_some() { AUDIO_BUCKET } else { "?" };
        let resource = if objects {
            format!("{bucket}/*")
        } else {
            bucket.to_owned()
        };
        self.seen
            .lock()
            .unwrap()
            .insert((format!("s3:{action}"), resource));
    }
}

impl Accesses {
    /// A Bedrock call, as IAM authorizes it (Converse is `InvokeModel`, ConverseStream
    /// `InvokeModelWithResponseStream`): on the inference profile it names and on the model the
    /// profile routes to, or on the model it names, as the template names them.
    fn record_bedrock(&self, action: &str, model: Option<&str>) {
        let model = model.unwrap_or("?");
        let through_profile = ["global.", "us.", "eu.", "apac.", "jp.", "au.", "ca."]
            .iter()
            .any(|geography| model.starts_with(geography));
        let mut seen = self.seen.lock().unwrap();
        let action = format!("bedrock:{action}");
        if through_profile {
            seen.insert((action.clone(), BEDROCK_PROFILE.into()));
        }
        seen.insert((action, BEDROCK_MODEL.into()));
    }
}

/// How the template names the inference profile and the model it grants (the ARNs' last parts).
pub const BEDROCK_PROFILE: &str = "inference-profile/${BedrockModel}";
pub const BEDROCK_MODEL: &str = "foundation-model/${BedrockFoundationModel}";

/// The audio bucket's name in the template.
pub const AUDIO_BUCKET: &str = "AudioCacheBucket";

impl Intercept for Accesses {
    fn name(&self) -> &'static str {
        "Accesses"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let input = context.input();
        if let Some(i) = input.downcast_ref::<GetItemInput>() {
            self.record("GetItem", i.table_name(), None);
        } else if let Some(i) = input.downcast_ref::<PutItemInput>() {
            self.record("PutItem", i.table_name(), None);
        } else if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
            self.record("UpdateItem", i.table_name(), None);
        } else if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            self.record("DeleteItem", i.table_name(), None);
        } else if let Some(i) = input.downcast_ref::<QueryInput>() {
            self.record("Query", i.table_name(), i.index_name());
        } else if let Some(i) = input.downcast_ref::<ScanInput>() {
            self.record("Scan", i.table_name(), i.index_name());
        } else if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
            for table in i.request_items().into_iter().flat_map(|items| items.keys()) {
                self.record("BatchGetItem", Some(table), None);
            }
        } else if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            for table in i.request_items().into_iter().flat_map(|items| items.keys()) {
                self.record("BatchWriteItem", Some(table), None);
            }
        } else if let Some(i) = input.downcast_ref::<TransactGetItemsInput>() {
            for item in i.transact_items() {
                self.record("GetItem", item.get().map(|g| g.table_name()), None);
            }
        } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            for item in i.transact_items() {
                if let Some(put) = item.put() {
                    self.record("PutItem", Some(put.table_name()), None);
                }
                if let Some(update) = item.update() {
                    self.record("UpdateItem", Some(update.table_name()), None);
                }
                if let Some(delete) = item.delete() {
                    self.record("DeleteItem", Some(delete.table_name()), None);
                }
                if let Some(check) = item.condition_check() {
                    self.record("ConditionCheckItem", Some(check.table_name()), None);
                }
            }
        } else if let Some(i) =
            input.downcast_ref::<aws_sdk_s3::operation::get_object::GetObjectInput>()
        {
            self.record_s3("GetObject", i.bucket(), true);
        } else if let Some(i) =
            input.downcast_ref::<aws_sdk_s3::operation::put_object::PutObjectInput>()
        {
            self.record_s3("PutObject", i.bucket(), true);
        } else if let Some(i) =
            input.downcast_ref::<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Input>()
        {
            self.record_s3("ListBucket", i.bucket(), false);
        } else if let Some(i) =
            input.downcast_ref::<aws_sdk_s3::operation::delete_objects::DeleteObjectsInput>()
        {
            self.record_s3("DeleteObject", i.bucket(), true);
        } else if let Some(i) =
            input.downcast_ref::<aws_sdk_bedrockruntime::operation::converse::ConverseInput>()
        {
            self.record_bedrock("InvokeModel", i.model_id());
        } else if let Some(i) = input
            .downcast_ref::<aws_sdk_bedrockruntime::operation::converse_stream::ConverseStreamInput>()
        {
            self.record_bedrock("InvokeModelWithResponseStream", i.model_id());
        } else {
            // A new kind of request must be taught here before a test can vouch for its policy.
            self.record("Unknown", None, None);
        }
        Ok(())
    }
}
