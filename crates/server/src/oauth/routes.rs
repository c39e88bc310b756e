//! HTTP handlers of external sign-in: the public provider list, the start and callback of the
//! authorization-code flow, the caller's linked identities, and admin provider management.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::service::{self, CallbackOutcome};
use super::types::{
    CallbackQuery, CreateProviderRequest, IdentityResponse, ProviderResponse, PublicProvider,
    StartQuery,
};
use super::{accounts, admin};
use crate::auth::extract::{AdminUser, AuthUser, Client, cookie_value};
use crate::auth::routes::{append_cookie, login_response};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

const FLOW_COOKIE: &str = "llmm_oauth";

/// Sign-in providers offered on the login page.
#[utoipa::path(get, path = "/oauth/providers", tag = "auth",
    responses((status = 200, description = "Providers", body = [PublicProvider])))]
pub async fn get_public_providers(
    State(state): State<AppState>,
) -> ApiResult<AppJson<Vec<PublicProvider>>> {
    let providers = admin::public_providers(&state).await?;
    Ok(AppJson(
        providers
            .into_iter()
            .map(|p| PublicProvider {
                slug: p.slug,
                display_name: p.display_name,
                kind: p.kind,
            })
            .collect(),
    ))
}

fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Start signing in (or, with `link=true` while signed in, linking) with a provider:
/// redirects to it.
#[utoipa::path(get, path = "/oauth/{slug}/start", tag = "auth", params(("slug" = String, Path, description = "Provider"), StartQuery),
    responses((status = 303, description = "To the provider"), (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn get_start(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    AppQuery(q): AppQuery<StartQuery>,
    headers: HeaderMap,
    auth: Option<AuthUser>,
) -> ApiResult<Response> {
    let link_user = if q.link == Some(true) {
        let AuthUser(ctx) =
            auth.ok_or_else(|| ApiError::Unauthorized("sign in to link an identity".to_owned()))?;
        Some(ctx.user.id)
    } else {
        None
    };
    let (url, flow) = service::start(&state, &slug, q.next.as_deref(), link_user).await?;
    let mut res = redirect(&url);
    let secure = crate::auth::routes::is_https(&state, &headers);
    append_cookie(&mut res, FLOW_COOKIE, &flow, 600, true, secure);
    Ok(res)
}

/// Where the provider sends the user back. Signs in (cookie session) and redirects to `next`;
/// on failure redirects to `/login?error=…`.
#[utoipa::path(get, path = "/oauth/{slug}/callback", tag = "auth", params(("slug" = String, Path, description = "Provider"), CallbackQuery),
    responses((status = 303, description = "Signed in, linked, or back to the login page with an error")))]
pub async fn get_callback(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    Query(q): Query<CallbackQuery>,
    headers: HeaderMap,
    Client(client): Client,
) -> Response {
    let secure = crate::auth::routes::is_https(&state, &headers);
    let flow = header_cookie(&headers, FLOW_COOKIE);
    let result = match (q.error, q.code, q.state) {
        (Some(err), _, _) => Err(ApiError::Unauthorized(provider_refusal(&err))),
        (None, Some(code), Some(st)) => {
            service::callback(&state, &slug, flow.as_deref(), &code, &st, &client).await
        }
        _ => Err(ApiError::BadRequest(
            "the provider's answer has no code".to_owned(),
        )),
    };
    let mut res = match result {
        Ok(CallbackOutcome::SignedIn(outcome, next)) => {
            let body = login_response(&state, &headers, *outcome);
            let mut res = redirect(&next);
            for cookie in body.headers().get_all(header::SET_COOKIE) {
                res.headers_mut().append(header::SET_COOKIE, cookie.clone());
            }
            res
        }
        Ok(CallbackOutcome::Linked(next)) => redirect(&next),
        Err(err) => {
            tracing::warn!(provider = %slug, error = %err, "external sign-in failed");
            let message: String =
                url::form_urlencoded::byte_serialize(err.to_string().as_bytes()).collect();
            redirect(&format!("/login?error={message}"))
        }
    };
    append_cookie(&mut res, FLOW_COOKIE, "", 0, true, secure);
    res
}

/// What to show (and log) of a provider's `error` parameter: an RFC 6749 error code such as
/// `access_denied` as it is, anything else not at all (the text comes from the address bar,
/// so whoever made the link chose it).
fn provider_refusal(err: &str) -> String {
    let is_code = !err.is_empty()
        && err.len() <= 64
        && err.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if is_code {
        format!("the provider refused the sign-in ({err})")
    } else {
        "the provider refused the sign-in".to_owned()
    }
}

fn header_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers.clone();
    cookie_value(&parts, name)
}

/// The caller's linked identities.
#[utoipa::path(get, path = "/identities", tag = "auth",
    responses((status = 200, description = "Identities", body = [IdentityResponse])))]
pub async fn get_identities(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
) -> ApiResult<AppJson<Vec<IdentityResponse>>> {
    Ok(AppJson(accounts::list_identities(&state, &ctx).await?))
}

/// Unlink one of the caller's identities.
#[utoipa::path(delete, path = "/identities/{id}", tag = "auth", params(("id" = Uuid, Path, description = "Identity")),
    responses((status = 204, description = "Unlinked"), (status = 404, description = "Not yours", body = ErrorBody), (status = 409, description = "The only way to sign in", body = ErrorBody)))]
pub async fn delete_identity(
    State(state): State<AppState>,
    AuthUser(ctx): AuthUser,
    Client(client): Client,
    AppPath(id): AppPath<Uuid>,
) -> ApiResult<StatusCode> {
    accounts::unlink(&state, &ctx, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign-in providers (admins).
#[utoipa::path(get, path = "/oauth-providers", tag = "admin",
    responses((status = 200, description = "Providers", body = [ProviderResponse])))]
pub async fn get_providers(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<Vec<ProviderResponse>>> {
    Ok(AppJson(admin::list_providers(&state).await?))
}

/// Add a sign-in provider: generic OIDC by issuer (discovery), or the Google / GitHub presets.
#[utoipa::path(post, path = "/oauth-providers", tag = "admin", request_body = CreateProviderRequest,
    responses((status = 201, description = "Added", body = ProviderResponse), (status = 422, description = "Invalid fields or failed discovery", body = ErrorBody)))]
pub async fn post_provider(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppJson(req): AppJson<CreateProviderRequest>,
) -> ApiResult<(StatusCode, AppJson<ProviderResponse>)> {
    Ok((
        StatusCode::CREATED,
        AppJson(admin::create_provider(&state, &admin, req, &client).await?),
    ))
}

/// Remove a sign-in provider and the identities linked through it.
#[utoipa::path(delete, path = "/oauth-providers/{slug}", tag = "admin", params(("slug" = String, Path, description = "Provider")),
    responses((status = 204, description = "Removed"), (status = 404, description = "No such provider", body = ErrorBody)))]
pub async fn delete_provider(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(slug): AppPath<String>,
) -> ApiResult<StatusCode> {
    admin::delete_provider(&state, &admin, &slug, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}
