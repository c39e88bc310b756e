//! Uploaded files: users upload images (re-encoded, EXIF dropped, scaled), read them back
//! (owner only) and delete them; chat attaches them to messages and sends them to vision
//! models as data URLs (`service::data_url`).

pub mod decode;
pub mod form;
mod routes;
pub mod service;
pub mod store;
pub mod types;

use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Largest request body of an upload: a file of `service::MAX_BYTES` plus multipart framing.
/// `http::apply_middleware` lets `POST /api/files` through up to this size even when
/// `MAX_BODY_SIZE` is smaller.
pub const MAX_UPLOAD_BODY: usize = 12 * 1024 * 1024;

/// Path of the upload route, for the body limit in `http::apply_middleware`.
pub const UPLOAD_PATH: &str = "/api/files";

/// Routes under `/api/files`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::post_file))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY))
        .routes(routes!(routes::get_file, routes::delete_file))
}
