//! Logging setup: `tracing` to stdout in pretty or JSON form, optionally also to daily-rotated
//! JSON files. Request spans carry the request id, so every line of a request names it.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::config::{LogConfig, LogFormat};

/// Keeps the file writer flushing; drop it last.
pub struct LogGuard(#[expect(dead_code, reason = "held for its Drop")] Option<WorkerGuard>);

/// Installs the global subscriber. Call once, from `main`.
pub fn init(config: &LogConfig) -> anyhow::Result<LogGuard> {
    let filter = EnvFilter::try_new(&config.level)?;
    let stdout = match config.format {
        LogFormat::Pretty => fmt::layer().with_target(false).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    let (file_layer, guard) = match &config.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("LOG_DIR={}: cannot create: {e}", dir.display()))?;
            let appender = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("llm-manager")
                .filename_suffix("log")
                .max_log_files(14)
                .build(dir)
                .map_err(|e| anyhow::anyhow!("LOG_DIR={}: {e}", dir.display()))?;
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer)
                .boxed();
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stdout)
        .with(file_layer)
        .try_init()?;
    Ok(LogGuard(guard))
}
