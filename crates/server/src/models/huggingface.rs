//! Hugging Face Hub (`HF_ENDPOINT`, `HF_TOKEN`): search (`/api/models`), a repository's files
//! (`/api/models/{repo}/tree/{rev}?recursive=true`, sha256 = `lfs.oid`), downloads from
//! `/{repo}/resolve/{rev}/{path}` (a redirect to the file host, followed at download time).
//! A requested part of a split GGUF brings its siblings along.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use super::names;
use super::source::{self, Hit, Plan, PlannedFile, RemoteFile, Source, SourceError};

/// The Hugging Face Hub or a mirror of it.
pub struct HuggingFace {
    base: Url,
    token: Option<SecretString>,
    client: reqwest::Client,
}

impl HuggingFace {
    /// A hub at `base` (e.g. `https://huggingface.co`), with an optional token.
    pub fn new(base: Url, token: Option<SecretString>, client: reqwest::Client) -> Self {
        Self {
            base,
            token,
            client,
        }
    }

    fn get(&self, url: Url) -> reqwest::RequestBuilder {
        let request = self.client.get(url.clone());
        match self.authorization(&url) {
            Some(auth) => request.header(reqwest::header::AUTHORIZATION, auth),
            None => request,
        }
    }
}

/// A file entry of the tree listing (directories are skipped).
fn remote_file(entry: &Value) -> Option<RemoteFile> {
    if entry["type"].as_str() != Some("file") {
        return None;
    }
    let size = entry
        .pointer("/lfs/size")
        .and_then(Value::as_u64)
        .or_else(|| entry["size"].as_u64())?;
    let sha256 = entry.pointer("/lfs/oid").and_then(Value::as_str);
    Some(RemoteFile::new(
        entry["path"].as_str()?.to_owned(),
        size,
        sha256,
    ))
}

/// The requested files plus the other parts of any split GGUF among them, each once.
pub fn with_split_siblings(requested: &[String], available: &[RemoteFile]) -> Vec<String> {
    let mut wanted: Vec<String> = Vec::new();
    for path in requested {
        let parts = match names::split_part(path) {
            Some((_, count)) => (1..=count)
                .filter_map(|i| names::split_sibling(path, i))
                .collect(),
            None => vec![path.clone()],
        };
        for part in parts {
            if !wanted.contains(&part) && available.iter().any(|f| f.path == part) {
                wanted.push(part);
            }
        }
    }
    wanted
}

/// The plan of a repository download from its listing: each requested path must exist and
/// have a sha256; `url_of` says where a path's bytes come from.
pub fn repo_plan(
    source_name: &str,
    repo: &str,
    revision: &str,
    requested: &[String],
    available: &[RemoteFile],
    url_of: impl Fn(&str) -> String,
) -> Result<Plan, SourceError> {
    if requested.is_empty() {
        return Err(SourceError::BadRequest(
            "files: name at least one file".into(),
        ));
    }
    for path in requested {
        names::remote_path(path)?;
        if !available.iter().any(|f| &f.path == path) {
            return Err(SourceError::NotFound(format!(
                "{repo} has no file `{path}`"
            )));
        }
    }
    let files = with_split_siblings(requested, available)
        .iter()
        .map(|path| {
            let file = available
                .iter()
                .find(|f| &f.path == path)
                .ok_or_else(|| SourceError::NotFound(format!("{repo} has no file `{path}`")))?;
            let sha256 = file.sha256.clone().ok_or_else(|| {
                SourceError::BadRequest(format!(
                    "`{path}` has no sha256 on the hub (not an LFS file), so it cannot be verified"
                ))
            })?;
            Ok(PlannedFile {
                remote_path: path.clone(),
                url: url_of(path),
                file_name: names::local_path(source_name, repo, path)?,
                size_bytes: file.size_bytes,
                sha256,
            })
        })
        .collect::<Result<Vec<_>, SourceError>>()?;
    Ok(Plan {
        repo: repo.to_owned(),
        revision: revision.to_owned(),
        label: format!("{repo} · {}", requested.join(", ")),
        files,
    })
}

#[async_trait::async_trait]
impl Source for HuggingFace {
    fn name(&self) -> &'static str {
        "huggingface"
    }

    async fn search(
        &self,
        query: &str,
        gguf_only: bool,
        limit: usize,
    ) -> Result<Vec<Hit>, SourceError> {
        let mut url = source::endpoint(&self.base, &["api", "models"]);
        url.query_pairs_mut()
            .append_pair("search", query)
            .append_pair("sort", "downloads")
            .append_pair("limit", &limit.to_string());
        if gguf_only {
            url.query_pairs_mut().append_pair("filter", "gguf");
        }
        let body = source::json(self.get(url), "the search").await?;
        let hits = body
            .as_array()
            .ok_or_else(|| SourceError::Upstream("the hub's search answer is not a list".into()))?;
        Ok(hits
            .iter()
            .filter_map(|h| {
                let id = h["id"].as_str().or_else(|| h["modelId"].as_str())?;
                let tags = h["tags"].as_array();
                Some(Hit {
                    id: id.to_owned(),
                    downloads: h["downloads"].as_u64(),
                    gguf: tags.is_some_and(|t| t.iter().any(|t| t == "gguf")),
                    gated: h["gated"].as_bool().unwrap_or(false) || h["gated"].is_string(),
                    size_bytes: None,
                })
            })
            .take(limit)
            .collect())
    }

    async fn files(&self, repo: &str, revision: &str) -> Result<Vec<RemoteFile>, SourceError> {
        names::repo_id(repo)?;
        names::revision(revision)?;
        let mut url = source::endpoint(&self.base, &["api", "models", repo, "tree", revision]);
        url.query_pairs_mut().append_pair("recursive", "true");
        let body = source::json(self.get(url), &format!("repository {repo}")).await?;
        let entries = body
            .as_array()
            .ok_or_else(|| SourceError::Upstream("the hub's file list is not a list".into()))?;
        Ok(entries.iter().filter_map(remote_file).collect())
    }

    async fn plan(
        &self,
        repo: &str,
        revision: &str,
        files: &[String],
    ) -> Result<Plan, SourceError> {
        let available = self.files(repo, revision).await?;
        repo_plan(self.name(), repo, revision, files, &available, |path| {
            source::endpoint(&self.base, &[repo, "resolve", revision, path]).to_string()
        })
    }

    fn authorization(&self, url: &Url) -> Option<String> {
        let token = self.token.as_ref()?;
        source::same_origin(url, &self.base).then(|| format!("Bearer {}", token.expose_secret()))
    }
}
