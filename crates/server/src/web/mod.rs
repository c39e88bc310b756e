//! The embedded web UI: files built from `web/` by the build script and compiled into the
//! binary. Serves hashed assets as immutable, `index.html` uncached, and falls back to the SPA
//! for client routes — but never for `/api/*` or `/v1/*`, which get JSON 404s.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/web"]
struct Assets;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; \
                   object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// Router fallback: API 404s, embedded files, or the SPA's `index.html`.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::NotFound(format!("no API route for {method} {path}")).into_response();
    }
    if path == "/v1" || path.starts_with("/v1/") {
        return openai_not_found(&method, path);
    }
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let file = match path.trim_start_matches('/') {
        "" => "index.html",
        "docs" | "docs/" => "docs.html",
        other => other,
    };
    if let Some(res) = serve_file(file, &headers) {
        return res;
    }
    let last_segment = file.rsplit('/').next().unwrap_or_default();
    if file.starts_with("assets/") || last_segment.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    serve_file("index.html", &headers)
        .unwrap_or_else(|| (StatusCode::NOT_FOUND, "web UI not built").into_response())
}

fn serve_file(path: &str, headers: &HeaderMap) -> Option<Response> {
    let file = Assets::get(path)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else if path.ends_with(".html") {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    let mut res = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, file.metadata.mimetype().to_owned())],
            file.data.into_owned(),
        )
            .into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if path.ends_with(".html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    Some(res)
}

/// Unknown `/v1` paths answer in OpenAI's error shape, as OpenAI clients expect.
fn openai_not_found(method: &Method, path: &str) -> Response {
    let body = serde_json::json!({
        "error": {
            "message": format!("Unknown request URL: {method} {path}."),
            "type": "invalid_request_error",
            "param": null,
            "code": "unknown_url",
        }
    });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}
