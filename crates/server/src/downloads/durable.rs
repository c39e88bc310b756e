//! How progress survives a crash without syncing the data at every checkpoint.
//!
//! Bytes a process wrote are in the page cache, so they survive `kill -9` of that process; only
//! a power cut or a kernel crash loses them. A checkpoint therefore stores the segment map as
//! written, with the boot it was written in, and a separate syncer stores every few seconds the
//! map as known on disk (the data synced first). A resume in the same boot trusts the written
//! map (at most one checkpoint's worth fetched again); a resume after a reboot trusts only the
//! synced map. Where the boot cannot be told (no `/proc`), every checkpoint syncs first.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use super::fetch::{FetchError, Shared, blocking};
use super::segments::SegmentMap;
use super::store::{self, FileRow};

/// How often the syncer makes the written data durable.
const SYNC_EVERY: Duration = Duration::from_secs(5);

/// This boot's id, where the kernel says it.
pub fn boot_id() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
    .as_deref()
}

/// Whether a checkpoint must sync the data before storing the map.
pub fn sync_each_checkpoint() -> bool {
    boot_id().is_none()
}

/// The map a resume may trust: the written one within the same boot (or when it was synced
/// before it was stored), the synced one after a reboot.
pub fn resume_map(row: &FileRow, size: u64) -> SegmentMap {
    let segment = row.segment_bytes.max(1) as u64;
    let written_here = match row.boot_id.as_deref() {
        None => true,
        Some(id) => boot_id() == Some(id),
    };
    if written_here {
        SegmentMap::decode(size, segment, &row.done_segments, &row.partial)
    } else {
        SegmentMap::decode(size, segment, &row.synced_segments, &row.synced_partial)
    }
}

/// Syncs the file and stores what is then on disk, every few seconds until `stop`.
pub async fn syncer(
    db: DatabaseConnection,
    shared: Arc<Shared>,
    file_id: uuid::Uuid,
    stop: CancellationToken,
) -> Result<(), FetchError> {
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(SYNC_EVERY) => {}
        }
        sync_now(&db, &shared, file_id).await?;
    }
}

/// Syncs the file, then stores the map as it was before the sync.
async fn sync_now(
    db: &DatabaseConnection,
    shared: &Shared,
    file_id: uuid::Uuid,
) -> Result<(), FetchError> {
    let map = shared.map_snapshot();
    let file = shared.file.clone();
    blocking(move || file.sync_data()).await?;
    let (bits, partial) = map.encode();
    store::set_synced(db, file_id, bits, partial)
        .await
        .map_err(|e| FetchError::Failed(format!("cannot record progress: {e}")))
}

/// Stores the row's map as the synced one too (after a restart from nothing, when the old
/// bytes are not wanted).
pub async fn reset_synced(db: &DatabaseConnection, row: &FileRow) -> Result<(), FetchError> {
    store::set_synced(db, row.id, row.done_segments.clone(), row.partial.clone())
        .await
        .map_err(|e| FetchError::Failed(format!("cannot record progress: {e}")))
}

/// Makes a finished file durable in the background: the task is done once the file is
/// verified and in place, as with any download tool, and the kernel's copy reaches the disk
/// within seconds.
pub fn sync_in_background(file: Arc<std::fs::File>) {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = file.sync_all() {
            tracing::warn!(error = %e, "cannot sync a finished download");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(boot: Option<&str>) -> FileRow {
        let mut written = SegmentMap::new(64, 16);
        written.advance(0, 16);
        written.advance(1, 16);
        written.advance(2, 5);
        let mut synced = SegmentMap::new(64, 16);
        synced.advance(0, 16);
        let ((done, partial), (synced_segments, synced_partial)) =
            (written.encode(), synced.encode());
        FileRow {
            id: uuid::Uuid::now_v7(),
            task_id: uuid::Uuid::now_v7(),
            position: 0,
            remote_path: "a.gguf".into(),
            url: "http://127.0.0.1/a".into(),
            file_name: "a.gguf".into(),
            size_bytes: 64,
            sha256: String::new(),
            etag: None,
            segment_bytes: 16,
            done_segments: done,
            partial,
            synced_segments,
            synced_partial,
            boot_id: boot.map(str::to_owned),
            downloaded_bytes: 37,
            status: "pending".into(),
        }
    }

    #[test]
    fn the_written_map_is_trusted_in_its_own_boot_and_the_synced_one_after_a_reboot() {
        let here = boot_id().expect("Linux says its boot id");
        assert!(!sync_each_checkpoint());
        assert_eq!(resume_map(&row(Some(here)), 64).done_bytes(), 37);
        // Stored before boot ids were kept: it was synced before it was stored.
        assert_eq!(resume_map(&row(None), 64).done_bytes(), 37);
        let other = resume_map(&row(Some("00000000-0000-0000-0000-000000000000")), 64);
        assert_eq!(other.done_bytes(), 16);
        assert_eq!(other.missing(), vec![1, 2, 3]);
    }
}
