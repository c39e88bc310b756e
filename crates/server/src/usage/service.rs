//! Usage rules: the price table's validation and changes. No axum, no SQL.

use chrono::Utc;

use super::price_store::{self, PriceRow};
use super::prices::parse_price;
use super::types::{PriceBody, PriceResponse};
use crate::audit::{self, AuditEvent};
use crate::auth::service::{AuthContext, ClientInfo};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn response(row: PriceRow) -> PriceResponse {
    PriceResponse {
        model: row.model,
        input_per_mtok: row.input_per_mtok,
        output_per_mtok: row.output_per_mtok,
        cached_input_per_mtok: row.cached_input_per_mtok,
        currency: row.currency,
        max_output_tokens: row.max_output_tokens.and_then(|n| u64::try_from(n).ok()),
        updated_at: row.updated_at,
    }
}

/// Every price.
pub async fn list_prices(state: &AppState) -> ApiResult<Vec<PriceResponse>> {
    Ok(price_store::list_prices(&state.db.conn)
        .await?
        .into_iter()
        .map(response)
        .collect())
}

fn checked(model: &str, body: PriceBody) -> ApiResult<PriceRow> {
    let model = model.trim();
    if model.is_empty() || model.chars().count() > 128 {
        return Err(ApiError::field("model", "must be 1 to 128 characters"));
    }
    let rate = |field: &str, v: &str| {
        parse_price(v)
            .map(|d| d.to_string())
            .map_err(|p| ApiError::field(field, p))
    };
    let currency = body.currency.unwrap_or_else(|| "USD".to_owned());
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::field(
            "currency",
            "must be a three-letter ISO 4217 code such as USD",
        ));
    }
    let max_output_tokens = match body.max_output_tokens {
        Some(n) if !(1..=10_000_000).contains(&n) => {
            return Err(ApiError::field(
                "max_output_tokens",
                "must be 1 to 10,000,000",
            ));
        }
        Some(n) => i64::try_from(n).ok(),
        None => None,
    };
    Ok(PriceRow {
        model: model.to_owned(),
        input_per_mtok: rate("input_per_mtok", &body.input_per_mtok)?,
        output_per_mtok: rate("output_per_mtok", &body.output_per_mtok)?,
        cached_input_per_mtok: body
            .cached_input_per_mtok
            .map(|c| rate("cached_input_per_mtok", &c))
            .transpose()?,
        currency,
        max_output_tokens,
        updated_at: Utc::now(),
    })
}

/// Sets a model's price (audited); calls from now on are costed with it.
pub async fn put_price(
    state: &AppState,
    admin: &AuthContext,
    client: &ClientInfo,
    model: &str,
    body: PriceBody,
) -> ApiResult<PriceResponse> {
    let row = checked(model, body)?;
    let txn = sea_orm::TransactionTrait::begin(&state.db.conn).await?;
    price_store::put_price(&txn, row.clone()).await?;
    audit::record(
        &txn,
        AuditEvent::new("admin.price_set", Some(admin.user.id), client.ip.clone()).details(
            serde_json::json!({
                "model": row.model, "input_per_mtok": row.input_per_mtok,
                "output_per_mtok": row.output_per_mtok,
                "cached_input_per_mtok": row.cached_input_per_mtok,
            }),
        ),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Prices);
    Ok(response(row))
}

/// Removes a model's price (its calls cost 0 from now on).
pub async fn delete_price(
    state: &AppState,
    admin: &AuthContext,
    client: &ClientInfo,
    model: &str,
) -> ApiResult<()> {
    let txn = sea_orm::TransactionTrait::begin(&state.db.conn).await?;
    if !price_store::delete_price(&txn, model).await? {
        return Err(ApiError::NotFound(format!("no price for model {model}")));
    }
    audit::record(
        &txn,
        AuditEvent::new(
            "admin.price_deleted",
            Some(admin.user.id),
            client.ip.clone(),
        )
        .details(serde_json::json!({ "model": model })),
    )
    .await?;
    txn.commit().await?;
    crate::cluster::changed(state, crate::cluster::Topic::Prices);
    Ok(())
}
