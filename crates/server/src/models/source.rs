//! The one trait every hub implements (search, a repository's files, a download plan), the
//! types they share, and the HTTP helper they use: admin-configured endpoints, tokens sent only
//! to the hub's own host, bounded response sizes, clear errors.

use std::time::Duration;

use serde::Serialize;
use url::Url;
use utoipa::ToSchema;

use super::names::NameError;

/// A search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hit {
    /// Repository id (`owner/name`) or Ollama model (`name:tag`).
    pub id: String,
    /// Downloads the hub reports, if it does.
    pub downloads: Option<u64>,
    /// Whether the repository holds GGUF files (as far as the hub says).
    pub gguf: bool,
    /// Whether it needs a token.
    pub gated: bool,
    /// Total size in bytes, when the hub says (Ollama).
    pub size_bytes: Option<u64>,
}

/// A file of a repository.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemoteFile {
    /// Path in the repository.
    pub path: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// sha256 to verify against, when the hub gives one.
    pub sha256: Option<String>,
    /// Quantisation read from the name (`Q4_K_M`, …), for GGUF files.
    pub quantization: Option<String>,
    /// `(index, count)` when the file is one part of a split GGUF.
    pub split: Option<(u32, u32)>,
}

impl RemoteFile {
    /// A file at `path`; a GGUF's quantisation and split part are read from its name, and a
    /// checksum that is not 64 hex digits counts as none.
    pub fn new(path: String, size_bytes: u64, sha256: Option<&str>) -> Self {
        let name = path.rsplit('/').next().unwrap_or(&path);
        let gguf = name.ends_with(".gguf");
        Self {
            quantization: gguf
                .then(|| super::gguf::quantization_in_name(name))
                .flatten(),
            split: gguf.then(|| super::names::split_part(name)).flatten(),
            sha256: sha256
                .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
                .map(str::to_ascii_lowercase),
            path,
            size_bytes,
        }
    }
}

/// One file of a planned download.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// Path in the repository (or the layer's media type for Ollama).
    pub remote_path: String,
    /// Where its bytes come from (redirects are followed at download time).
    pub url: String,
    /// Where it is stored, relative to `MODELS_DIR` (derived by us).
    pub file_name: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Expected sha256 (lower-case hex).
    pub sha256: String,
}

/// What a download will fetch.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Repository (or Ollama model name).
    pub repo: String,
    /// Revision (or Ollama tag).
    pub revision: String,
    /// Shown in lists.
    pub label: String,
    /// The files, in order (the model file first).
    pub files: Vec<PlannedFile>,
}

/// Why a hub call failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The caller asked for something malformed.
    #[error("{0}")]
    BadRequest(String),
    /// A name from the caller or the hub was refused.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The hub has no such repository, file or model.
    #[error("{0}")]
    NotFound(String),
    /// The repository is gated and our token (if any) was not accepted.
    #[error("{0}")]
    Gated(String),
    /// The hub failed, could not be reached or answered something unusable.
    #[error("{0}")]
    Upstream(String),
}

/// A model hub.
#[async_trait::async_trait]
pub trait Source: Send + Sync {
    /// `huggingface`, `modelscope`, `ollama`.
    fn name(&self) -> &'static str;
    /// Searches the hub.
    async fn search(
        &self,
        query: &str,
        gguf_only: bool,
        limit: usize,
    ) -> Result<Vec<Hit>, SourceError>;
    /// The files of a repository at a revision.
    async fn files(&self, repo: &str, revision: &str) -> Result<Vec<RemoteFile>, SourceError>;
    /// What downloading `files` of `repo` (or the Ollama model `repo`) will fetch.
    async fn plan(&self, repo: &str, revision: &str, files: &[String])
    -> Result<Plan, SourceError>;
    /// The `Authorization` header for a request to `url`, if the hub wants one there.
    fn authorization(&self, url: &Url) -> Option<String>;
}

/// Largest JSON answer read from a hub (a repository listing of thousands of files fits).
const MAX_JSON: usize = 16 << 20;

/// An HTTP client for hub APIs (no redirects followed automatically).
pub fn api_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("llm-manager/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
}

/// A client for long streams (a pull through a daemon): no limit on the whole request, a limit
/// on silence.
pub fn stream_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("llm-manager/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(300))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Sends a request and reads a bounded JSON answer; 404 → `NotFound(what)`, 401/403 → `Gated`.
pub async fn json(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<serde_json::Value, SourceError> {
    let response = request
        .send()
        .await
        .map_err(|e| SourceError::Upstream(format!("cannot reach the hub: {}", short(&e))))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(SourceError::NotFound(format!(
            "{what} not found on the hub"
        )));
    }
    if matches!(status.as_u16(), 401 | 403) {
        return Err(SourceError::Gated(format!(
            "{what} is gated or private: the hub refused access ({status}); set a token with access"
        )));
    }
    if !status.is_success() {
        return Err(SourceError::Upstream(format!(
            "the hub answered {status} for {what}"
        )));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_JSON as u64)
    {
        return Err(SourceError::Upstream(format!(
            "the hub's answer for {what} is too large"
        )));
    }
    let mut body = Vec::new();
    let mut response = response;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| SourceError::Upstream(format!("the hub's answer broke off: {}", short(&e))))?
    {
        if body.len() + chunk.len() > MAX_JSON {
            return Err(SourceError::Upstream(format!(
                "the hub's answer for {what} is too large"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| SourceError::Upstream(format!("the hub's answer for {what} is not JSON: {e}")))
}

/// A reqwest error without the URL (which may carry a signed query).
pub fn short(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the body broke off".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e).and_then(std::error::Error::source);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// `base` joined with path segments, each percent-encoded.
pub fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        for segment in segments {
            path.extend(segment.split('/'));
        }
    }
    url
}

/// Whether `url` is on the same host and port as `base` (tokens go nowhere else).
pub fn same_origin(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}
