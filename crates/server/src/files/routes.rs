//! HTTP handlers of `/api/files`: the caller's uploaded images.

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::service;
use super::types::FileInfo;
use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// Uploads an image (multipart field `file`: PNG, JPEG, WebP or GIF, ≤ 10 MiB and ≤ 40
/// megapixels). It is scaled to at most 2048 px on the long side and re-encoded (PNG stays
/// PNG, the rest becomes JPEG), which drops EXIF and anything else hidden in the bytes.
#[utoipa::path(post, path = "", tag = "files",
    request_body(content = crate::files::types::ImageUpload, content_type = "multipart/form-data", description = "Field `file`: the image"),
    responses(
        (status = 201, description = "Stored", body = FileInfo),
        (status = 400, description = "Not a readable image", body = ErrorBody),
        (status = 413, description = "Larger than 10 MiB or 40 megapixels", body = ErrorBody),
        (status = 415, description = "Not PNG/JPEG/WebP/GIF", body = ErrorBody),
        (status = 422, description = "No field `file`", body = ErrorBody),
    ))]
pub async fn post_file(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> ApiResult<(StatusCode, AppJson<FileInfo>)> {
    let bytes =
        super::form::only_file(&headers, multipart, service::MAX_BYTES, service::too_large).await?;
    let Some(bytes) = bytes else {
        return Err(ApiError::field(
            "file",
            "is required (multipart field `file`)",
        ));
    };
    let info = service::upload(&state, ctx.user.id, bytes).await?;
    Ok((StatusCode::CREATED, AppJson(info)))
}

/// One of the caller's files: its bytes, served so a browser never runs them as a page.
#[utoipa::path(get, path = "/{id}", tag = "files", params(("id" = uuid::Uuid, Path, description = "File")),
    responses(
        (status = 200, description = "The image", content(([u8] = "image/png"), ([u8] = "image/jpeg"))),
        (status = 404, description = "No such file", body = ErrorBody),
    ))]
pub async fn get_file(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<uuid::Uuid>,
) -> ApiResult<Response> {
    let (info, bytes) = service::read(&state, ctx.user.id, id).await?;
    let mime = HeaderValue::from_str(&info.mime).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Deletes one of the caller's files, on disk too.
#[utoipa::path(delete, path = "/{id}", tag = "files", params(("id" = uuid::Uuid, Path, description = "File")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such file", body = ErrorBody)))]
pub async fn delete_file(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    service::delete(&state, ctx.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
