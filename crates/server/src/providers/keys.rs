//! Provider keys: encrypted in the vault bound to their row, added and removed with an audit
//! row in one transaction; each key is a channel of its provider.

use chrono::Utc;
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use uuid::Uuid;

use super::service::with_keys;
use super::store::{self, Provider, ProviderKey};
use super::types::ProviderResponse;
use super::validate;
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Vault context of a provider key: binds the ciphertext to its row.
pub fn key_context(key_id: Uuid) -> String {
    format!("provider-key:{key_id}")
}

/// A new key row, encrypted.
pub fn new_key(state: &AppState, provider_id: Uuid, key: &str) -> ApiResult<ProviderKey> {
    let id = Uuid::now_v7();
    Ok(ProviderKey {
        id,
        provider_id,
        key_enc: state.vault.encrypt(key.as_bytes(), &key_context(id))?,
        hint: validate::hint(key),
        enabled: true,
        created_at: Utc::now(),
    })
}

/// Adds a key (a new channel).
pub async fn add_key(
    state: &AppState,
    actor: &AuthContext,
    p: Provider,
    raw: &str,
    client: &ClientInfo,
) -> ApiResult<ProviderResponse> {
    let key = validate::api_key("api_key", raw)?;
    let txn = state.db.conn.begin().await?;
    let stored = store::insert_key(&txn, new_key(state, p.id, &key)?).await?;
    audit::record(
        &txn,
        AuditEvent::new("provider.key_added", Some(actor.user.id), client.ip.clone())
            .target("provider", p.id)
            .details(serde_json::json!({ "key_id": stored.id, "hint": stored.hint })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    with_keys(state, &p, true).await
}

/// Removes a key.
pub async fn delete_key(
    state: &AppState,
    actor: &AuthContext,
    p: Provider,
    key_id: Uuid,
    client: &ClientInfo,
) -> ApiResult<ProviderResponse> {
    let txn = state.db.conn.begin().await?;
    if !store::delete_key(&txn, p.id, key_id).await? {
        return Err(ApiError::NotFound("no such key".to_owned()));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            "provider.key_deleted",
            Some(actor.user.id),
            client.ip.clone(),
        )
        .target("provider", p.id)
        .details(serde_json::json!({ "key_id": key_id })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Providers);
    with_keys(state, &p, true).await
}

/// Decrypts a stored key.
pub fn decrypt_key(state: &AppState, k: &ProviderKey) -> anyhow::Result<SecretString> {
    let plain = state.vault.decrypt(&k.key_enc, &key_context(k.id))?;
    Ok(SecretString::from(String::from_utf8(plain)?))
}
