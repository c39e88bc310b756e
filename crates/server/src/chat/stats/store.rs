//! The statistics, export and admin-list queries on the chat tables. SQL only: figures are
//! summed by the database (`GROUP BY`), the export reads in bounded batches.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Condition,
};
use uuid::Uuid;

use crate::chat::store::{Message, Persona, Session, messages, personas, sessions, text_contains};

/// What reply figures are summed by.
#[derive(Debug, Clone, Copy)]
pub enum GroupBy {
    /// The UTC day, `YYYY-MM-DD`.
    Day,
    /// The model (`unknown` when none was recorded).
    Model,
}

/// One group's sums: key, replies, prompt tokens, completion tokens.
pub type Sums = (String, i64, i64, i64);

fn group_key(backend: DatabaseBackend, by: GroupBy) -> SimpleExpr {
    match (by, backend) {
        (GroupBy::Day, _) => crate::db::sql::utc_day(backend, "created_at"),
        (GroupBy::Model, _) => Expr::cust("COALESCE(model, 'unknown')"),
    }
}

/// The user's sessions and messages (both sides, every branch).
pub async fn count_own(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(u64, u64), DbErr> {
    let sessions_n = sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    let messages_n = messages::Entity::find()
        .filter(messages::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok((sessions_n, messages_n))
}

/// The user's replies since `since`, summed per group.
pub async fn sum_replies(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    since: DateTime<Utc>,
    by: GroupBy,
) -> Result<Vec<Sums>, DbErr> {
    let key = group_key(db.get_database_backend(), by);
    messages::Entity::find()
        .select_only()
        .column_as(key.clone(), "key")
        .column_as(Expr::cust("COUNT(*)"), "replies")
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back.
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT)"),
            "prompt_tokens",
        )
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT)"),
            "completion_tokens",
        )
        .filter(messages::Column::UserId.eq(user_id))
        .filter(messages::Column::Role.eq("assistant"))
        .filter(messages::Column::CreatedAt.gte(since))
        .group_by(key)
        .into_tuple::<Sums>()
        .all(db)
        .await
}

/// The user's next `limit` sessions after `after` (creation time, then id).
pub async fn sessions_after(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> Result<Vec<Session>, DbErr> {
    let mut query = sessions::Entity::find().filter(sessions::Column::UserId.eq(user_id));
    if let Some((at, id)) = after {
        query = query.filter(
            Condition::any()
                .add(sessions::Column::CreatedAt.gt(at))
                .add(
                    Condition::all()
                        .add(sessions::Column::CreatedAt.eq(at))
                        .add(sessions::Column::Id.gt(id)),
                ),
        );
    }
    query
        .order_by_asc(sessions::Column::CreatedAt)
        .order_by_asc(sessions::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Every message of the given sessions of the user, oldest first.
pub async fn messages_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    session_ids: &[Uuid],
) -> Result<Vec<Message>, DbErr> {
    messages::Entity::find()
        .filter(messages::Column::UserId.eq(user_id))
        .filter(messages::Column::SessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(messages::Column::CreatedAt)
        .order_by_asc(messages::Column::Id)
        .all(db)
        .await
}

/// The user's own personas.
pub async fn own_personas(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Persona>, DbErr> {
    personas::Entity::find()
        .filter(personas::Column::OwnerId.eq(user_id))
        .order_by_asc(personas::Column::CreatedAt)
        .all(db)
        .await
}

/// Filters of the admin's message list (already checked).
#[derive(Debug, Default)]
pub struct MessageFilter {
    /// One user.
    pub user_id: Option<Uuid>,
    /// One session.
    pub session_id: Option<Uuid>,
    /// A role.
    pub role: Option<String>,
    /// A status.
    pub status: Option<String>,
    /// Text in the content.
    pub text: Option<String>,
}

/// One page of every user's messages, newest first, and the total.
pub async fn list_all_messages(
    db: &impl ConnectionTrait,
    filter: MessageFilter,
    page: crate::extract::PageRequest,
) -> Result<(Vec<Message>, u64), DbErr> {
    let mut query = messages::Entity::find();
    if let Some(u) = filter.user_id {
        query = query.filter(messages::Column::UserId.eq(u));
    }
    if let Some(s) = filter.session_id {
        query = query.filter(messages::Column::SessionId.eq(s));
    }
    if let Some(r) = filter.role {
        query = query.filter(messages::Column::Role.eq(r));
    }
    if let Some(s) = filter.status {
        query = query.filter(messages::Column::Status.eq(s));
    }
    if let Some(text) = filter.text {
        let backend = db.get_database_backend();
        query = query.filter(text_contains(backend, "chat_messages.content", &text));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(messages::Column::CreatedAt)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok((items, total))
}
