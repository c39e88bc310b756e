//! Model rules: searching and listing a hub's files (GGUF grouped by quantisation), the local
//! registry (list, delete from disk, import in place from an allowed directory).

use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::source::RemoteFile;
use super::store;
use super::types::{DaemonModels, FilesQuery, FilesResponse, LocalModel, QuantGroup, SearchQuery};
use crate::downloads::service::source_error;
use crate::error::ApiError;
use crate::models::source::Hit;
use crate::state::AppState;

/// Searches a hub.
pub async fn search(state: &AppState, q: &SearchQuery) -> Result<Vec<Hit>, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 100"));
    }
    if q.q.len() > 200 {
        return Err(ApiError::field("q", "must be at most 200 characters"));
    }
    let hub = state.hubs.get(&q.source)?;
    hub.search(q.q.trim(), q.gguf.unwrap_or(true), limit)
        .await
        .map_err(source_error)
}

/// The models of the Ollama daemon at `OLLAMA_HOST`.
pub async fn daemon_models(state: &AppState) -> Result<DaemonModels, ApiError> {
    let daemon = state.hubs.daemon()?;
    Ok(DaemonModels {
        host: daemon.base().to_string(),
        items: daemon.models().await.map_err(source_error)?,
    })
}

/// GGUF files grouped by quantisation, split parts together, largest group last.
pub fn groups(files: &[RemoteFile]) -> Vec<QuantGroup> {
    let mut out: Vec<QuantGroup> = Vec::new();
    for f in files.iter().filter(|f| f.path.ends_with(".gguf")) {
        let key = match f.split {
            Some(_) => super::names::split_sibling(&f.path, 1).unwrap_or_else(|| f.path.clone()),
            None => f.path.clone(),
        };
        match out.iter_mut().find(|g| g.files.first() == Some(&key)) {
            Some(g) => {
                g.size_bytes += f.size_bytes;
                if f.path != key {
                    g.files.push(f.path.clone());
                }
            }
            None => {
                let mut files = vec![key.clone()];
                if f.path != key {
                    files.push(f.path.clone());
                }
                out.push(QuantGroup {
                    quantization: f.quantization.clone(),
                    size_bytes: f.size_bytes,
                    files,
                });
            }
        }
    }
    out.sort_by(|a, b| a.size_bytes.cmp(&b.size_bytes).then(a.files.cmp(&b.files)));
    out
}

/// A repository's files.
pub async fn files(state: &AppState, q: &FilesQuery) -> Result<FilesResponse, ApiError> {
    let hub = state.hubs.get(&q.source)?;
    let default = if q.source == "modelscope" {
        "master"
    } else {
        "main"
    };
    let revision = q.revision.clone().unwrap_or_else(|| default.to_owned());
    let files = hub
        .files(q.repo.trim(), &revision)
        .await
        .map_err(source_error)?;
    Ok(FilesResponse {
        repo: q.repo.trim().to_owned(),
        revision,
        groups: groups(&files),
        files,
    })
}

/// The local registry.
pub async fn list(state: &AppState) -> Result<Vec<LocalModel>, ApiError> {
    Ok(store::list(&state.db.conn)
        .await?
        .into_iter()
        .map(LocalModel::from)
        .collect())
}

/// Deletes a model: its files when they lie in `MODELS_DIR`, else (imported) only its row;
/// refused while a deployment uses it.
pub async fn delete(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    let model = store::get(&state.db.conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no model {id}")))?;
    let users = crate::deployments::store::of_model(&state.db.conn, id).await?;
    if !users.is_empty() {
        let names: Vec<&str> = users.iter().map(|d| d.name.as_str()).collect();
        return Err(ApiError::Conflict(format!(
            "the model is used by the deployment(s) {}; delete them first",
            names.join(", ")
        )));
    }
    if !Path::new(&model.path).is_absolute() {
        let dir = &state.config.models.dir;
        let main = dir.join(&model.path);
        let mut paths = vec![main.clone()];
        if model.format == "gguf" && model.parts > 1 {
            paths.extend(
                (2..=model.parts as u32)
                    .filter_map(|i| super::names::split_sibling(&model.path, i))
                    .map(|p| dir.join(p)),
            );
        }
        for path in paths {
            let removed = if path.is_dir() {
                tokio::fs::remove_dir_all(&path).await
            } else {
                tokio::fs::remove_file(&path).await
            };
            if let Err(e) = removed
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(anyhow::anyhow!("cannot remove {}: {e}", path.display()).into());
            }
        }
    }
    store::delete(&state.db.conn, id).await?;
    Ok(())
}

/// Registers a GGUF in place; the path must lie under `MODELS_DIR` or an import directory.
pub async fn import(state: &AppState, path: &str) -> Result<LocalModel, ApiError> {
    let field = |p: &str| ApiError::field("path", p.to_owned());
    let given = PathBuf::from(path.trim());
    if !given.is_absolute() {
        return Err(field("must be an absolute path"));
    }
    let real = tokio::fs::canonicalize(&given)
        .await
        .map_err(|e| field(&format!("cannot be read: {e}")))?;
    if !real.is_file() || real.extension().is_none_or(|e| e != "gguf") {
        return Err(field("must be a .gguf file"));
    }
    let models_dir = tokio::fs::canonicalize(&state.config.models.dir).await.ok();
    let mut allowed: Vec<PathBuf> = models_dir.iter().cloned().collect();
    for dir in &state.config.models.import_dirs {
        if let Ok(d) = tokio::fs::canonicalize(dir).await {
            allowed.push(d);
        }
    }
    if !allowed.iter().any(|d| real.starts_with(d)) {
        return Err(field(
            "must lie under MODELS_DIR or a directory listed in MODELS_IMPORT_DIRS",
        ));
    }
    let stored = match models_dir.as_ref().and_then(|d| real.strip_prefix(d).ok()) {
        Some(rel) => rel.to_string_lossy().into_owned(),
        None => real.to_string_lossy().into_owned(),
    };
    Ok(super::registry::register_path(state, real, stored)
        .await?
        .into())
}
