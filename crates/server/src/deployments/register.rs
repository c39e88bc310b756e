//! A deployment's route: a shared provider (kind `local`, OpenAI's format, `Local: {name}`) created with the
//! deployment and its own bearer key, pointed at the process's port and enabled while it runs,
//! disabled when it stops, deleted with it. So a local model is in `/v1/models`, the chat
//! picker and the usage log like any other, and only requests that come through us carry the
//! key the process wants.

use chrono::Utc;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::providers::store::{self as pstore, Provider};
use crate::state::AppState;

/// The provider's name for a deployment.
pub fn provider_name(deployment: &str) -> String {
    format!("Local: {deployment}")
}

/// A new, random bearer key for a deployment's process.
pub fn new_key() -> String {
    format!(
        "llmm-local-{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    )
}

/// Creates the (disabled) provider of the deployment or replica `name` serving model `serves`,
/// with its key; returns the provider's id.
pub async fn create(
    state: &AppState,
    db: &impl ConnectionTrait,
    name: &str,
    serves: &str,
    key: &str,
) -> ApiResult<Uuid> {
    let now = Utc::now();
    let provider = Provider {
        id: Uuid::now_v7(),
        owner_id: None,
        name: provider_name(name),
        kind: llm_adapters::types::ProviderKind::Local.as_str().to_owned(),
        base_url: "http://127.0.0.1:1/v1".to_owned(),
        api_version: None,
        models: serde_json::json!([serves]).to_string(),
        model_aliases: "{}".to_owned(),
        default_params: "{}".to_owned(),
        timeout_secs: 300,
        priority: 0,
        weight: 1,
        enabled: false,
        created_at: now,
        updated_at: now,
    };
    let provider = pstore::insert_provider(db, provider).await?;
    pstore::insert_key(
        db,
        crate::providers::keys::new_key(state, provider.id, key)?,
    )
    .await?;
    Ok(provider.id)
}

/// Points the route at `port` and opens it (`Some`), or closes it (`None`).
pub async fn route(
    state: &AppState,
    provider_id: Option<Uuid>,
    port: Option<u16>,
) -> anyhow::Result<()> {
    let url = port.map(|p| format!("http://127.0.0.1:{p}/v1"));
    route_to(state, provider_id, url.as_deref().map(|u| (u, None))).await
}

/// Points the route at an OpenAI-compatible base URL, the deployment's name standing for the
/// upstream's `model` when given, and opens it (`Some`), or closes it (`None`).
pub async fn route_to(
    state: &AppState,
    provider_id: Option<Uuid>,
    to: Option<(&str, Option<&str>)>,
) -> anyhow::Result<()> {
    let Some(id) = provider_id else { return Ok(()) };
    let Some(mut p) = pstore::get_provider(&state.db.conn, id).await? else {
        return Ok(());
    };
    p.enabled = to.is_some();
    if let Some((url, upstream)) = to {
        p.base_url = url.to_owned();
        let served: Vec<String> = serde_json::from_str(&p.models).unwrap_or_default();
        p.model_aliases = match (upstream, served.first()) {
            (Some(up), Some(name)) => serde_json::json!({ name: up }).to_string(),
            _ => "{}".to_owned(),
        };
    }
    p.updated_at = Utc::now();
    pstore::update_provider(&state.db.conn, p).await?;
    state.outbound.forget(id);
    if to.is_some() {
        state.llm.breakers.forget_provider(id);
    }
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    Ok(())
}

/// Deletes the route with its keys.
pub async fn remove(db: &impl ConnectionTrait, provider_id: Option<Uuid>) -> anyhow::Result<()> {
    let Some(id) = provider_id else { return Ok(()) };
    for key in pstore::list_keys(db, &[id]).await? {
        pstore::delete_key(db, id, key.id).await?;
    }
    pstore::delete_provider(db, id).await?;
    Ok(())
}
