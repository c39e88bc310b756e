//! The built-in inference engine (docs/ENGINE.md): a GGUF model on CPU with candle, its own
//! tokenizer and chat template, sampling, interleaved decoding so that concurrent requests all
//! make progress, and a small OpenAI-compatible server. The manager runs it as a child process
//! (`llm-manager engine …`), so a crash or an out-of-memory never takes the server down; no
//! candle type leaves this crate.

pub mod api;
pub mod load;
mod prompt;
pub mod scheduler;
mod server;
pub mod template;
pub mod text;
pub mod tiny;
pub mod weights;

use std::path::PathBuf;
use std::sync::Arc;

use tokenizers::Tokenizer;

pub use load::{LoadError, ModelInfo};

/// How to serve a model.
#[derive(Debug, Clone)]
pub struct Options {
    /// The GGUF file.
    pub model: PathBuf,
    /// The id clients ask for (default: the file's `general.name`).
    pub model_id: Option<String>,
    /// Sequences decoded at once; more wait their turn.
    pub parallel: usize,
    /// A smaller context than the model's.
    pub context_length: Option<usize>,
    /// The bearer key requests must carry, if any.
    pub api_key: Option<String>,
}

/// A loaded model, ready to serve.
pub struct Engine {
    info: ModelInfo,
    model_id: String,
    tokenizer: Arc<Tokenizer>,
    template: template::ChatTemplate,
    scheduler: scheduler::Scheduler,
    api_key: Option<String>,
}

impl Engine {
    /// Reads, checks and loads the model (blocking: run it off the async runtime).
    pub fn load(options: &Options) -> Result<Self, LoadError> {
        let content = load::read_content(&options.model)?;
        let mut info = load::inspect(&options.model, &content)?;
        if let Some(limit) = options.context_length {
            info.context_length = info.context_length.min(limit.max(1));
        }
        let tokenizer = text::tokenizer(&content)?;
        let template = template::ChatTemplate::new(
            info.chat_template.as_deref(),
            &info.bos_token,
            &info.eos_token,
        )
        .map_err(LoadError::Unsupported)?;
        let first = weights::Weights::load(&info.architecture, &options.model)?;
        let pool = weights::Pool::new(&info.architecture, &options.model, first);
        let scheduler = scheduler::Scheduler::start(
            pool,
            tokenizer.clone(),
            info.eos_ids.clone(),
            options.parallel,
        );
        Ok(Self {
            model_id: options
                .model_id
                .clone()
                .unwrap_or_else(|| info.name.clone()),
            tokenizer: Arc::new(tokenizer),
            template,
            scheduler,
            api_key: options.api_key.clone(),
            info,
        })
    }

    /// What the model is.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The engine's routes.
    pub fn router(self) -> axum::Router {
        server::router(Arc::new(self))
    }
}

/// Serves `engine` on `listener` until `shutdown` resolves.
pub async fn serve(
    engine: Engine,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, model = %engine.model_id, "engine: serving");
    axum::serve(listener, engine.router())
        .with_graceful_shutdown(shutdown)
        .await
}
