//! Readiness and instance facts.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::store;
use super::types::{CheckState, ReadyChecks, ReadyResponse, SystemInfoResponse};
use crate::db::Database;
use crate::state::AppState;

/// Settings key holding when this installation first started.
pub const INSTALLED_AT: &str = "installed_at";

/// Each check gets this long before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// Runs the readiness checks.
pub async fn readiness(state: &AppState) -> ReadyResponse {
    let database = match tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => CheckState::Ok,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database check failed");
            CheckState::Error
        }
        Err(_) => CheckState::Error,
    };
    let migrations = if database == CheckState::Ok {
        match tokio::time::timeout(CHECK_TIMEOUT, state.db.pending_migrations()).await {
            Ok(Ok(pending)) if pending.is_empty() => CheckState::Ok,
            Ok(Ok(_)) => CheckState::Pending,
            _ => CheckState::Error,
        }
    } else {
        CheckState::Error
    };
    let redis = match &state.redis {
        None => CheckState::Disabled,
        Some(conn) => {
            let mut conn = conn.clone();
            let ping = redis::cmd("PING");
            match tokio::time::timeout(CHECK_TIMEOUT, ping.query_async::<String>(&mut conn)).await {
                Ok(Ok(_)) => CheckState::Ok,
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "readiness: redis check failed");
                    CheckState::Error
                }
                Err(_) => CheckState::Error,
            }
        }
    };
    let checks = ReadyChecks {
        database,
        migrations,
        redis,
    };
    ReadyResponse {
        status: if is_ready(&checks) {
            "ready"
        } else {
            "not_ready"
        }
        .to_owned(),
        checks,
    }
}

/// Ready when nothing is failing or pending.
pub fn is_ready(checks: &ReadyChecks) -> bool {
    [checks.database, checks.migrations, checks.redis]
        .iter()
        .all(|c| matches!(c, CheckState::Ok | CheckState::Disabled))
}

/// Records the installation time on the first start; later starts keep the first value.
pub async fn record_installation(db: &Database) -> anyhow::Result<()> {
    let now = serde_json::Value::String(Utc::now().to_rfc3339());
    store::insert_setting_if_absent(&db.conn, INSTALLED_AT, now).await?;
    Ok(())
}

/// Facts about this instance for the status page.
pub async fn system_info(state: &AppState) -> anyhow::Result<SystemInfoResponse> {
    let installed_at: Option<DateTime<Utc>> = store::get_setting(&state.db.conn, INSTALLED_AT)
        .await?
        .as_ref()
        .and_then(store::as_timestamp);
    Ok(SystemInfoResponse {
        name: "LLM Manager".to_owned(),
        version: crate::VERSION.to_owned(),
        database_backend: state.db.backend,
        redis_configured: state.redis.is_some(),
        started_at: state.started_at,
        uptime_seconds: (Utc::now() - state.started_at).num_seconds().max(0),
        installed_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_redis_does_not_block_readiness() {
        let checks = ReadyChecks {
            database: CheckState::Ok,
            migrations: CheckState::Ok,
            redis: CheckState::Disabled,
        };
        assert!(is_ready(&checks));
        let pending = ReadyChecks {
            migrations: CheckState::Pending,
            ..checks
        };
        assert!(!is_ready(&pending));
    }
}
