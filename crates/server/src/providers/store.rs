//! Tables `providers` and `provider_keys`. SQL only.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Condition;
use sea_orm::{ConnectionTrait, QueryOrder};

/// `providers` table.
pub mod providers {
    use sea_orm::entity::prelude::*;

    /// An upstream account: shared (no owner) or personal.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "providers")]
    pub struct Model {
        /// Id (UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// `None`: shared, managed by admins; else the one user who sees and uses it.
        pub owner_id: Option<Uuid>,
        /// Display name (unique per owner).
        pub name: String,
        /// Wire format (`ProviderKind` name).
        pub kind: String,
        /// Base URL without a trailing slash.
        pub base_url: String,
        /// `api-version` (Azure).
        pub api_version: Option<String>,
        /// JSON array of upstream model names.
        #[sea_orm(column_type = "Text")]
        pub models: String,
        /// JSON object: public name → upstream model name.
        #[sea_orm(column_type = "Text")]
        pub model_aliases: String,
        /// JSON object of default parameters.
        #[sea_orm(column_type = "Text")]
        pub default_params: String,
        /// Seconds to wait for the response head.
        pub timeout_secs: i32,
        /// Higher goes first.
        pub priority: i32,
        /// Share among equal priority.
        pub weight: i32,
        /// Used for routing.
        pub enabled: bool,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last changed.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `provider_keys` table.
pub mod keys {
    use sea_orm::entity::prelude::*;

    /// One API key of a provider, encrypted.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provider_keys")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Provider.
        pub provider_id: Uuid,
        /// Vault ciphertext (context `provider-key:<id>`).
        #[sea_orm(column_type = "Text")]
        pub key_enc: String,
        /// Masked form shown in the API (`sk-…a1b2`).
        pub hint: String,
        /// Used for routing.
        pub enabled: bool,
        /// Added.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use keys::Model as ProviderKey;
pub use providers::Model as Provider;

/// Inserts a provider.
pub async fn insert_provider(db: &impl ConnectionTrait, p: Provider) -> Result<Provider, DbErr> {
    providers::ActiveModel::from(p).insert(db).await
}

/// Writes every column of an existing provider.
pub async fn update_provider(db: &impl ConnectionTrait, p: Provider) -> Result<Provider, DbErr> {
    let mut active = providers::ActiveModel::from(p);
    for col in [
        providers::Column::Name,
        providers::Column::BaseUrl,
        providers::Column::ApiVersion,
        providers::Column::Models,
        providers::Column::ModelAliases,
        providers::Column::DefaultParams,
        providers::Column::TimeoutSecs,
        providers::Column::Priority,
        providers::Column::Weight,
        providers::Column::Enabled,
        providers::Column::UpdatedAt,
    ] {
        active.reset(col);
    }
    active.update(db).await
}

/// A provider by id.
pub async fn get_provider(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Provider>, DbErr> {
    providers::Entity::find_by_id(id).one(db).await
}

/// Shared providers (`owner = None`) or one user's personal providers, by name.
pub async fn list_providers(
    db: &impl ConnectionTrait,
    owner: Option<Uuid>,
) -> Result<Vec<Provider>, DbErr> {
    let cond = match owner {
        Some(id) => providers::Column::OwnerId.eq(id),
        None => providers::Column::OwnerId.is_null(),
    };
    providers::Entity::find()
        .filter(cond)
        .order_by_asc(providers::Column::Name)
        .all(db)
        .await
}

/// Every enabled provider (the routing snapshot).
pub async fn enabled_providers(db: &impl ConnectionTrait) -> Result<Vec<Provider>, DbErr> {
    providers::Entity::find()
        .filter(providers::Column::Enabled.eq(true))
        .all(db)
        .await
}

/// Enabled providers a user may route to: their own and the shared ones.
pub async fn list_usable_providers(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Provider>, DbErr> {
    providers::Entity::find()
        .filter(providers::Column::Enabled.eq(true))
        .filter(
            Condition::any()
                .add(providers::Column::OwnerId.is_null())
                .add(providers::Column::OwnerId.eq(user_id)),
        )
        .order_by_desc(providers::Column::Priority)
        .all(db)
        .await
}

/// Whether the owner already has a provider with this name (case-insensitive), other than
/// `except`.
pub async fn name_taken(
    db: &impl ConnectionTrait,
    owner: Option<Uuid>,
    name: &str,
    except: Option<Uuid>,
) -> Result<bool, DbErr> {
    let mut q = providers::Entity::find();
    q = match owner {
        Some(id) => q.filter(providers::Column::OwnerId.eq(id)),
        None => q.filter(providers::Column::OwnerId.is_null()),
    };
    if let Some(id) = except {
        q = q.filter(providers::Column::Id.ne(id));
    }
    let lower = name.to_lowercase();
    Ok(q.all(db)
        .await?
        .iter()
        .any(|p| p.name.to_lowercase() == lower))
}

/// Deletes a provider and its keys.
pub async fn delete_provider(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(providers::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Inserts a key.
pub async fn insert_key(db: &impl ConnectionTrait, k: ProviderKey) -> Result<ProviderKey, DbErr> {
    keys::ActiveModel::from(k).insert(db).await
}

/// The keys of some providers, oldest first.
pub async fn list_keys(
    db: &impl ConnectionTrait,
    provider_ids: &[Uuid],
) -> Result<Vec<ProviderKey>, DbErr> {
    if provider_ids.is_empty() {
        return Ok(Vec::new());
    }
    keys::Entity::find()
        .filter(keys::Column::ProviderId.is_in(provider_ids.iter().copied()))
        .order_by_asc(keys::Column::CreatedAt)
        .all(db)
        .await
}

/// Deletes one key of a provider; `false` if it is not that provider's.
pub async fn delete_key(
    db: &impl ConnectionTrait,
    provider_id: Uuid,
    key_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(keys::Entity::delete_many()
        .filter(keys::Column::Id.eq(key_id))
        .filter(keys::Column::ProviderId.eq(provider_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
