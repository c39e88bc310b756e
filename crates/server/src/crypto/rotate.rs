//! Re-encryption of every secret stored with the vault (provider keys, TOTP secrets, OAuth
//! client secrets) from the current key to a new one, in one transaction: either everything
//! moves to the new key or nothing changes.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};

use super::Vault;

/// What a rotation changed.
#[derive(Debug, Default)]
pub struct RotationReport {
    /// Provider keys re-encrypted.
    pub provider_keys: usize,
    /// TOTP secrets re-encrypted.
    pub totp_secrets: usize,
    /// OAuth client secrets re-encrypted.
    pub oauth_secrets: usize,
    /// Ciphertexts already under the new key (an earlier, interrupted run).
    pub already_current: usize,
}

fn reencrypt(
    old: &Vault,
    new: &Vault,
    stored: &str,
    context: &str,
    report: &mut RotationReport,
) -> anyhow::Result<Option<String>> {
    if new.decrypt(stored, context).is_ok() {
        report.already_current += 1;
        return Ok(None);
    }
    let plain = old
        .decrypt(stored, context)
        .map_err(|e| anyhow::anyhow!("{context}: {e}"))?;
    Ok(Some(new.encrypt(&plain, context)?))
}

/// Re-encrypts everything from `old` to `new`.
pub async fn rotate(
    db: &DatabaseConnection,
    old: &Vault,
    new: &Vault,
) -> anyhow::Result<RotationReport> {
    use crate::auth::store::users;
    use crate::oauth::store::providers as oauth;
    use crate::providers::store::keys;

    let mut report = RotationReport::default();
    let txn = db.begin().await?;
    for k in keys::Entity::find().all(&txn).await? {
        let ctx = crate::providers::keys::key_context(k.id);
        if let Some(enc) = reencrypt(old, new, &k.key_enc, &ctx, &mut report)? {
            let mut a = k.into_active_model();
            a.key_enc = Set(enc);
            a.update(&txn).await?;
            report.provider_keys += 1;
        }
    }
    for u in users::Entity::find()
        .filter(users::Column::TotpSecretEnc.is_not_null())
        .all(&txn)
        .await?
    {
        let Some(stored) = u.totp_secret_enc.clone() else {
            continue;
        };
        let ctx = format!("totp:{}", u.id);
        if let Some(enc) = reencrypt(old, new, &stored, &ctx, &mut report)? {
            let mut a = u.into_active_model();
            a.totp_secret_enc = Set(Some(enc));
            a.update(&txn).await?;
            report.totp_secrets += 1;
        }
    }
    for p in oauth::Entity::find().all(&txn).await? {
        let ctx = format!("oauth:{}", p.id);
        if let Some(enc) = reencrypt(old, new, &p.client_secret_enc, &ctx, &mut report)? {
            let mut a = p.into_active_model();
            a.client_secret_enc = Set(enc);
            a.update(&txn).await?;
            report.oauth_secrets += 1;
        }
    }
    txn.commit().await?;
    Ok(report)
}
