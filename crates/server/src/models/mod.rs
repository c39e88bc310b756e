//! Models: the hubs (Hugging Face, ModelScope, the Ollama registry) behind one [`Source`]
//! trait, the names they give checked before use, and the local registry of model files with
//! what their headers say (docs/MODELS.md). Downloads are in `crate::downloads`.

pub mod gguf;
mod gguf_names;
pub mod huggingface;
pub mod modelscope;
pub mod names;
pub mod ollama;
pub mod ollama_daemon;
pub mod registry;
mod routes;
pub mod service;
pub mod source;
pub mod store;
pub mod types;

use std::path::PathBuf;

use secrecy::SecretString;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use source::Source;

use crate::error::ApiError;
use crate::state::AppState;

/// Model downloads, hubs and the local registry.
#[derive(Debug, Clone)]
pub struct ModelsConfig {
    /// Where models are kept (`MODELS_DIR`, default `DATA_DIR/models`).
    pub dir: PathBuf,
    /// Directories admins may import from in place.
    pub import_dirs: Vec<PathBuf>,
    /// Hugging Face Hub or mirror.
    pub hf_endpoint: url::Url,
    /// Token for gated repositories.
    pub hf_token: Option<SecretString>,
    /// ModelScope hub.
    pub modelscope_endpoint: url::Url,
    /// Ollama registry.
    pub ollama_registry: url::Url,
    /// An Ollama daemon to list and pull through (`OLLAMA_HOST`).
    pub ollama_host: Option<url::Url>,
    /// Downloads at once.
    pub concurrency: usize,
    /// Parallel segments per file.
    pub segments: usize,
    /// Free space a download must leave.
    pub free_margin: u64,
}

/// The hubs, by name.
pub struct Hubs {
    huggingface: huggingface::HuggingFace,
    modelscope: modelscope::ModelScope,
    ollama: ollama::OllamaRegistry,
    daemon: Option<ollama_daemon::OllamaDaemon>,
}

impl std::fmt::Debug for Hubs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hubs").finish_non_exhaustive()
    }
}

impl Hubs {
    /// The hubs of this configuration.
    pub fn new(config: &ModelsConfig) -> anyhow::Result<Self> {
        let client = source::api_client()?;
        Ok(Self {
            huggingface: huggingface::HuggingFace::new(
                config.hf_endpoint.clone(),
                config.hf_token.clone(),
                client.clone(),
            ),
            modelscope: modelscope::ModelScope::new(
                config.modelscope_endpoint.clone(),
                client.clone(),
            ),
            ollama: ollama::OllamaRegistry::new(config.ollama_registry.clone(), client),
            daemon: match &config.ollama_host {
                Some(host) => Some(ollama_daemon::OllamaDaemon::new(
                    host.clone(),
                    source::stream_client()?,
                )),
                None => None,
            },
        })
    }

    /// The Ollama daemon at `OLLAMA_HOST`, if one is configured.
    pub fn daemon(&self) -> Result<&ollama_daemon::OllamaDaemon, ApiError> {
        self.daemon.as_ref().ok_or_else(|| {
            ApiError::Conflict(
                "no Ollama daemon is configured: set OLLAMA_HOST (e.g. 127.0.0.1:11434)".into(),
            )
        })
    }

    /// The hub called `name`.
    pub fn get(&self, name: &str) -> Result<&dyn Source, ApiError> {
        match name {
            "huggingface" => Ok(&self.huggingface),
            "modelscope" => Ok(&self.modelscope),
            "ollama" => Ok(&self.ollama),
            _ => Err(ApiError::field(
                "source",
                "must be huggingface, modelscope or ollama",
            )),
        }
    }
}

/// Routes under `/api/models`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_models))
        .routes(routes!(routes::get_search))
        .routes(routes!(routes::get_files))
        .routes(routes!(routes::get_daemon_models))
        .routes(routes!(routes::post_import))
        .routes(routes!(routes::post_rescan))
        .routes(routes!(routes::delete_model))
}
