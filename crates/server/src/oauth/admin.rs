//! Admin configuration of sign-in providers: generic OIDC by discovery, Google and GitHub
//! presets; listing and removal.

use chrono::Utc;
use uuid::Uuid;

use super::client;
use super::service::{enabled_or_any, http, redirect_uri};
use super::store::{self, Provider};
use super::types::{CreateProviderRequest, ProviderResponse};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn view(state: &AppState, p: &Provider) -> ProviderResponse {
    ProviderResponse {
        id: p.id,
        slug: p.slug.clone(),
        kind: p.kind.clone(),
        display_name: p.display_name.clone(),
        issuer: p.issuer.clone(),
        client_id: p.client_id.clone(),
        scopes: p.scopes.clone(),
        enabled: p.enabled,
        redirect_uri: redirect_uri(state, &p.slug),
    }
}

/// Where a provider's endpoints are, and its defaults.
struct Endpoints {
    issuer: Option<String>,
    authorization_url: String,
    token_url: String,
    userinfo_url: Option<String>,
    jwks_url: Option<String>,
    default_scopes: &'static str,
    default_name: &'static str,
}

fn check_request(req: &CreateProviderRequest) -> ApiResult<String> {
    let slug = req.slug.trim().to_owned();
    if !(2..=32).contains(&slug.len())
        || !slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::field("slug", "must be 2 to 32 of a-z, 0-9 and -"));
    }
    if req.client_id.trim().is_empty() {
        return Err(ApiError::field("client_id", "is required"));
    }
    if req.client_secret.is_empty() {
        return Err(ApiError::field("client_secret", "is required"));
    }
    Ok(slug)
}

/// GitHub's fixed endpoints, or OIDC / Google endpoints by discovery.
async fn endpoints(req: &CreateProviderRequest) -> ApiResult<Endpoints> {
    let issuer = match (req.kind.as_str(), &req.issuer) {
        ("github", _) => {
            return Ok(Endpoints {
                issuer: None,
                authorization_url: "https://github.com/login/oauth/authorize".to_owned(),
                token_url: "https://github.com/login/oauth/access_token".to_owned(),
                userinfo_url: Some("https://api.github.com/user".to_owned()),
                jwks_url: None,
                default_scopes: "read:user user:email",
                default_name: "GitHub",
            });
        }
        ("google", _) => "https://accounts.google.com".to_owned(),
        ("oidc", Some(i)) if !i.trim().is_empty() => i.trim().trim_end_matches('/').to_owned(),
        ("oidc", _) => {
            return Err(ApiError::field(
                "issuer",
                "is required for an OIDC provider",
            ));
        }
        _ => return Err(ApiError::field("kind", "must be oidc, google or github")),
    };
    let doc = client::discover(&http()?, &issuer)
        .await
        .map_err(|e| ApiError::field("issuer", format!("discovery failed: {e:#}")))?;
    Ok(Endpoints {
        issuer: Some(issuer),
        authorization_url: doc.authorization_endpoint,
        token_url: doc.token_endpoint,
        userinfo_url: doc.userinfo_endpoint,
        jwks_url: Some(doc.jwks_uri),
        default_scopes: "openid email profile",
        default_name: if req.kind == "google" {
            "Google"
        } else {
            "Single sign-on"
        },
    })
}

/// Adds a provider; OIDC and Google endpoints come from discovery.
pub async fn create_provider(
    state: &AppState,
    admin: &AuthContext,
    req: CreateProviderRequest,
    client_info: &ClientInfo,
) -> ApiResult<ProviderResponse> {
    let slug = check_request(&req)?;
    let ep = endpoints(&req).await?;
    let id = Uuid::now_v7();
    let provider = Provider {
        id,
        slug,
        kind: req.kind.clone(),
        display_name: req
            .display_name
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| ep.default_name.to_owned()),
        issuer: ep.issuer,
        authorization_url: ep.authorization_url,
        token_url: ep.token_url,
        userinfo_url: ep.userinfo_url,
        jwks_url: ep.jwks_url,
        client_id: req.client_id.trim().to_owned(),
        client_secret_enc: state
            .vault
            .encrypt(req.client_secret.as_bytes(), &format!("oauth:{id}"))?,
        scopes: req.scopes.unwrap_or_else(|| ep.default_scopes.to_owned()),
        enabled: req.enabled.unwrap_or(true),
        created_at: Utc::now(),
    };
    let provider = match store::insert_provider(&state.db.conn, provider).await {
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            return Err(ApiError::field(
                "slug",
                "is already used by another provider",
            ));
        }
        other => other?,
    };
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.oauth_provider_created",
            Some(admin.user.id),
            client_info.ip.clone(),
        )
        .target("oauth_provider", provider.id)
        .details(serde_json::json!({ "slug": provider.slug, "kind": provider.kind })),
    )
    .await?;
    Ok(view(state, &provider))
}

/// Every provider (admins).
pub async fn list_providers(state: &AppState) -> ApiResult<Vec<ProviderResponse>> {
    Ok(store::list_providers(&state.db.conn)
        .await?
        .iter()
        .map(|p| view(state, p))
        .collect())
}

/// Enabled providers (login page).
pub async fn public_providers(state: &AppState) -> ApiResult<Vec<Provider>> {
    Ok(store::list_providers(&state.db.conn)
        .await?
        .into_iter()
        .filter(|p| p.enabled)
        .collect())
}

/// Removes a provider and the identities linked through it.
pub async fn delete_provider(
    state: &AppState,
    admin: &AuthContext,
    slug: &str,
    client_info: &ClientInfo,
) -> ApiResult<()> {
    let provider = enabled_or_any(state, slug, false).await?;
    store::delete_provider(&state.db.conn, provider.id).await?;
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.oauth_provider_deleted",
            Some(admin.user.id),
            client_info.ip.clone(),
        )
        .target("oauth_provider", provider.id),
    )
    .await?;
    Ok(())
}
