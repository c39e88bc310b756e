//! Request and response types of uploaded files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An uploaded file as the API shows it (`POST /api/files` answers with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileInfo {
    /// Id, used in `GET /api/files/{id}` and in a chat message's `image_ids`.
    pub id: Uuid,
    /// Media type of the stored bytes: `image/png` or `image/jpeg`.
    pub mime: String,
    /// Width in pixels after scaling.
    pub width: u32,
    /// Height in pixels after scaling.
    pub height: u32,
    /// Size in bytes of the stored (re-encoded) file.
    pub size: u64,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
}
