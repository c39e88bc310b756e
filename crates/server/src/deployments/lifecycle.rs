//! A deployment's life after it is created: start, stop, restart and delete act on it and its
//! replicas together (on a replica's own id, on that replica alone); a restart of the server
//! re-adopts what still serves and starts again what should run.

use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::store::{self, DeploymentRow};
use super::types::{DeploymentView, ReplicaView};
use super::{register, status};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::ApiError;
use crate::state::AppState;

/// One deployment (or replica) row.
pub async fn get(state: &AppState, id: Uuid) -> Result<DeploymentRow, ApiError> {
    store::get(&state.db.conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no deployment {id}")))
}

/// The rows an action on `row` covers: a deployment and its replicas, or a replica alone.
async fn members(state: &AppState, row: DeploymentRow) -> Result<Vec<DeploymentRow>, ApiError> {
    let mut all = Vec::new();
    if row.replica_of.is_none() {
        all = store::replicas_of(&state.db.conn, row.id).await?;
    }
    all.insert(0, row);
    Ok(all)
}

/// The API's view of `row` with its replicas.
pub async fn view(state: &AppState, row: DeploymentRow) -> Result<DeploymentView, ApiError> {
    let replicas = if row.replica_of.is_none() {
        store::replicas_of(&state.db.conn, row.id).await?
    } else {
        Vec::new()
    };
    let mut v = DeploymentView::from(row);
    v.replicas = replicas.into_iter().map(ReplicaView::from).collect();
    Ok(v)
}

async fn view_of(state: &AppState, id: Uuid) -> Result<DeploymentView, ApiError> {
    let row = get(state, id).await?;
    view(state, row).await
}

/// Every deployment (replicas inside theirs).
pub async fn list(state: &AppState) -> Result<Vec<DeploymentView>, ApiError> {
    let rows = store::list(&state.db.conn).await?;
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.replica_of.is_none()) {
        let mut v = DeploymentView::from(row.clone());
        v.replicas = rows
            .iter()
            .filter(|r| r.replica_of == Some(row.id))
            .cloned()
            .map(ReplicaView::from)
            .collect();
        out.push(v);
    }
    Ok(out)
}

/// Starts (or keeps running) a deployment; a failed one starts afresh.
pub async fn start(state: &AppState, id: Uuid) -> Result<DeploymentView, ApiError> {
    for row in members(state, get(state, id).await?).await? {
        store::set_should_run(&state.db.conn, row.id, true).await?;
        if row.status == status::FAILED {
            let s = store::RunState {
                status: status::STOPPED.into(),
                restarts: row.restarts,
                ..Default::default()
            };
            store::set_run_state(&state.db.conn, row.id, s).await?;
        }
        state.deployments.start(state, row.id);
    }
    view_of(state, id).await
}

/// Stops a deployment (SIGTERM, then SIGKILL) and closes its routes.
pub async fn stop(state: &AppState, id: Uuid) -> Result<DeploymentView, ApiError> {
    for row in members(state, get(state, id).await?).await? {
        store::set_should_run(&state.db.conn, row.id, false).await?;
        state.deployments.stop(row.id).await;
    }
    view_of(state, id).await
}

/// Stops and starts a deployment.
pub async fn restart(state: &AppState, id: Uuid) -> Result<DeploymentView, ApiError> {
    for row in members(state, get(state, id).await?).await? {
        state.deployments.stop(row.id).await;
    }
    start(state, id).await
}

/// Stops a deployment and deletes it with its replicas and routes, in one transaction.
pub async fn delete(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let row = get(state, id).await?;
    let name = row.name.clone();
    let all = members(state, row).await?;
    for row in &all {
        store::set_should_run(&state.db.conn, row.id, false).await?;
        state.deployments.stop(row.id).await;
        if row.backend == "ollama" {
            super::ollama::forget(state, row).await;
        }
    }
    let txn = state.db.conn.begin().await?;
    for row in all.iter().rev() {
        register::remove(&txn, row.provider_id).await?;
        store::delete(&txn, row.id).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new("deployment.deleted", Some(actor.user.id), client.ip.clone())
            .target("deployment", id)
            .details(serde_json::json!({ "name": name, "replicas": all.len() })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    Ok(())
}

/// At start: a process the previous start of the server left serving is re-adopted (still
/// alive, started for this deployment, and answering); what should run and was not adopted
/// runs again; a leftover that does not answer is killed first, so it frees its memory and port.
pub async fn resume_all(state: &AppState) -> anyhow::Result<()> {
    for row in store::list(&state.db.conn).await? {
        let left = super::adopt::leftover(state, &row).await;
        if row.should_run
            && let super::adopt::Leftover::Serving { pid, port } = left
        {
            tracing::info!(deployment = %row.name, pid, port, "deployment: re-adopted");
            state.deployments.adopt(state, row.id, pid, port);
            continue;
        }
        if row.status != status::STOPPED && row.status != status::FAILED {
            let s = store::RunState {
                status: status::STOPPED.into(),
                restarts: row.restarts,
                last_error: row.last_error.clone(),
                ..Default::default()
            };
            store::set_run_state(&state.db.conn, row.id, s).await?;
            register::route(state, row.provider_id, None).await?;
        }
        if row.should_run {
            tracing::info!(deployment = %row.name, "deployment: starting again");
            state.deployments.start(state, row.id);
        }
    }
    Ok(())
}
