//! HTTP handlers of `/api/auth`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::extract::{AuthUser, CSRF_COOKIE, Client, SESSION_COOKIE};
use super::service::{self, LoginOutcome};
use super::tokens::SESSION_TTL_DAYS;
use super::types::{
    ChangePasswordRequest, CookieLoginResponse, LoginRequest, RefreshRequest, RegisterRequest,
    RegistrationInfo, SessionResponse, SetupRequest, TokenResponse, TwoFactorChallengeResponse,
    UpdateProfileRequest, UserResponse,
};
use super::{account, registration};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
use crate::state::AppState;

/// Register a new account (role `user`).
#[utoipa::path(post, path = "/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserResponse),
        (status = 403, description = "Registration is closed", body = ErrorBody),
        (status = 422, description = "Invalid or taken fields, each named", body = ErrorBody),
    ))]
pub async fn post_register(
    State(state): State<AppState>,
    Client(client): Client,
    AppJson(req): AppJson<RegisterRequest>,
) -> ApiResult<(StatusCode, AppJson<UserResponse>)> {
    let user = registration::register(&state, req, &client).await?;
    Ok((StatusCode::CREATED, AppJson(UserResponse::from(&user))))
}

/// How accounts are made here: `open`, `invite_only` or `closed`.
#[utoipa::path(get, path = "/registration", tag = "auth",
    responses((status = 200, description = "Registration mode", body = RegistrationInfo)))]
pub async fn get_registration(
    State(state): State<AppState>,
) -> ApiResult<AppJson<RegistrationInfo>> {
    Ok(AppJson(RegistrationInfo {
        mode: registration::registration_mode(&state.db.conn).await?,
    }))
}

/// Create the first admin with the one-time setup token printed in the log at start.
#[utoipa::path(post, path = "/setup", tag = "auth", request_body = SetupRequest,
    responses(
        (status = 201, description = "Admin created", body = UserResponse),
        (status = 403, description = "Wrong or used setup token", body = ErrorBody),
        (status = 409, description = "An admin already exists", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    ))]
pub async fn post_setup(
    State(state): State<AppState>,
    AppJson(req): AppJson<SetupRequest>,
) -> ApiResult<(StatusCode, AppJson<UserResponse>)> {
    let user = registration::bootstrap_admin(
        &state.db.conn,
        &state.auth.keys,
        Some(&req.token),
        &req.username,
        &req.email,
        &req.password,
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(UserResponse::from(&user))))
}

/// Log in with username or email. Returns bearer tokens, or with `use_cookie` sets the web
/// UI's session cookie and returns a CSRF token.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Tokens; with use_cookie a CookieLoginResponse; with 2FA on a TwoFactorChallengeResponse", body = TokenResponse),
        (status = 401, description = "Invalid username or password (the same for unknown accounts)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody),
    ))]
pub async fn post_login(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Response> {
    let outcome = service::login(&state, req, &client).await?;
    Ok(login_response(&state, &headers, outcome))
}

/// Turns a login outcome into its response (tokens, challenge, or cookies).
pub(crate) fn login_response(
    state: &AppState,
    headers: &HeaderMap,
    outcome: LoginOutcome,
) -> Response {
    match outcome {
        LoginOutcome::Tokens(tokens) => AppJson(tokens).into_response(),
        LoginOutcome::TwoFactorRequired { challenge_token } => {
            AppJson(TwoFactorChallengeResponse {
                two_factor_required: true,
                challenge_token,
                expires_in: super::tokens::CHALLENGE_TTL_SECS,
            })
            .into_response()
        }
        LoginOutcome::Cookie {
            cookie,
            csrf_token,
            user,
        } => {
            let secure = is_https(state, headers);
            let max_age = SESSION_TTL_DAYS * 24 * 3600;
            let mut res = AppJson(CookieLoginResponse {
                csrf_token: csrf_token.clone(),
                user: UserResponse::from(&user),
            })
            .into_response();
            append_cookie(&mut res, SESSION_COOKIE, &cookie, max_age, true, secure);
            append_cookie(&mut res, CSRF_COOKIE, &csrf_token, max_age, false, secure);
            res
        }
    }
}

/// Exchange a refresh token (single use) for new tokens.
#[utoipa::path(post, path = "/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Invalid, used or expired refresh token", body = ErrorBody),
    ))]
pub async fn post_refresh(
    State(state): State<AppState>,
    Client(client): Client,
    AppJson(req): AppJson<RefreshRequest>,
) -> ApiResult<AppJson<TokenResponse>> {
    Ok(AppJson(
        service::refresh(&state, &req.refresh_token, &client).await?,
    ))
}

/// End the current session: its access token, refresh tokens and cookie stop working now.
#[utoipa::path(post, path = "/logout", tag = "auth",
    responses((status = 204, description = "Logged out"), (status = 401, description = "Not logged in", body = ErrorBody)))]
pub async fn post_logout(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    AuthUser(ctx): AuthUser,
) -> ApiResult<Response> {
    service::logout(&state, &ctx, &client).await?;
    let secure = is_https(&state, &headers);
    let mut res = StatusCode::NO_CONTENT.into_response();
    append_cookie(&mut res, SESSION_COOKIE, "", 0, true, secure);
    append_cookie(&mut res, CSRF_COOKIE, "", 0, false, secure);
    Ok(res)
}

/// The caller's profile.
#[utoipa::path(get, path = "/profile", tag = "auth",
    responses((status = 200, description = "Profile", body = UserResponse), (status = 401, description = "Not logged in", body = ErrorBody)))]
pub async fn get_profile(AuthUser(ctx): AuthUser) -> AppJson<UserResponse> {
    AppJson(UserResponse::from(&ctx.user))
}

/// Update display name, bio, language and time zone. Other fields are refused.
#[utoipa::path(put, path = "/profile", tag = "auth", request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "Updated profile", body = UserResponse),
        (status = 422, description = "Invalid or unknown fields", body = ErrorBody),
    ))]
pub async fn put_profile(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    AppJson(req): AppJson<UpdateProfileRequest>,
) -> ApiResult<AppJson<UserResponse>> {
    let user = account::update_profile(&state, &ctx, req).await?;
    Ok(AppJson(UserResponse::from(&user)))
}

/// Change the password; every other session of the user ends.
#[utoipa::path(post, path = "/password/change", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 422, description = "Wrong old password or weak new one", body = ErrorBody),
    ))]
pub async fn post_password_change(
    State(state): State<AppState>,
    Client(client): Client,
    AuthUser(ctx): AuthUser,
    AppJson(req): AppJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    account::change_password(&state, &ctx, req, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's live sessions (device, IP, last seen).
#[utoipa::path(get, path = "/sessions", tag = "auth",
    responses((status = 200, description = "Sessions", body = [SessionResponse])))]
pub async fn get_sessions(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<Vec<SessionResponse>>> {
    let sessions = account::list_sessions(&state, &ctx).await?;
    Ok(AppJson(
        sessions
            .iter()
            .map(|s| SessionResponse::new(s, ctx.session_id))
            .collect(),
    ))
}

/// End one of the caller's sessions.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "auth",
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204, description = "Ended"), (status = 404, description = "No such session of yours", body = ErrorBody)))]
pub async fn delete_session(
    State(state): State<AppState>,
    Client(client): Client,
    AuthUser(ctx): AuthUser,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    account::revoke_session(&state, &ctx, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cookies are `Secure` when the server is reached over HTTPS (PUBLIC_URL, or a proxy's
/// `X-Forwarded-Proto`).
pub(crate) fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .config
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https")
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

pub(crate) fn append_cookie(
    res: &mut Response,
    name: &str,
    value: &str,
    max_age: i64,
    http_only: bool,
    secure: bool,
) {
    let cookie = cookie::Cookie::build((name, value))
        .path("/")
        .http_only(http_only)
        .secure(secure)
        .same_site(if http_only {
            cookie::SameSite::Lax
        } else {
            cookie::SameSite::Strict
        })
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}
