//! Request and response types of the download API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{FileRow, TaskRow};

/// States of a download (seed 004).
pub mod status {
    /// Waiting for a free download slot.
    pub const PENDING: &str = "pending";
    /// Fetching.
    pub const DOWNLOADING: &str = "downloading";
    /// Stopped by a user or by a full disk; resumable.
    pub const PAUSED: &str = "paused";
    /// Every file fetched, verified and registered.
    pub const COMPLETED: &str = "completed";
    /// Stopped by an error; resumable where the partial files were kept.
    pub const FAILED: &str = "failed";
    /// Stopped by a user; the partial files are removed.
    pub const CANCELLED: &str = "cancelled";
    /// States in which a task holds its files.
    pub const ACTIVE: &[&str] = &[PENDING, DOWNLOADING, PAUSED, FAILED];
}

/// `POST /api/downloads`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDownloadRequest {
    /// `huggingface`, `modelscope`, `ollama` (the registry, into `MODELS_DIR`) or
    /// `ollama_daemon` (pulled by the daemon at `OLLAMA_HOST`, which keeps the files).
    #[schema(pattern = "^(huggingface|modelscope|ollama|ollama_daemon)$")]
    pub source: String,
    /// `owner/name` (Hugging Face, ModelScope).
    pub repo: Option<String>,
    /// Branch, tag or commit (default `main`; ModelScope `master`).
    pub revision: Option<String>,
    /// Files of the repository; a part of a split GGUF brings its siblings.
    #[serde(default)]
    pub files: Vec<String>,
    /// `name:tag` (Ollama, both ways).
    pub model: Option<String>,
}

/// One file of a download.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DownloadFileView {
    /// Path in the repository (layer media type for Ollama).
    pub remote_path: String,
    /// Where it is stored, relative to `MODELS_DIR`.
    pub file_name: String,
    /// Size.
    pub size_bytes: u64,
    /// On disk.
    pub downloaded_bytes: u64,
    /// Expected sha256.
    pub sha256: String,
    /// `pending` or `done` (verified).
    pub status: String,
}

/// A download as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DownloadView {
    /// Id.
    pub id: Uuid,
    /// Hub.
    pub source: String,
    /// Repository or Ollama model.
    pub repo: String,
    /// Revision or tag.
    pub revision: String,
    /// Shown in lists.
    pub label: String,
    /// pending, downloading, paused, completed, failed, cancelled.
    pub status: String,
    /// Why it failed or paused.
    pub error: Option<String>,
    /// Bytes of all files.
    pub total_bytes: u64,
    /// Bytes on disk.
    pub downloaded_bytes: u64,
    /// Current speed (0 unless downloading).
    pub bytes_per_second: u64,
    /// Seconds left at the current speed.
    pub eta_seconds: Option<u64>,
    /// The registered model once completed.
    pub model_id: Option<Uuid>,
    /// Files.
    pub files: Vec<DownloadFileView>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Completed, failed or cancelled at.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Live figures of a running download.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live {
    /// Bytes on disk now.
    pub downloaded_bytes: u64,
    /// Bytes per second, smoothed.
    pub bytes_per_second: u64,
}

impl DownloadView {
    /// The view of a stored task, with live figures when it runs.
    pub fn new(task: TaskRow, files: Vec<FileRow>, live: Option<Live>) -> Self {
        let total = task.total_bytes.max(0) as u64;
        let live = live.filter(|_| task.status == status::DOWNLOADING);
        let downloaded = live.map_or(task.downloaded_bytes.max(0) as u64, |l| l.downloaded_bytes);
        let speed = live.map_or(0, |l| l.bytes_per_second);
        Self {
            id: task.id,
            eta_seconds: (speed > 0).then(|| total.saturating_sub(downloaded) / speed),
            source: task.source,
            repo: task.repo,
            revision: task.revision,
            label: task.label,
            status: task.status,
            error: task.error,
            total_bytes: total,
            downloaded_bytes: downloaded.min(total),
            bytes_per_second: speed,
            model_id: task.model_id,
            files: files
                .into_iter()
                .map(|f| DownloadFileView {
                    remote_path: f.remote_path,
                    file_name: f.file_name,
                    size_bytes: f.size_bytes.max(0) as u64,
                    downloaded_bytes: f.downloaded_bytes.max(0) as u64,
                    sha256: f.sha256,
                    status: f.status,
                })
                .collect(),
            created_at: task.created_at,
            finished_at: task.finished_at,
        }
    }
}
