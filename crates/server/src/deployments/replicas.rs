//! Replicas: a deployment with N replicas is N rows — the deployment and `name#2` … `name#N`,
//! each supervised alone (process, port, restarts, its own route and key) and all serving the
//! deployment's name, so the gateway spreads requests over them by weight and fails over from
//! one that is down to the next.

use chrono::Utc;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::register;
use super::store::{self, DeploymentRow};
use crate::error::ApiError;
use crate::state::AppState;

/// The model name a deployment or replica serves (`smol#2` serves `smol`).
pub fn served_name(row: &DeploymentRow) -> &str {
    row.name.split('#').next().unwrap_or(&row.name)
}

/// Adds replicas 2..=`count` of `first`, each with its own route and key.
pub async fn add(
    state: &AppState,
    db: &impl ConnectionTrait,
    first: &DeploymentRow,
    count: u32,
) -> Result<Vec<DeploymentRow>, ApiError> {
    let mut out = Vec::new();
    for n in 2..=count {
        let name = format!("{}#{n}", first.name);
        let key = register::new_key();
        let provider_id = register::create(state, db, &name, &first.name, &key).await?;
        let now = Utc::now();
        let row = DeploymentRow {
            id: Uuid::now_v7(),
            name,
            provider_id: Some(provider_id),
            replica_of: Some(first.id),
            created_at: now,
            updated_at: now,
            ..first.clone()
        };
        out.push(store::insert(db, row).await?);
    }
    Ok(out)
}
