//! HTTP handlers of the usage feature: the admin's price table.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::service;
use super::stats::{self, StatsQuery, StatsResponse};
use super::types::{PriceBody, PriceResponse};
use crate::auth::extract::{AdminUser, Client};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The price table: rates per million tokens by model.
#[utoipa::path(get, path = "/prices", tag = "admin",
    responses((status = 200, description = "Prices", body = Vec<PriceResponse>)))]
pub async fn admin_get_prices(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> ApiResult<AppJson<Vec<PriceResponse>>> {
    Ok(AppJson(service::list_prices(&state).await?))
}

/// Sets a model's price (decimal strings; no floats anywhere).
#[utoipa::path(put, path = "/prices/{model}", tag = "admin", request_body = PriceBody,
    params(("model" = String, Path, description = "Model name")),
    responses((status = 200, description = "Saved", body = PriceResponse),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn admin_put_price(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(model): AppPath<String>,
    AppJson(body): AppJson<PriceBody>,
) -> ApiResult<AppJson<PriceResponse>> {
    Ok(AppJson(
        service::put_price(&state, &admin, &client, &model, body).await?,
    ))
}

/// Removes a model's price: its calls cost 0 from now on.
#[utoipa::path(delete, path = "/prices/{model}", tag = "admin",
    params(("model" = String, Path, description = "Model name")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No price for the model", body = ErrorBody)))]
pub async fn admin_delete_price(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Client(client): Client,
    AppPath(model): AppPath<String>,
) -> ApiResult<StatusCode> {
    service::delete_price(&state, &admin, &client, &model).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everyone's usage grouped by day, model, user, provider or key over a date range, as JSON
/// or as CSV (`format=csv` or `Accept: text/csv`).
#[utoipa::path(get, path = "/statistics", tag = "admin", params(StatsQuery),
    responses((status = 200, description = "Grouped usage (JSON or CSV)",
            content((StatsResponse = "application/json"), (String = "text/csv"))),
        (status = 422, description = "Invalid filter", body = ErrorBody)))]
pub async fn admin_get_statistics(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    headers: HeaderMap,
    AppQuery(q): AppQuery<StatsQuery>,
) -> ApiResult<Response> {
    let accept_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    let csv = match q.format.as_deref() {
        None => accept_csv,
        Some("csv") => true,
        Some("json") => false,
        Some(_) => {
            return Err(crate::error::ApiError::field(
                "format",
                "must be json or csv",
            ));
        }
    };
    let s = stats::admin_statistics(&state, &q).await?;
    if !csv {
        return Ok(AppJson(s).into_response());
    }
    let name = format!("usage-{}-{}-{}.csv", s.group_by, s.from, s.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        stats::stats_csv(&s),
    )
        .into_response())
}
