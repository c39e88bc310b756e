//! Tables of the accounts feature: `users`, `sessions`, `refresh_tokens`. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, Func, LikeExpr};
use sea_orm::{ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect};

/// `users` table.
pub mod users {
    use sea_orm::entity::prelude::*;

    /// A user account.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        /// Id (UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Username as typed at registration.
        pub username: String,
        /// Lower-cased username: unique, used for lookups.
        pub username_lower: String,
        /// Email as typed.
        pub email: String,
        /// Lower-cased email: unique.
        pub email_lower: String,
        /// When the email was verified.
        pub email_verified_at: Option<DateTimeUtc>,
        /// Argon2id PHC string; `None` for accounts that only log in through OIDC.
        pub password_hash: Option<String>,
        /// `admin`, `user` or `guest`.
        pub role: String,
        /// Disabled accounts cannot log in and their tokens stop working.
        pub is_active: bool,
        /// Shown name.
        pub display_name: Option<String>,
        /// Short self-description.
        pub bio: Option<String>,
        /// UI language (`en`, `zh-CN`).
        pub language: Option<String>,
        /// IANA time zone.
        pub timezone: Option<String>,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last change.
        pub updated_at: DateTimeUtc,
        /// Last successful login.
        pub last_login_at: Option<DateTimeUtc>,
        /// Avatar file name in `DATA_DIR/avatars` (server-generated).
        pub avatar_file: Option<String>,
        /// TOTP secret, encrypted with the vault (set during setup, before enabling).
        pub totp_secret_enc: Option<String>,
        /// When two-factor login was enabled; `None`: off.
        pub totp_enabled_at: Option<DateTimeUtc>,
        /// Last TOTP time step accepted (a code works once).
        pub totp_last_step: Option<i64>,
        /// What a user who is not an admin may manage, comma-separated (`models`).
        pub permissions: String,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `sessions` table: one row per login (a refresh-token family or a browser cookie).
pub mod sessions {
    use sea_orm::entity::prelude::*;

    /// A login session.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// Id (UUID v7), the `sid` claim of access tokens.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Owner.
        pub user_id: Uuid,
        /// `token` (bearer + refresh tokens) or `cookie` (web UI).
        pub kind: String,
        /// Keyed hash of the session cookie (cookie sessions only).
        pub cookie_hash: Option<String>,
        /// Client's User-Agent at login.
        pub user_agent: Option<String>,
        /// Client's IP at login.
        pub ip: Option<String>,
        /// Login time.
        pub created_at: DateTimeUtc,
        /// Last request seen (updated at most once a minute).
        pub last_seen_at: DateTimeUtc,
        /// Hard expiry.
        pub expires_at: DateTimeUtc,
        /// Set at logout / revocation; the session is dead from then on.
        pub revoked_at: Option<DateTimeUtc>,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `refresh_tokens` table: every refresh token ever issued in a session, by keyed hash.
pub mod refresh_tokens {
    use sea_orm::entity::prelude::*;

    /// One refresh token.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        /// Keyed hash of the token.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// Session (family) it belongs to.
        pub session_id: Uuid,
        /// Issued.
        pub created_at: DateTimeUtc,
        /// Exchanged; a second use means the family leaked.
        pub used_at: Option<DateTimeUtc>,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use refresh_tokens::Model as RefreshToken;
pub use sessions::Model as Session;
pub use users::Model as User;

/// Inserts a user.
pub async fn insert_user(db: &impl ConnectionTrait, user: User) -> Result<User, DbErr> {
    users::ActiveModel::from(user).insert(db).await
}

/// A user by id.
pub async fn get_user(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>, DbErr> {
    users::Entity::find_by_id(id).one(db).await
}

/// A user by username or email, case-insensitively.
pub async fn get_user_by_login(
    db: &impl ConnectionTrait,
    login: &str,
) -> Result<Option<User>, DbErr> {
    let lower = login.trim().to_lowercase();
    users::Entity::find()
        .filter(
            Condition::any()
                .add(users::Column::UsernameLower.eq(lower.clone()))
                .add(users::Column::EmailLower.eq(lower)),
        )
        .one(db)
        .await
}

/// Whether a username or email (lower-cased) is taken: `(username_taken, email_taken)`.
pub async fn find_taken(
    db: &impl ConnectionTrait,
    username_lower: &str,
    email_lower: &str,
) -> Result<(bool, bool), DbErr> {
    let found = users::Entity::find()
        .filter(
            Condition::any()
                .add(users::Column::UsernameLower.eq(username_lower))
                .add(users::Column::EmailLower.eq(email_lower)),
        )
        .all(db)
        .await?;
    Ok((
        found.iter().any(|u| u.username_lower == username_lower),
        found.iter().any(|u| u.email_lower == email_lower),
    ))
}

/// Saves changed columns of a user.
pub async fn update_user(
    db: &impl ConnectionTrait,
    user: users::ActiveModel,
) -> Result<User, DbErr> {
    user.update(db).await
}

/// Number of active admins.
pub async fn count_active_admins(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    users::Entity::find()
        .filter(users::Column::Role.eq("admin"))
        .filter(users::Column::IsActive.eq(true))
        .count(db)
        .await
}

/// Filter for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Substring of username, email or display name (case-insensitive).
    pub q: Option<String>,
    /// Exact role.
    pub role: Option<String>,
    /// Active or disabled.
    pub is_active: Option<bool>,
}

fn user_condition(filter: &UserFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        let like = || LikeExpr::new(pattern.clone()).escape('\\');
        cond = cond.add(
            Condition::any()
                .add(Expr::col(users::Column::UsernameLower).like(like()))
                .add(Expr::col(users::Column::EmailLower).like(like()))
                .add(Expr::expr(Func::lower(Expr::col(users::Column::DisplayName))).like(like())),
        );
    }
    if let Some(role) = &filter.role {
        cond = cond.add(users::Column::Role.eq(role.clone()));
    }
    if let Some(active) = filter.is_active {
        cond = cond.add(users::Column::IsActive.eq(active));
    }
    cond
}

/// `%`, `_` and `\\` in user input match themselves (escaped for `LIKE … ESCAPE '\\'`).
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A page of users, newest first, and the total matching.
pub async fn list_users(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<User>, u64), DbErr> {
    let query = users::Entity::find().filter(user_condition(filter));
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(users::Column::CreatedAt)
        .order_by_desc(users::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((items, total))
}

/// Deletes a user; sessions and tokens go with it (foreign keys cascade).
pub async fn delete_user(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(users::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Inserts a session.
pub async fn insert_session(db: &impl ConnectionTrait, session: Session) -> Result<Session, DbErr> {
    sessions::ActiveModel::from(session).insert(db).await
}

/// A session by id.
pub async fn get_session(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Session>, DbErr> {
    sessions::Entity::find_by_id(id).one(db).await
}

/// A cookie session by the keyed hash of its cookie.
pub async fn get_session_by_cookie(
    db: &impl ConnectionTrait,
    cookie_hash: &str,
) -> Result<Option<Session>, DbErr> {
    sessions::Entity::find()
        .filter(sessions::Column::CookieHash.eq(cookie_hash))
        .one(db)
        .await
}

/// Live (not revoked, not expired) sessions of a user, most recently seen first.
pub async fn list_live_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Session>, DbErr> {
    sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(now))
        .order_by_desc(sessions::Column::LastSeenAt)
        .all(db)
        .await
}

/// Revokes one session of a user; `false` if there is no such live session of theirs.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Revokes every live session of a user except `keep`.
pub async fn revoke_user_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(sessions::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Records that a session was used now.
pub async fn touch_session(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastSeenAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores a new refresh token hash.
pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    token_hash: String,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_tokens::ActiveModel {
        token_hash: Set(token_hash),
        session_id: Set(session_id),
        created_at: Set(now),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A refresh token by hash.
pub async fn get_refresh_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RefreshToken>, DbErr> {
    refresh_tokens::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await
}

/// Marks a refresh token used, only if it was unused; `false` if someone used it first.
pub async fn mark_refresh_token_used(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
