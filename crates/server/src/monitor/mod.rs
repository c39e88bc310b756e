//! Resource monitoring (docs/MONITORING.md): a sampler reads the host (CPU, memory, disks,
//! network), NVIDIA GPUs (NVML, when present) and each deployment's process tree every
//! `MONITOR_INTERVAL` seconds, keeps the last hour in memory, sets Prometheus gauges, raises
//! alerts when memory or a disk passes its threshold (an audit event and a UI banner), and
//! sends each sample to whoever follows `/api/monitor/events`.

pub mod alerts;
pub mod gpu;
pub mod host;
pub mod metrics;
mod routes;
pub mod types;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::broadcast;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::alerts::{Change, Thresholds};
use self::gpu::GpuSource;
use self::host::HostProbe;
use self::types::{Alert, GpuSample, Sample};
use crate::audit::{self, AuditEvent};
use crate::state::AppState;

/// Settings of the monitor.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Between samples (`MONITOR_INTERVAL`).
    pub interval: Duration,
    /// Memory use that raises an alert, percent (`MONITOR_MEMORY_ALERT`).
    pub memory_alert: f64,
    /// Disk use that raises an alert, percent (`MONITOR_DISK_ALERT`).
    pub disk_alert: f64,
}

/// What followers of the feed receive.
#[derive(Debug, Clone)]
pub enum MonitorEvent {
    /// A new sample.
    Sample(Arc<Sample>),
    /// The alerts in force changed.
    Alerts(Vec<Alert>),
}

#[derive(Default)]
struct Kept {
    history: VecDeque<Arc<Sample>>,
    alerts: Vec<Alert>,
}

/// The monitor of this instance.
pub struct MonitorState {
    kept: Mutex<Kept>,
    probe: Arc<Mutex<HostProbe>>,
    gpus: Arc<dyn GpuSource>,
    events: broadcast::Sender<MonitorEvent>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MonitorState {
    /// A monitor of the host holding `data_dir` and `models_dir`, reading GPUs from `gpus`.
    pub fn new(
        data_dir: &std::path::Path,
        models_dir: &std::path::Path,
        gpus: Arc<dyn GpuSource>,
    ) -> Self {
        Self {
            kept: Mutex::new(Kept::default()),
            probe: Arc::new(Mutex::new(HostProbe::new(data_dir, models_dir))),
            gpus,
            events: broadcast::channel(16).0,
        }
    }

    /// The GPUs now, or why there are none.
    pub fn gpus(&self) -> Result<Vec<GpuSample>, String> {
        self.gpus.read()
    }

    /// The newest sample.
    pub fn latest(&self) -> Option<Arc<Sample>> {
        lock(&self.kept).history.back().cloned()
    }

    /// The samples kept, oldest first.
    pub fn history(&self) -> Vec<Arc<Sample>> {
        lock(&self.kept).history.iter().cloned().collect()
    }

    /// The alerts in force.
    pub fn alerts(&self) -> Vec<Alert> {
        lock(&self.kept).alerts.clone()
    }

    /// Follows new samples and alert changes.
    pub fn follow(&self) -> broadcast::Receiver<MonitorEvent> {
        self.events.subscribe()
    }
}

/// Takes one sample now: reads, keeps (one hour), sets the gauges, raises or clears alerts.
pub async fn sample_now(state: &AppState) -> anyhow::Result<Arc<Sample>> {
    let m = &state.monitor;
    let watched = state.deployments.processes();
    let probe = m.probe.clone();
    let gpus = m.gpus.clone();
    let (host, processes, gpus) = tokio::task::spawn_blocking(move || {
        let (host, processes) = lock(&probe).sample(&watched);
        (host, processes, gpus.read().unwrap_or_default())
    })
    .await?;
    let sample = Arc::new(Sample {
        at: host.at,
        host,
        gpus,
        deployments: processes,
    });
    let config = &state.config.monitor;
    let thresholds = Thresholds {
        memory: config.memory_alert,
        disk: config.disk_alert,
    };
    let keep = (3600 / config.interval.as_secs().max(1)) as usize;
    let (alerts, changes) = {
        let mut kept = lock(&m.kept);
        kept.history.push_back(sample.clone());
        while kept.history.len() > keep {
            kept.history.pop_front();
        }
        let (alerts, changes) = alerts::evaluate(&kept.alerts, &sample.host, thresholds, sample.at);
        kept.alerts.clone_from(&alerts);
        (alerts, changes)
    };
    state.metrics.monitor.set(&sample, &alerts);
    let _ = m.events.send(MonitorEvent::Sample(sample.clone()));
    if !changes.is_empty() {
        let _ = m.events.send(MonitorEvent::Alerts(alerts));
        record_changes(state, changes).await;
    }
    Ok(sample)
}

async fn record_changes(state: &AppState, changes: Vec<Change>) {
    for change in changes {
        let (action, a) = match change {
            Change::Raised(a) => ("monitor.alert_raised", a),
            Change::Cleared(a) => ("monitor.alert_cleared", a),
        };
        tracing::warn!(kind = %a.kind, subject = %a.subject, percent = a.percent, threshold = a.threshold, "{action}");
        let event = AuditEvent::new(action, None, None).details(serde_json::json!({
            "kind": a.kind, "subject": a.subject, "percent": a.percent, "threshold": a.threshold,
        }));
        if let Err(e) = audit::record(&state.db.conn, event).await {
            tracing::error!(error = %e, "cannot record a monitor alert");
        }
    }
}

/// Samples at once and then every interval until shutdown.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    sample_now(state).await?;
    let state2 = state.clone();
    state.tasks.spawn(async move {
        let mut tick = tokio::time::interval(state2.config.monitor.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                () = state2.shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = sample_now(&state2).await {
                tracing::warn!(error = %e, "monitor: a sample failed");
            }
        }
    });
    Ok(())
}

/// Routes under `/api/monitor`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(routes::get_host))
        .routes(routes!(routes::get_gpus))
        .routes(routes!(routes::get_history))
        .routes(routes!(routes::get_alerts))
        .routes(routes!(routes::get_events))
        .routes(routes!(routes::get_deployment))
}
