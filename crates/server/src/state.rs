//! Shared application state handed to every handler.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::config::secrets::Secrets;
use crate::db::Database;
use crate::http::metrics::Metrics;

/// Cheap-to-clone handle to the application's shared parts.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

/// The shared parts themselves.
pub struct AppInner {
    /// Effective configuration.
    pub config: Config,
    /// Token-signing and encryption keys.
    pub secrets: Secrets,
    /// Database connection pool.
    pub db: Database,
    /// Encryption of secrets at rest.
    pub vault: crate::crypto::Vault,
    /// Outgoing mail.
    pub mailer: crate::mail::Mailer,
    /// Token keys and login throttling.
    pub auth: crate::auth::AuthState,
    /// Redis connection, when `REDIS_URL` is configured.
    pub redis: Option<redis::aio::ConnectionManager>,
    /// Prometheus registry and HTTP metrics.
    pub metrics: Metrics,
    /// Tracks background tasks so shutdown can wait for them.
    pub tasks: TaskTracker,
    /// Cancelled when the server begins shutting down.
    pub shutdown: CancellationToken,
    /// When this process started serving.
    pub started_at: DateTime<Utc>,
    /// The LLM call pipeline: provider snapshot, breakers, hooks, usage events.
    pub llm: crate::llm::LlmState,
    /// Pooled outbound HTTP clients and the SSRF allow-list.
    pub outbound: crate::net::OutboundClients,
    /// Chat replies in progress.
    pub chat: crate::chat::ChatState,
    /// Limits in effect and this instance's budget and rate counters.
    pub limits: crate::limits::LimitState,
    /// API-key lookups of `/v1`, kept for a second.
    pub key_cache: crate::keys::cache::KeyCache,
    /// The model hubs.
    pub hubs: crate::models::Hubs,
    /// Downloads running or queued.
    pub downloads: crate::downloads::DownloadState,
    /// Deployments being supervised.
    pub deployments: crate::deployments::Supervisors,
    /// Host, GPU and process samples, alerts.
    pub monitor: crate::monitor::MonitorState,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}
