//! HTTP handlers of `/api/admin`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::types::{
    AuditEventResponse, AuditPage, AuditQuery, CreateInviteRequest, ExportQuery, InviteResponse,
    ListUsersQuery, Page, RegistrationSettings, UpdateUserRequest, UserPage,
};
use super::{registration, service};
use crate::auth::extract::{AdminUser, Client};
use crate::auth::types::UserResponse;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// Search and page through users.
#[utoipa::path(get, path = "/users", tag = "admin", params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of users", body = Page<UserResponse>),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn get_users(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    AppQuery(q): AppQuery<ListUsersQuery>,
) -> ApiResult<AppJson<UserPage>> {
    Ok(AppJson(service::list_users(&state, q).await?))
}

/// Change a user's role or enable/disable them (takes effect on their next request).
#[utoipa::path(patch, path = "/users/{id}", tag = "admin", request_body = UpdateUserRequest,
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Updated user", body = UserResponse),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "Would leave no active admin", body = ErrorBody),
    ))]
pub async fn patch_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
    AppJson(req): AppJson<UpdateUserRequest>,
) -> ApiResult<AppJson<UserResponse>> {
    let user = service::update_user(&state, &admin, id, req, &client).await?;
    Ok(AppJson(UserResponse::from(&user)))
}

/// Delete a user with all their data.
#[utoipa::path(delete, path = "/users/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The last active admin", body = ErrorBody),
    ))]
pub async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete_user(&state, &admin, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail the user a password reset link.
#[utoipa::path(post, path = "/users/{id}/reset-password", tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 202, description = "Reset mail sent"), (status = 404, description = "No such user", body = ErrorBody)))]
pub async fn post_user_reset_password(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    crate::auth::recovery::admin_reset(&state, &admin, id, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Export all users as CSV or JSON (no password hashes or secrets).
#[utoipa::path(get, path = "/users/export", tag = "admin", params(ExportQuery),
    responses(
        (status = 200, description = "CSV or JSON file",
            content(([UserResponse] = "application/json"), (String = "text/csv"))),
        (status = 422, description = "Unknown format", body = ErrorBody),
    ))]
pub async fn get_users_export(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppQuery(q): AppQuery<ExportQuery>,
) -> ApiResult<Response> {
    let (content_type, name) = match q.format.as_str() {
        "csv" => ("text/csv; charset=utf-8", "users.csv"),
        "json" => ("application/json", "users.json"),
        _ => return Err(ApiError::field("format", "must be csv or json")),
    };
    let users = service::export_users(&state, &admin, &client).await?;
    let body = if q.format == "csv" {
        service::users_csv(&users)
    } else {
        serde_json::to_string_pretty(&users).map_err(anyhow::Error::from)?
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Read the audit log (logins, failures, role changes, deletions…), newest first.
#[utoipa::path(get, path = "/audit-log", tag = "admin", params(AuditQuery),
    responses((status = 200, description = "A page of events", body = Page<AuditEventResponse>)))]
pub async fn get_audit_log(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    AppQuery(q): AppQuery<AuditQuery>,
) -> ApiResult<AppJson<AuditPage>> {
    Ok(AppJson(service::audit_log(&state, q).await?))
}

/// Registration mode.
#[utoipa::path(get, path = "/settings/registration", tag = "admin",
    responses((status = 200, description = "Settings", body = RegistrationSettings)))]
pub async fn get_registration_settings(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<RegistrationSettings>> {
    Ok(AppJson(registration::get_settings(&state).await?))
}

/// Set the registration mode: `open`, `invite_only` or `closed`.
#[utoipa::path(put, path = "/settings/registration", tag = "admin", request_body = RegistrationSettings,
    responses((status = 200, description = "Settings", body = RegistrationSettings), (status = 422, description = "Unknown mode", body = ErrorBody)))]
pub async fn put_registration_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppJson(req): AppJson<RegistrationSettings>,
) -> ApiResult<AppJson<RegistrationSettings>> {
    Ok(AppJson(
        registration::put_settings(&state, &admin, req, &client).await?,
    ))
}

/// Create an invitation; the code is shown only in this answer.
#[utoipa::path(post, path = "/invites", tag = "admin", request_body = CreateInviteRequest,
    responses((status = 201, description = "Invitation with its code", body = InviteResponse), (status = 422, description = "Invalid fields", body = ErrorBody)))]
pub async fn post_invite(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppJson(req): AppJson<CreateInviteRequest>,
) -> ApiResult<(StatusCode, AppJson<InviteResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(registration::create_invite(&state, &admin, req, &client).await?),
    ))
}

/// The latest invitations (without codes).
#[utoipa::path(get, path = "/invites", tag = "admin",
    responses((status = 200, description = "Invitations", body = [InviteResponse])))]
pub async fn get_invites(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<Vec<InviteResponse>>> {
    Ok(AppJson(registration::list_invites(&state).await?))
}

/// Withdraw an unused invitation.
#[utoipa::path(delete, path = "/invites/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such unused invitation", body = ErrorBody)))]
pub async fn delete_invite(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    registration::delete_invite(&state, &admin, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
