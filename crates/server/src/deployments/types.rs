//! Request and response bodies of `/api/deployments`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::store::DeploymentRow;

/// `POST /api/deployments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDeploymentRequest {
    /// Unique; also the model id clients ask for (`a-z`, `0-9`, `.`, `_`, `-`).
    #[schema(pattern = "^[a-z0-9._-]{1,64}$")]
    pub name: String,
    /// A model of the local registry.
    pub model_id: Uuid,
    /// `builtin` (the engine in this binary), `llama_cpp`, `vllm`, `sglang` (their servers,
    /// by template) or `custom` (a command template).
    #[schema(pattern = "^(builtin|llama_cpp|vllm|sglang|custom|ollama)$")]
    pub backend: String,
    /// For `custom`: the command line, program first, with `{model_path}`, `{port}`, `{ctx}`,
    /// `{name}`, `{parallel}`, `{threads}` placeholders.
    #[serde(default)]
    #[schema(max_items = 64)]
    pub command: Vec<String>,
    /// A fixed port (default: a free one at each start).
    #[schema(minimum = 1024, maximum = 65535)]
    pub port: Option<u16>,
    /// Context length (default: the model's).
    #[schema(minimum = 16, maximum = 1048576)]
    pub context_length: Option<u32>,
    /// Requests decoded at once (built-in engine; default 4).
    #[schema(minimum = 1, maximum = 32)]
    pub parallel: Option<u32>,
    /// CPU threads (default: all cores).
    #[schema(minimum = 1, maximum = 512)]
    pub threads: Option<u32>,
    /// The GPU to use (its index); default: the one with the most free memory that fits, or
    /// none (CPU) without NVIDIA GPUs. `{gpu}` in a template and `CUDA_VISIBLE_DEVICES` get it.
    pub gpu: Option<u32>,
    /// Extra arguments (placeholders allowed).
    #[serde(default)]
    #[schema(max_items = 64)]
    pub args: Vec<String>,
    /// Start at once (default `true`).
    pub start: Option<bool>,
    /// Processes serving it (1-8, default 1): the gateway spreads requests over them and fails
    /// over between them. Each needs the memory of one.
    #[schema(minimum = 1, maximum = 8)]
    pub replicas: Option<u32>,
}

/// One replica of a deployment beyond the first (`name#2`, …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplicaView {
    /// Its id (start, stop, logs and the monitor take it too).
    pub id: Uuid,
    /// `name#N`.
    pub name: String,
    /// stopped, starting, running, unhealthy, failed.
    pub status: String,
    /// Port of its process.
    pub port: Option<i32>,
    /// Its process id.
    pub pid: Option<i32>,
    /// Restarts after crashes.
    pub restarts: i32,
    /// Why it last stopped or failed.
    pub last_error: Option<String>,
}

impl From<DeploymentRow> for ReplicaView {
    fn from(r: DeploymentRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            status: r.status,
            port: r.port,
            pid: r.pid,
            restarts: r.restarts,
            last_error: r.last_error,
        }
    }
}

/// A deployment as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeploymentView {
    /// Id.
    pub id: Uuid,
    /// Name (the model id in `/v1`).
    pub name: String,
    /// The model served.
    pub model_id: Uuid,
    /// `builtin`, `llama_cpp`, `vllm`, `sglang` or `custom`.
    pub backend: String,
    /// The command template (custom).
    pub command: Vec<String>,
    /// stopped, starting, running, unhealthy, failed.
    pub status: String,
    /// Whether it should run.
    pub should_run: bool,
    /// Port of the running process.
    pub port: Option<i32>,
    /// Its process id.
    pub pid: Option<i32>,
    /// Restarts after crashes.
    pub restarts: i32,
    /// Why it last stopped or failed.
    pub last_error: Option<String>,
    /// Context length asked for.
    pub context_length: Option<i32>,
    /// Requests decoded at once.
    pub parallel: i32,
    /// CPU threads.
    pub threads: Option<i32>,
    /// The GPU given; none: CPU only.
    pub gpu: Option<i32>,
    /// Extra arguments.
    pub args: Vec<String>,
    /// The shared provider it is routed through.
    pub provider_id: Option<Uuid>,
    /// The deployment this is a replica of (only when asked for by a replica's id).
    pub replica_of: Option<Uuid>,
    /// Its replicas beyond this first process.
    pub replicas: Vec<ReplicaView>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<DeploymentRow> for DeploymentView {
    fn from(r: DeploymentRow) -> Self {
        Self {
            command: serde_json::from_str(&r.command).unwrap_or_default(),
            args: serde_json::from_str(&r.args).unwrap_or_default(),
            id: r.id,
            name: r.name,
            model_id: r.model_id,
            backend: r.backend,
            status: r.status,
            should_run: r.should_run,
            port: r.port,
            pid: r.pid,
            restarts: r.restarts,
            last_error: r.last_error,
            context_length: r.context_length,
            parallel: r.parallel,
            threads: r.threads,
            gpu: r.gpu,
            provider_id: r.provider_id,
            replica_of: r.replica_of,
            replicas: Vec::new(),
            created_at: r.created_at,
        }
    }
}

/// Query of `GET /api/deployments/{id}/logs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    /// Lines from the end (default 200, at most 2000).
    pub tail: Option<usize>,
    /// Keep the stream open and send new lines (server-sent events).
    pub follow: Option<bool>,
}

/// `GET /api/deployments/{id}/logs` without `follow`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogsResponse {
    /// The last lines, oldest first.
    pub lines: Vec<String>,
}
