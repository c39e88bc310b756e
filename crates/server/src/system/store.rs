//! The `settings` table: one JSON value per key.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

/// Row of `settings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "settings")]
pub struct Model {
    /// Setting name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// JSON value.
    pub value: Json,
    /// Last write.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Reads one setting.
pub async fn get_setting(db: &impl ConnectionTrait, key: &str) -> Result<Option<Json>, DbErr> {
    Ok(Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|m| m.value))
}

/// Writes one setting, replacing any earlier value.
pub async fn put_setting(db: &impl ConnectionTrait, key: &str, value: Json) -> Result<(), DbErr> {
    let row = ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value),
        updated_at: Set(Utc::now()),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::Key)
                .update_columns([Column::Value, Column::UpdatedAt])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Writes a setting only if it is absent; returns the value now stored.
pub async fn insert_setting_if_absent(
    db: &impl ConnectionTrait,
    key: &str,
    value: Json,
) -> Result<Json, DbErr> {
    let row = ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.clone()),
        updated_at: Set(Utc::now()),
    };
    Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
        .do_nothing()
        .exec(db)
        .await?;
    Ok(get_setting(db, key).await?.unwrap_or(value))
}

/// Parses a stored RFC 3339 timestamp setting.
pub fn as_timestamp(value: &Json) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Inserts a setting, failing with a unique-constraint error if the key exists.
pub async fn insert_setting_strict(
    db: &impl ConnectionTrait,
    key: &str,
    value: Json,
) -> Result<(), DbErr> {
    ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value),
        updated_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Deletes a setting if present.
pub async fn delete_setting(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}
