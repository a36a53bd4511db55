//! The cache of synthesized speech: each tutor line is synthesized once per voice and speed and
//! kept, in an S3 bucket in AWS (whose lifecycle expires what no one asked for again) or in a
//! directory locally. Keys are `speech/{user}/{room}/{message}/{voice}-{speed}.{format}`, so a
//! room's or an account's audio goes with one prefix.

use std::path::{Path, PathBuf};

use super::StoreError;

#[derive(Debug, Clone)]
pub enum AudioCache {
    /// No speech server: nothing is synthesized, nothing kept.
    Off,
    Dir(PathBuf),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
    },
}

/// The prefix of everything kept for `owner` (an account), or for one of their rooms.
pub fn prefix(owner: &str, room: Option<&str>) -> String {
    match room {
        Some(room) => format!("speech/{owner}/{room}/"),
        None => format!("speech/{owner}/"),
    }
}

fn failed(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Audio(format!("{what}: {error}"))
}

impl AudioCache {
    /// The audio kept under `key`, if any.
    #[tracing::instrument(name = "audio.get", skip_all)]
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            AudioCache::Off => Ok(None),
            AudioCache::Dir(root) => match tokio::fs::read(path_of(root, key)).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(failed("read", error)),
            },
            AudioCache::S3 { client, bucket } => {
                let result = client.get_object().bucket(bucket).key(key).send().await;
                match result {
                    Ok(output) => {
                        let body = output.body.collect().await.map_err(|e| failed("read", e))?;
                        Ok(Some(body.into_bytes().to_vec()))
                    }
                    Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                        Ok(None)
                    }
                    Err(error) => Err(failed(
                        "read",
                        aws_sdk_s3::error::DisplayErrorContext(error),
                    )),
                }
            }
        }
    }

    /// Keeps `bytes` under `key`; a concurrent writer of the same key writes the same audio.
    #[tracing::instrument(name = "audio.put", skip_all)]
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        match self {
            AudioCache::Off => Ok(()),
            AudioCache::Dir(root) => {
                let path = path_of(root, key);
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|e| failed("write", e))?;
                }
                // Written aside, then renamed: a reader never sees half a file.
                let partial = path.with_extension(format!("{}.part", ulid::Ulid::new()));
                tokio::fs::write(&partial, bytes)
                    .await
                    .map_err(|e| failed("write", e))?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|e| failed("write", e))
            }
            AudioCache::S3 { client, bucket } => client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(bytes.into())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| failed("write", aws_sdk_s3::error::DisplayErrorContext(e))),
        }
    }

    /// Deletes everything under `prefix`; how many objects went.
    #[tracing::instrument(name = "audio.delete_under", skip_all)]
    pub async fn delete_under(&self, prefix: &str) -> Result<u64, StoreError> {
        match self {
            AudioCache::Off => Ok(0),
            AudioCache::Dir(root) => {
                let path = path_of(root, prefix);
                let count = count_files(&path);
                match tokio::fs::remove_dir_all(&path).await {
                    Ok(()) => Ok(count),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(0),
                    Err(error) => Err(failed("delete", error)),
                }
            }
            AudioCache::S3 { client, bucket } => {
                let mut removed = 0;
                loop {
                    // Each page is deleted before the next is listed, so listing from the start
                    // again finds what is left (a retried run included).
                    let page = client
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(prefix)
                        .max_keys(1000)
                        .send()
                        .await
                        .map_err(|e| failed("list", aws_sdk_s3::error::DisplayErrorContext(e)))?;
                    let keys: Vec<_> = page
                        .contents()
                        .iter()
                        .filter_map(|object| object.key())
                        .filter_map(|key| {
                            aws_sdk_s3::types::ObjectIdentifier::builder()
                                .key(key)
                                .build()
                                .ok()
                        })
                        .collect();
                    if keys.is_empty() {
                        return Ok(removed);
                    }
                    let count = keys.len() as u64;
                    let delete = aws_sdk_s3::types::Delete::builder()
                        .set_objects(Some(keys))
                        .quiet(true)
                        .build()
                        .map_err(|e| failed("delete", e))?;
                    let output = client
                        .delete_objects()
                        .bucket(bucket)
                        .delete(delete)
                        .send()
                        .await
                        .map_err(|e| failed("delete", aws_sdk_s3::error::DisplayErrorContext(e)))?;
                    if let Some(error) = output.errors().first() {
                        return Err(failed(
                            "delete",
                            error.message().unwrap_or("an object was not deleted"),
                        ));
                    }
                    removed += count;
                }
            }
        }
    }
}

/// Keys are made of ids and checked names only (no `..`), so they map onto the directory as is.
fn path_of(root: &Path, key: &str) -> PathBuf {
    key.split('/')
        .filter(|part| !part.is_empty() && *part != "." && *part != "..")
        .fold(root.to_path_buf(), |path, part| path.join(part))
}

fn count_files(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { count_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_directory_keeps_reads_and_deletes_by_prefix() {
        let root = std::env::temp_dir().join(format!("rolechat-audio-{}", ulid::Ulid::new()));
        let cache = AudioCache::Dir(root.clone());
        let key = |room: &str| format!("{}m1/coral-1.mp3", prefix("u1", Some(room)));
        assert_eq!(cache.get(&key("r1")).await.unwrap(), None);
        cache
            .put(&key("r1"), b"ID3a".to_vec(), "audio/mpeg")
            .await
            .unwrap();
        cache
            .put(&key("r2"), b"ID3b".to_vec(), "audio/mpeg")
            .await
            .unwrap();
        assert_eq!(
            cache.get(&key("r1")).await.unwrap().as_deref(),
            Some(&b"ID3a"[..])
        );
        assert_eq!(
            cache.delete_under(&prefix("u1", Some("r1"))).await.unwrap(),
            1
        );
        assert_eq!(cache.get(&key("r1")).await.unwrap(), None);
        assert!(cache.get(&key("r2")).await.unwrap().is_some());
        assert_eq!(cache.delete_under(&prefix("u1", None)).await.unwrap(), 1);
        assert_eq!(cache.delete_under(&prefix("u1", None)).await.unwrap(), 0);
        // No key leaves the directory.
        assert_eq!(
            path_of(&root, "speech/../../etc/passwd"),
            root.join("speech/etc/passwd")
        );
        let _ = std::fs::remove_dir_all(root);
    }
}
