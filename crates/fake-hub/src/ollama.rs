//! The Ollama registry: `GET /v2/{namespace}/{model}/manifests/{tag}` (a Docker v2 manifest
//! whose layers are the GGUF, the template and the parameters) and
//! `GET /v2/{namespace}/{model}/blobs/sha256:{hex}` answering 307 to the file host, as the
//! real registry sends blobs to its CDN.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::Shared;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "errors": [{ "code": code, "message": message }] })),
    )
        .into_response()
}

fn descriptor(hub: &Shared, media_type: &str, id: usize) -> serde_json::Value {
    let (digest, size) = hub
        .file(id)
        .map(|f| (format!("sha256:{}", f.reported_sha256), f.bytes.len()))
        .unwrap_or_default();
    json!({ "mediaType": media_type, "digest": digest, "size": size })
}

/// `GET /v2/{ns}/{model}/manifests/{tag}`.
pub async fn manifest(
    State(hub): State<Shared>,
    Path((ns, model, tag)): Path<(String, String, String)>,
) -> Response {
    let Some(m) = hub.ollama_model(&format!("{ns}/{model}:{tag}")) else {
        return error(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            "manifest unknown",
        );
    };
    let layers: Vec<_> = m
        .layers
        .iter()
        .map(|(media, id)| descriptor(&hub, media, *id))
        .collect();
    (
        [(
            header::CONTENT_TYPE,
            "application/vnd.docker.distribution.manifest.v2+json",
        )],
        Json(json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": descriptor(&hub, "application/vnd.docker.container.image.v1+json", m.config),
            "layers": layers,
        })),
    )
        .into_response()
}

/// `GET /v2/{ns}/{model}/blobs/{digest}`: 307 to the file host.
pub async fn blob(
    State(hub): State<Shared>,
    Path((ns, model, digest)): Path<(String, String, String)>,
    headers: axum::http::HeaderMap,
) -> Response {
    let base = crate::base_of(&headers);
    let found = hub
        .ollama
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|(key, _)| key.starts_with(&format!("{ns}/{model}:")))
        .flat_map(|(_, m)| m.layers.iter().map(|(_, id)| *id).chain([m.config]))
        .find(|id| {
            hub.file(*id)
                .is_some_and(|f| format!("sha256:{}", f.reported_sha256) == digest)
        });
    match found {
        Some(id) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("{base}/cdn/{id}"))],
        )
            .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "BLOB_UNKNOWN",
            "blob unknown to registry",
        ),
    }
}
