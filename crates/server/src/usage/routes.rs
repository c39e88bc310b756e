//! HTTP handlers of the usage feature: the admin's price table.

use axum::extract::State;
use axum::http::StatusCode;

use super::service;
use super::types::{PriceBody, PriceResponse};
use crate::auth::extract::{AdminUser, Client};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{AppJson, AppPath};
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
