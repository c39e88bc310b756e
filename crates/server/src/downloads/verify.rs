//! Verification that overlaps the download: the file's front is hashed as it fills (a
//! segment map's contiguous prefix), so a finished download is checked at once instead of
//! being read again whole.

use std::os::unix::fs::FileExt as _;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::fetch::{FetchError, Shared, blocking};

/// Bytes hashed in one read.
const HASH_CHUNK: u64 = 4 << 20;

/// Hashes the file's front as it fills, so that verifying overlaps the download; returns the
/// digest once the whole file is hashed, `None` if `finish` came first with the file incomplete.
pub async fn hash_prefix(
    shared: Arc<Shared>,
    finish: CancellationToken,
) -> Result<Option<String>, FetchError> {
    let mut hasher = Sha256::new();
    let mut hashed = 0u64;
    loop {
        let ready = shared.contiguous();
        if ready > hashed {
            let len = (ready - hashed).min(HASH_CHUNK);
            let file = shared.file.clone();
            let at = hashed;
            hasher = blocking(move || {
                let mut buf = vec![0u8; len as usize];
                file.read_exact_at(&mut buf, at)?;
                hasher.update(&buf);
                Ok(hasher)
            })
            .await?;
            hashed += len;
            continue;
        }
        if hashed >= shared.size {
            return Ok(Some(hex::encode(hasher.finalize())));
        }
        if finish.is_cancelled() {
            return Ok(None);
        }
        tokio::select! {
            () = finish.cancelled() => {}
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}
