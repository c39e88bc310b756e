//! The local registry: what is in `MODELS_DIR`, found by a bounded walk at start (files put
//! there by hand appear, files gone disappear), each GGUF's header read by the bounded parser
//! (a corrupt one is listed as invalid with the reason), safetensors folders as one model each;
//! downloads and imports register their model here.

use std::path::{Path, PathBuf};

use chrono::Utc;
use uuid::Uuid;

use super::gguf;
use super::names;
use super::store::{self, ModelRow};
use crate::downloads::store::{FileRow, TaskRow};
use crate::state::AppState;

/// Deepest folder level walked, and most files looked at.
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 100_000;

/// A model found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Relative to the models dir (`/`-separated).
    pub path: String,
    /// `gguf` or `safetensors`.
    pub format: &'static str,
    /// Bytes of every part.
    pub size: u64,
    /// Parts.
    pub parts: u32,
}

fn walk(dir: &Path, rel: &str, depth: usize, files: &mut Vec<(String, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if files.len() >= MAX_FILES {
            return;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        // Symbolic links are not followed: the registry lists what lies in the folder.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(&entry.path(), &rel, depth + 1, files);
        } else if kind.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            files.push((rel, size));
        }
    }
}

/// The models under `dir`: GGUF files (a split GGUF once, at its first part) and folders
/// holding safetensors. Partial downloads (`.part`) are not models.
pub fn scan(dir: &Path) -> Vec<Found> {
    let mut files = Vec::new();
    walk(dir, "", 0, &mut files);
    files.sort();
    let mut found: Vec<Found> = Vec::new();
    for (path, size) in &files {
        if path.ends_with(".gguf") {
            match names::split_part(path) {
                Some((1, count)) => {
                    let siblings: Vec<&(String, u64)> = (1..=count)
                        .filter_map(|i| names::split_sibling(path, i))
                        .filter_map(|p| files.iter().find(|(f, _)| *f == p))
                        .collect();
                    found.push(Found {
                        path: path.clone(),
                        format: "gguf",
                        size: siblings.iter().map(|(_, s)| s).sum(),
                        parts: siblings.len() as u32,
                    });
                }
                Some(_) => {}
                None => found.push(Found {
                    path: path.clone(),
                    format: "gguf",
                    size: *size,
                    parts: 1,
                }),
            }
        } else if path.ends_with(".safetensors") {
            let folder = path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
            match found
                .iter_mut()
                .find(|f| f.format == "safetensors" && f.path == folder)
            {
                Some(f) => {
                    f.size += size;
                    f.parts += 1;
                }
                None => found.push(Found {
                    path: folder,
                    format: "safetensors",
                    size: *size,
                    parts: 1,
                }),
            }
        }
    }
    found
}

/// A registry row for `found` at `abs`, its header read if it is a GGUF.
fn describe(
    abs: &Path,
    found: &Found,
    source: &str,
    repo: Option<String>,
    name: String,
) -> ModelRow {
    let now = Utc::now();
    let mut row = ModelRow {
        id: Uuid::now_v7(),
        name,
        path: found.path.clone(),
        format: found.format.to_owned(),
        size_bytes: found.size as i64,
        parts: found.parts as i32,
        source: source.to_owned(),
        repo,
        architecture: None,
        parameters: None,
        quantization: None,
        context_length: None,
        chat_template: false,
        error: None,
        created_at: now,
        updated_at: now,
    };
    if found.format == "gguf" {
        let header = std::fs::File::open(abs).and_then(|f| {
            let len = f.metadata()?.len();
            Ok(gguf::read_header(std::io::BufReader::new(f), len))
        });
        match header {
            Ok(Ok(info)) => {
                row.architecture = info.architecture;
                row.parameters = i64::try_from(info.parameter_count).ok();
                row.quantization = info.quantization;
                row.context_length = info.context_length.and_then(|c| i64::try_from(c).ok());
                row.chat_template = info.has_chat_template;
            }
            Ok(Err(e)) => row.error = Some(format!("not a valid GGUF: {e}")),
            Err(e) => row.error = Some(format!("cannot read: {e}")),
        }
    }
    row
}

/// `source` and `repo` of a path as downloads lay it out (`huggingface/owner/name/…`).
fn origin(path: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [source @ ("huggingface" | "modelscope"), owner, name, _, ..] => {
            ((*source).to_owned(), Some(format!("{owner}/{name}")))
        }
        ["ollama", ns, model, _] => ("ollama".to_owned(), Some(format!("{ns}/{model}"))),
        _ => ("local".to_owned(), None),
    }
}

/// Brings the registry in line with the disk.
pub async fn rescan(state: &AppState) -> anyhow::Result<usize> {
    let dir = state.config.models.dir.clone();
    let rows = tokio::task::spawn_blocking(move || {
        scan(&dir)
            .iter()
            .map(|f| describe(&dir.join(&f.path), f, "local", None, f.path.clone()))
            .collect::<Vec<_>>()
    })
    .await?;
    let db = &state.db.conn;
    let mut seen = Vec::new();
    for mut row in rows {
        let (source, repo) = origin(&row.path);
        if repo.is_some() {
            row.repo = repo;
        }
        row.source = source;
        seen.push(store::upsert(db, row, true).await?.id);
    }
    for row in store::list(db).await? {
        let gone = if Path::new(&row.path).is_absolute() {
            !Path::new(&row.path).exists()
        } else {
            !seen.contains(&row.id)
        };
        if gone {
            store::delete(db, row.id).await?;
        }
    }
    Ok(seen.len())
}

/// Registers what a finished download brought: its GGUF (all parts) or its first file.
pub async fn register_download(
    state: &AppState,
    task: &TaskRow,
    files: &[FileRow],
) -> anyhow::Result<Uuid> {
    let main = files
        .iter()
        .find(|f| {
            f.file_name.ends_with(".gguf")
                && names::split_part(&f.file_name).is_none_or(|(i, _)| i == 1)
        })
        .or_else(|| files.first())
        .ok_or_else(|| anyhow::anyhow!("the download has no files"))?;
    let parts: Vec<&FileRow> = files
        .iter()
        .filter(|f| f.file_name.ends_with(".gguf"))
        .collect();
    let found = Found {
        path: main.file_name.clone(),
        format: if main.file_name.ends_with(".safetensors") {
            "safetensors"
        } else {
            "gguf"
        },
        size: parts.iter().map(|f| f.size_bytes.max(0) as u64).sum(),
        parts: parts.len().max(1) as u32,
    };
    let name = if task.source == "ollama" {
        task.label.clone()
    } else {
        format!("{}/{}", task.repo, main.remote_path)
    };
    let abs: PathBuf = state.config.models.dir.join(&found.path);
    let (source, repo) = (task.source.clone(), Some(task.repo.clone()));
    let row =
        tokio::task::spawn_blocking(move || describe(&abs, &found, &source, repo, name)).await?;
    Ok(store::upsert(&state.db.conn, row, false).await?.id)
}

/// Registers a file in place (its path already checked to be allowed and canonical).
pub async fn register_path(
    state: &AppState,
    abs: PathBuf,
    stored: String,
) -> anyhow::Result<ModelRow> {
    let row = tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&abs).map(|m| m.len()).unwrap_or(0);
        let found = Found {
            path: stored.clone(),
            format: "gguf",
            size,
            parts: 1,
        };
        let name = abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| stored.clone());
        describe(&abs, &found, "import", None, name)
    })
    .await?;
    Ok(store::upsert(&state.db.conn, row, false).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scan_finds_models_and_skips_partials() {
        let dir = tempfile::tempdir().unwrap();
        let put = |rel: &str, len: usize| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, vec![0u8; len]).unwrap();
        };
        put("a/one.Q4_K_M.gguf", 10);
        put("a/one.Q8_0.gguf.part", 10);
        put("b/big-00001-of-00002.gguf", 5);
        put("b/big-00002-of-00002.gguf", 7);
        put("c/model-00001.safetensors", 3);
        put("c/model-00002.safetensors", 4);
        put(".hidden/x.gguf", 1);
        put("readme.md", 1);
        let found = scan(dir.path());
        let summary: Vec<(&str, &str, u64, u32)> = found
            .iter()
            .map(|f| (f.path.as_str(), f.format, f.size, f.parts))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a/one.Q4_K_M.gguf", "gguf", 10, 1),
                ("b/big-00001-of-00002.gguf", "gguf", 12, 2),
                ("c", "safetensors", 7, 2),
            ]
        );
    }

    #[test]
    fn downloads_are_known_by_their_layout() {
        assert_eq!(
            origin("huggingface/acme/tiny/x.gguf"),
            ("huggingface".to_owned(), Some("acme/tiny".to_owned()))
        );
        assert_eq!(
            origin("ollama/library/qwen/0.5b.gguf"),
            ("ollama".to_owned(), Some("library/qwen".to_owned()))
        );
        assert_eq!(origin("mine.gguf"), ("local".to_owned(), None));
    }
}
