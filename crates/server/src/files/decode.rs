//! Image decoding off the async runtime, at most [`CONCURRENT`] at once across the process
//! (chat images and avatars alike): each decode may need a few hundred MiB for a large image,
//! so uploads in parallel wait their turn instead of adding up.

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Decodes running at once.
pub const CONCURRENT: usize = 2;

static PERMITS: Semaphore = Semaphore::const_new(CONCURRENT);

/// Runs the decode `f` on the blocking pool once a permit is free.
pub async fn run<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let _permit = PERMITS
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}
