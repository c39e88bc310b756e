//! Tables for account recovery and two-factor login: `user_tokens` (one-time email
//! verification and password reset tokens, by keyed hash) and `recovery_codes`. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

/// `user_tokens` table.
pub mod user_tokens {
    use sea_orm::entity::prelude::*;

    /// A one-time token sent by mail.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_tokens")]
    pub struct Model {
        /// Keyed hash of the token.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// Owner.
        pub user_id: Uuid,
        /// `verify` or `reset`.
        pub purpose: String,
        /// The (lower-cased) address the token was mailed to.
        pub email: Option<String>,
        /// Issued.
        pub created_at: DateTimeUtc,
        /// Expires.
        pub expires_at: DateTimeUtc,
        /// Used (tokens work once).
        pub used_at: Option<DateTimeUtc>,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `recovery_codes` table.
pub mod recovery_codes {
    use sea_orm::entity::prelude::*;

    /// A single-use two-factor recovery code.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recovery_codes")]
    pub struct Model {
        /// Keyed hash of the code.
        #[sea_orm(primary_key, auto_increment = false)]
        pub code_hash: String,
        /// Owner.
        pub user_id: Uuid,
        /// Used.
        pub used_at: Option<DateTimeUtc>,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A stored one-time token.
pub type UserToken = user_tokens::Model;

/// Stores a one-time token.
pub async fn insert_user_token(db: &impl ConnectionTrait, token: UserToken) -> Result<(), DbErr> {
    user_tokens::ActiveModel::from(token).insert(db).await?;
    Ok(())
}

/// A token by hash and purpose.
pub async fn get_user_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
    purpose: &str,
) -> Result<Option<UserToken>, DbErr> {
    user_tokens::Entity::find_by_id(token_hash.to_owned())
        .filter(user_tokens::Column::Purpose.eq(purpose))
        .one(db)
        .await
}

/// Marks every unused token of a user for a purpose used (the one just redeemed included);
/// returns how many were still unused.
pub async fn use_user_tokens(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(user_tokens::Entity::update_many()
        .col_expr(user_tokens::Column::UsedAt, Expr::value(now))
        .filter(user_tokens::Column::UserId.eq(user_id))
        .filter(user_tokens::Column::Purpose.eq(purpose))
        .filter(user_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Marks one unused, unexpired token used; `false` when it was not (already used, expired,
/// unknown): of two concurrent redemptions exactly one wins.
pub async fn consume_user_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = user_tokens::Entity::update_many()
        .col_expr(user_tokens::Column::UsedAt, Expr::value(now))
        .filter(user_tokens::Column::TokenHash.eq(token_hash))
        .filter(user_tokens::Column::Purpose.eq(purpose))
        .filter(user_tokens::Column::UsedAt.is_null())
        .filter(user_tokens::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Deletes a user's expired tokens of a purpose.
pub async fn delete_expired_user_tokens(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user_tokens::Entity::delete_many()
        .filter(user_tokens::Column::UserId.eq(user_id))
        .filter(user_tokens::Column::Purpose.eq(purpose))
        .filter(user_tokens::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces a user's recovery codes.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    code_hashes: Vec<String>,
) -> Result<(), DbErr> {
    delete_recovery_codes(db, user_id).await?;
    for hash in code_hashes {
        recovery_codes::ActiveModel {
            code_hash: Set(hash),
            user_id: Set(user_id),
            used_at: Set(None),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Deletes a user's recovery codes.
pub async fn delete_recovery_codes(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), DbErr> {
    recovery_codes::Entity::delete_many()
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Uses a recovery code of this user if it exists and is unused; `true` if it did.
pub async fn use_recovery_code(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(recovery_codes::Entity::update_many()
        .col_expr(recovery_codes::Column::UsedAt, Expr::value(now))
        .filter(recovery_codes::Column::CodeHash.eq(code_hash))
        .filter(recovery_codes::Column::UserId.eq(user_id))
        .filter(recovery_codes::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
