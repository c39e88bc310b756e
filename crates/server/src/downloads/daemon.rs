//! Downloads pulled through the Ollama daemon at `OLLAMA_HOST` (source `ollama_daemon`): a task
//! without files of ours, whose progress is the daemon's (bytes of every layer it reports),
//! stored every second so the list shows it; pause, resume, cancel and a restart of our server
//! work as for any task (a new pull resumes what the daemon kept).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::fetch::FetchError;
use super::service::view;
use super::store::{self, TaskRow};
use super::types::{CreateDownloadRequest, DownloadView, status};
use crate::error::ApiError;
use crate::models::source::SourceError;
use crate::state::AppState;

/// The source name of pulls through the daemon.
pub const SOURCE: &str = "ollama_daemon";

/// Starts a pull through the daemon, or returns the one already pulling the model (`false`).
pub async fn create(
    state: &AppState,
    actor: Uuid,
    req: &CreateDownloadRequest,
) -> Result<(DownloadView, bool), ApiError> {
    state.hubs.daemon()?;
    let model = req
        .model
        .as_deref()
        .map(str::trim)
        .ok_or_else(|| ApiError::field("model", "name the Ollama model, e.g. qwen2.5:0.5b"))?;
    let (ns, name, tag) = crate::models::names::ollama_name(model)
        .map_err(|e| ApiError::field("model", e.to_string()))?;
    let label = if ns == "library" {
        format!("{name}:{tag}")
    } else {
        format!("{ns}/{name}:{tag}")
    };
    let db = &state.db.conn;
    let _guard = state.downloads.create_lock.lock().await;
    let active = store::tasks_in(db, status::ACTIVE).await?;
    if let Some(task) = active
        .iter()
        .find(|t| t.source == SOURCE && t.repo == label)
    {
        return Ok((view(state, task.id).await?, false));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let task = TaskRow {
        id,
        source: SOURCE.to_owned(),
        repo: label.clone(),
        revision: tag,
        label: format!("{label} (Ollama daemon)"),
        status: status::PENDING.to_owned(),
        error: None,
        total_bytes: 0,
        downloaded_bytes: 0,
        created_by: Some(actor),
        model_id: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    store::insert_task(db, task, Vec::new())
        .await
        .map_err(anyhow::Error::from)?;
    super::engine::start(state, id);
    Ok((view(state, id).await?, true))
}

/// Runs the pull until the daemon says `success`, fails, or `stop`.
pub async fn run(
    state: &AppState,
    task: &TaskRow,
    stop: &CancellationToken,
    done: Arc<AtomicU64>,
) -> Result<(), FetchError> {
    let daemon = state
        .hubs
        .daemon()
        .map_err(|e| FetchError::Failed(e.to_string()))?;
    let total = Arc::new(AtomicU64::new(task.total_bytes.max(0) as u64));
    let recording = stop.child_token();
    let mut recorder = tokio::task::JoinSet::new();
    recorder.spawn(record(
        state.clone(),
        task.id,
        done.clone(),
        total.clone(),
        recording.clone(),
    ));
    let pulled = daemon
        .pull(&task.repo, stop, |d, t| {
            done.store(d, Ordering::Relaxed);
            total.store(t, Ordering::Relaxed);
        })
        .await;
    recording.cancel();
    recorder.join_all().await;
    store_progress(state, task.id, &done, &total).await?;
    match pulled {
        Ok(true) => Ok(()),
        Ok(false) => Err(FetchError::Stopped),
        Err(SourceError::Name(e)) => Err(FetchError::Failed(e.to_string())),
        Err(
            SourceError::NotFound(m)
            | SourceError::Upstream(m)
            | SourceError::BadRequest(m)
            | SourceError::Gated(m),
        ) => Err(FetchError::Failed(m)),
    }
}

async fn record(
    state: AppState,
    id: Uuid,
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if let Err(e) = store_progress(&state, id, &done, &total).await {
            tracing::warn!(task = %id, error = %e, "cannot record a pull's progress");
        }
    }
}

async fn store_progress(
    state: &AppState,
    id: Uuid,
    done: &AtomicU64,
    total: &AtomicU64,
) -> Result<(), FetchError> {
    store::set_progress(
        &state.db.conn,
        id,
        done.load(Ordering::Relaxed) as i64,
        total.load(Ordering::Relaxed) as i64,
    )
    .await
    .map_err(|e| FetchError::Failed(format!("cannot record progress: {e}")))
}
