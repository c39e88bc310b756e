//! HTTP handlers of `/api/monitor` (admins and users with the `deployments` permission).

use std::convert::Infallible;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use super::MonitorEvent;
use super::types::{
    AlertsResponse, DeploymentMonitor, GpusResponse, HistoryResponse, HostSnapshot, ProcessPoint,
    Sample,
};
use crate::auth::extract::DeploymentsManager;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

async fn latest(state: &AppState) -> ApiResult<std::sync::Arc<Sample>> {
    match state.monitor.latest() {
        Some(s) => Ok(s),
        None => Ok(super::sample_now(state).await?),
    }
}

/// The host now: CPU, memory, disks, network, and the alerts in force.
#[utoipa::path(get, path = "/host", tag = "monitor",
    responses((status = 200, description = "The last sample of the host", body = HostSnapshot),
        (status = 403, description = "Not an admin nor a user with the `deployments` permission", body = ErrorBody)))]
pub async fn get_host(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
) -> ApiResult<AppJson<HostSnapshot>> {
    let sample = latest(&state).await?;
    Ok(AppJson(HostSnapshot {
        host: sample.host.clone(),
        alerts: state.monitor.alerts(),
    }))
}

/// NVIDIA GPUs now (none, with the reason, without NVML).
#[utoipa::path(get, path = "/gpus", tag = "monitor",
    responses((status = 200, description = "GPUs", body = GpusResponse)))]
pub async fn get_gpus(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
) -> ApiResult<AppJson<GpusResponse>> {
    let read = tokio::task::spawn_blocking(move || state.monitor.gpus())
        .await
        .map_err(anyhow::Error::from)?;
    Ok(AppJson(match read {
        Ok(gpus) => GpusResponse {
            available: true,
            reason: None,
            gpus,
        },
        Err(reason) => GpusResponse {
            available: false,
            reason: Some(reason),
            gpus: Vec::new(),
        },
    }))
}

/// The samples of the last hour, oldest first.
#[utoipa::path(get, path = "/history", tag = "monitor",
    responses((status = 200, description = "History", body = HistoryResponse)))]
pub async fn get_history(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
) -> ApiResult<AppJson<HistoryResponse>> {
    Ok(AppJson(HistoryResponse {
        interval_seconds: state.config.monitor.interval.as_secs(),
        samples: state
            .monitor
            .history()
            .iter()
            .map(|s| Sample::clone(s))
            .collect(),
    }))
}

/// The alerts in force (memory or a disk of ours past its threshold).
#[utoipa::path(get, path = "/alerts", tag = "monitor",
    responses((status = 200, description = "Alerts", body = AlertsResponse)))]
pub async fn get_alerts(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
) -> ApiResult<AppJson<AlertsResponse>> {
    Ok(AppJson(AlertsResponse {
        alerts: state.monitor.alerts(),
    }))
}

fn frame(event: &MonitorEvent) -> Option<Bytes> {
    let (name, data) = match event {
        MonitorEvent::Sample(s) => ("sample", serde_json::to_string(&**s).ok()?),
        MonitorEvent::Alerts(a) => (
            "alerts",
            serde_json::to_string(&AlertsResponse { alerts: a.clone() }).ok()?,
        ),
    };
    Some(Bytes::from(format!("event: {name}\ndata: {data}\n\n")))
}

/// A live feed (server-sent events): `event: sample` at each sample, `event: alerts` when the
/// alerts in force change.
#[utoipa::path(get, path = "/events", tag = "monitor",
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream")))]
pub async fn get_events(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
) -> ApiResult<Response> {
    let live = BroadcastStream::new(state.monitor.follow())
        .filter_map(|e| async move { e.ok().and_then(|e| frame(&e)).map(Ok::<Bytes, Infallible>) });
    Ok(crate::extract::event_stream(live))
}

/// A deployment's process: its last sample and the last hour.
#[utoipa::path(get, path = "/deployments/{id}", tag = "monitor", params(("id" = Uuid, Path, description = "Id")),
    responses((status = 200, description = "The deployment's process", body = DeploymentMonitor),
        (status = 404, description = "No such deployment", body = ErrorBody)))]
pub async fn get_deployment(
    State(state): State<AppState>,
    DeploymentsManager(_who): DeploymentsManager,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<AppJson<DeploymentMonitor>> {
    let row = crate::deployments::service::get(&state, id).await?;
    let history: Vec<ProcessPoint> = state
        .monitor
        .history()
        .iter()
        .filter_map(|s| {
            s.deployments
                .iter()
                .find(|p| p.id == id)
                .map(|p| ProcessPoint {
                    at: s.at,
                    cpu_percent: p.cpu_percent,
                    rss_bytes: p.rss_bytes,
                })
        })
        .collect();
    let running = row.pid.is_some();
    let latest = history.last().filter(|_| running).cloned();
    Ok(AppJson(DeploymentMonitor {
        id,
        name: row.name,
        status: row.status,
        pid: row.pid,
        latest,
        history,
    }))
}
