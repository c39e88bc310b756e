//! Download rules: a request is planned with its hub (names checked, sizes and checksums
//! known), deduplicated against the downloads that hold the same files, checked against the
//! free disk space, then stored with its files in one transaction and started. Pause, resume
//! and cancel act on the running task or on the stored one.

use std::path::Path;

use chrono::Utc;
use uuid::Uuid;

use super::segments::{SEGMENT_BYTES, SegmentMap};
use super::store::{self, FileRow, TaskRow};
use super::types::{CreateDownloadRequest, DownloadView, status};
use super::{Intent, engine, fetch};
use crate::error::ApiError;
use crate::models::source::{Plan, SourceError};
use crate::state::AppState;

/// A hub's refusal as an API error.
pub fn source_error(e: SourceError) -> ApiError {
    match e {
        SourceError::BadRequest(m) => ApiError::BadRequest(m),
        SourceError::Name(n) => ApiError::BadRequest(n.to_string()),
        SourceError::NotFound(m) => ApiError::NotFound(m),
        SourceError::Gated(m) => ApiError::Forbidden(m),
        SourceError::Upstream(m) => ApiError::BadGateway(m),
    }
}

/// Free bytes on the file system that holds `dir` (or its nearest existing parent).
pub fn free_space(dir: &Path) -> std::io::Result<u64> {
    let mut probe = dir;
    while !probe.exists() {
        probe = probe.parent().unwrap_or(Path::new("/"));
    }
    let stat = nix::sys::statvfs::statvfs(probe).map_err(std::io::Error::from)?;
    Ok(stat.blocks_available().saturating_mul(stat.fragment_size()))
}

fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / f64::from(1u32 << 30))
}

async fn plan(state: &AppState, req: &CreateDownloadRequest) -> Result<Plan, ApiError> {
    let hub = state.hubs.get(&req.source)?;
    let (repo, revision) = if req.source == "ollama" {
        let model = req
            .model
            .as_deref()
            .ok_or_else(|| ApiError::field("model", "name the Ollama model, e.g. qwen2.5:0.5b"))?;
        (model.trim().to_owned(), String::new())
    } else {
        let repo = req
            .repo
            .as_deref()
            .ok_or_else(|| ApiError::field("repo", "name the repository as owner/name"))?;
        let default = if req.source == "modelscope" {
            "master"
        } else {
            "main"
        };
        (
            repo.trim().to_owned(),
            req.revision.clone().unwrap_or_else(|| default.to_owned()),
        )
    };
    hub.plan(&repo, &revision, &req.files)
        .await
        .map_err(source_error)
}

fn rows(id: Uuid, plan: &Plan) -> Vec<FileRow> {
    plan.files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (bits, partial) = SegmentMap::new(f.size_bytes, SEGMENT_BYTES).encode();
            FileRow {
                id: Uuid::now_v7(),
                task_id: id,
                position: i as i32,
                remote_path: f.remote_path.clone(),
                url: f.url.clone(),
                file_name: f.file_name.clone(),
                size_bytes: f.size_bytes as i64,
                sha256: f.sha256.clone(),
                etag: None,
                segment_bytes: SEGMENT_BYTES as i64,
                synced_segments: bits.clone(),
                synced_partial: partial.clone(),
                done_segments: bits,
                partial,
                boot_id: None,
                downloaded_bytes: 0,
                status: "pending".to_owned(),
            }
        })
        .collect()
}

/// Starts a download, or returns the one already fetching the same files (`false`).
pub async fn create(
    state: &AppState,
    actor: Uuid,
    req: &CreateDownloadRequest,
) -> Result<(DownloadView, bool), ApiError> {
    if req.source == super::daemon::SOURCE {
        return super::daemon::create(state, actor, req).await;
    }
    let plan = plan(state, req).await?;
    let names: Vec<String> = plan.files.iter().map(|f| f.file_name.clone()).collect();
    let _guard = state.downloads.create_lock.lock().await;
    let db = &state.db.conn;
    if let Some((_, task)) = store::files_named_in_tasks(db, &names, status::ACTIVE)
        .await
        .map_err(anyhow::Error::from)?
        .first()
    {
        return Ok((view(state, *task).await?, false));
    }
    if let Some(model) = crate::models::store::find_by_paths(db, &names).await? {
        return Err(ApiError::Conflict(format!(
            "`{}` is already downloaded (model {})",
            model.path, model.id
        )));
    }
    let total: u64 = plan.files.iter().map(|f| f.size_bytes).sum();
    let margin = state.config.models.free_margin;
    let dir = &state.config.models.dir;
    // Downloads under way will still fill their (sparse) partial files.
    let promised: u64 =
        store::tasks_in(db, &[status::PENDING, status::DOWNLOADING, status::PAUSED])
            .await?
            .iter()
            .map(|t| t.total_bytes.saturating_sub(t.downloaded_bytes).max(0) as u64)
            .sum();
    let free = free_space(dir)
        .map_err(anyhow::Error::from)?
        .saturating_sub(promised);
    let needed = total.saturating_add(margin);
    if free < needed {
        return Err(ApiError::Conflict(format!(
            "not enough disk space in {}: the download needs {} plus a margin of {}, {} is free \
             after the downloads under way (short by {})",
            dir.display(),
            gib(total),
            gib(margin),
            gib(free),
            gib(needed - free)
        )));
    }
    let now = Utc::now();
    let id = Uuid::now_v7();
    let task = TaskRow {
        id,
        source: req.source.clone(),
        repo: plan.repo.clone(),
        revision: plan.revision.clone(),
        label: plan.label.clone(),
        status: status::PENDING.to_owned(),
        error: None,
        total_bytes: total as i64,
        downloaded_bytes: 0,
        created_by: Some(actor),
        model_id: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    store::insert_task(db, task, rows(id, &plan))
        .await
        .map_err(anyhow::Error::from)?;
    engine::start(state, id);
    Ok((view(state, id).await?, true))
}

/// One download as the API shows it.
pub async fn view(state: &AppState, id: Uuid) -> Result<DownloadView, ApiError> {
    let db = &state.db.conn;
    let task = store::get_task(db, id)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| ApiError::NotFound(format!("no download {id}")))?;
    let files = store::list_files(db, id)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(DownloadView::new(task, files, state.downloads.live(id)))
}

/// Every download, newest first.
pub async fn list(state: &AppState) -> Result<Vec<DownloadView>, ApiError> {
    let db = &state.db.conn;
    let tasks = store::list_tasks(db).await?;
    let mut by_task: std::collections::HashMap<Uuid, Vec<FileRow>> = Default::default();
    for file in store::files_of(db, tasks.iter().map(|t| t.id).collect()).await? {
        by_task.entry(file.task_id).or_default().push(file);
    }
    Ok(tasks
        .into_iter()
        .map(|task| {
            let files = by_task.remove(&task.id).unwrap_or_default();
            let live = state.downloads.live(task.id);
            DownloadView::new(task, files, live)
        })
        .collect())
}

/// Pauses a pending or running download.
pub async fn pause(state: &AppState, id: Uuid) -> Result<DownloadView, ApiError> {
    let task = view(state, id).await?;
    match state.downloads.running(id) {
        Some(run) => run.stop(Intent::Pause),
        None if task.status == status::PENDING => {
            store::set_status(&state.db.conn, id, status::PAUSED, None, false)
                .await
                .map_err(anyhow::Error::from)?;
        }
        None if task.status == status::PAUSED => {}
        None => {
            return Err(ApiError::Conflict(format!(
                "the download is {}; only a pending or running one can be paused",
                task.status
            )));
        }
    }
    settled(state, id).await
}

/// Waits (briefly) for a stopped run to record its state, then shows it.
async fn settled(state: &AppState, id: Uuid) -> Result<DownloadView, ApiError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.downloads.running(id).is_some() && tokio::time::Instant::now() < deadline {
        if state
            .downloads
            .running(id)
            .is_some_and(|r| r.intent() == Intent::Run)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    view(state, id).await
}

/// Resumes a paused or failed download from where it stopped.
pub async fn resume(state: &AppState, id: Uuid) -> Result<DownloadView, ApiError> {
    let task = view(state, id).await?;
    if state.downloads.running(id).is_some() {
        return Err(ApiError::Conflict(
            "the download is still stopping; try again".into(),
        ));
    }
    if ![status::PAUSED, status::FAILED].contains(&task.status.as_str()) {
        return Err(ApiError::Conflict(format!(
            "the download is {}; only a paused or failed one can be resumed",
            task.status
        )));
    }
    store::set_status(&state.db.conn, id, status::PENDING, None, false)
        .await
        .map_err(anyhow::Error::from)?;
    engine::start(state, id);
    view(state, id).await
}

/// Cancels a download that has not completed; its files are removed.
pub async fn cancel(state: &AppState, id: Uuid) -> Result<DownloadView, ApiError> {
    let task = view(state, id).await?;
    if [status::COMPLETED, status::CANCELLED].contains(&task.status.as_str()) {
        return Err(ApiError::Conflict(format!(
            "the download is {}; there is nothing to cancel",
            task.status
        )));
    }
    match state.downloads.running(id) {
        Some(run) => run.stop(Intent::Cancel),
        None => discard(state, id).await?,
    }
    settled(state, id).await
}

/// Removes a download's partial and finished files and marks it cancelled.
pub async fn discard(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let dir = &state.config.models.dir;
    for file in store::list_files(&state.db.conn, id).await? {
        for path in [
            fetch::part_path(dir, &file.file_name),
            dir.join(&file.file_name),
        ] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove"),
            }
        }
    }
    store::set_status(&state.db.conn, id, status::CANCELLED, None, true).await?;
    Ok(())
}
