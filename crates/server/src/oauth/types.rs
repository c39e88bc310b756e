//! Request and response types of sign-in with external providers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `POST /api/admin/oauth-providers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateOAuthProviderRequest)]
pub struct CreateProviderRequest {
    /// URL name: 2–32 of `a-z`, `0-9`, `-`.
    #[schema(pattern = "^[a-z0-9-]{2,32}$")]
    pub slug: String,
    /// `oidc` (any OpenID Connect issuer, by discovery), `google` or `github`.
    #[schema(pattern = "^(oidc|google|github)$")]
    pub kind: String,
    /// Button text (default: from the kind).
    pub display_name: Option<String>,
    /// Issuer URL for `oidc` (discovery is fetched from it).
    pub issuer: Option<String>,
    /// OAuth client id.
    #[schema(pattern = "^[^\\u0000]*\\S[^\\u0000]*$")]
    pub client_id: String,
    /// OAuth client secret (stored encrypted, never shown again).
    #[schema(min_length = 1)]
    pub client_secret: String,
    /// Scopes (default: `openid email profile`; GitHub: `read:user user:email`).
    pub scopes: Option<String>,
    /// Offer it on the login page (default true).
    pub enabled: Option<bool>,
}

/// A provider as admins see it (no secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = OAuthProviderResponse)]
pub struct ProviderResponse {
    /// Id.
    pub id: Uuid,
    /// URL name.
    pub slug: String,
    /// Kind.
    pub kind: String,
    /// Button text.
    pub display_name: String,
    /// Issuer.
    pub issuer: Option<String>,
    /// Client id.
    pub client_id: String,
    /// Scopes.
    pub scopes: String,
    /// Offered on the login page.
    pub enabled: bool,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
}

/// A provider as the login page sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicProvider {
    /// URL name: start at `/api/auth/oauth/{slug}/start`.
    pub slug: String,
    /// Button text.
    pub display_name: String,
    /// Kind (for an icon).
    pub kind: String,
}

/// Query of `/api/auth/oauth/{slug}/start`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StartQuery {
    /// Where to go after signing in (a path on this site).
    pub next: Option<String>,
    /// `true`: link the identity to the signed-in account instead of signing in.
    pub link: Option<bool>,
}

/// Query of the callback.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Authorization code.
    pub code: Option<String>,
    /// Our state.
    pub state: Option<String>,
    /// Error from the provider.
    pub error: Option<String>,
}

/// A linked identity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IdentityResponse {
    /// Id.
    pub id: Uuid,
    /// Provider slug.
    pub provider: String,
    /// Email at the provider.
    pub email: Option<String>,
    /// Linked.
    pub created_at: DateTime<Utc>,
}
