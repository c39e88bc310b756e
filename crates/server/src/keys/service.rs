//! API key rules: creation (shown once), listing, revocation, and the lookup the gateway does
//! on every request (keyed hash, then the owner's current state).

use chrono::{Duration, Utc};
use rand::seq::IndexedRandom;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::store::{self, ApiKey};
use super::types::{CreateKeyRequest, CreatedKeyResponse, KeyResponse, UpdateKeyRequest};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::auth::store::User;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Prefix of every gateway key.
pub const PREFIX: &str = "sk-llmm-";
const MAX_KEYS_PER_USER: u64 = 100;

/// `len` random characters of `[0-9A-Za-z]` (43 of them carry 256 bits): no `-` or `_`, so
/// a double-click selects the whole key.
fn random_base62(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(*ALPHABET.choose(&mut rng).unwrap_or(&b'0')))
        .collect()
}

fn info(k: &ApiKey) -> KeyResponse {
    KeyResponse {
        id: k.id,
        name: k.name.clone(),
        hint: k.hint.clone(),
        models: k
            .models
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok()),
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
        created_at: k.created_at,
    }
}

fn checked_name(name: &str) -> ApiResult<String> {
    crate::text::one_line("name", name, 64)
}

fn checked_expiry(at: Option<chrono::DateTime<Utc>>) -> ApiResult<()> {
    match at {
        Some(at) if at <= Utc::now() => Err(ApiError::field("expires_at", "must be in the future")),
        _ => Ok(()),
    }
}

/// The allow-list as stored (a JSON array), `None` for all models.
fn checked_models(models: Option<&[String]>) -> ApiResult<Option<String>> {
    let Some(list) = models else {
        return Ok(None);
    };
    let list = crate::providers::validate::models(list)?;
    if list.is_empty() {
        return Err(ApiError::field(
            "models",
            "must name at least one model, or be left out for all models",
        ));
    }
    Ok(Some(
        serde_json::to_string(&list).map_err(anyhow::Error::from)?,
    ))
}

/// Creates a key for the caller.
pub async fn create(
    state: &AppState,
    actor: &AuthContext,
    req: CreateKeyRequest,
    client: &ClientInfo,
) -> ApiResult<CreatedKeyResponse> {
    let name = checked_name(&req.name)?;
    let now = Utc::now();
    checked_expiry(req.expires_at)?;
    let models = checked_models(req.models.as_deref())?;
    if store::count_keys(&state.db.conn, actor.user.id).await? >= MAX_KEYS_PER_USER {
        return Err(ApiError::Conflict(format!(
            "at most {MAX_KEYS_PER_USER} keys per user; revoke one first"
        )));
    }
    let id = Uuid::now_v7();
    let limits = req
        .limits()
        .map(|body| {
            crate::limits::service::checked(crate::limits::service::Subject::Key(id), &body)
        })
        .transpose()?;
    let key = format!("{PREFIX}{}", random_base62(43));
    let hint = format!("{PREFIX}…{}", &key[key.len() - 4..]);
    let row = ApiKey {
        id,
        user_id: actor.user.id,
        name,
        key_hash: state.auth.keys.hash(&key),
        hint,
        models,
        expires_at: req.expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    // The key, its limits and the audit row, or none of them.
    let txn = state.db.conn.begin().await?;
    let row = store::insert_key(&txn, row).await?;
    if let Some(l) = &limits {
        crate::limits::store::put_limit(&txn, l.clone()).await?;
    }
    audit::record(
        &txn,
        AuditEvent::new("api_key.created", Some(actor.user.id), client.ip.clone())
            .target("api_key", row.id)
            .details(serde_json::json!({ "name": row.name, "hint": row.hint, "limits": limits.is_some() })),
    )
    .await?;
    txn.commit().await?;
    if limits.is_some() {
        crate::cluster::changed(state, crate::cluster::Topic::Limits);
    }
    Ok(CreatedKeyResponse {
        key,
        info: info(&row),
    })
}

/// Edits one of the caller's keys: name, models, expiry and limits, with the audit row in one
/// transaction. The next request made with the key sees the change.
pub async fn update(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    req: UpdateKeyRequest,
    client: &ClientInfo,
) -> ApiResult<KeyResponse> {
    let key = store::get_key(&state.db.conn, id)
        .await?
        .filter(|k| k.user_id == actor.user.id && k.revoked_at.is_none())
        .ok_or_else(|| ApiError::NotFound("no such key".to_owned()))?;
    let edit = store::KeyEdit {
        name: match &req.name {
            Some(n) => checked_name(n)?,
            None => key.name.clone(),
        },
        models: match &req.models {
            Some(m) => checked_models(m.as_deref())?,
            None => key.models.clone(),
        },
        expires_at: match req.expires_at {
            Some(at) => {
                checked_expiry(at)?;
                at
            }
            None => key.expires_at,
        },
    };
    use crate::limits::service::{self as limits, Subject};
    let limits = if req.touches_limits() {
        let current = limits::get(state, Subject::Key(id)).await?;
        let body = req.apply_limits(current.map(Into::into).unwrap_or_default());
        let row = limits::checked(Subject::Key(id), &body)?;
        Some((!body.is_empty()).then_some(row))
    } else {
        None
    };
    let txn = state.db.conn.begin().await?;
    if !store::update_key(&txn, actor.user.id, id, edit.clone()).await? {
        return Err(ApiError::NotFound("no such key".to_owned()));
    }
    match &limits {
        Some(Some(row)) => crate::limits::store::put_limit(&txn, row.clone()).await?,
        Some(None) => {
            crate::limits::store::delete_limit(&txn, "key", &id.to_string()).await?;
        }
        None => {}
    }
    audit::record(
        &txn,
        AuditEvent::new("api_key.updated", Some(actor.user.id), client.ip.clone())
            .target("api_key", id)
            .details(serde_json::json!({ "name": edit.name, "limits": limits.is_some() })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Keys);
    if limits.is_some() {
        crate::cluster::changed(state, crate::cluster::Topic::Limits);
    }
    Ok(info(&ApiKey {
        name: edit.name,
        models: edit.models,
        expires_at: edit.expires_at,
        ..key
    }))
}

/// The caller's live keys.
pub async fn list(state: &AppState, actor: &AuthContext) -> ApiResult<Vec<KeyResponse>> {
    let keys = store::list_keys(&state.db.conn, actor.user.id).await?;
    Ok(keys.iter().map(info).collect())
}

/// One of the caller's live keys (anyone else's is a 404).
pub async fn get_own(state: &AppState, actor: &AuthContext, id: Uuid) -> ApiResult<KeyResponse> {
    store::list_keys(&state.db.conn, actor.user.id)
        .await?
        .iter()
        .find(|k| k.id == id)
        .map(info)
        .ok_or_else(|| ApiError::NotFound("no such key".to_owned()))
}

/// Revokes one of the caller's keys at once.
pub async fn revoke(
    state: &AppState,
    actor: &AuthContext,
    id: Uuid,
    client: &ClientInfo,
) -> ApiResult<()> {
    if !store::revoke_key(&state.db.conn, actor.user.id, id, Utc::now()).await? {
        return Err(ApiError::NotFound("no such key".to_owned()));
    }
    crate::cluster::changed(state, crate::cluster::Topic::Keys);
    audit::record(
        &state.db.conn,
        AuditEvent::new("api_key.revoked", Some(actor.user.id), client.ip.clone())
            .target("api_key", id),
    )
    .await?;
    Ok(())
}

/// A caller authenticated by an API key.
#[derive(Debug, Clone)]
pub struct KeyContext {
    /// The key.
    pub key: ApiKey,
    /// Its owner, as stored now.
    pub user: User,
    /// Models the key may use (`None`: all).
    pub models: Option<Vec<String>>,
}

impl KeyContext {
    /// Whether the key may use this model name.
    pub fn allows(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|list| list.iter().any(|m| m == model))
    }
}

/// Why a key was refused (all answered as 401 `invalid_api_key`, with these messages).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Unknown, malformed or revoked.
    #[error("Incorrect API key provided.")]
    Invalid,
    /// Past its expiry.
    #[error("This API key has expired.")]
    Expired,
    /// The owner's account is disabled.
    #[error("The account of this API key is disabled.")]
    Disabled,
    /// Database trouble.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Looks a key up by its keyed hash and checks it and its owner.
pub async fn authenticate(state: &AppState, token: &str) -> Result<KeyContext, KeyError> {
    if !token.starts_with(PREFIX) || token.len() > 128 {
        return Err(KeyError::Invalid);
    }
    let hash = state.auth.keys.hash(token);
    if let Some(ctx) = state.key_cache.get(&hash) {
        // Expiry is a matter of time, not of the cache's age.
        if ctx.key.expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(KeyError::Expired);
        }
        return Ok(ctx);
    }
    let key = store::get_by_hash(&state.db.conn, &hash)
        .await?
        .ok_or(KeyError::Invalid)?;
    if key.revoked_at.is_some() {
        return Err(KeyError::Invalid);
    }
    let now = Utc::now();
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err(KeyError::Expired);
    }
    let user = crate::auth::store::get_user(&state.db.conn, key.user_id)
        .await?
        .ok_or(KeyError::Invalid)?;
    if !user.is_active {
        return Err(KeyError::Disabled);
    }
    // Recording every use would be a write per request; minute precision is enough.
    if key
        .last_used_at
        .is_none_or(|at| now - at > Duration::minutes(1))
    {
        let db = state.db.conn.clone();
        let id = key.id;
        state.tasks.spawn(async move {
            if let Err(e) = store::touch(&db, id, now).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
        });
    }
    let models = key
        .models
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok());
    let ctx = KeyContext { key, user, models };
    state.key_cache.put(hash, ctx.clone());
    Ok(ctx)
}
