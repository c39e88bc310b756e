//! `fake-llm` binary: serves the fake upstream on an address until SIGINT or SIGTERM, for
//! benchmarks and manual use.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use fake_llm::{FakeConfig, FakeLlm};

/// Fake LLM upstream speaking the OpenAI, Azure, Anthropic, Gemini and Ollama wire formats.
#[derive(Parser, Debug)]
#[command(name = "fake-llm", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9100")]
    addr: SocketAddr,
    /// Delay before each response head, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Stream pacing in words per second (default: as fast as possible).
    #[arg(long)]
    tokens_per_second: Option<f64>,
    /// Fixed reply text (default: "Hello! You said: <last user text>").
    #[arg(long)]
    reply: Option<String>,
    /// Words per stream chunk.
    #[arg(long, default_value_t = 1)]
    chunk_words: usize,
    /// Comma-separated model names served (default: fake-model,fake-embed).
    #[arg(long, value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// Require this API key in each format's own header.
    #[arg(long)]
    required_key: Option<String>,
    /// Never report usage figures.
    #[arg(long)]
    no_usage: bool,
    /// Keep a record of every request (memory grows with the run).
    #[arg(long)]
    record: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let defaults = FakeConfig::default();
    let config = FakeConfig {
        latency: Duration::from_millis(args.latency_ms),
        tokens_per_second: args.tokens_per_second,
        reply: args.reply,
        chunk_words: args.chunk_words,
        report_usage: !args.no_usage,
        required_key: args.required_key,
        models: args.models.unwrap_or(defaults.models.clone()),
        ..defaults
    };
    // Handlers first: whoever reads "listening" may signal at once.
    let stopped = shutdown_signal()?;
    let fake = FakeLlm::start_with(config, args.addr).await?;
    fake.set_recording(args.record);
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", fake.url())?;
    stdout.flush()?;
    stopped.await?;
    fake.stop().await;
    Ok(())
}

/// Installs the handlers now; the future resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
fn shutdown_signal() -> std::io::Result<impl Future<Output = std::io::Result<()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            Ok(())
        })
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::signal::ctrl_c())
    }
}
