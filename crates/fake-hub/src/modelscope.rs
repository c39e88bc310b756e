//! ModelScope: `PUT /api/v1/dolphin/models` (search, JSON body with `Name`, `PageSize`,
//! `PageNumber`), `GET /api/v1/models/{owner}/{name}/repo/files` (files with `Size` and
//! `Sha256`) and `GET /api/v1/models/{owner}/{name}/repo?FilePath=` (the file itself, with
//! `Range`), in ModelScope's `{Code, Data, Success}` envelope.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::{Repo, Shared};

fn envelope(data: Value) -> Json<Value> {
    Json(json!({ "Code": 200, "Data": data, "Message": "success", "Success": true }))
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(
            json!({ "Code": 10_010_205, "Message": format!("{what} not found"), "Success": false }),
        ),
    )
        .into_response()
}

/// `PUT /api/v1/dolphin/models`.
pub async fn search(State(hub): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let text = body["Name"].as_str().unwrap_or_default().to_lowercase();
    let size = body["PageSize"].as_u64().unwrap_or(20) as usize;
    let mut repos: Vec<Repo> = hub
        .repos()
        .into_iter()
        .filter(|r| !r.gated && r.id.to_lowercase().contains(&text))
        .collect();
    repos.sort_by(|a, b| b.downloads.cmp(&a.downloads).then(a.id.cmp(&b.id)));
    let models: Vec<Value> = repos
        .iter()
        .take(size)
        .map(|r| {
            let (owner, name) = r.id.split_once('/').unwrap_or(("", &r.id));
            json!({ "Name": name, "Path": owner, "ChineseName": "", "Downloads": r.downloads,
                    "Tags": ["gguf"], "LastUpdatedTime": 1_764_504_000 })
        })
        .collect();
    envelope(json!({ "Model": { "Models": models, "TotalCount": repos.len() } }))
}

/// `GET /api/v1/models/{owner}/{name}/repo/files?Revision=&Recursive=`.
pub async fn files(
    State(hub): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
) -> Response {
    let Some(repo) = hub.repo(&format!("{owner}/{name}")).filter(|r| !r.gated) else {
        return not_found("model");
    };
    let files: Vec<Value> = repo
        .files
        .iter()
        .filter_map(|(path, id)| {
            let file = hub.file(*id)?;
            let name = path.rsplit('/').next().unwrap_or(path);
            Some(
                json!({ "Name": name, "Path": path, "Size": file.bytes.len(), "Type": "blob",
                         "Sha256": file.reported_sha256, "IsLFS": true, "Revision": "master" }),
            )
        })
        .collect();
    envelope(json!({ "Files": files })).into_response()
}

/// `GET|HEAD /api/v1/models/{owner}/{name}/repo?Revision=&FilePath=`.
pub async fn download(
    State(hub): State<Shared>,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Some(repo) = hub.repo(&format!("{owner}/{name}")).filter(|r| !r.gated) else {
        return not_found("model");
    };
    let path = q.get("FilePath").cloned().unwrap_or_default();
    match repo.files.get(&path).and_then(|id| hub.file(*id)) {
        Some(file) => crate::files::send(&hub, &file, &method, &headers),
        None => not_found("file"),
    }
}
