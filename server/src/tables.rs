//! Moving the data between DynamoDBs, for the move from one machine to AWS (docs/one-machine.md):
//! `rolechat export DIR` writes every table as DynamoDB JSON, one `{"Item": {...}}` a line (the
//! format of DynamoDB's own export to S3), and `rolechat import DIR` writes those items into the
//! tables of another DynamoDB, a deployed stack's among them.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rolechat::store::schema::ALL_TABLES;
use serde_json::{Map, Value, json};

/// DynamoDB's largest batch write.
const BATCH: usize = 25;
/// How many times a batch's unprocessed items are written again (a throttled table), waiting
/// longer each time, before the import stops.
const RETRIES: u32 = 8;

/// The file of a table's items in an export: `users.json` for `{prefix}users`.
fn file_of(dir: &Path, table: &str) -> PathBuf {
    dir.join(format!("{table}.json"))
}

/// Writes every item of every table under `prefix` into `dir`, one file a table. Returns each
/// table's name and item count.
pub async fn export(
    client: &Client,
    prefix: &str,
    dir: &Path,
) -> Result<Vec<(&'static str, usize)>, String> {
    rolechat_local_dynamodb::private_dir(dir)?;
    let mut counts = Vec::new();
    for table in ALL_TABLES {
        let path = file_of(dir, table.name);
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        rolechat_local_dynamodb::private_file(&path)?;
        let mut out = BufWriter::new(file);
        let mut count = 0;
        let mut pages = client
            .scan()
            .table_name(table.table_name(prefix))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                format!(
                    "cannot read {}: {}",
                    table.table_name(prefix),
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
            for item in page.items() {
                writeln!(out, "{}", json!({ "Item": item_json(item) }))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                count += 1;
            }
        }
        out.flush()
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        counts.push((table.name, count));
    }
    Ok(counts)
}

/// Writes the items of each table file in `dir` into the table of the same name under
/// `prefix`; an item with the key of one already there replaces it. Returns each table's name
/// and item count. A file that is not there is a table with nothing to import.
pub async fn import(
    client: &Client,
    prefix: &str,
    dir: &Path,
) -> Result<Vec<(&'static str, usize)>, String> {
    let mut counts = Vec::new();
    for table in ALL_TABLES {
        let path = file_of(dir, table.name);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let name = table.table_name(prefix);
        let mut batch = Vec::with_capacity(BATCH);
        let mut count = 0;
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{} line {}", path.display(), number + 1);
            let value: Value = serde_json::from_str(&line).map_err(|e| format!("{}: {e}", at()))?;
            let item = value
                .get("Item")
                .ok_or_else(|| format!("{}: no \"Item\"", at()))
                .and_then(|item| item_from_json(item).map_err(|e| format!("{}: {e}", at())))?;
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| format!("{}: {e}", at()))?;
            batch.push(WriteRequest::builder().put_request(put).build());
            if batch.len() == BATCH {
                write_batch(client, &name, std::mem::take(&mut batch)).await?;
            }
            count += 1;
        }
        if !batch.is_empty() {
            write_batch(client, &name, batch).await?;
        }
        counts.push((table.name, count));
    }
    if counts.is_empty() {
        return Err(format!(
            "{} holds no exported table (users.json, rooms.json, ...)",
            dir.display()
        ));
    }
    Ok(counts)
}

/// One batch, its unprocessed items written again until none are left.
async fn write_batch(client: &Client, table: &str, batch: Vec<WriteRequest>) -> Result<(), String> {
    let mut left = batch;
    for attempt in 0..=RETRIES {
        let output = client
            .batch_write_item()
            .request_items(table, left)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "cannot write to {table}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(e)
                )
            })?;
        left = output
            .unprocessed_items
            .and_then(|mut unprocessed| unprocessed.remove(table))
            .unwrap_or_default();
        if left.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
    }
    Err(format!(
        "{table} kept {} items unwritten (throttled): run the import again",
        left.len()
    ))
}

/// An item as DynamoDB JSON: each value an object naming its type (`{"S": "text"}`).
pub fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), value_json(value)))
            .collect(),
    )
}

fn value_json(value: &AttributeValue) -> Value {
    let typed = |kind: &str, value: Value| {
        let mut object = Map::new();
        object.insert(kind.into(), value);
        Value::Object(object)
    };
    match value {
        AttributeValue::S(text) => typed("S", json!(text)),
        AttributeValue::N(number) => typed("N", json!(number)),
        AttributeValue::B(blob) => typed("B", json!(STANDARD.encode(blob.as_ref()))),
        AttributeValue::Bool(flag) => typed("BOOL", json!(flag)),
        AttributeValue::Null(_) => typed("NULL", json!(true)),
        AttributeValue::Ss(texts) => typed("SS", json!(texts)),
        AttributeValue::Ns(numbers) => typed("NS", json!(numbers)),
        AttributeValue::Bs(blobs) => typed(
            "BS",
            blobs
                .iter()
                .map(|blob| json!(STANDARD.encode(blob.as_ref())))
                .collect(),
        ),
        AttributeValue::L(values) => typed("L", values.iter().map(value_json).collect()),
        AttributeValue::M(map) => typed("M", item_json(map)),
        // A type this SDK does not know: nothing Rolechat writes.
        _ => Value::Null,
    }
}

/// An item from DynamoDB JSON.
pub fn item_from_json(value: &Value) -> Result<HashMap<String, AttributeValue>, String> {
    value
        .as_object()
        .ok_or("an item is an object")?
        .iter()
        .map(|(name, value)| Ok((name.clone(), value_from_json(value)?)))
        .collect()
}

fn value_from_json(value: &Value) -> Result<AttributeValue, String> {
    let object = value.as_object().filter(|object| object.len() == 1);
    let Some((kind, inner)) = object.and_then(|object| object.iter().next()) else {
        return Err(format!("`{value}` is not one typed value"));
    };
    let text = || {
        inner
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{kind} holds a string"))
    };
    let texts = || -> Result<Vec<String>, String> {
        inner
            .as_array()
            .ok_or_else(|| format!("{kind} holds a list"))?
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{kind} holds strings"))
            })
            .collect()
    };
    let blob = |encoded: &str| {
        STANDARD
            .decode(encoded)
            .map(Blob::new)
            .map_err(|e| format!("{kind} holds base64: {e}"))
    };
    Ok(match kind.as_str() {
        "S" => AttributeValue::S(text()?),
        "N" => AttributeValue::N(text()?),
        "B" => AttributeValue::B(blob(&text()?)?),
        "BOOL" => AttributeValue::Bool(inner.as_bool().ok_or("BOOL holds true or false")?),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(texts()?),
        "NS" => AttributeValue::Ns(texts()?),
        "BS" => AttributeValue::Bs(
            texts()?
                .iter()
                .map(|encoded| blob(encoded))
                .collect::<Result<_, _>>()?,
        ),
        "L" => AttributeValue::L(
            inner
                .as_array()
                .ok_or("L holds a list")?
                .iter()
                .map(value_from_json)
                .collect::<Result<_, _>>()?,
        ),
        "M" => AttributeValue::M(item_from_json(inner)?),
        other => return Err(format!("`{other}` is not a DynamoDB type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_dynamodb_json() {
        let item: HashMap<String, AttributeValue> = [
            ("s", AttributeValue::S("한국어 text".into())),
            ("n", AttributeValue::N("-12.5".into())),
            ("b", AttributeValue::B(Blob::new(vec![0, 159, 255]))),
            ("bool", AttributeValue::Bool(false)),
            ("null", AttributeValue::Null(true)),
            ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("ns", AttributeValue::Ns(vec!["1".into(), "2".into()])),
            (
                "bs",
                AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
            ),
            (
                "l",
                AttributeValue::L(vec![
                    AttributeValue::S("x".into()),
                    AttributeValue::N("1".into()),
                ]),
            ),
            (
                "m",
                AttributeValue::M([("inner".to_owned(), AttributeValue::Bool(true))].into()),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let json = item_json(&item);
        assert_eq!(json["s"], json!({"S": "한국어 text"}));
        assert_eq!(json["b"], json!({"B": "AJ//"}));
        assert_eq!(json["m"], json!({"M": {"inner": {"BOOL": true}}}));
        assert_eq!(item_from_json(&json).unwrap(), item);
    }

    #[test]
    fn what_is_not_dynamodb_json_is_refused_by_name() {
        for (value, expected) in [
            (json!({"a": {"X": "1"}}), "`X` is not a DynamoDB type"),
            (json!({"a": {"S": 1}}), "S holds a string"),
            (json!({"a": {"S": "1", "N": "1"}}), "is not one typed value"),
            (json!({"a": {"B": "not base64!"}}), "B holds base64"),
            (json!(["a"]), "an item is an object"),
        ] {
            let error = item_from_json(&value).unwrap_err();
            assert!(error.contains(expected), "{value}: {error}");
        }
    }
}
