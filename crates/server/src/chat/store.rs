//! Tables `chat_sessions`, `chat_messages` (and its full-text index), `personas` and
//! `chat_shares`. SQL only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryOrder, QuerySelect, sea_query::Condition};

pub use super::entities::{messages, personas, sessions, shares};
pub use messages::Model as Message;
pub use personas::Model as Persona;
pub use sessions::Model as Session;

/// Inserts a session.
pub async fn insert_session(db: &impl ConnectionTrait, s: Session) -> Result<Session, DbErr> {
    sessions::ActiveModel::from(s).insert(db).await
}

/// Writes every column of a session.
pub async fn update_session(db: &impl ConnectionTrait, s: Session) -> Result<Session, DbErr> {
    let mut a = sessions::ActiveModel::from(s);
    for col in [
        sessions::Column::Title,
        sessions::Column::TitleAuto,
        sessions::Column::PersonaId,
        sessions::Column::Model,
        sessions::Column::SystemPrompt,
        sessions::Column::Params,
        sessions::Column::Tags,
        sessions::Column::Pinned,
        sessions::Column::UpdatedAt,
    ] {
        a.reset(col);
    }
    a.update(db).await
}

/// The user's session by id.
pub async fn get_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Session>, DbErr> {
    sessions::Entity::find_by_id(id)
        .filter(sessions::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Marks a session active now.
pub async fn touch_session(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::UpdatedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes a session (messages and shares go with it).
pub async fn delete_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    Ok(sessions::Entity::delete_many()
        .filter(sessions::Column::Id.eq(id))
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Sessions whose final messages contain `q` anywhere (any script, any case), as a
/// subquery on `chat_sessions.id` (never a list of ids bound one by one, which could pass
/// SQLite's variable limit). Both databases index trigrams of final messages only: SQLite's
/// FTS5 trigram table, PostgreSQL's `pg_trgm` GIN index (migration `m20261206_000001`).
fn sessions_matching(
    backend: DatabaseBackend,
    user_id: Uuid,
    q: &str,
) -> sea_orm::sea_query::SimpleExpr {
    match backend {
        DatabaseBackend::Sqlite if q.chars().count() >= 3 => {
            // A quoted phrase: the trigram tokenizer matches it anywhere in the text.
            let phrase = format!("\"{}\"", q.replace('"', "\"\""));
            Expr::cust_with_values(
                "chat_sessions.id IN (SELECT session_id FROM chat_messages_fts WHERE chat_messages_fts MATCH ? AND user_id = ?)",
                [sea_orm::Value::from(phrase), user_id.into()],
            )
        }
        // FTS5 trigrams need three characters; shorter queries scan the user's own messages.
        DatabaseBackend::Sqlite => Expr::cust_with_values(
            "chat_sessions.id IN (SELECT session_id FROM chat_messages WHERE user_id = ? AND status <> 'streaming' AND instr(lower(content), lower(?)) > 0)",
            [sea_orm::Value::from(user_id), q.into()],
        ),
        // The predicate repeats the partial index's, so the planner may use it.
        _ => Expr::cust_with_values(
            "chat_sessions.id IN (SELECT session_id FROM chat_messages WHERE user_id = $1 AND status <> 'streaming' AND content ILIKE $2 ESCAPE '\\')",
            [sea_orm::Value::from(user_id), like_pattern(q).into()],
        ),
    }
}

/// `column` contains `q` (any case; `%`, `_` and `\\` in `q` taken literally).
pub fn text_contains(
    backend: DatabaseBackend,
    column: &'static str,
    q: &str,
) -> sea_orm::sea_query::SimpleExpr {
    let sql = match backend {
        // SQLite's LIKE ignores ASCII case; it has no escape character unless told.
        DatabaseBackend::Sqlite => format!("{column} LIKE ? ESCAPE '\\'"),
        _ => format!("{column} ILIKE $1 ESCAPE '\\'"),
    };
    Expr::cust_with_values(sql, [like_pattern(q)])
}

/// `%q%` with `LIKE`'s own characters escaped by a backslash.
fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// What to list.
#[derive(Debug, Default)]
pub struct SessionFilter {
    /// Text in the title or the messages.
    pub q: Option<String>,
    /// A tag.
    pub tag: Option<String>,
}

/// One page of the user's sessions, pinned first, then most recent; and the total.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    filter: &SessionFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Session>, u64), DbErr> {
    let backend = db.get_database_backend();
    let mut cond = Condition::all().add(sessions::Column::UserId.eq(user_id));
    if let Some(q) = &filter.q {
        cond = cond.add(
            Condition::any()
                .add(text_contains(backend, "chat_sessions.title", q))
                .add(sessions_matching(backend, user_id, q)),
        );
    }
    if let Some(tag) = &filter.tag {
        // Tags are a JSON array of strings: match the quoted element.
        let quoted = serde_json::to_string(tag).unwrap_or_default();
        cond = cond.add(sessions::Column::Tags.contains(quoted));
    }
    let query = sessions::Entity::find().filter(cond);
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(sessions::Column::Pinned)
        .order_by_desc(sessions::Column::UpdatedAt)
        .offset(crate::extract::PageRequest { page, per_page }.offset())
        .limit(per_page)
        .all(db)
        .await?;
    Ok((items, total))
}

/// Inserts a message.
pub async fn insert_message(db: &impl ConnectionTrait, m: Message) -> Result<Message, DbErr> {
    messages::ActiveModel::from(m).insert(db).await
}

/// What starting a reply does to its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionWrite {
    /// A new session.
    Insert,
    /// Persona or model changed: every column.
    Update,
    /// Only `updated_at`.
    Touch,
}

/// Starts a reply in one transaction: the session (inserted, updated or touched), the new
/// question if any, and the assistant row.
pub async fn begin_reply<C>(
    db: &C,
    session: Session,
    write: SessionWrite,
    question: Option<Message>,
    assistant: &Message,
) -> Result<Session, DbErr>
where
    C: ConnectionTrait + sea_orm::TransactionTrait,
{
    let txn = db.begin().await?;
    let session = match write {
        SessionWrite::Insert => insert_session(&txn, session).await?,
        SessionWrite::Update => update_session(&txn, session).await?,
        SessionWrite::Touch => {
            touch_session(&txn, session.id, assistant.created_at).await?;
            session
        }
    };
    if let Some(q) = question {
        insert_message(&txn, q).await?;
    }
    insert_message(&txn, assistant.clone()).await?;
    txn.commit().await?;
    Ok(session)
}

/// Saves the text of a reply still being written (the search index is updated at the end,
/// by [`finish_message`]).
pub async fn save_progress(db: &impl ConnectionTrait, m: &Message) -> Result<(), DbErr> {
    messages::Entity::update_many()
        .col_expr(messages::Column::Content, Expr::value(m.content.clone()))
        .col_expr(messages::Column::UpdatedAt, Expr::value(m.updated_at))
        .filter(messages::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Saves a finished reply (content, status, tokens, error), then touches its session.
pub async fn finish_message(db: &impl ConnectionTrait, m: &Message) -> Result<(), DbErr> {
    save_message(db, m).await?;
    touch_session(db, m.session_id, m.updated_at).await
}

/// Saves a message's content, status, tokens and error.
async fn save_message(db: &impl ConnectionTrait, m: &Message) -> Result<(), DbErr> {
    messages::Entity::update_many()
        .col_expr(messages::Column::Content, Expr::value(m.content.clone()))
        .col_expr(messages::Column::Status, Expr::value(m.status.clone()))
        .col_expr(messages::Column::PromptTokens, Expr::value(m.prompt_tokens))
        .col_expr(
            messages::Column::CompletionTokens,
            Expr::value(m.completion_tokens),
        )
        .col_expr(messages::Column::Error, Expr::value(m.error.clone()))
        .col_expr(messages::Column::UpdatedAt, Expr::value(m.updated_at))
        .filter(messages::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every message of a session, oldest first.
pub async fn list_messages(
    db: &impl ConnectionTrait,
    session_id: Uuid,
) -> Result<Vec<Message>, DbErr> {
    messages::Entity::find()
        .filter(messages::Column::SessionId.eq(session_id))
        .order_by_asc(messages::Column::CreatedAt)
        .order_by_asc(messages::Column::Id)
        .all(db)
        .await
}

/// The user's message by id.
pub async fn get_message(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<Message>, DbErr> {
    messages::Entity::find_by_id(id)
        .filter(messages::Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Messages left `streaming` by a server that stopped become `incomplete`.
pub async fn mark_interrupted(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Ok(messages::Entity::update_many()
        .col_expr(messages::Column::Status, Expr::value("incomplete"))
        .col_expr(
            messages::Column::Error,
            Expr::value("the server stopped while this reply was being written"),
        )
        .filter(messages::Column::Status.eq("streaming"))
        .exec(db)
        .await?
        .rows_affected)
}

/// Personas the user may pick: their own and the shared ones.
pub async fn list_personas(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<Persona>, DbErr> {
    personas::Entity::find()
        .filter(
            Condition::any()
                .add(personas::Column::OwnerId.is_null())
                .add(personas::Column::OwnerId.eq(user_id)),
        )
        .order_by_asc(personas::Column::Name)
        .all(db)
        .await
}

/// A persona by id.
pub async fn get_persona(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Persona>, DbErr> {
    personas::Entity::find_by_id(id).one(db).await
}

/// Inserts a persona.
pub async fn insert_persona(db: &impl ConnectionTrait, p: Persona) -> Result<Persona, DbErr> {
    personas::ActiveModel::from(p).insert(db).await
}

/// Writes a persona's editable columns.
pub async fn update_persona(db: &impl ConnectionTrait, p: Persona) -> Result<Persona, DbErr> {
    let mut a = personas::ActiveModel::from(p);
    for col in [
        personas::Column::Name,
        personas::Column::Description,
        personas::Column::Avatar,
        personas::Column::SystemPrompt,
        personas::Column::Model,
        personas::Column::Params,
        personas::Column::UpdatedAt,
    ] {
        a.reset(col);
    }
    a.update(db).await
}

/// Deletes a persona.
pub async fn delete_persona(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    personas::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Replaces a session's share (one link per session).
pub async fn put_share(db: &impl ConnectionTrait, share: shares::Model) -> Result<(), DbErr> {
    shares::Entity::delete_many()
        .filter(shares::Column::SessionId.eq(share.session_id))
        .exec(db)
        .await?;
    shares::ActiveModel::from(share).insert(db).await?;
    Ok(())
}

/// Removes a session's share; `false` if there was none.
pub async fn delete_share(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(shares::Entity::delete_many()
        .filter(shares::Column::SessionId.eq(session_id))
        .filter(shares::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// A share by token hash.
pub async fn get_share(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<shares::Model>, DbErr> {
    shares::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await
}
