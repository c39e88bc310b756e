//! One file of a download: its `.part` file (sparse, its own size), the segments still missing
//! fetched by parallel workers, checkpoints of the segment map every second or every half
//! segment written (made durable apart from them, `durable.rs`), the sha256 computed over the file's front as
//! it fills (so verifying overlaps the download) and checked at the end, and the file moved to
//! its name. A remote file that changed restarts cleanly; a full disk pauses.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::durable;
use super::segments::SegmentMap;
use super::store::{self, FileRow};

/// Checkpoint after this many bytes written (at most this much is fetched again after a crash).
const CHECKPOINT_BYTES: u64 = super::segments::SEGMENT_BYTES / 2;
/// Restarts of a file whose remote copy keeps changing before the download fails.
const MAX_RESTARTS: u32 = 3;

/// Why a file's download stopped short.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// Paused, cancelled or shut down (the caller knows which).
    #[error("stopped")]
    Stopped,
    /// The disk is full: pause, resume once there is space.
    #[error("{0}")]
    DiskFull(String),
    /// Anything else: the download fails with this reason.
    #[error("{0}")]
    Failed(String),
}

impl FetchError {
    /// A write error: a full disk is its own case.
    pub fn from_io(e: &std::io::Error) -> Self {
        if matches!(e.raw_os_error(), Some(28 | 122)) || e.kind() == std::io::ErrorKind::StorageFull
        {
            Self::DiskFull(format!(
                "the disk is full ({e}); free some space and resume"
            ))
        } else {
            Self::Failed(format!("cannot write the file: {e}"))
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What the workers of one file share.
pub struct Shared {
    /// Client for the file host (redirects checked).
    pub client: reqwest::Client,
    /// Where the bytes come from.
    pub url: String,
    /// `Authorization` for the hub's own host.
    pub auth: Option<String>,
    /// The file's size.
    pub size: u64,
    /// The `.part` file.
    pub file: Arc<std::fs::File>,
    /// Cancelled to stop the workers (pause, cancel, shutdown, a changed file).
    pub stop: CancellationToken,
    /// Set when the remote file changed.
    pub changed: AtomicBool,
    map: Mutex<SegmentMap>,
    queue: Mutex<VecDeque<u32>>,
    etag: Mutex<Option<String>>,
    new_etag: Mutex<Option<String>>,
    since_checkpoint: AtomicU64,
    checkpoint_due: tokio::sync::Notify,
    /// Bytes on disk of the whole task, for the live figures.
    pub task_bytes: Arc<AtomicU64>,
}

impl Shared {
    /// The next segment to fetch, unless the download stops.
    pub fn next_segment(&self) -> Option<u32> {
        if self.stop.is_cancelled() {
            return None;
        }
        lock(&self.queue).pop_front()
    }

    /// Where segment `i` resumes.
    pub fn resume_at(&self, i: u32) -> u64 {
        lock(&self.map).resume_at(i)
    }

    /// Segment `i`'s range.
    pub fn range(&self, i: u32) -> (u64, u64) {
        lock(&self.map).range(i)
    }

    /// A copy of the segment map.
    pub fn map_snapshot(&self) -> SegmentMap {
        lock(&self.map).clone()
    }

    /// Bytes of this file on disk.
    pub fn done_bytes(&self) -> u64 {
        lock(&self.map).done_bytes()
    }

    /// Bytes from the start of the file that are all on disk.
    pub fn contiguous(&self) -> u64 {
        let map = lock(&self.map);
        map.first_missing().map_or(self.size, |i| map.resume_at(i))
    }

    /// Records `n` bytes written to segment `i`.
    pub fn advance(&self, i: u32, n: u64) {
        lock(&self.map).advance(i, n);
        self.task_bytes.fetch_add(n, Ordering::Relaxed);
        if self.since_checkpoint.fetch_add(n, Ordering::SeqCst) + n >= CHECKPOINT_BYTES {
            self.checkpoint_due.notify_one();
        }
    }

    /// The remote file's strong ETag, once known.
    pub fn etag(&self) -> Option<String> {
        lock(&self.etag).clone()
    }

    /// Records that the remote file changed (and its new ETag) and stops the workers.
    pub fn saw_change(&self, etag: Option<String>) {
        *lock(&self.new_etag) = etag;
        self.changed.store(true, Ordering::SeqCst);
        self.stop.cancel();
    }

    /// Remembers the remote file's ETag.
    pub fn set_etag(&self, etag: Option<String>) {
        let mut known = lock(&self.etag);
        if known.is_none() {
            *known = etag;
        }
    }
}

/// Everything a file's download needs.
pub struct FileJob {
    /// Database for checkpoints.
    pub db: DatabaseConnection,
    /// Download client.
    pub client: reqwest::Client,
    /// `Authorization` header for the URL's host.
    pub auth: Option<String>,
    /// `MODELS_DIR`.
    pub dir: PathBuf,
    /// Parallel segments.
    pub workers: usize,
    /// Stops the download.
    pub stop: CancellationToken,
    /// Bytes on disk of the task's other files.
    pub others_bytes: u64,
    /// Bytes on disk of the whole task (live).
    pub task_bytes: Arc<AtomicU64>,
}

/// The `.part` file of a stored name.
pub fn part_path(dir: &Path, file_name: &str) -> PathBuf {
    dir.join(format!("{file_name}.part"))
}

fn open_part(path: &Path, size: u64) -> std::io::Result<(std::fs::File, bool)> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let existed = path.exists();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    if file.metadata()?.len() != size {
        file.set_len(size)?;
    }
    Ok((file, existed))
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, FetchError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(FetchError::from_io(&e)),
        Err(e) => Err(FetchError::Failed(format!("file task failed: {e}"))),
    }
}

/// Stores the map as written in this boot (synced first where the boot cannot be told).
async fn checkpoint(job: &FileJob, shared: &Shared, row: &mut FileRow) -> Result<(), FetchError> {
    let map = shared.map_snapshot();
    shared.since_checkpoint.store(0, Ordering::SeqCst);
    if durable::sync_each_checkpoint() {
        let file = shared.file.clone();
        blocking(move || file.sync_data()).await?;
    }
    let (bits, partial) = map.encode();
    row.boot_id = durable::boot_id().map(str::to_owned);
    row.done_segments = bits;
    row.partial = partial;
    row.downloaded_bytes = map.done_bytes() as i64;
    row.etag = shared.etag();
    let task_bytes = (job.others_bytes + map.done_bytes()) as i64;
    store::checkpoint(&job.db, row.clone(), task_bytes)
        .await
        .map_err(|e| FetchError::Failed(format!("cannot record progress: {e}")))
}

/// Downloads, verifies and moves one file; returns its row marked done.
pub async fn fetch(job: &FileJob, mut row: FileRow) -> Result<FileRow, FetchError> {
    let part = part_path(&job.dir, &row.file_name);
    for _ in 0..MAX_RESTARTS {
        let size = row.size_bytes.max(0) as u64;
        let (file, existed) = blocking({
            let part = part.clone();
            move || open_part(&part, size)
        })
        .await?;
        let mut map = durable::resume_map(&row, size);
        if !existed {
            // The partial file is gone (removed by hand): nothing of it is on disk.
            map = SegmentMap::new(size, map.segment_bytes());
            (row.done_segments, row.partial) = map.encode();
            durable::reset_synced(&job.db, &row).await?;
        }
        job.task_bytes
            .store(job.others_bytes + map.done_bytes(), Ordering::Relaxed);
        let stop = job.stop.child_token();
        let shared = Arc::new(Shared {
            client: job.client.clone(),
            url: row.url.clone(),
            auth: job.auth.clone(),
            size,
            file: Arc::new(file),
            stop: stop.clone(),
            changed: AtomicBool::new(false),
            queue: Mutex::new(map.missing().into()),
            map: Mutex::new(map),
            etag: Mutex::new(row.etag.clone()),
            new_etag: Mutex::new(None),
            since_checkpoint: AtomicU64::new(0),
            checkpoint_due: tokio::sync::Notify::new(),
            task_bytes: job.task_bytes.clone(),
        });
        let hashed = CancellationToken::new();
        let mut hashing = tokio::task::JoinSet::new();
        hashing.spawn(super::verify::hash_prefix(shared.clone(), hashed.clone()));
        let mut syncing = tokio::task::JoinSet::new();
        syncing.spawn(durable::syncer(
            job.db.clone(),
            shared.clone(),
            row.id,
            hashed.clone(),
        ));
        let outcome = run_workers(job, &shared, &mut row).await;
        hashed.cancel();
        match syncing.join_next().await {
            Some(Ok(Ok(()))) | None => {}
            Some(Ok(Err(e))) => tracing::warn!(error = %e, "a download's data could not be synced"),
            Some(Err(e)) => tracing::warn!(error = %e, "a download's sync task failed"),
        }
        let digest = match hashing.join_next().await {
            Some(Ok(digest)) => digest,
            Some(Err(e)) => Err(FetchError::Failed(format!("the hash task failed: {e}"))),
            None => Ok(None),
        };
        checkpoint(job, &shared, &mut row).await?;
        outcome?;
        if shared.changed.load(Ordering::SeqCst) {
            restart(&mut row, lock(&shared.new_etag).clone());
            durable::reset_synced(&job.db, &row).await?;
            continue;
        }
        if job.stop.is_cancelled() {
            return Err(FetchError::Stopped);
        }
        if !lock(&shared.map).complete() {
            return Err(FetchError::Failed(format!(
                "`{}` ended with parts missing",
                row.remote_path
            )));
        }
        let digest =
            digest?.ok_or_else(|| FetchError::Failed("the file was not hashed whole".into()))?;
        let row = finish(job, row, &part, &digest).await?;
        durable::sync_in_background(shared.file.clone());
        return Ok(row);
    }
    Err(FetchError::Failed(format!(
        "`{}` kept changing on the hub during the download",
        row.remote_path
    )))
}

/// Forgets a file's progress after its remote copy changed; a new ETag that is a sha256 (as
/// Hugging Face's are for LFS files) becomes the checksum to verify.
fn restart(row: &mut FileRow, new_etag: Option<String>) {
    if let Some(sha) = new_etag
        .as_deref()
        .map(|e| e.trim_matches('"'))
        .filter(|e| e.len() == 64 && e.chars().all(|c| c.is_ascii_hexdigit()))
    {
        row.sha256 = sha.to_ascii_lowercase();
    }
    let map = SegmentMap::new(
        row.size_bytes.max(0) as u64,
        row.segment_bytes.max(1) as u64,
    );
    let (bits, partial) = map.encode();
    row.done_segments = bits;
    row.partial = partial;
    row.downloaded_bytes = 0;
    row.etag = None;
}

async fn run_workers(
    job: &FileJob,
    shared: &Arc<Shared>,
    row: &mut FileRow,
) -> Result<(), FetchError> {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..job.workers.max(1) {
        workers.spawn(super::range::worker(shared.clone()));
    }
    let mut first_error = None;
    loop {
        tokio::select! {
            joined = workers.join_next() => match joined {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => {
                    shared.stop.cancel();
                    first_error.get_or_insert(e);
                }
                Some(Err(e)) => {
                    shared.stop.cancel();
                    first_error.get_or_insert(FetchError::Failed(format!("a download worker failed: {e}")));
                }
            },
            () = shared.checkpoint_due.notified() => checkpoint(job, shared, row).await?,
            () = tokio::time::sleep(Duration::from_secs(1)) => checkpoint(job, shared, row).await?,
        }
    }
    first_error.map_or(Ok(()), Err)
}

async fn finish(
    job: &FileJob,
    mut row: FileRow,
    part: &Path,
    actual: &str,
) -> Result<FileRow, FetchError> {
    if actual != row.sha256 {
        let _ = std::fs::remove_file(part);
        return Err(FetchError::Failed(format!(
            "checksum mismatch for `{}`: expected sha256 {}, got {actual}; the file was removed",
            row.remote_path, row.sha256
        )));
    }
    let target = job.dir.join(&row.file_name);
    blocking({
        let part = part.to_path_buf();
        move || std::fs::rename(&part, &target)
    })
    .await?;
    row.status = "done".to_owned();
    row.downloaded_bytes = row.size_bytes;
    let task_bytes = job.others_bytes as i64 + row.size_bytes;
    store::checkpoint(&job.db, row.clone(), task_bytes)
        .await
        .map_err(|e| FetchError::Failed(format!("cannot record progress: {e}")))?;
    Ok(row)
}
