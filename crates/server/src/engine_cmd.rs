//! `llm-manager engine`: serves one GGUF model with the built-in engine (`crates/engine`) on a
//! loopback port. Deployments run it as a child process of the same binary, so a model that
//! crashes or runs out of memory never takes the server down. The bearer key comes from the
//! environment (`LLM_ENGINE_API_KEY`), never from the command line where `ps` would show it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// The variable the engine's bearer key is read from.
pub const API_KEY_ENV: &str = "LLM_ENGINE_API_KEY";

/// Options of `llm-manager engine`.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// The GGUF model file.
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Port to listen on.
    #[arg(long)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// The model id clients ask for (default: the file's own name for it).
    #[arg(long)]
    model_id: Option<String>,
    /// Requests decoded at once; more wait their turn.
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Context length (at most the model's).
    #[arg(long)]
    ctx: Option<usize>,
}

/// Loads the model and serves it until SIGTERM or Ctrl-C.
pub fn run(args: EngineArgs) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let options = llm_engine::Options {
        model: args.model.clone(),
        model_id: args.model_id.clone(),
        parallel: args.parallel.max(1),
        context_length: args.ctx,
        api_key: std::env::var(API_KEY_ENV).ok().filter(|k| !k.is_empty()),
    };
    let engine = match llm_engine::Engine::load(&options) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(3);
        }
    };
    let info = engine.info();
    tracing::info!(
        model = %args.model.display(), architecture = %info.architecture,
        context = info.context_length, "engine: model loaded"
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = SocketAddr::new(args.host, args.port);
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        llm_engine::serve(engine, listener, crate::app::wait_for_signal()).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot serve on {addr}: {error}");
            ExitCode::FAILURE
        }
    }
}
