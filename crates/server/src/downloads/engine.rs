//! Runs downloads: a task waits for one of `DOWNLOAD_CONCURRENCY` slots, then fetches its files
//! one after the other (each in parallel segments), and ends completed (the model registered),
//! paused (by a user or a full disk), failed (with the reason) or cancelled (partial files
//! removed). A shutdown leaves a running task `downloading`, and the next start resumes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::fetch::{self, FetchError, FileJob};
use super::store;
use super::types::{Live, status};
use super::{Intent, RunHandle};
use crate::state::AppState;

/// Starts (or queues) task `id` in the background, unless it already runs.
pub fn start(state: &AppState, id: Uuid) {
    let stop = state.shutdown.child_token();
    let handle = RunHandle::new(stop.clone());
    if !state.downloads.register(id, handle.clone()) {
        return;
    }
    let state2 = state.clone();
    state.tasks.spawn(async move {
        let outcome = run(&state2, id, &stop).await;
        // Recorded before the task counts as stopped, so whoever waits for it sees the result.
        if let Err(error) = settle(&state2, id, &handle, outcome).await {
            tracing::error!(task = %id, %error, "download: cannot record the outcome");
        }
        state2.downloads.unregister(id);
        state2.downloads.notify(id);
    });
}

/// Resumes what was running or queued when the server stopped.
pub async fn resume_all(state: &AppState) -> anyhow::Result<()> {
    for task in store::tasks_in(&state.db.conn, &[status::PENDING, status::DOWNLOADING]).await? {
        tracing::info!(task = %task.id, label = %task.label, "download: resuming");
        start(state, task.id);
    }
    Ok(())
}

async fn run(state: &AppState, id: Uuid, stop: &CancellationToken) -> Result<(), FetchError> {
    let db = &state.db.conn;
    let failed = |e: sea_orm::DbErr| FetchError::Failed(format!("database: {e}"));
    let _slot = tokio::select! {
        () = stop.cancelled() => return Err(FetchError::Stopped),
        slot = state.downloads.slot() => slot,
    };
    store::set_status(db, id, status::DOWNLOADING, None, false)
        .await
        .map_err(failed)?;
    state.downloads.notify(id);
    let task = store::get_task(db, id)
        .await
        .map_err(failed)?
        .ok_or(FetchError::Stopped)?;
    let task_bytes = Arc::new(AtomicU64::new(task.downloaded_bytes.max(0) as u64));
    if task.source == super::daemon::SOURCE {
        let meter = spawn_meter(state, id, task_bytes.clone(), stop.clone());
        let outcome = super::daemon::run(state, &task, stop, task_bytes).await;
        meter.cancel();
        return outcome;
    }
    let files = store::list_files(db, id).await.map_err(failed)?;
    let source = state
        .hubs
        .get(&task.source)
        .map_err(|e| FetchError::Failed(e.to_string()))?;
    let meter = spawn_meter(state, id, task_bytes.clone(), stop.clone());
    let mut others: u64 = files
        .iter()
        .filter(|f| f.status == "done")
        .map(|f| f.size_bytes.max(0) as u64)
        .sum();
    let mut outcome = Ok(());
    for file in files.into_iter().filter(|f| f.status != "done") {
        let auth = url::Url::parse(&file.url)
            .ok()
            .and_then(|u| source.authorization(&u));
        let size = file.size_bytes.max(0) as u64;
        let job = FileJob {
            db: db.clone(),
            client: state.downloads.client.clone(),
            auth,
            dir: state.config.models.dir.clone(),
            workers: state.config.models.segments,
            stop: stop.clone(),
            others_bytes: others,
            task_bytes: task_bytes.clone(),
        };
        if let Err(e) = fetch::fetch(&job, file).await {
            outcome = Err(e);
            break;
        }
        others += size;
    }
    meter.cancel();
    outcome
}

/// Samples the task's bytes twice a second into a smoothed speed, and tells listeners.
fn spawn_meter(
    state: &AppState,
    id: Uuid,
    bytes: Arc<AtomicU64>,
    stop: CancellationToken,
) -> CancellationToken {
    let done = stop.child_token();
    let token = done.clone();
    let state2 = state.clone();
    state.tasks.spawn(async move {
        let mut last = (Instant::now(), bytes.load(Ordering::Relaxed));
        let mut speed = 0f64;
        loop {
            tokio::select! {
                () = token.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            let now = (Instant::now(), bytes.load(Ordering::Relaxed));
            let secs = now.0.duration_since(last.0).as_secs_f64().max(0.001);
            let rate = now.1.saturating_sub(last.1) as f64 / secs;
            speed = if speed == 0.0 {
                rate
            } else {
                0.6 * speed + 0.4 * rate
            };
            last = now;
            state2.downloads.set_live(
                id,
                Live {
                    downloaded_bytes: now.1,
                    bytes_per_second: speed as u64,
                },
            );
            state2.downloads.notify(id);
        }
        state2.downloads.clear_live(id);
    });
    done
}

/// Records how a run ended.
async fn settle(
    state: &AppState,
    id: Uuid,
    handle: &RunHandle,
    outcome: Result<(), FetchError>,
) -> anyhow::Result<()> {
    let db = &state.db.conn;
    match outcome {
        Ok(()) => {
            let task = store::get_task(db, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("task gone"))?;
            if task.source == super::daemon::SOURCE {
                store::set_completed(db, id, None, task.total_bytes).await?;
                return Ok(());
            }
            let files = store::list_files(db, id).await?;
            match crate::models::registry::register_download(state, &task, &files).await {
                Ok(model) => store::set_completed(db, id, Some(model), task.total_bytes).await?,
                Err(e) => {
                    store::set_status(db, id, status::FAILED, Some(e.to_string()), true).await?
                }
            }
        }
        Err(FetchError::Stopped) => match handle.intent() {
            Intent::Cancel => super::service::discard(state, id).await?,
            Intent::Pause => store::set_status(db, id, status::PAUSED, None, false).await?,
            // Shutting down: left as it is, resumed at the next start.
            Intent::Run => {}
        },
        Err(FetchError::DiskFull(reason)) => {
            store::set_status(db, id, status::PAUSED, Some(reason), false).await?;
        }
        Err(FetchError::Failed(reason)) => {
            tracing::warn!(task = %id, %reason, "download failed");
            store::set_status(db, id, status::FAILED, Some(reason), true).await?;
        }
    }
    Ok(())
}
