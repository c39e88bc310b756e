//! Request and response types of the model API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::source::RemoteFile;
use super::store::ModelRow;

/// `GET /api/models/search`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// `huggingface`, `modelscope` or `ollama`.
    #[param(pattern = "^(huggingface|modelscope|ollama)$")]
    pub source: String,
    /// What to look for (for Ollama: the model name, e.g. `qwen2.5:0.5b`).
    #[serde(default)]
    pub q: String,
    /// Only repositories with GGUF files (default true).
    pub gguf: Option<bool>,
    /// At most this many results (1-100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// `GET /api/models/files`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FilesQuery {
    /// `huggingface`, `modelscope` or `ollama`.
    #[param(pattern = "^(huggingface|modelscope|ollama)$")]
    pub source: String,
    /// `owner/name` (or the Ollama model).
    #[param(min_length = 1, max_length = 200)]
    pub repo: String,
    /// Branch, tag or commit (default `main`; ModelScope `master`).
    pub revision: Option<String>,
}

/// GGUF files of one quantisation (all parts of a split GGUF together).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuantGroup {
    /// `Q4_K_M`, …, or `null` when the names do not say.
    pub quantization: Option<String>,
    /// Bytes of every file in the group.
    pub size_bytes: u64,
    /// The files (download the first: its siblings come along).
    pub files: Vec<String>,
}

/// A repository's files.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FilesResponse {
    /// Repository.
    pub repo: String,
    /// Revision.
    pub revision: String,
    /// Every file.
    pub files: Vec<RemoteFile>,
    /// The GGUF files by quantisation.
    pub groups: Vec<QuantGroup>,
}

/// `POST /api/models/import`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Absolute path of a GGUF file under `MODELS_DIR` or a `MODELS_IMPORT_DIRS` directory.
    #[schema(pattern = "^/.*\\.gguf$")]
    pub path: String,
}

/// A model in the local registry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocalModel {
    /// Id.
    pub id: Uuid,
    /// Shown in lists.
    pub name: String,
    /// Relative to `MODELS_DIR`, or absolute when imported in place.
    pub path: String,
    /// `gguf` or `safetensors`.
    pub format: String,
    /// Bytes of every part.
    pub size_bytes: u64,
    /// Files it is made of.
    pub parts: u32,
    /// Where it came from.
    pub source: String,
    /// Repository or Ollama model.
    pub repo: Option<String>,
    /// Architecture (`llama`, `qwen2`, …).
    pub architecture: Option<String>,
    /// Weights.
    pub parameters: Option<u64>,
    /// Quantisation.
    pub quantization: Option<String>,
    /// Trained context length.
    pub context_length: Option<u64>,
    /// Whether a chat template is built in.
    pub chat_template: bool,
    /// Whether the header was read.
    pub valid: bool,
    /// Why not.
    pub error: Option<String>,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

impl From<ModelRow> for LocalModel {
    fn from(m: ModelRow) -> Self {
        Self {
            id: m.id,
            name: m.name,
            path: m.path,
            format: m.format,
            size_bytes: m.size_bytes.max(0) as u64,
            parts: m.parts.max(0) as u32,
            source: m.source,
            repo: m.repo,
            architecture: m.architecture,
            parameters: m.parameters.map(|p| p.max(0) as u64),
            quantization: m.quantization,
            context_length: m.context_length.map(|c| c.max(0) as u64),
            chat_template: m.chat_template,
            valid: m.error.is_none(),
            error: m.error,
            created_at: m.created_at,
        }
    }
}

/// The Ollama daemon at `OLLAMA_HOST` and what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct DaemonModels {
    /// Where the daemon is.
    pub host: String,
    /// Its models.
    pub items: Vec<super::ollama_daemon::DaemonModel>,
}
