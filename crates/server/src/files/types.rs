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

/// A `multipart/form-data` upload of one image (the document's shape of `POST /api/files` and
/// `POST /api/auth/avatar`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageUpload {
    /// The image: PNG, JPEG, WebP or GIF.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}
