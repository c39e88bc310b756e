//! HTTP handlers of `/api/auth` for account security: second login factor, email
//! verification, password reset, two-factor setup and avatars.

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::{AuthUser, Client};
use super::routes::login_response;
use super::two_factor::{RecoveryCodesResponse, TwoFactorSetupResponse};
use super::types::{
    DisableTwoFactorRequest, EnableTwoFactorRequest, ResetConfirmRequest, ResetRequest,
    SecondFactorRequest, TokenRequest, TokenResponse, UserResponse,
};
use super::{avatar, recovery, service, two_factor};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::state::AppState;

/// Second login step: the challenge from `/login` and a TOTP or recovery code.
#[utoipa::path(post, path = "/login/2fa", tag = "auth", request_body = SecondFactorRequest,
    responses(
        (status = 200, description = "As a successful login", body = TokenResponse),
        (status = 401, description = "Wrong code or expired challenge", body = ErrorBody),
        (status = 429, description = "Too many failures", body = ErrorBody),
    ))]
pub async fn post_login_2fa(
    State(state): State<AppState>,
    Client(client): Client,
    headers: HeaderMap,
    AppJson(req): AppJson<SecondFactorRequest>,
) -> ApiResult<Response> {
    let outcome = service::login_second_step(
        &state,
        &req.challenge_token,
        &req.code,
        req.use_cookie,
        &client,
    )
    .await?;
    Ok(login_response(&state, &headers, outcome))
}

/// Mail a new verification link to the caller's address.
#[utoipa::path(post, path = "/send-verification", tag = "auth",
    responses((status = 202, description = "Sent"), (status = 409, description = "Already verified", body = ErrorBody)))]
pub async fn post_send_verification(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<StatusCode> {
    recovery::resend_verification(&state, &ctx).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Verify an email address with the token from the mail.
#[utoipa::path(post, path = "/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 204, description = "Verified"), (status = 400, description = "Invalid or expired token", body = ErrorBody)))]
pub async fn post_verify_email(
    State(state): State<AppState>,
    Client(client): Client,
    AppJson(req): AppJson<TokenRequest>,
) -> ApiResult<StatusCode> {
    recovery::verify_email(&state, &req.token, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask for a password reset mail. Always 202: whether the account exists is not revealed.
#[utoipa::path(post, path = "/password/reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "If the address belongs to an account, a mail is on its way")))]
pub async fn post_password_reset(
    State(state): State<AppState>,
    Client(client): Client,
    AppJson(req): AppJson<ResetRequest>,
) -> ApiResult<StatusCode> {
    recovery::request_reset(&state, &req.email, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from the reset mail; every session ends.
#[utoipa::path(post, path = "/password/reset/confirm", tag = "auth", request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Invalid, used or expired token", body = ErrorBody),
        (status = 422, description = "Weak password", body = ErrorBody),
    ))]
pub async fn post_password_reset_confirm(
    State(state): State<AppState>,
    Client(client): Client,
    AppJson(req): AppJson<ResetConfirmRequest>,
) -> ApiResult<StatusCode> {
    recovery::confirm_reset(&state, &req.token, req.new_password, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start two-factor setup: a new secret, its otpauth URI and a QR code (SVG).
#[utoipa::path(post, path = "/2fa/setup", tag = "auth",
    responses((status = 200, description = "Secret and QR code", body = TwoFactorSetupResponse), (status = 409, description = "Already on", body = ErrorBody)))]
pub async fn post_2fa_setup(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<TwoFactorSetupResponse>> {
    Ok(AppJson(two_factor::setup(&state, &ctx).await?))
}

/// Turn two-factor login on with a current code; returns 10 recovery codes, once.
#[utoipa::path(post, path = "/2fa/enable", tag = "auth", request_body = EnableTwoFactorRequest,
    responses((status = 200, description = "Recovery codes", body = RecoveryCodesResponse), (status = 422, description = "Wrong code", body = ErrorBody)))]
pub async fn post_2fa_enable(
    State(state): State<AppState>,
    Client(client): Client,
    AuthUser(ctx): AuthUser,
    AppJson(req): AppJson<EnableTwoFactorRequest>,
) -> ApiResult<AppJson<RecoveryCodesResponse>> {
    Ok(AppJson(
        two_factor::enable(&state, &ctx, &req.code, &client).await?,
    ))
}

/// Turn two-factor login off (password and a current or recovery code).
#[utoipa::path(post, path = "/2fa/disable", tag = "auth", request_body = DisableTwoFactorRequest,
    responses((status = 204, description = "Off"), (status = 422, description = "Wrong password or code", body = ErrorBody)))]
pub async fn post_2fa_disable(
    State(state): State<AppState>,
    Client(client): Client,
    AuthUser(ctx): AuthUser,
    AppJson(req): AppJson<DisableTwoFactorRequest>,
) -> ApiResult<StatusCode> {
    two_factor::disable(&state, &ctx, req.password, &req.code, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload an avatar (multipart field `file`: PNG, JPEG, WebP or GIF, ≤ 5 MiB). It is
/// re-encoded as a square PNG of at most 512 px.
#[utoipa::path(post, path = "/avatar", tag = "auth",
    request_body(content = crate::files::types::ImageUpload, content_type = "multipart/form-data", description = "Field `file`: the image"),
    responses(
        (status = 200, description = "Updated user", body = UserResponse),
        (status = 413, description = "Larger than 5 MiB", body = ErrorBody),
        (status = 415, description = "Not PNG/JPEG/WebP/GIF", body = ErrorBody),
        (status = 422, description = "Not a readable image", body = ErrorBody),
    ))]
pub async fn post_avatar(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> ApiResult<AppJson<UserResponse>> {
    let Some(bytes) =
        crate::files::form::only_file(&headers, multipart, avatar::MAX_BYTES, too_large).await?
    else {
        return Err(ApiError::field(
            "file",
            "is required (multipart field `file`)",
        ));
    };
    let user = avatar::upload(&state, &ctx, bytes).await?;
    Ok(AppJson(UserResponse::from(&user)))
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge("the avatar must be at most 5 MiB".to_owned())
}

/// The caller's avatar (PNG).
#[utoipa::path(get, path = "/avatar", tag = "auth",
    responses((status = 200, description = "PNG image", content_type = "image/png"), (status = 404, description = "No avatar", body = ErrorBody)))]
pub async fn get_avatar(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<Response> {
    let png = avatar::read(&state, &ctx).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox",
            ),
        ],
        png,
    )
        .into_response())
}
