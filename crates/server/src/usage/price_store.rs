//! Table `model_prices`. SQL only.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, QueryOrder};

/// `model_prices` table.
pub mod prices {
    use sea_orm::entity::prelude::*;

    /// The price of one model, per million tokens, as decimal strings.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "model_prices")]
    pub struct Model {
        /// Public (or upstream) model name.
        #[sea_orm(primary_key, auto_increment = false)]
        pub model: String,
        /// Input tokens.
        pub input_per_mtok: String,
        /// Output tokens.
        pub output_per_mtok: String,
        /// Cached input tokens (`None`: as input).
        pub cached_input_per_mtok: Option<String>,
        /// ISO 4217 code.
        pub currency: String,
        /// Longest answer the model gives (for budget reservations).
        pub max_output_tokens: Option<i64>,
        /// Last change.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use prices::Model as PriceRow;

/// Every price, by model name.
pub async fn list_prices(db: &impl ConnectionTrait) -> Result<Vec<PriceRow>, DbErr> {
    prices::Entity::find()
        .order_by_asc(prices::Column::Model)
        .all(db)
        .await
}

/// Inserts or replaces a model's price.
pub async fn put_price(db: &impl ConnectionTrait, row: PriceRow) -> Result<(), DbErr> {
    prices::Entity::insert(prices::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(prices::Column::Model)
                .update_columns([
                    prices::Column::InputPerMtok,
                    prices::Column::OutputPerMtok,
                    prices::Column::CachedInputPerMtok,
                    prices::Column::Currency,
                    prices::Column::MaxOutputTokens,
                    prices::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a model's price; `false` if it had none.
pub async fn delete_price(db: &impl ConnectionTrait, model: &str) -> Result<bool, DbErr> {
    Ok(prices::Entity::delete_by_id(model.to_owned())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
