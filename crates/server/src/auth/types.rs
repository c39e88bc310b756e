//! Request and response types of the accounts API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::store::{Session, User};

/// `POST /api/auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3–32 characters: letters, digits, `_`, `-`, `.`; unique regardless of case.
    #[schema(pattern = "^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    /// A valid, unused email address.
    #[schema(format = Email)]
    pub email: String,
    /// At least 8 characters, not a common password.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
    /// Invitation code; required when registration is invite-only.
    pub invite_code: Option<String>,
}

/// `GET /api/auth/registration`: how new accounts are made here.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationInfo {
    /// `open`, `invite_only` or `closed`.
    pub mode: String,
}

/// `POST /api/auth/setup`: create the first admin with the one-time setup token from the log.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The setup token printed at start while no admin exists.
    pub token: String,
    /// Admin username (as for registration).
    #[schema(pattern = "^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    /// Admin email.
    #[schema(format = Email)]
    pub email: String,
    /// Admin password (as for registration).
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email.
    pub username: String,
    /// Password.
    pub password: String,
    /// `true` (the web UI): answer with an HttpOnly session cookie and a CSRF token instead
    /// of bearer tokens.
    #[serde(default)]
    pub use_cookie: bool,
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from login or the previous refresh; single use.
    pub refresh_token: String,
}

/// Tokens for API clients.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`, valid `expires_in` seconds.
    pub access_token: String,
    /// Single-use token for `POST /api/auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The user.
    pub user: UserResponse,
}

/// Answer to a cookie login: the session is in the HttpOnly cookie.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CookieLoginResponse {
    /// Send as `X-CSRF-Token` on state-changing requests (also in the `llmm_csrf` cookie).
    pub csrf_token: String,
    /// The user.
    pub user: UserResponse,
}

/// A user as the user (or an admin) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    /// Id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// Whether the email is verified.
    pub email_verified: bool,
    /// `admin`, `user` or `guest`.
    pub role: String,
    /// Whether the account is enabled.
    pub is_active: bool,
    /// Shown name.
    pub display_name: Option<String>,
    /// Short self-description.
    pub bio: Option<String>,
    /// UI language.
    pub language: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Where the user's own avatar is served (`None`: no avatar).
    pub avatar_url: Option<String>,
    /// Whether login asks for a TOTP code.
    pub two_factor_enabled: bool,
    /// What the user may manage beyond their own things (`models`); admins may
    /// manage everything whatever this says.
    pub permissions: Vec<String>,
}

impl From<&User> for UserResponse {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified_at.is_some(),
            role: u.role.clone(),
            is_active: u.is_active,
            display_name: u.display_name.clone(),
            bio: u.bio.clone(),
            language: u.language.clone(),
            timezone: u.timezone.clone(),
            created_at: u.created_at,
            last_login_at: u.last_login_at,
            avatar_url: u
                .avatar_file
                .as_ref()
                .map(|f| format!("/api/auth/avatar?v={}", f.trim_end_matches(".png"))),
            two_factor_enabled: u.totp_enabled_at.is_some(),
            permissions: super::permissions::of(u)
                .map(|p| p.as_str().to_owned())
                .collect(),
        }
    }
}

/// `PUT /api/auth/profile`: only these fields can change; anything else is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    /// New email address: it becomes unverified and a verification mail is sent.
    #[schema(format = Email)]
    pub email: Option<String>,
    /// Shown name (≤ 64 characters); empty clears it.
    #[schema(max_length = 64, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    pub display_name: Option<String>,
    /// Self-description (≤ 500 characters, line breaks and tabs allowed); empty clears it.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"
    )]
    pub bio: Option<String>,
    /// `en` or `zh-CN` (empty: follow the browser).
    #[schema(pattern = "^(en|zh-CN)?$")]
    pub language: Option<String>,
    /// IANA time zone such as `Asia/Shanghai`.
    pub timezone: Option<String>,
}

/// `POST /api/auth/password/change`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// Current password.
    pub old_password: String,
    /// New password (same rules as registration).
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// One login session in `GET /api/auth/sessions`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = LoginSessionResponse)]
pub struct SessionResponse {
    /// Id (for `DELETE /api/auth/sessions/{id}`).
    pub id: Uuid,
    /// `token` or `cookie`.
    pub kind: String,
    /// Browser or client, from its User-Agent.
    pub user_agent: Option<String>,
    /// IP address at login.
    pub ip: Option<String>,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl SessionResponse {
    /// The view of `s`, marking the caller's own session.
    pub fn new(s: &Session, current: Uuid) -> Self {
        Self {
            id: s.id,
            kind: s.kind.clone(),
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            current: s.id == current,
        }
    }
}

/// Answer to a login whose password was right but which needs a second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorChallengeResponse {
    /// Always `true`.
    pub two_factor_required: bool,
    /// Send with the code to `POST /api/auth/login/2fa`.
    pub challenge_token: String,
    /// Seconds the challenge stays valid.
    pub expires_in: i64,
}

/// `POST /api/auth/login/2fa`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    /// From the login answer.
    pub challenge_token: String,
    /// Current 6-digit TOTP code, or a recovery code.
    pub code: String,
    /// As in `LoginRequest`.
    #[serde(default)]
    pub use_cookie: bool,
}

/// A request carrying a one-time token from a mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token from the link.
    pub token: String,
}

/// `POST /api/auth/password/reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's email address.
    #[schema(format = Email)]
    pub email: String,
}

/// `POST /api/auth/password/reset/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmRequest {
    /// The token from the mail.
    pub token: String,
    /// New password (same rules as registration).
    #[schema(min_length = 8, max_length = 256)]
    pub new_password: String,
}

/// `POST /api/auth/2fa/enable`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableTwoFactorRequest {
    /// Current code from the authenticator app.
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: String,
}

/// `POST /api/auth/2fa/disable`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactorRequest {
    /// Current password.
    pub password: String,
    /// Current code or a recovery code.
    pub code: String,
}
