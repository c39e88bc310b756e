//! Tables `oauth_providers` and `user_identities`. SQL only.

use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder};

/// `oauth_providers` table.
pub mod providers {
    use sea_orm::entity::prelude::*;

    /// A sign-in provider configured by an admin.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "oauth_providers")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// URL name, e.g. `github`, `corp-sso`.
        #[sea_orm(unique)]
        pub slug: String,
        /// `oidc`, `google` or `github`.
        pub kind: String,
        /// Button text.
        pub display_name: String,
        /// OIDC issuer (ID tokens must name it).
        pub issuer: Option<String>,
        /// Authorization endpoint.
        pub authorization_url: String,
        /// Token endpoint.
        pub token_url: String,
        /// User info endpoint (GitHub; optional for OIDC).
        pub userinfo_url: Option<String>,
        /// JWKS of the ID token signing keys (OIDC).
        pub jwks_url: Option<String>,
        /// OAuth client id.
        pub client_id: String,
        /// OAuth client secret, encrypted with the vault.
        pub client_secret_enc: String,
        /// Space-separated scopes.
        pub scopes: String,
        /// Offered on the login page.
        pub enabled: bool,
        /// Created.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `user_identities` table.
pub mod identities {
    use sea_orm::entity::prelude::*;

    /// An external identity linked to an account.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_identities")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Account.
        pub user_id: Uuid,
        /// Provider.
        pub provider_id: Uuid,
        /// The provider's stable user id (`sub`).
        pub subject: String,
        /// Email the provider reported.
        pub email: Option<String>,
        /// Linked.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use identities::Model as Identity;
pub use providers::Model as Provider;

/// Inserts a provider.
pub async fn insert_provider(db: &impl ConnectionTrait, p: Provider) -> Result<Provider, DbErr> {
    providers::ActiveModel::from(p).insert(db).await
}

/// All providers by slug.
pub async fn list_providers(db: &impl ConnectionTrait) -> Result<Vec<Provider>, DbErr> {
    providers::Entity::find()
        .order_by_asc(providers::Column::Slug)
        .all(db)
        .await
}

/// A provider by slug.
pub async fn get_provider_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Provider>, DbErr> {
    providers::Entity::find()
        .filter(providers::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// Deletes a provider (its linked identities go with it).
pub async fn delete_provider(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(providers::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// The identity with this subject at this provider.
pub async fn get_identity(
    db: &impl ConnectionTrait,
    provider_id: Uuid,
    subject: &str,
) -> Result<Option<Identity>, DbErr> {
    identities::Entity::find()
        .filter(identities::Column::ProviderId.eq(provider_id))
        .filter(identities::Column::Subject.eq(subject))
        .one(db)
        .await
}

/// Links an identity.
pub async fn insert_identity(
    db: &impl ConnectionTrait,
    identity: Identity,
) -> Result<Identity, DbErr> {
    identities::ActiveModel::from(identity).insert(db).await
}

/// A user's linked identities.
pub async fn list_identities(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Identity>, DbErr> {
    identities::Entity::find()
        .filter(identities::Column::UserId.eq(user_id))
        .order_by_asc(identities::Column::CreatedAt)
        .all(db)
        .await
}

/// Unlinks one of the user's identities; `false` if it is not theirs.
pub async fn delete_identity(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    Ok(identities::Entity::delete_many()
        .filter(identities::Column::Id.eq(id))
        .filter(identities::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
