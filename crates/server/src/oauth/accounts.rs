//! The accounts behind external identities: linking an identity to a user, creating an
//! account for a new identity (only where registration is open, never over an existing
//! account with the same email), listing and unlinking a user's identities.

use chrono::Utc;
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::client::ExternalUser;
use super::store::{self, Identity, Provider};
use super::types::IdentityResponse;
use crate::audit::{self, AuditEvent};
use crate::auth::registration;
use crate::auth::service::{AuthContext, ClientInfo};
use crate::auth::store::{self as users, User};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Links `who` to the user and audits it (the caller commits both in one transaction).
pub(super) async fn link(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    provider: &Provider,
    who: &ExternalUser,
    client_info: &ClientInfo,
) -> ApiResult<Identity> {
    let identity = store::insert_identity(
        db,
        Identity {
            id: Uuid::now_v7(),
            user_id,
            provider_id: provider.id,
            subject: who.subject.clone(),
            email: who.email.clone(),
            created_at: Utc::now(),
        },
    )
    .await?;
    audit::record(
        db,
        AuditEvent::new(
            "auth.identity_linked",
            Some(user_id),
            client_info.ip.clone(),
        )
        .target("identity", identity.id)
        .details(serde_json::json!({ "provider": provider.slug })),
    )
    .await?;
    Ok(identity)
}

fn username_from(who: &ExternalUser) -> String {
    let base = who
        .username
        .clone()
        .or_else(|| {
            who.email
                .as_ref()
                .and_then(|e| e.split('@').next().map(str::to_owned))
        })
        .unwrap_or_else(|| "user".to_owned());
    let mut name: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(26)
        .collect();
    while name.len() < 3 {
        name.push('_');
    }
    name
}

pub(super) async fn create_account(
    state: &AppState,
    provider: &Provider,
    who: &ExternalUser,
    client_info: &ClientInfo,
) -> ApiResult<User> {
    let db = &state.db.conn;
    if registration::registration_mode(db).await? != "open" {
        return Err(ApiError::Forbidden(
            "no account is linked to this identity, and registration is not open here".to_owned(),
        ));
    }
    let email = who
        .email
        .clone()
        .filter(|_| who.email_verified)
        .ok_or_else(|| {
            ApiError::Forbidden(format!(
                "{} did not share a verified email address",
                provider.display_name
            ))
        })?;
    let (_, taken) = users::find_taken(db, "", &email.to_lowercase()).await?;
    if taken {
        return Err(ApiError::Conflict(
            "an account with this email already exists: sign in with its password and link this provider in your settings".to_owned(),
        ));
    }
    let mut username = username_from(who);
    if users::find_taken(db, &username.to_lowercase(), "").await?.0 {
        username = format!("{username}-{}", &Uuid::now_v7().simple().to_string()[24..]);
    }
    let user = registration::external_user(&username, &email);
    // The account, its identity and both audit rows, or none of them.
    let txn = db.begin().await?;
    let user = users::insert_user(&txn, user).await?;
    link(&txn, user.id, provider, who, client_info).await?;
    audit::record(
        &txn,
        AuditEvent::new("user.registered", Some(user.id), client_info.ip.clone())
            .target("user", user.id)
            .details(serde_json::json!({ "provider": provider.slug })),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The caller's linked identities.
pub async fn list_identities(
    state: &AppState,
    ctx: &AuthContext,
) -> ApiResult<Vec<IdentityResponse>> {
    let providers = store::list_providers(&state.db.conn).await?;
    let identities = store::list_identities(&state.db.conn, ctx.user.id).await?;
    Ok(identities
        .iter()
        .map(|i| IdentityResponse {
            id: i.id,
            provider: providers
                .iter()
                .find(|p| p.id == i.provider_id)
                .map_or_else(String::new, |p| p.slug.clone()),
            email: i.email.clone(),
            created_at: i.created_at,
        })
        .collect())
}

/// Unlinks an identity, unless it is the account's only way to sign in.
pub async fn unlink(
    state: &AppState,
    ctx: &AuthContext,
    id: Uuid,
    client_info: &ClientInfo,
) -> ApiResult<()> {
    let db = &state.db.conn;
    let identities = store::list_identities(db, ctx.user.id).await?;
    if !identities.iter().any(|i| i.id == id) {
        return Err(ApiError::NotFound("no such linked identity".to_owned()));
    }
    if ctx.user.password_hash.is_none() && identities.len() == 1 {
        return Err(ApiError::Conflict(
            "this is your only way to sign in; set a password (reset it by mail) first".to_owned(),
        ));
    }
    store::delete_identity(db, ctx.user.id, id).await?;
    audit::record(
        db,
        AuditEvent::new(
            "auth.identity_unlinked",
            Some(ctx.user.id),
            client_info.ip.clone(),
        )
        .target("identity", id),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_from_identities_are_valid() {
        let who = ExternalUser {
            email: Some("Jo Ann+x@example.com".into()),
            ..ExternalUser::default()
        };
        assert_eq!(username_from(&who), "JoAnnx");
        let who = ExternalUser {
            username: Some("é".into()),
            ..ExternalUser::default()
        };
        assert_eq!(username_from(&who), "___");
    }
}
