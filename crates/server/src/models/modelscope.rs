//! ModelScope (`MODELSCOPE_ENDPOINT`): search (`PUT /api/v1/dolphin/models`), a repository's
//! files (`/api/v1/models/{repo}/repo/files?Recursive=true`, with `Sha256`) and downloads from
//! `/api/v1/models/{repo}/repo?Revision=&FilePath=`, through the same download engine.

use serde_json::{Value, json};
use url::Url;

use super::huggingface::repo_plan;
use super::names;
use super::source::{self, Hit, Plan, RemoteFile, Source, SourceError};

/// A ModelScope hub.
pub struct ModelScope {
    base: Url,
    client: reqwest::Client,
}

impl ModelScope {
    /// A hub at `base` (e.g. `https://modelscope.cn`).
    pub fn new(base: Url, client: reqwest::Client) -> Self {
        Self { base, client }
    }

    fn download_url(&self, repo: &str, revision: &str, path: &str) -> String {
        let mut url = source::endpoint(&self.base, &["api", "v1", "models", repo, "repo"]);
        url.query_pairs_mut()
            .append_pair("Revision", revision)
            .append_pair("FilePath", path);
        url.to_string()
    }
}

/// `Data` of a `{Code, Data, Success}` answer.
fn data(body: &Value) -> Result<&Value, SourceError> {
    if body["Success"].as_bool() == Some(false) {
        let message = body["Message"].as_str().unwrap_or("no message");
        return Err(SourceError::Upstream(format!(
            "ModelScope refused: {message}"
        )));
    }
    Ok(&body["Data"])
}

fn remote_file(entry: &Value) -> Option<RemoteFile> {
    if entry["Type"].as_str() == Some("tree") {
        return None;
    }
    let path = entry["Path"].as_str()?.to_owned();
    Some(RemoteFile::new(
        path,
        entry["Size"].as_u64()?,
        entry["Sha256"].as_str(),
    ))
}

#[async_trait::async_trait]
impl Source for ModelScope {
    fn name(&self) -> &'static str {
        "modelscope"
    }

    async fn search(
        &self,
        query: &str,
        _gguf_only: bool,
        limit: usize,
    ) -> Result<Vec<Hit>, SourceError> {
        let url = source::endpoint(&self.base, &["api", "v1", "dolphin", "models"]);
        let body = json!({ "Name": query, "PageSize": limit, "PageNumber": 1,
                           "SortBy": "Default", "Target": "", "SingleCriterion": [] });
        let answer = source::json(self.client.put(url).json(&body), "the search").await?;
        let models = data(&answer)?
            .pointer("/Model/Models")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                SourceError::Upstream("ModelScope's search answer has no models".into())
            })?;
        Ok(models
            .iter()
            .filter_map(|m| {
                let (owner, name) = (m["Path"].as_str()?, m["Name"].as_str()?);
                let tags = m["Tags"].as_array();
                Some(Hit {
                    id: format!("{owner}/{name}"),
                    downloads: m["Downloads"].as_u64(),
                    gguf: tags.is_some_and(|t| t.iter().any(|t| t == "gguf"))
                        || name.to_ascii_lowercase().contains("gguf"),
                    gated: false,
                    size_bytes: None,
                })
            })
            .take(limit)
            .collect())
    }

    async fn files(&self, repo: &str, revision: &str) -> Result<Vec<RemoteFile>, SourceError> {
        names::repo_id(repo)?;
        names::revision(revision)?;
        let mut url = source::endpoint(&self.base, &["api", "v1", "models", repo, "repo", "files"]);
        url.query_pairs_mut()
            .append_pair("Revision", revision)
            .append_pair("Recursive", "true");
        let answer = source::json(self.client.get(url), &format!("repository {repo}")).await?;
        let files = data(&answer)?["Files"]
            .as_array()
            .ok_or_else(|| SourceError::Upstream("ModelScope's file list has no files".into()))?;
        Ok(files.iter().filter_map(remote_file).collect())
    }

    async fn plan(
        &self,
        repo: &str,
        revision: &str,
        files: &[String],
    ) -> Result<Plan, SourceError> {
        let available = self.files(repo, revision).await?;
        repo_plan(self.name(), repo, revision, files, &available, |path| {
            self.download_url(repo, revision, path)
        })
    }

    fn authorization(&self, _url: &Url) -> Option<String> {
        None
    }
}
