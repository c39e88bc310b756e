//! Provider probes: a connection test (a real minimal call through the pipeline, accounted as
//! source `test`) and the refresh of the model list from the upstream.

use std::time::Instant;

use chrono::Utc;
use llm_adapters::types::{ChatRequest, Message, Role};
use secrecy::SecretString;

use super::keys::decrypt_key;
use super::service::{parse, with_keys};
use super::store::{self, Provider};
use super::types::{ProviderResponse, TestProviderResponse};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::llm::{self, Call, Caller, Channel, Source};
use crate::state::AppState;

/// The provider with its first enabled key, ready to call.
async fn channel(state: &AppState, p: &Provider, model: &str) -> ApiResult<Channel> {
    let keys = store::list_keys(&state.db.conn, &[p.id]).await?;
    let enabled = keys.iter().find(|k| k.enabled);
    let key = match enabled {
        Some(k) => decrypt_key(state, k)?,
        None => SecretString::from(String::new()),
    };
    Ok(Channel::direct(
        p,
        &parse(p),
        key,
        enabled.map(|k| k.id),
        model,
    ))
}

/// A real minimal call ("Say OK", one answer token) to see that URL, key and model work.
pub async fn test(
    state: &AppState,
    actor: &AuthContext,
    p: &Provider,
    model: Option<String>,
) -> ApiResult<TestProviderResponse> {
    let parsed = parse(p);
    let Some(model) = model
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .or_else(|| parsed.models.first().cloned())
        .or_else(|| parsed.aliases.values().next().cloned())
    else {
        return Err(ApiError::field(
            "model",
            "is required: the provider has no models yet (refresh or enter them first)",
        ));
    };
    let channel = channel(state, p, &model).await?;
    let req = ChatRequest {
        messages: vec![Message::text(Role::User, "Say OK.")],
        max_tokens: Some(5),
        ..ChatRequest::default()
    };
    let caller = Caller {
        user_id: Some(actor.user.id),
        api_key_id: None,
        source: Source::Test,
        role: crate::llm::meter::role_name(&actor.user.role),
    };
    let started = Instant::now();
    // One attempt on this provider's channel: a test reports what this channel does.
    let mut call = Call::new(state, caller, &model, vec![channel], req);
    call.attempts = Some(1);
    let outcome = llm::complete(state, call).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(match outcome {
        Ok(done) => TestProviderResponse {
            ok: true,
            model,
            latency_ms,
            reply: Some(done.response.content.chars().take(200).collect()),
            error: None,
        },
        Err(e) => TestProviderResponse {
            ok: false,
            model,
            latency_ms,
            reply: None,
            error: Some(e.to_string()),
        },
    })
}

/// Replaces the model list with what the upstream lists.
pub async fn refresh_models(
    state: &AppState,
    actor: &AuthContext,
    mut p: Provider,
    client: &ClientInfo,
) -> ApiResult<ProviderResponse> {
    let channel = channel(state, &p, "").await?;
    let models = llm::upstream::list_models(state, &channel.target)
        .await
        .map_err(|e| ApiError::field("models", format!("could not list models: {e}")))?;
    p.models = serde_json::to_string(&models).map_err(anyhow::Error::from)?;
    p.updated_at = Utc::now();
    let p = store::update_provider(&state.db.conn, p).await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "provider.models_refreshed",
            Some(actor.user.id),
            client.ip.clone(),
        )
        .target("provider", p.id)
        .details(serde_json::json!({ "models": models.len() })),
    )
    .await?;
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    with_keys(state, &p, true).await
}
