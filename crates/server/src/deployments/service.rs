//! Deployment rules: a request is checked (name, backend, the model — for the built-in engine,
//! whether it can serve it at all —, options, whether the model fits in memory), stored with
//! its route in one transaction, and started; start, stop, restart and delete act on the
//! supervisor; a restart of the server starts again what should run.

use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::TransactionTrait;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::estimate::{self, Estimate, EstimateRequest};
use super::store::{self, DeploymentRow};
use super::types::{CreateDeploymentRequest, DeploymentView};
use super::{backend, register, status};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::ApiError;
use crate::models::store::ModelRow;
use crate::state::AppState;

/// What a process needs that is not in its row.
pub struct Prepared {
    /// The model file.
    pub model: PathBuf,
    /// Its bearer key.
    pub key: String,
}

fn model_path(state: &AppState, model: &ModelRow) -> PathBuf {
    let path = Path::new(&model.path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        state.config.models.dir.join(path)
    }
}

/// The model file and the key of `row`'s process.
pub async fn launch_for(state: &AppState, row: &DeploymentRow) -> Result<Prepared, String> {
    let model = crate::models::store::get(&state.db.conn, row.model_id)
        .await
        .map_err(|e| format!("cannot read the model: {e}"))?
        .ok_or("its model was removed from the registry")?;
    let keys = match row.provider_id {
        Some(id) => crate::providers::store::list_keys(&state.db.conn, &[id])
            .await
            .map_err(|e| format!("cannot read its key: {e}"))?,
        None => Vec::new(),
    };
    let key = keys
        .first()
        .map(|k| crate::providers::keys::decrypt_key(state, k))
        .transpose()
        .map_err(|e| format!("cannot decrypt its key: {e}"))?
        .map(|k| k.expose_secret().to_owned())
        .ok_or("its route has no key")?;
    Ok(Prepared {
        model: model_path(state, &model),
        key,
    })
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "name",
            "must be 1-64 characters of a-z, 0-9, `.`, `_`, `-`",
        ))
    }
}

fn check_options(req: &CreateDeploymentRequest) -> Result<(), ApiError> {
    if !backend::BACKENDS.contains(&req.backend.as_str()) {
        return Err(ApiError::field(
            "backend",
            format!(
                "`{}` is not available; use builtin, llama_cpp, vllm, sglang or custom (a command template)",
                req.backend
            ),
        ));
    }
    if req.backend == "custom" && req.command.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(ApiError::field(
            "command",
            "a custom backend needs its command line, program first",
        ));
    }
    let long = |v: &[String]| v.len() > 64 || v.iter().any(|a| a.len() > 512);
    if long(&req.command) || long(&req.args) {
        return Err(ApiError::field(
            "args",
            "at most 64 arguments of at most 512 characters",
        ));
    }
    if req.port.is_some_and(|p| p < 1024) {
        return Err(ApiError::field("port", "must be 1024 or above"));
    }
    if req
        .context_length
        .is_some_and(|c| !(16..=1 << 20).contains(&c))
    {
        return Err(ApiError::field(
            "context_length",
            "must be between 16 and 1048576",
        ));
    }
    if req.parallel.is_some_and(|p| !(1..=32).contains(&p)) {
        return Err(ApiError::field("parallel", "must be between 1 and 32"));
    }
    if req.replicas.is_some_and(|r| !(1..=8).contains(&r)) {
        return Err(ApiError::field("replicas", "must be between 1 and 8"));
    }
    if req.replicas.is_some_and(|r| r > 1) && req.port.is_some() {
        return Err(ApiError::field(
            "replicas",
            "replicas need a free port each; leave `port` empty",
        ));
    }
    if req.threads.is_some_and(|t| !(1..=512).contains(&t)) {
        return Err(ApiError::field("threads", "must be between 1 and 512"));
    }
    Ok(())
}

/// Refuses a model the built-in engine cannot serve, with its reason.
async fn check_servable(path: PathBuf) -> Result<(), ApiError> {
    let checked = tokio::task::spawn_blocking(move || {
        let content = llm_engine::load::read_content(&path)?;
        llm_engine::load::inspect(&path, &content).map(|_| ())
    })
    .await
    .map_err(anyhow::Error::from)?;
    checked.map_err(|e| ApiError::field("model_id", e.to_string()))
}

/// The ollama backend needs the daemon and one GGUF file; the daemon serves one copy.
fn check_ollama(
    state: &AppState,
    req: &CreateDeploymentRequest,
    model: &ModelRow,
) -> Result<(), ApiError> {
    if state.config.models.ollama_host.is_none() {
        return Err(ApiError::field(
            "backend",
            "the ollama backend needs OLLAMA_HOST (an Ollama daemon)",
        ));
    }
    if req.replicas.is_some_and(|r| r > 1) || req.gpu.is_some() {
        return Err(ApiError::field(
            "replicas",
            "the Ollama daemon serves one copy and picks its GPUs itself; leave `replicas` and `gpu` empty",
        ));
    }
    if !model_path(state, model).is_file() || model.format != "gguf" {
        return Err(ApiError::field(
            "model_id",
            "the ollama backend serves a GGUF file",
        ));
    }
    Ok(())
}

async fn usable_model(state: &AppState, id: Uuid) -> Result<ModelRow, ApiError> {
    let model = crate::models::store::get(&state.db.conn, id)
        .await?
        .ok_or_else(|| ApiError::field("model_id", "no such model in the local registry"))?;
    if let Some(error) = &model.error {
        return Err(ApiError::field(
            "model_id",
            format!("the model file is invalid: {error}"),
        ));
    }
    Ok(model)
}

async fn fit(
    state: &AppState,
    model: &ModelRow,
    backend: &str,
    (ctx, parallel, replicas): (Option<u32>, Option<u32>, Option<u32>),
    wanted_gpu: Option<u32>,
) -> Result<Estimate, ApiError> {
    let (path, weights, b) = (
        model_path(state, model),
        model.size_bytes.max(0) as u64,
        backend.to_owned(),
    );
    let monitor = state.clone();
    let (context, gpus) = tokio::task::spawn_blocking(move || {
        let context = estimate::context_bytes(&path, weights, &b, ctx, parallel.unwrap_or(4));
        (context, monitor.monitor.gpus().unwrap_or_default())
    })
    .await
    .map_err(anyhow::Error::from)?;
    let count = u64::from(replicas.unwrap_or(1).max(1));
    estimate::fit(model, context, count, wanted_gpu, &gpus, backend)
}

/// What a deployment of the model would need, where it would run, and whether it fits.
pub async fn estimate(state: &AppState, req: EstimateRequest) -> Result<Estimate, ApiError> {
    if !backend::BACKENDS.contains(&req.backend.as_str()) {
        return Err(ApiError::field(
            "backend",
            format!("`{}` is not available", req.backend),
        ));
    }
    let model = usable_model(state, req.model_id).await?;
    let options = (req.context_length, req.parallel, req.replicas);
    fit(state, &model, &req.backend, options, req.gpu).await
}

/// Checks, stores (with its route, in one transaction) and starts a deployment.
pub async fn create(
    state: &AppState,
    actor: &AuthContext,
    req: CreateDeploymentRequest,
    client: &ClientInfo,
) -> Result<DeploymentView, ApiError> {
    check_name(&req.name)?;
    check_options(&req)?;
    let db = &state.db.conn;
    let model = usable_model(state, req.model_id).await?;
    if req.backend == "builtin" {
        check_servable(model_path(state, &model)).await?;
    }
    if req.backend == "ollama" {
        check_ollama(state, &req, &model)?;
    }
    let options = (req.context_length, req.parallel, req.replicas);
    let fit = fit(state, &model, &req.backend, options, req.gpu).await?;
    if let Some(message) = fit.message.filter(|_| !fit.fits) {
        return Err(ApiError::Conflict(message));
    }
    let key = register::new_key();
    let txn = db.begin().await?;
    if store::name_taken(&txn, &req.name).await?
        || crate::providers::store::name_taken(
            &txn,
            None,
            &register::provider_name(&req.name),
            None,
        )
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "a deployment or provider named `{}` exists",
            req.name
        )));
    }
    let provider_id = register::create(state, &txn, &req.name, &req.name, &key).await?;
    let now = Utc::now();
    let should_run = req.start.unwrap_or(true);
    let row = store::insert(
        &txn,
        DeploymentRow {
            id: Uuid::now_v7(),
            name: req.name.clone(),
            model_id: model.id,
            backend: req.backend.clone(),
            command: serde_json::to_string(&req.command).map_err(anyhow::Error::from)?,
            status: status::STOPPED.to_owned(),
            should_run,
            fixed_port: req.port.map(i32::from),
            port: None,
            pid: None,
            context_length: req.context_length.map(|c| c as i32),
            parallel: req.parallel.unwrap_or(4) as i32,
            threads: req.threads.map(|t| t as i32),
            gpu: fit.gpu.map(|g| g as i32),
            replica_of: None,
            args: serde_json::to_string(&req.args).map_err(anyhow::Error::from)?,
            restarts: 0,
            last_error: None,
            provider_id: Some(provider_id),
            created_by: Some(actor.user.id),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    audit::record(&txn, AuditEvent::new("deployment.created", Some(actor.user.id), client.ip.clone())
        .target("deployment", row.id)
        .details(serde_json::json!({ "name": row.name, "model_id": row.model_id, "backend": row.backend })))
    .await?;
    let replicas = super::replicas::add(state, &txn, &row, req.replicas.unwrap_or(1)).await?;
    txn.commit().await?;
    if should_run {
        state.deployments.start(state, row.id);
        for r in &replicas {
            state.deployments.start(state, r.id);
        }
    }
    view(state, row).await
}

pub use super::lifecycle::{delete, get, list, restart, resume_all, start, stop, view};
