//! Reading an upload form (`multipart/form-data`): one field, `file`, of at most a given size.
//! Any other field is refused by name, so the form is exactly what the document describes.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::{HeaderMap, StatusCode, header};

use crate::error::{ApiError, ApiResult};

/// The bytes of the form's `file` field: `None` when the form has none; `too_large` past
/// `max` bytes; a 422 naming any other field or a second `file`.
pub async fn only_file(
    headers: &HeaderMap,
    mut multipart: Multipart,
    max: usize,
    too_large: fn() -> ApiError,
) -> ApiResult<Option<Vec<u8>>> {
    // An empty form comes as an empty body (not even a closing boundary), which the parser
    // calls incomplete: it is a missing field, not a malformed body.
    if headers
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() == b"0")
    {
        return Ok(None);
    }
    let bad = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
        }
    };
    let mut file: Option<Vec<u8>> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
            return Err(ApiError::field(
                shown,
                "is not a field of this form; send the image as `file` alone",
            ));
        }
        if file.is_some() {
            return Err(ApiError::field("file", "must be sent once"));
        }
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            // Past the limit, keep reading (the route's body limit bounds it) but not keeping,
            // so the client gets the 413 rather than a connection closed mid-upload.
            over |= bytes.len() + chunk.len() > max;
            if !over {
                bytes.extend_from_slice(&chunk);
            }
        }
        if over {
            return Err(too_large());
        }
        file = Some(bytes);
    }
    Ok(file)
}
