//! Admin rules: listing and changing users (never leaving the server without an active admin),
//! deleting them with their data, exporting, reading the audit log.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, IntoActiveModel, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use super::types::{AuditEventResponse, AuditQuery, ListUsersQuery, Page, UpdateUserRequest};
use crate::audit::{self, AuditEvent, store as audit_store};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::auth::store::{self, User, UserFilter};
use crate::auth::types::UserResponse;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const ROLES: &[&str] = &["admin", "user", "guest"];

/// Page number and size from a query, bounded.
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> ApiResult<(u64, u64)> {
    let p = crate::extract::PageRequest::new(page, per_page, 50, 200)?;
    Ok((p.page, p.per_page))
}

fn check_role(role: Option<&str>) -> ApiResult<()> {
    match role {
        Some(r) if !ROLES.contains(&r) => {
            Err(ApiError::field("role", "must be admin, user or guest"))
        }
        _ => Ok(()),
    }
}

/// Searches users.
pub async fn list_users(state: &AppState, q: ListUsersQuery) -> ApiResult<Page<UserResponse>> {
    check_role(q.role.as_deref())?;
    let (page, per_page) = paging(q.page, q.per_page)?;
    let filter = UserFilter {
        q: q.q,
        role: q.role,
        is_active: q.active,
    };
    let (users, total) = store::list_users(
        &state.db.conn,
        &filter,
        crate::extract::PageRequest { page, per_page }.offset(),
        per_page,
    )
    .await?;
    Ok(Page {
        items: users.iter().map(UserResponse::from).collect(),
        total,
        page,
        per_page,
    })
}

async fn get_user(state: &AppState, id: Uuid) -> ApiResult<User> {
    store::get_user(&state.db.conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such user".to_owned()))
}

/// Changes role, active flag and/or permissions. Disabling ends the user's sessions at once;
/// demoting or disabling the last active admin is refused.
pub async fn update_user(
    state: &AppState,
    admin: &AuthContext,
    id: Uuid,
    req: UpdateUserRequest,
    client: &ClientInfo,
) -> ApiResult<User> {
    check_role(req.role.as_deref())?;
    let permissions = req
        .permissions
        .as_deref()
        .map(crate::auth::permissions::stored_form)
        .transpose()?;
    let user = get_user(state, id).await?;
    let loses_admin = user.role == "admin"
        && user.is_active
        && (req.role.as_deref().is_some_and(|r| r != "admin") || req.is_active == Some(false));
    let now = Utc::now();
    let txn = state.db.conn.begin().await?;
    if loses_admin && store::count_active_admins(&txn).await? <= 1 {
        return Err(ApiError::Conflict(
            "this is the last active admin; promote another user first".to_owned(),
        ));
    }
    let mut active = user.clone().into_active_model();
    if let Some(role) = &req.role {
        active.role = Set(role.clone());
    }
    if let Some(permissions) = permissions {
        active.permissions = Set(permissions);
    }
    if let Some(is_active) = req.is_active {
        active.is_active = Set(is_active);
        if !is_active {
            store::revoke_user_sessions(&txn, id, None, now).await?;
        }
    }
    active.updated_at = Set(now);
    let updated = store::update_user(&txn, active).await?;
    audit::record(
        &txn,
        AuditEvent::new("admin.user_updated", Some(admin.user.id), client.ip.clone())
            .target("user", id)
            .details(json!({
                "role": { "from": user.role, "to": updated.role },
                "is_active": { "from": user.is_active, "to": updated.is_active },
                "permissions": { "from": user.permissions, "to": updated.permissions },
            })),
    )
    .await?;
    txn.commit().await?;
    // Keys of a changed or removed user are looked up again.
    crate::cluster::changed(state, crate::cluster::Topic::Keys);
    Ok(updated)
}

/// Deletes a user and everything they own (foreign keys cascade).
pub async fn delete_user(
    state: &AppState,
    admin: &AuthContext,
    id: Uuid,
    client: &ClientInfo,
) -> ApiResult<()> {
    let user = get_user(state, id).await?;
    let txn = state.db.conn.begin().await?;
    if user.role == "admin" && user.is_active && store::count_active_admins(&txn).await? <= 1 {
        return Err(ApiError::Conflict(
            "this is the last active admin; promote another user first".to_owned(),
        ));
    }
    store::delete_user(&txn, id).await?;
    audit::record(
        &txn,
        AuditEvent::new("admin.user_deleted", Some(admin.user.id), client.ip.clone())
            .target("user", id)
            .details(json!({ "username": user.username })),
    )
    .await?;
    txn.commit().await?;
    // Keys of a changed or removed user are looked up again.
    crate::cluster::changed(state, crate::cluster::Topic::Keys);
    Ok(())
}

/// Every user, for export (no secrets: password hashes are not part of `UserResponse`).
pub async fn export_users(
    state: &AppState,
    admin: &AuthContext,
    client: &ClientInfo,
) -> ApiResult<Vec<UserResponse>> {
    let mut all = Vec::new();
    let filter = UserFilter::default();
    let per_page = 500;
    loop {
        let (users, _) =
            store::list_users(&state.db.conn, &filter, all.len() as u64, per_page).await?;
        let done = (users.len() as u64) < per_page;
        all.extend(users.iter().map(UserResponse::from));
        if done {
            break;
        }
    }
    audit::record(
        &state.db.conn,
        AuditEvent::new(
            "admin.users_exported",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .details(json!({ "count": all.len() })),
    )
    .await?;
    Ok(all)
}

/// One CSV cell: RFC 4180 quoting, and a `'` before `=+-@` so that spreadsheets do not run
/// it as a formula.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Users as CSV (RFC 4180 quoting; cells starting with `=+-@` are prefixed with `'` so that
/// spreadsheets do not run them as formulas).
pub fn users_csv(users: &[UserResponse]) -> String {
    let cell = csv_cell;
    let mut out = String::from(
        "id,username,email,email_verified,role,is_active,display_name,created_at,last_login_at\r\n",
    );
    for u in users {
        let row = [
            u.id.to_string(),
            u.username.clone(),
            u.email.clone(),
            u.email_verified.to_string(),
            u.role.clone(),
            u.is_active.to_string(),
            u.display_name.clone().unwrap_or_default(),
            u.created_at.to_rfc3339(),
            u.last_login_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// Reads the audit log.
pub async fn audit_log(state: &AppState, q: AuditQuery) -> ApiResult<Page<AuditEventResponse>> {
    let (page, per_page) = paging(q.page, q.per_page)?;
    let filter = audit_store::AuditFilter {
        action: q.action,
        actor_id: q.actor_id,
        target_id: q.target_id,
    };
    let (events, total) = audit_store::list_events(
        &state.db.conn,
        &filter,
        crate::extract::PageRequest { page, per_page }.offset(),
        per_page,
    )
    .await?;
    Ok(Page {
        items: events
            .into_iter()
            .map(|e| AuditEventResponse {
                id: e.id,
                actor_id: e.actor_id,
                action: e.action,
                target_type: e.target_type,
                target_id: e.target_id,
                ip: e.ip,
                details: e.details,
                created_at: e.created_at,
            })
            .collect(),
        total,
        page,
        per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let now = Utc::now();
        let user = UserResponse {
            id: Uuid::nil(),
            username: "bob".into(),
            email: "b@x.io".into(),
            email_verified: false,
            role: "user".into(),
            is_active: true,
            display_name: Some("=HYPERLINK(\"x\"), \"Bob\"".into()),
            bio: None,
            language: None,
            timezone: None,
            created_at: now,
            last_login_at: None,
            avatar_url: None,
            two_factor_enabled: false,
            permissions: Vec::new(),
        };
        let csv = users_csv(&[user]);
        let row = csv.lines().nth(1).unwrap();
        assert!(row.contains(r#""'=HYPERLINK(""x""), ""Bob""""#), "{row}");
    }
}
