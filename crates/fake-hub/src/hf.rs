//! Hugging Face Hub: `GET /api/models` (search), `GET /api/models/{owner}/{name}/tree/{rev}`
//! (files with size and LFS sha256) and `/{owner}/{name}/resolve/{rev}/{path}` answering 302
//! to the file host with `X-Linked-Etag` and `X-Linked-Size`, as the real hub does. Gated
//! repositories want `Authorization: Bearer <token>`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::{Repo, Shared};

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The repository if the caller may read it, else the hub's error.
pub fn readable(hub: &Shared, id: &str, headers: &HeaderMap) -> Result<Repo, Box<Response>> {
    let repo = hub
        .repo(id)
        .ok_or_else(|| Box::new(error(StatusCode::NOT_FOUND, "Repository not found")))?;
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if repo.gated && !hub.authorized(auth) {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            &format!("Access to model {id} is restricted. You must be authenticated to access it."),
        )));
    }
    Ok(repo)
}

/// `GET /api/models?search=&filter=&sort=&limit=`.
pub async fn search(
    State(hub): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let text = q
        .get("search")
        .map(|s| s.to_lowercase())
        .unwrap_or_default();
    let gguf_only = q.get("filter").is_some_and(|f| f == "gguf");
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20usize);
    let mut repos: Vec<Repo> = hub
        .repos()
        .into_iter()
        .filter(|r| r.id.to_lowercase().contains(&text))
        .filter(|r| !gguf_only || r.files.keys().any(|p| p.ends_with(".gguf")))
        .collect();
    repos.sort_by(|a, b| b.downloads.cmp(&a.downloads).then(a.id.cmp(&b.id)));
    let hits: Vec<Value> = repos
        .iter()
        .take(limit)
        .map(|r| {
            let gguf = r.files.keys().any(|p| p.ends_with(".gguf"));
            json!({
                "_id": format!("{:024x}", r.downloads),
                "id": r.id,
                "modelId": r.id,
                "downloads": r.downloads,
                "likes": r.downloads / 10,
                "gated": r.gated,
                "private": false,
                "tags": if gguf { vec!["gguf", "text-generation"] } else { vec!["text-generation"] },
                "lastModified": "2026-11-30T12:00:00.000Z",
            })
        })
        .collect();
    Json(Value::Array(hits))
}

/// `GET /api/models/{owner}/{name}/tree/{rev}`.
pub async fn tree(
    State(hub): State<Shared>,
    Path((owner, name, _rev)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let repo = match readable(&hub, &format!("{owner}/{name}"), &headers) {
        Ok(r) => r,
        Err(e) => return *e,
    };
    let mut entries = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    for (path, id) in &repo.files {
        let Some(file) = hub.file(*id) else { continue };
        let mut parent = path.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            dirs.insert(dir.to_owned());
            parent = dir;
        }
        entries.push(json!({
            "type": "file",
            "oid": &file.sha256[..40],
            "size": file.bytes.len(),
            "path": path,
            "lfs": { "oid": file.reported_sha256, "size": file.bytes.len(), "pointerSize": 134 },
        }));
    }
    for dir in dirs {
        entries.push(json!({ "type": "directory", "oid": "0".repeat(40), "size": 0, "path": dir }));
    }
    Json(Value::Array(entries)).into_response()
}

/// `/{owner}/{name}/resolve/{rev}/{path…}`: 302 to the file host.
pub fn resolve(hub: &Shared, base: &str, segments: &[&str], headers: &HeaderMap) -> Response {
    let [owner, name, "resolve", _rev, rest @ ..] = segments else {
        return error(StatusCode::NOT_FOUND, "Entry not found");
    };
    let repo = match readable(hub, &format!("{owner}/{name}"), headers) {
        Ok(r) => r,
        Err(e) => return *e,
    };
    let path = rest.join("/");
    let Some((id, file)) = repo
        .files
        .get(&path)
        .and_then(|id| hub.file(*id).map(|f| (*id, f)))
    else {
        return error(StatusCode::NOT_FOUND, "Entry not found");
    };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, format!("{base}/cdn/{id}")),
            (
                header::HeaderName::from_static("x-linked-etag"),
                format!("\"{}\"", file.reported_sha256),
            ),
            (
                header::HeaderName::from_static("x-linked-size"),
                file.bytes.len().to_string(),
            ),
            (
                header::HeaderName::from_static("x-repo-commit"),
                file.sha256[..40].to_owned(),
            ),
        ],
    )
        .into_response()
}
