//! TOTP two-factor login (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step): setup with an otpauth URI
//! and QR code, enable with a code (10 single-use recovery codes are issued), disable with
//! password + code, and the second login step. The secret is encrypted at rest; a code is
//! accepted once.

use chrono::Utc;
use rand::seq::IndexedRandom;
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};
use totp_rs::{Algorithm, Secret, TOTP};

use super::security_store;
use super::service::{AuthContext, ClientInfo};
use super::store::{self, User};
use super::{password, tokens};
use crate::audit::{self, AuditEvent};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What the user needs to add the account to an authenticator app.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TwoFactorSetupResponse {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://totp/...` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Recovery codes, shown once.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RecoveryCodesResponse {
    /// Ten single-use codes, each usable instead of a TOTP code.
    pub recovery_codes: Vec<String>,
}

fn context(user_id: uuid::Uuid) -> String {
    format!("totp:{user_id}")
}

fn totp_for(secret: Vec<u8>, username: &str) -> ApiResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("LLM Manager".to_owned()),
        username.replace(':', "_"),
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("totp: {e}")))
}

fn user_totp(state: &AppState, user: &User) -> ApiResult<TOTP> {
    let enc = user
        .totp_secret_enc
        .as_deref()
        .ok_or_else(|| ApiError::Conflict("two-factor login is not set up".to_owned()))?;
    let secret = state.vault.decrypt(enc, &context(user.id))?;
    totp_for(secret, &user.username)
}

/// The time step a code matches (now ±1), if it is newer than the last one accepted.
fn matching_step(totp: &TOTP, code: &str, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = Utc::now().timestamp();
    let step = now.div_euclid(30);
    [step - 1, step, step + 1].into_iter().find(|s| {
        last_step.is_none_or(|last| *s > last)
            && u64::try_from(s * 30)
                .is_ok_and(|t| tokens::constant_time_eq(&totp.generate(t), &code))
    })
}

/// `POST /api/auth/2fa/setup`: a new secret, stored encrypted but not yet enabled.
pub async fn setup(state: &AppState, ctx: &AuthContext) -> ApiResult<TwoFactorSetupResponse> {
    if ctx.user.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict(
            "two-factor login is already on; disable it first".to_owned(),
        ));
    }
    let secret = Secret::generate_secret();
    let bytes = secret
        .to_bytes()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("totp secret: {e:?}")))?;
    let totp = totp_for(bytes.clone(), &ctx.user.username)?;
    let uri = totp.get_url();
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("qr: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    let mut user = ctx.user.clone().into_active_model();
    user.totp_secret_enc = Set(Some(state.vault.encrypt(&bytes, &context(ctx.user.id))?));
    user.totp_last_step = Set(None);
    store::update_user(&state.db.conn, user).await?;
    Ok(TwoFactorSetupResponse {
        secret: totp.get_secret_base32(),
        otpauth_uri: uri,
        qr_svg,
    })
}

fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(char::from(*ALPHABET.choose(&mut rng).unwrap_or(&b'a')));
    }
    code
}

fn normalise_recovery_code(code: &str) -> String {
    code.trim().to_ascii_lowercase()
}

/// `POST /api/auth/2fa/enable`: proves the app has the secret, turns 2FA on, issues codes.
pub async fn enable(
    state: &AppState,
    ctx: &AuthContext,
    code: &str,
    client: &ClientInfo,
) -> ApiResult<RecoveryCodesResponse> {
    if ctx.user.totp_enabled_at.is_some() {
        return Err(ApiError::Conflict(
            "two-factor login is already on".to_owned(),
        ));
    }
    let totp = user_totp(state, &ctx.user)?;
    let step = matching_step(&totp, code, ctx.user.totp_last_step).ok_or_else(|| {
        ApiError::field("code", "is not the current code of your authenticator app")
    })?;
    let codes: Vec<String> = (0..10).map(|_| new_recovery_code()).collect();
    let hashes = codes
        .iter()
        .map(|c| state.auth.keys.hash(&normalise_recovery_code(c)))
        .collect();
    let now = Utc::now();
    let txn = state.db.conn.begin().await?;
    let mut user = ctx.user.clone().into_active_model();
    user.totp_enabled_at = Set(Some(now));
    user.totp_last_step = Set(Some(step));
    user.updated_at = Set(now);
    store::update_user(&txn, user).await?;
    security_store::replace_recovery_codes(&txn, ctx.user.id, hashes).await?;
    audit::record(
        &txn,
        AuditEvent::new("auth.2fa_enabled", Some(ctx.user.id), client.ip.clone())
            .target("user", ctx.user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(RecoveryCodesResponse {
        recovery_codes: codes,
    })
}

/// Checks a TOTP code or a recovery code for the user, using it up. `false` if neither works.
pub async fn check_code(state: &AppState, user: &User, code: &str) -> ApiResult<bool> {
    let totp = user_totp(state, user)?;
    if let Some(step) = matching_step(&totp, code, user.totp_last_step) {
        let mut active = user.clone().into_active_model();
        active.totp_last_step = Set(Some(step));
        store::update_user(&state.db.conn, active).await?;
        return Ok(true);
    }
    let hash = state.auth.keys.hash(&normalise_recovery_code(code));
    Ok(security_store::use_recovery_code(&state.db.conn, user.id, &hash, Utc::now()).await?)
}

/// `POST /api/auth/2fa/disable`: needs the password and a current code (or recovery code).
pub async fn disable(
    state: &AppState,
    ctx: &AuthContext,
    password_text: String,
    code: &str,
    client: &ClientInfo,
) -> ApiResult<()> {
    if ctx.user.totp_enabled_at.is_none() {
        return Err(ApiError::Conflict("two-factor login is not on".to_owned()));
    }
    if !password::verify(password_text, ctx.user.password_hash.clone()).await? {
        return Err(ApiError::field("password", "is not your current password"));
    }
    if !check_code(state, &ctx.user, code).await? {
        return Err(ApiError::field("code", "is not a valid code"));
    }
    let now = Utc::now();
    let txn = state.db.conn.begin().await?;
    let mut user = ctx.user.clone().into_active_model();
    user.totp_enabled_at = Set(None);
    user.totp_secret_enc = Set(None);
    user.totp_last_step = Set(None);
    user.updated_at = Set(now);
    store::update_user(&txn, user).await?;
    security_store::delete_recovery_codes(&txn, ctx.user.id).await?;
    audit::record(
        &txn,
        AuditEvent::new("auth.2fa_disabled", Some(ctx.user.id), client.ip.clone())
            .target("user", ctx.user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_once_per_step() {
        let totp = totp_for(b"12345678901234567890".to_vec(), "bob").unwrap();
        let now = u64::try_from(Utc::now().timestamp()).unwrap();
        let code = totp.generate(now);
        let step = matching_step(&totp, &code, None).unwrap();
        assert!(
            matching_step(&totp, &code, Some(step)).is_none(),
            "a code works once"
        );
        assert!(matching_step(&totp, "12345", None).is_none());
        assert!(matching_step(&totp, "abcdef", None).is_none());
    }

    #[test]
    fn recovery_codes_look_right() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 9);
        assert_eq!(c.as_bytes()[4], b'-');
        assert_eq!(normalise_recovery_code(" ABCD-EFGH "), "abcd-efgh");
    }
}
