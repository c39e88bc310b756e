//! Deployments (docs/DEPLOYMENTS.md): a local model served by the built-in engine (a child
//! process of this binary) or by a command template, supervised (health, restarts with
//! back-off, a crash-loop limit, logs), and routed through a shared provider while it runs.

mod adopt;
mod backend;
pub mod estimate;
mod lifecycle;
mod logs;
mod ollama;
mod process;
mod register;
mod replicas;
mod routes;
pub mod service;
pub mod store;
mod supervisor;
pub mod types;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::state::AppState;

/// A deployment's states.
pub mod status {
    /// Not running (stopped by a user, or never started).
    pub const STOPPED: &str = "stopped";
    /// Its process is starting (or starting again after a crash).
    pub const STARTING: &str = "starting";
    /// It answers.
    pub const RUNNING: &str = "running";
    /// It stopped answering its health checks.
    pub const UNHEALTHY: &str = "unhealthy";
    /// It crashed too often, or cannot work; `last_error` says why.
    pub const FAILED: &str = "failed";
}

/// Settings of deployments.
#[derive(Debug, Clone)]
pub struct DeploymentsConfig {
    /// The program whose `engine` subcommand serves built-in deployments (this binary).
    pub engine_program: PathBuf,
    /// Where logs are written (`DATA_DIR/deployments`).
    pub log_dir: PathBuf,
    /// The first wait before a crashed process starts again (doubled each time, at most 32×).
    pub backoff: std::time::Duration,
    /// The llama.cpp backend's program and leading arguments (`LLAMA_CPP_SERVER`).
    pub llama_cpp_server: Vec<String>,
    /// vLLM's server and its leading arguments (`VLLM_SERVER`).
    pub vllm_server: Vec<String>,
    /// SGLang's server and its leading arguments (`SGLANG_SERVER`).
    pub sglang_server: Vec<String>,
}

impl DeploymentsConfig {
    /// This binary, logs under `data_dir`, the external servers' programs as given
    /// (`LLAMA_CPP_SERVER`, `VLLM_SERVER`, `SGLANG_SERVER`).
    pub fn new(data_dir: &Path, servers: [Vec<String>; 3]) -> Self {
        let [llama_cpp_server, vllm_server, sglang_server] = servers;
        Self {
            engine_program: std::env::current_exe()
                .unwrap_or_else(|_| PathBuf::from("llm-manager")),
            log_dir: data_dir.join("deployments"),
            backoff: std::time::Duration::from_secs(1),
            llama_cpp_server,
            vllm_server,
            sglang_server,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The supervisors of this instance.
pub struct Supervisors {
    runs: Mutex<HashMap<Uuid, CancellationToken>>,
    logs: Mutex<HashMap<Uuid, Arc<logs::Log>>>,
    events: broadcast::Sender<Uuid>,
    /// The processes running: deployment id → (name, pid).
    processes: Mutex<HashMap<Uuid, (String, u32)>>,
    /// Client for health checks.
    client: reqwest::Client,
}

impl std::fmt::Debug for Supervisors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisors").finish_non_exhaustive()
    }
}

impl Supervisors {
    /// Nothing supervised yet.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            runs: Mutex::new(HashMap::new()),
            logs: Mutex::new(HashMap::new()),
            events: broadcast::channel(64).0,
            processes: Mutex::new(HashMap::new()),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// Starts supervising `id` unless it is already.
    pub fn start(&self, state: &AppState, id: Uuid) {
        self.supervise(state, id, None);
    }

    /// Supervises `id` through its process `pid` on `port`, left serving by the previous start
    /// of the server.
    pub fn adopt(&self, state: &AppState, id: Uuid, pid: u32, port: u16) {
        self.supervise(state, id, Some((pid, port)));
    }

    fn supervise(&self, state: &AppState, id: Uuid, adopt: Option<(u32, u16)>) {
        let stop = state.shutdown.child_token();
        {
            let mut runs = lock(&self.runs);
            if runs.contains_key(&id) {
                return;
            }
            runs.insert(id, stop.clone());
        }
        let state2 = state.clone();
        state.tasks.spawn(async move {
            supervisor::supervise(state2.clone(), id, stop, adopt).await;
            lock(&state2.deployments.runs).remove(&id);
            state2.deployments.notify(id);
        });
    }

    /// Stops supervising `id` and waits (up to 20 s) until its process is gone.
    pub async fn stop(&self, id: Uuid) {
        let token = lock(&self.runs).get(&id).cloned();
        let Some(token) = token else { return };
        token.cancel();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while lock(&self.runs).contains_key(&id) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Whether `id` is supervised here.
    pub fn supervised(&self, id: Uuid) -> bool {
        lock(&self.runs).contains_key(&id)
    }

    /// The log of `id`.
    pub(crate) fn log(&self, state: &AppState, id: Uuid) -> Arc<logs::Log> {
        lock(&self.logs)
            .entry(id)
            .or_insert_with(|| {
                Arc::new(logs::Log::new(
                    state.config.deployments.log_dir.join(format!("{id}.log")),
                ))
            })
            .clone()
    }

    /// The processes running, for the monitor.
    pub fn processes(&self) -> Vec<crate::monitor::host::Watched> {
        lock(&self.processes)
            .iter()
            .map(|(id, (name, pid))| (*id, name.clone(), *pid))
            .collect()
    }

    fn set_process(&self, id: Uuid, name: &str, pid: Option<u32>) {
        let mut map = lock(&self.processes);
        match pid {
            Some(pid) => map.insert(id, (name.to_owned(), pid)),
            None => map.remove(&id),
        };
    }

    fn notify(&self, id: Uuid) {
        let _ = self.events.send(id);
    }
}

/// Routes under `/api/deployments`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_deployments, routes::post_deployment))
        .routes(routes!(routes::get_deployment, routes::delete_deployment))
        .routes(routes!(routes::post_start))
        .routes(routes!(routes::post_stop))
        .routes(routes!(routes::post_restart))
        .routes(routes!(routes::get_logs))
        .routes(routes!(routes::post_estimate))
}
