//! The deletion worker: the function that finishes what `DELETE /me` and `DELETE /rooms/{id}`
//! start. In AWS it runs on the deletions table's stream (each new or rewritten job) and, every
//! hour, as a sweep of the jobs no run has touched for a while (a run whose retries were all
//! used up, its record sent to the dead-letter queue). The local stack has no stream: it runs the
//! same sweep every second with no wait, which takes up every job as soon as it is written.

use std::time::Instant;

use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord, StreamRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_json::{Value, json};

use crate::config::DeletionConfig;
use crate::domain::time::Clock;
use crate::state::AppState;
use crate::store::{AudioCache, Budget, DeletionJob, JobKind, Progress, Store, StoreError, audio};

/// What the worker uses: the store, the audio cache, the pace of its runs and the clock.
#[derive(Clone, Copy)]
pub struct Worker<'a> {
    pub store: &'a Store,
    pub audio: &'a AudioCache,
    pub pace: &'a DeletionConfig,
    pub clock: &'a Clock,
}

impl<'a> Worker<'a> {
    /// The worker over a function's state.
    pub fn of(state: &'a AppState) -> Self {
        Worker {
            store: &state.store,
            audio: &state.audio,
            pace: &state.config.deletion,
            clock: &state.clock,
        }
    }
}

/// Runs one job as far as its budget allows, then records where it is: finished (the job goes)
/// or not (the job is rewritten, which starts the next run).
async fn run_job(worker: Worker<'_>, job: &DeletionJob) -> Result<Progress, StoreError> {
    let Worker {
        store,
        audio,
        pace,
        clock,
    } = worker;
    // The image may be older than the job: it may have been finished by another run.
    let Some(job) = store.get_deletion(&job.pk).await? else {
        return Ok(Progress::Done { removed: 0 });
    };
    // The synthesized speech first: it is found by its prefix, which the items no longer give
    // once they are gone.
    let room = match job.kind {
        JobKind::Room => job.room_id.as_deref(),
        JobKind::Account => None,
    };
    let spoken = audio.delete_under(&audio::prefix(&job.owner, room)).await?;
    if spoken > 0 {
        tracing::info!(job = %job.pk, spoken, "synthesized speech deleted");
    }
    let budget = Budget {
        until: Instant::now() + pace.round_time,
        items: pace.round_items,
    };
    let progress = store.run_deletion(&job, budget).await?;
    match progress {
        Progress::Done { removed } => {
            store.finish_deletion(&job).await?;
            tracing::info!(job = %job.pk, removed = job.removed + removed, rounds = job.rounds + 1, "deletion finished");
        }
        Progress::Unfinished { removed } => {
            let now = clock.now().unix_timestamp();
            store.continue_deletion(&job, removed, now).await?;
            tracing::info!(job = %job.pk, removed, "deletion goes on in another run");
        }
    }
    Ok(progress)
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("the event is neither a stream batch nor a sweep: {0}")]
    Event(String),
    #[error("{0} deletion job(s) failed; they stay to be retried")]
    Failed(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The worker's handler. A stream batch answers with the records that failed, so Lambda retries
/// from the first of them (and, when its retries are spent, sends it to the dead-letter queue);
/// a sweep fails as a whole when any job failed, which the errors alarm sees.
pub async fn handle(worker: Worker<'_>, event: Value) -> Result<Value, WorkerError> {
    if event.get("Records").is_some() {
        let batch: StreamEvent =
            serde_json::from_value(event).map_err(|error| WorkerError::Event(error.to_string()))?;
        let mut response = DynamoDbEventResponse::default();
        for record in batch.records {
            if response.batch_item_failures.is_empty() {
                match run_record(worker, &record).await {
                    Ok(()) => continue,
                    Err(error) => tracing::error!(%error, "a deletion run failed"),
                }
            }
            // This record failed, or one before it did: all from here are retried.
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number;
            response.batch_item_failures.push(failure);
        }
        return serde_json::to_value(response)
            .map_err(|error| WorkerError::Event(error.to_string()));
    }
    if event.get("source").and_then(Value::as_str) == Some("aws.events")
        || event.get("sweep").is_some()
    {
        return sweep(worker).await.map(|done| json!({"jobs": done}));
    }
    Err(WorkerError::Event("no `Records` and no `source`".into()))
}

/// `handle` as the worker function runs it, owning its share of the state.
pub async fn serve(state: std::sync::Arc<AppState>, event: Value) -> Result<Value, WorkerError> {
    // Boxed: the run's future is deep enough to overflow the compiler's layout limit inline.
    Box::pin(handle(Worker::of(&state), event)).await
}

/// Runs the job of a new or rewritten job item; the removal of one (a finished job) is nothing
/// to do.
async fn run_record(worker: Worker<'_>, record: &EventRecord) -> Result<(), StoreError> {
    let image = &record.change.new_image;
    if !matches!(record.event_name.as_str(), "INSERT" | "MODIFY") || image.is_empty() {
        return Ok(());
    }
    let job: DeletionJob = serde_dynamo::from_item(image.clone())?;
    run_job(worker, &job).await.map(|_| ())
}

/// Runs every job no run has touched for the configured while. Returns how many it ran.
pub async fn sweep(worker: Worker<'_>) -> Result<usize, WorkerError> {
    let now = worker.clock.now().unix_timestamp();
    let before = now - worker.pace.sweep_after.as_secs() as i64;
    let jobs = worker.store.stalled_deletions(before).await?;
    let mut failed = 0;
    for job in &jobs {
        if let Err(error) = run_job(worker, job).await {
            tracing::error!(job = %job.pk, %error, "a swept deletion failed");
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(WorkerError::Failed(failed));
    }
    Ok(jobs.len())
}

/// The stream batch DynamoDB would send for these jobs just written: for tests and fixtures of
/// the stream path.
pub fn stream_event(jobs: &[DeletionJob]) -> Result<Value, StoreError> {
    let mut event = StreamEvent::default();
    for (n, job) in jobs.iter().enumerate() {
        let mut change = StreamRecord::default();
        change.keys = serde_dynamo::to_item(json!({"pk": job.pk}))?;
        change.new_image = serde_dynamo::to_item(job)?;
        change.sequence_number = Some(format!("{:021}", n + 1));
        let mut record = EventRecord::default();
        record.event_id = n.to_string();
        record.event_name = "INSERT".into();
        record.event_source = Some("aws:dynamodb".into());
        record.change = change;
        event.records.push(record);
    }
    Ok(serde_json::to_value(event).expect("a stream event always serializes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JobKind, Part};

    #[test]
    fn the_committed_stream_record_is_a_room_job() {
        let event: Value = serde_json::from_str(include_str!(
            "../../../functions/deletion-worker/events/stream.json"
        ))
        .unwrap();
        let event: StreamEvent = serde_json::from_value(event).unwrap();
        let image = event.records[0].change.new_image.clone();
        let job: DeletionJob = serde_dynamo::from_item(image).unwrap();
        assert_eq!(job.kind, JobKind::Room);
        assert_eq!(
            job.parts(),
            [Part::Room(
                "U01JD6Z5YV3N1J0Q8M9K2W7R4TA".into(),
                "01JD6Z5YV3N1J0Q8M9K2W7R4TB".into()
            )]
        );
    }

    #[test]
    fn an_event_made_for_jobs_reads_back_as_those_jobs() {
        let job = DeletionJob {
            pk: "account#U1".into(),
            kind: JobKind::Account,
            owner: "U1".into(),
            room_id: None,
            requested_at: "2026-12-01T00:00:00Z".into(),
            updated_at: 1,
            rounds: 2,
            removed: 30,
        };
        let event = stream_event(std::slice::from_ref(&job)).unwrap();
        let event: StreamEvent = serde_json::from_value(event).unwrap();
        let image = event.records[0].change.new_image.clone();
        assert_eq!(
            serde_dynamo::from_item::<_, DeletionJob>(image).unwrap(),
            job
        );
        // An account's rooms go first, what an index finds last.
        assert_eq!(
            job.parts(),
            [
                Part::Rooms("U1".into()),
                Part::Notebook("U1".into()),
                Part::Learning("U1".into()),
                Part::Sessions("U1".into()),
                Part::Counters("U1".into()),
            ]
        );
    }
}
