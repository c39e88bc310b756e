//! The download manager: tasks persisted with their files and progress, run in the background
//! with a limit on how many run at once, resumed from where they stopped after a pause, a crash
//! or a restart (docs/MODELS.md).

mod daemon;
mod durable;
pub mod engine;
pub mod fetch;
mod range;
mod routes;
pub mod segments;
pub mod service;
pub mod store;
pub mod types;
mod verify;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast};
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::state::AppState;
use types::Live;

/// What a user asked of a running task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Keep going (a stop then means the server is shutting down).
    Run,
    /// Pause: keep the partial files.
    Pause,
    /// Cancel: remove the partial files.
    Cancel,
}

/// A running task's stop switch and what it was stopped for.
#[derive(Debug, Clone)]
pub struct RunHandle {
    stop: CancellationToken,
    intent: Arc<Mutex<Intent>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RunHandle {
    fn new(stop: CancellationToken) -> Self {
        Self {
            stop,
            intent: Arc::new(Mutex::new(Intent::Run)),
        }
    }

    /// Stops the task for `intent`.
    pub fn stop(&self, intent: Intent) {
        *lock(&self.intent) = intent;
        self.stop.cancel();
    }

    /// What the task was stopped for.
    pub fn intent(&self) -> Intent {
        *lock(&self.intent)
    }
}

/// The download manager's in-process state.
pub struct DownloadState {
    /// Client for file hosts (redirects followed only to allowed addresses).
    pub client: reqwest::Client,
    slots: Arc<Semaphore>,
    runs: Mutex<HashMap<Uuid, RunHandle>>,
    live: Mutex<HashMap<Uuid, Live>>,
    events: broadcast::Sender<Uuid>,
    /// Held while a download is checked for duplicates and stored.
    pub create_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for DownloadState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadState").finish_non_exhaustive()
    }
}

/// The download client: long reads, redirects (at most 5) followed only to the same host or to
/// addresses the SSRF guard allows.
fn download_client(
    allow: Vec<crate::net::ssrf::AllowEntry>,
) -> Result<reqwest::Client, reqwest::Error> {
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("too many redirects");
        }
        let same_host = attempt
            .previous()
            .last()
            .is_some_and(|prev| prev.host_str() == attempt.url().host_str());
        if same_host {
            return attempt.follow();
        }
        match crate::net::ssrf::check_url(attempt.url().as_str(), &allow) {
            Ok(_) => attempt.follow(),
            Err(e) => attempt.error(e),
        }
    });
    reqwest::Client::builder()
        .user_agent(concat!("llm-manager/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(60))
        .redirect(policy)
        .build()
}

impl DownloadState {
    /// `concurrency` tasks at once; `allow`: the outbound allow-list for redirect targets.
    pub fn new(
        concurrency: usize,
        allow: Vec<crate::net::ssrf::AllowEntry>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: download_client(allow)?,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            runs: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
            events: broadcast::channel(256).0,
            create_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Waits for a free download slot.
    async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().acquire_owned().await.ok()
    }

    fn register(&self, id: Uuid, handle: RunHandle) -> bool {
        let mut runs = lock(&self.runs);
        if runs.contains_key(&id) {
            return false;
        }
        runs.insert(id, handle);
        true
    }

    fn unregister(&self, id: Uuid) {
        lock(&self.runs).remove(&id);
    }

    /// The handle of a running (or queued) task.
    pub fn running(&self, id: Uuid) -> Option<RunHandle> {
        lock(&self.runs).get(&id).cloned()
    }

    fn set_live(&self, id: Uuid, live: Live) {
        lock(&self.live).insert(id, live);
    }

    fn clear_live(&self, id: Uuid) {
        lock(&self.live).remove(&id);
    }

    /// Live figures of a running task.
    pub fn live(&self, id: Uuid) -> Option<Live> {
        lock(&self.live).get(&id).copied()
    }

    /// Tells listeners that task `id` changed.
    pub fn notify(&self, id: Uuid) {
        let _ = self.events.send(id);
    }

    /// Ids of tasks as they change.
    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.events.subscribe()
    }
}

/// Routes under `/api/downloads`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_downloads, routes::post_download))
        .routes(routes!(routes::get_download_events))
        .routes(routes!(routes::get_download))
        .routes(routes!(routes::post_pause))
        .routes(routes!(routes::post_resume))
        .routes(routes!(routes::post_cancel))
}
