//! The `ollama` backend: no process of ours; the Ollama daemon at `OLLAMA_HOST` serves the
//! model. At each start the GGUF is uploaded as a blob unless the daemon has it
//! (`HEAD`/`POST /api/blobs/sha256:…`), a model `llmm-{name}` is made from it with the context
//! length (`POST /api/create`), and the route points at the daemon's OpenAI-compatible `/v1`
//! with `{name}` as an alias of that model. The daemon is watched (`/api/tags` must list the
//! model) like a process's `/health`; a stop unloads the model (`keep_alive: 0`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest as _;
use tokio_util::sync::CancellationToken;

use super::store::DeploymentRow;
use super::supervisor::{Ended, HEALTH_EVERY, HEALTH_FAILURES, record};
use super::{register, replicas, status};
use crate::state::AppState;

/// The daemon's name for a deployment's model.
pub fn daemon_model(row: &DeploymentRow) -> String {
    format!("llmm-{}", replicas::served_name(row))
}

fn sha256_of(path: &std::path::Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("sha256:{}", hex::encode(hasher.finalize())))
}

async fn ensure_model(
    state: &AppState,
    base: &url::Url,
    row: &DeploymentRow,
) -> Result<(), String> {
    let prepared = super::service::launch_for(state, row).await?;
    let path = prepared.model.clone();
    let digest = tokio::task::spawn_blocking(move || sha256_of(&path))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot read {}: {e}", prepared.model.display()))?;
    let client = &state.deployments.client;
    let url = |p: &str| base.join(p).map_err(|e| e.to_string());
    let blob = url(&format!("api/blobs/{digest}"))?;
    let held = client
        .head(blob.clone())
        .send()
        .await
        .map_err(|e| format!("the Ollama daemon at {base} does not answer: {e}"))?;
    if !held.status().is_success() {
        let file = tokio::fs::File::open(&prepared.model)
            .await
            .map_err(|e| e.to_string())?;
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
        let sent = client
            .post(blob)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("upload to the Ollama daemon failed: {e}"))?;
        if !sent.status().is_success() {
            return Err(format!(
                "the Ollama daemon refused the upload: {}",
                sent.status()
            ));
        }
    }
    let parameters = row.context_length.map(|ctx| json!({"num_ctx": ctx}));
    let create = json!({"model": daemon_model(row), "files": {"model.gguf": digest},
        "parameters": parameters, "stream": false});
    let made = client
        .post(url("api/create")?)
        .json(&create)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !made.status().is_success() {
        let why = made.text().await.unwrap_or_default();
        return Err(format!(
            "the Ollama daemon could not create the model: {why}"
        ));
    }
    Ok(())
}

async fn listed(state: &AppState, base: &url::Url, name: &str) -> bool {
    let Ok(url) = base.join("api/tags") else {
        return false;
    };
    let Ok(res) = state
        .deployments
        .client
        .get(url)
        .timeout(Duration::from_secs(3))
        .send()
        .await
    else {
        return false;
    };
    let tags: Value = res.json().await.unwrap_or(Value::Null);
    let named = |m: &Value| {
        m.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n == name || n == format!("{name}:latest"))
    };
    tags.get("models")
        .and_then(Value::as_array)
        .is_some_and(|all| all.iter().any(named))
}

/// A best-effort call to the daemon (`unload`, `forget`): its answer does not matter.
async fn tell(state: &AppState, method: reqwest::Method, base: &url::Url, path: &str, body: Value) {
    if let Ok(url) = base.join(path) {
        let _ = state
            .deployments
            .client
            .request(method, url)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
    }
}

async fn unload(state: &AppState, base: &url::Url, name: &str) {
    let body = json!({"model": name, "keep_alive": 0});
    tell(state, reqwest::Method::POST, base, "api/generate", body).await;
}

/// One run through the daemon: prepare the model, open the route, watch until it stops.
pub async fn run(state: &AppState, row: &DeploymentRow, stop: &CancellationToken) -> Ended {
    let Some(base) = state.config.models.ollama_host.clone() else {
        return Ended::Fatal("the ollama backend needs OLLAMA_HOST (an Ollama daemon)".into());
    };
    let log = state.deployments.log(state, row.id);
    log.push(&format!(
        "[supervisor] preparing the model in the Ollama daemon at {base}"
    ));
    let began = Instant::now();
    if let Err(reason) = ensure_model(state, &base, row).await {
        return Ended::Crashed(reason);
    }
    let name = daemon_model(row);
    let api = base.join("v1").map(|u| u.to_string()).unwrap_or_default();
    if let Err(e) = register::route_to(state, row.provider_id, Some((&api, Some(&name)))).await {
        tracing::error!(deployment = %row.id, error = %e, "cannot open a deployment's route");
    }
    record(state, row, status::RUNNING, None, None, row.restarts, None).await;
    log.push(&format!(
        "[supervisor] running as `{name}` in the daemon (ready in {} ms)",
        began.elapsed().as_millis()
    ));
    let mut failures = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                unload(state, &base, &name).await;
                return Ended::Stopped;
            }
            () = tokio::time::sleep(HEALTH_EVERY) => {}
        }
        if listed(state, &base, &name).await {
            if failures > 0 {
                record(state, row, status::RUNNING, None, None, row.restarts, None).await;
            }
            failures = 0;
            continue;
        }
        failures += 1;
        if failures >= HEALTH_FAILURES {
            return Ended::Crashed(format!(
                "the Ollama daemon stopped listing `{name}` ({failures} checks)"
            ));
        }
        record(
            state,
            row,
            status::UNHEALTHY,
            None,
            None,
            row.restarts,
            None,
        )
        .await;
    }
}

/// Removes the deployment's model from the daemon (when the deployment is deleted).
pub async fn forget(state: &AppState, row: &DeploymentRow) {
    let Some(base) = state.config.models.ollama_host.clone() else {
        return;
    };
    let body = json!({"model": daemon_model(row)});
    tell(state, reqwest::Method::DELETE, &base, "api/delete", body).await;
}
