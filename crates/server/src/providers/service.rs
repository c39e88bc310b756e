//! Provider rules: who may see and change which provider, validation, key encryption, the
//! SSRF check of personal base URLs, connection tests and model refresh.

use std::collections::BTreeMap;

use chrono::Utc;
use llm_adapters::types::ProviderKind;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::keys::new_key;
use super::store::{self, Provider, ProviderKey};
use super::types::{
    CreateProviderRequest, DefaultParams, KeyInfo, ProviderResponse, UpdateProviderRequest,
};
use super::validate;
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::net::ssrf;
use crate::state::AppState;

/// The parsed JSON columns of a provider.
pub struct Parsed {
    /// Wire format.
    pub kind: ProviderKind,
    /// Upstream model names.
    pub models: Vec<String>,
    /// Public name → upstream name.
    pub aliases: BTreeMap<String, String>,
    /// Default parameters.
    pub defaults: DefaultParams,
}

/// Reads the JSON columns (a damaged column reads as empty rather than failing a request).
pub fn parse(p: &Provider) -> Parsed {
    Parsed {
        kind: ProviderKind::parse(&p.kind).unwrap_or(ProviderKind::OpenaiCompatible),
        models: serde_json::from_str(&p.models).unwrap_or_default(),
        aliases: serde_json::from_str(&p.model_aliases).unwrap_or_default(),
        defaults: serde_json::from_str(&p.default_params).unwrap_or_default(),
    }
}

fn response(p: &Provider, keys: &[ProviderKey], show_keys: bool) -> ProviderResponse {
    let parsed = parse(p);
    ProviderResponse {
        id: p.id,
        name: p.name.clone(),
        kind: p.kind.clone(),
        base_url: p.base_url.clone(),
        api_version: p.api_version.clone(),
        owner: if p.owner_id.is_some() {
            "personal"
        } else {
            "shared"
        }
        .to_owned(),
        keys: if show_keys {
            keys.iter()
                .filter(|k| k.provider_id == p.id)
                .map(|k| KeyInfo {
                    id: k.id,
                    hint: k.hint.clone(),
                    enabled: k.enabled,
                    created_at: k.created_at,
                })
                .collect()
        } else {
            Vec::new()
        },
        models: parsed.models,
        model_aliases: parsed.aliases,
        default_params: parsed.defaults,
        timeout_secs: p.timeout_secs,
        priority: p.priority,
        weight: p.weight,
        enabled: p.enabled,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

pub(super) async fn with_keys(
    state: &AppState,
    p: &Provider,
    show: bool,
) -> ApiResult<ProviderResponse> {
    let keys = store::list_keys(&state.db.conn, &[p.id]).await?;
    Ok(response(p, &keys, show))
}

/// Checks a personal provider's base URL against the SSRF rules: its form now, and what its
/// host resolves to now (connections are checked again each time).
async fn check_personal_url(state: &AppState, base_url: &str) -> ApiResult<()> {
    let allow = state.outbound.allow_list();
    let url =
        ssrf::check_url(base_url, allow).map_err(|e| ApiError::field("base_url", e.to_string()))?;
    if let Some(url::Host::Domain(host)) = url.host() {
        let lookup = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::lookup_host((host, 0)),
        )
        .await;
        let addrs: Vec<_> = match lookup {
            Ok(Ok(addrs)) => addrs.collect(),
            _ => Vec::new(),
        };
        if addrs.is_empty() {
            return Err(ApiError::field(
                "base_url",
                ssrf::SsrfError::Unresolvable(host.to_owned()).to_string(),
            ));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        for a in addrs {
            ssrf::check_ip(a.ip(), port, allow)
                .map_err(|e| ApiError::field("base_url", e.to_string()))?;
        }
    }
    Ok(())
}

/// Creates a provider: shared when `owner` is `None` (admins), else personal.
pub async fn create(
    state: &AppState,
    actor: &AuthContext,
    owner: Option<Uuid>,
    req: CreateProviderRequest,
    client: &ClientInfo,
) -> ApiResult<ProviderResponse> {
    let name = validate::name(&req.name)?;
    let kind = validate::kind(&req.kind)?;
    let base_url = validate::base_url(kind, req.base_url.as_deref())?;
    if owner.is_some() {
        check_personal_url(state, &base_url).await?;
    }
    let api_version = validate::api_version(kind, req.api_version.as_deref())?;
    let mut keys = Vec::new();
    if let Some(k) = &req.api_key {
        keys.push(validate::api_key("api_key", k)?);
    }
    for (i, k) in req.api_keys.iter().flatten().enumerate() {
        keys.push(validate::api_key(&format!("api_keys[{i}]"), k)?);
    }
    if keys.is_empty() && kind.needs_key() {
        return Err(ApiError::field(
            "api_key",
            format!("is required for {}", kind.as_str()),
        ));
    }
    let models = validate::models(req.models.as_deref().unwrap_or_default())?;
    let aliases = validate::aliases(&req.model_aliases.unwrap_or_default())?;
    let defaults = req.default_params.unwrap_or_default();
    validate::default_params(&defaults)?;
    let timeout_secs = validate::int_in("timeout_secs", req.timeout_secs.unwrap_or(60), 1, 600)?;
    let priority = validate::int_in("priority", req.priority.unwrap_or(0), -1000, 1000)?;
    let weight = validate::int_in("weight", req.weight.unwrap_or(1), 1, 1000)?;
    if store::name_taken(&state.db.conn, owner, &name, None).await? {
        return Err(ApiError::Conflict(format!(
            "a provider named {name:?} already exists"
        )));
    }
    let now = Utc::now();
    let provider = Provider {
        id: Uuid::now_v7(),
        owner_id: owner,
        name,
        kind: kind.as_str().to_owned(),
        base_url,
        api_version,
        models: serde_json::to_string(&models).map_err(anyhow::Error::from)?,
        model_aliases: serde_json::to_string(&aliases).map_err(anyhow::Error::from)?,
        default_params: serde_json::to_string(&defaults).map_err(anyhow::Error::from)?,
        timeout_secs,
        priority,
        weight,
        enabled: req.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let txn = state.db.conn.begin().await?;
    let provider = store::insert_provider(&txn, provider).await?;
    let mut stored = Vec::new();
    for k in &keys {
        stored.push(store::insert_key(&txn, new_key(state, provider.id, k)?).await?);
    }
    audit::record(
        &txn,
        AuditEvent::new("provider.created", Some(actor.user.id), client.ip.clone())
            .target("provider", provider.id)
            .details(serde_json::json!({
                "name": provider.name, "kind": provider.kind, "shared": owner.is_none(),
                "keys": stored.len(),
            })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    Ok(response(&provider, &stored, true))
}

/// The shared providers, with key hints (admins).
pub async fn list_shared(state: &AppState) -> ApiResult<Vec<ProviderResponse>> {
    let providers = store::list_providers(&state.db.conn, None).await?;
    let ids: Vec<Uuid> = providers.iter().map(|p| p.id).collect();
    let keys = store::list_keys(&state.db.conn, &ids).await?;
    Ok(providers.iter().map(|p| response(p, &keys, true)).collect())
}

/// The caller's personal providers (with key hints), then the enabled shared ones (without).
pub async fn list_for_user(
    state: &AppState,
    actor: &AuthContext,
) -> ApiResult<Vec<ProviderResponse>> {
    let own = store::list_providers(&state.db.conn, Some(actor.user.id)).await?;
    let ids: Vec<Uuid> = own.iter().map(|p| p.id).collect();
    let keys = store::list_keys(&state.db.conn, &ids).await?;
    let mut out: Vec<ProviderResponse> = own.iter().map(|p| response(p, &keys, true)).collect();
    let shared = store::list_providers(&state.db.conn, None).await?;
    out.extend(
        shared
            .iter()
            .filter(|p| p.enabled)
            .map(|p| response(p, &[], actor.is_admin())),
    );
    Ok(out)
}

/// What the caller may do with a provider.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// See it (shared providers: every user).
    Read,
    /// Change it, test it, manage its keys.
    Manage,
}

/// Loads a provider the caller may reach; others' personal providers are 404.
pub async fn load(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    access: Access,
) -> ApiResult<Provider> {
    let not_found = || ApiError::NotFound("no such provider".to_owned());
    let p = store::get_provider(&state.db.conn, id)
        .await?
        .ok_or_else(not_found)?;
    match p.owner_id {
        Some(owner) if owner == actor.user.id => Ok(p),
        Some(_) => Err(not_found()),
        None if actor.is_admin() => Ok(p),
        None if access == Access::Read && p.enabled => Ok(p),
        None if access == Access::Read => Err(not_found()),
        None => Err(ApiError::Forbidden(
            "only admins manage shared providers".to_owned(),
        )),
    }
}

/// A provider as the caller may see it.
pub async fn get(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<ProviderResponse> {
    let p = load(state, actor, id, Access::Read).await?;
    let show = p.owner_id.is_some() || actor.is_admin();
    with_keys(state, &p, show).await
}

/// Changes the fields present in `req`.
pub async fn update(
    state: &AppState,
    actor: &AuthContext,
    mut p: Provider,
    req: UpdateProviderRequest,
    client: &ClientInfo,
) -> ApiResult<ProviderResponse> {
    let kind = validate::kind(&p.kind)?;
    if let Some(name) = &req.name {
        let name = validate::name(name)?;
        if store::name_taken(&state.db.conn, p.owner_id, &name, Some(p.id)).await? {
            return Err(ApiError::Conflict(format!(
                "a provider named {name:?} already exists"
            )));
        }
        p.name = name;
    }
    if let Some(url) = &req.base_url {
        let url = validate::base_url(kind, Some(url))?;
        if p.owner_id.is_some() {
            check_personal_url(state, &url).await?;
        }
        p.base_url = url;
    }
    if let Some(v) = &req.api_version {
        p.api_version = validate::api_version(kind, v.as_deref())?;
    }
    if let Some(models) = &req.models {
        p.models =
            serde_json::to_string(&validate::models(models)?).map_err(anyhow::Error::from)?;
    }
    if let Some(aliases) = &req.model_aliases {
        p.model_aliases =
            serde_json::to_string(&validate::aliases(aliases)?).map_err(anyhow::Error::from)?;
    }
    if let Some(d) = &req.default_params {
        validate::default_params(d)?;
        p.default_params = serde_json::to_string(d).map_err(anyhow::Error::from)?;
    }
    if let Some(t) = req.timeout_secs {
        p.timeout_secs = validate::int_in("timeout_secs", t, 1, 600)?;
    }
    if let Some(v) = req.priority {
        p.priority = validate::int_in("priority", v, -1000, 1000)?;
    }
    if let Some(v) = req.weight {
        p.weight = validate::int_in("weight", v, 1, 1000)?;
    }
    if let Some(e) = req.enabled {
        p.enabled = e;
    }
    p.updated_at = Utc::now();
    let txn = state.db.conn.begin().await?;
    let p = store::update_provider(&txn, p).await?;
    audit::record(
        &txn,
        AuditEvent::new("provider.updated", Some(actor.user.id), client.ip.clone())
            .target("provider", p.id)
            .details(serde_json::json!({ "name": p.name, "enabled": p.enabled })),
    )
    .await?;
    txn.commit().await?;
    state.outbound.forget(p.id);
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    with_keys(state, &p, true).await
}

/// Deletes a provider with its keys.
pub async fn delete(
    state: &AppState,
    actor: &AuthContext,
    p: Provider,
    client: &ClientInfo,
) -> ApiResult<()> {
    let txn = state.db.conn.begin().await?;
    store::delete_provider(&txn, p.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("provider.deleted", Some(actor.user.id), client.ip.clone())
            .target("provider", p.id)
            .details(serde_json::json!({ "name": p.name })),
    )
    .await?;
    txn.commit().await?;
    state.outbound.forget(p.id);
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    Ok(())
}
