//! What the monitor reports: samples of the host, its GPUs and the deployments' processes,
//! and the alerts in force.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One file system.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiskSample {
    /// Where it is mounted.
    pub mount: String,
    /// Its size.
    pub total_bytes: u64,
    /// What is free for this server's user.
    pub available_bytes: u64,
    /// What of ours it holds: `data` (DATA_DIR), `models` (MODELS_DIR).
    pub holds: Vec<String>,
}

/// The host at one moment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostSample {
    /// When.
    pub at: DateTime<Utc>,
    /// Busy share of all cores since the last sample, 0-100.
    pub cpu_percent: f32,
    /// Logical cores.
    pub cpu_count: usize,
    /// Load average over 1, 5 and 15 minutes.
    pub load_average: [f64; 3],
    /// Memory installed.
    pub memory_total_bytes: u64,
    /// Memory in use.
    pub memory_used_bytes: u64,
    /// Memory a new process can get (`MemAvailable`).
    pub memory_available_bytes: u64,
    /// Swap.
    pub swap_total_bytes: u64,
    /// Swap in use.
    pub swap_used_bytes: u64,
    /// File systems that hold something of ours, or every one the host lists.
    pub disks: Vec<DiskSample>,
    /// Bytes received per second over every interface but loopback.
    pub network_rx_bytes_per_second: f64,
    /// Bytes sent per second over every interface but loopback.
    pub network_tx_bytes_per_second: f64,
}

/// One NVIDIA GPU at one moment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GpuSample {
    /// Its index (what `{gpu}` and `CUDA_VISIBLE_DEVICES` name).
    pub index: u32,
    /// Model name.
    pub name: String,
    /// Stable id.
    pub uuid: String,
    /// Busy share since the driver's last sample, 0-100.
    pub utilization_percent: u32,
    /// Memory installed.
    pub memory_total_bytes: u64,
    /// Memory in use.
    pub memory_used_bytes: u64,
    /// Core temperature.
    pub temperature_celsius: Option<u32>,
    /// Power draw.
    pub power_watts: Option<f64>,
}

/// A deployment's process at one moment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcessSample {
    /// The deployment.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its process.
    pub pid: u32,
    /// CPU since the last sample, in percent of one core (a process on 4 cores can reach 400),
    /// its children included.
    pub cpu_percent: f32,
    /// Resident memory, its children included.
    pub rss_bytes: u64,
}

/// Everything measured at one moment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sample {
    /// When.
    pub at: DateTime<Utc>,
    /// The host.
    pub host: HostSample,
    /// Its GPUs (none without NVML).
    pub gpus: Vec<GpuSample>,
    /// The deployments' processes.
    pub deployments: Vec<ProcessSample>,
}

/// A threshold passed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Alert {
    /// `memory` or `disk`.
    pub kind: String,
    /// `memory`, or the disk's mount point.
    pub subject: String,
    /// How full it is, 0-100.
    pub percent: f64,
    /// The threshold, 0-100.
    pub threshold: f64,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// `GET /api/monitor/host`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HostSnapshot {
    /// The last sample.
    #[serde(flatten)]
    pub host: HostSample,
    /// Alerts in force.
    pub alerts: Vec<Alert>,
}

/// `GET /api/monitor/gpus`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GpusResponse {
    /// Whether NVML could be loaded.
    pub available: bool,
    /// Why not.
    pub reason: Option<String>,
    /// The GPUs.
    pub gpus: Vec<GpuSample>,
}

/// `GET /api/monitor/history`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    /// Seconds between samples.
    pub interval_seconds: u64,
    /// The last hour, oldest first.
    pub samples: Vec<Sample>,
}

/// `GET /api/monitor/alerts`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertsResponse {
    /// Alerts in force.
    pub alerts: Vec<Alert>,
}

/// A deployment's process at one moment, without its name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProcessPoint {
    /// When.
    pub at: DateTime<Utc>,
    /// CPU in percent of one core.
    pub cpu_percent: f32,
    /// Resident memory.
    pub rss_bytes: u64,
}

/// `GET /api/monitor/deployments/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeploymentMonitor {
    /// The deployment.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its state.
    pub status: String,
    /// Its process.
    pub pid: Option<i32>,
    /// The last sample of its process (none while it does not run).
    pub latest: Option<ProcessPoint>,
    /// The last hour, oldest first.
    pub history: Vec<ProcessPoint>,
}
