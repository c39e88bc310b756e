//! The SeaORM entities of the chat tables: `chat_sessions`, `chat_messages`, `personas`,
//! `chat_shares`.

/// `chat_sessions` table.
pub mod sessions {
    use sea_orm::entity::prelude::*;

    /// A conversation.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chat_sessions")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Owner.
        pub user_id: Uuid,
        /// Title.
        pub title: String,
        /// The title is still the automatic one (a generated title may replace it).
        pub title_auto: bool,
        /// Persona (`fox`, `dog`, `snake` or a persona row id).
        pub persona_id: Option<String>,
        /// Model name.
        pub model: Option<String>,
        /// Own system prompt (overrides the persona's).
        #[sea_orm(column_type = "Text", nullable)]
        pub system_prompt: Option<String>,
        /// JSON object of parameters.
        #[sea_orm(column_type = "Text")]
        pub params: String,
        /// JSON array of tags.
        #[sea_orm(column_type = "Text")]
        pub tags: String,
        /// Pinned to the top.
        pub pinned: bool,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last activity.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `chat_messages` table.
pub mod messages {
    use sea_orm::entity::prelude::*;

    /// One message.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chat_messages")]
    pub struct Model {
        /// Id (UUID v7: ordered by creation).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Session.
        pub session_id: Uuid,
        /// Owner (the session's).
        pub user_id: Uuid,
        /// The message this one follows or answers.
        pub parent_id: Option<Uuid>,
        /// `user` or `assistant`.
        pub role: String,
        /// Text.
        #[sea_orm(column_type = "Text")]
        pub content: String,
        /// `complete`, `streaming`, `cancelled`, `error`, `incomplete`.
        pub status: String,
        /// Model that answered.
        pub model: Option<String>,
        /// Persona in effect.
        pub persona_id: Option<String>,
        /// Input tokens.
        pub prompt_tokens: i64,
        /// Output tokens.
        pub completion_tokens: i64,
        /// What went wrong.
        #[sea_orm(column_type = "Text", nullable)]
        pub error: Option<String>,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last written.
        pub updated_at: DateTimeUtc,
        /// JSON array of attached file ids (user messages).
        #[sea_orm(column_type = "Text", nullable)]
        pub image_ids: Option<String>,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `personas` table.
pub mod personas {
    use sea_orm::entity::prelude::*;

    /// A user's or a shared persona.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "personas")]
    pub struct Model {
        /// Id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Owner; `None`: shared by an admin.
        pub owner_id: Option<Uuid>,
        /// Name.
        pub name: String,
        /// One line.
        pub description: String,
        /// Emoji.
        pub avatar: String,
        /// System prompt.
        #[sea_orm(column_type = "Text")]
        pub system_prompt: String,
        /// Preferred model.
        pub model: Option<String>,
        /// JSON parameters.
        #[sea_orm(column_type = "Text")]
        pub params: String,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Changed.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `chat_shares` table.
pub mod shares {
    use sea_orm::entity::prelude::*;

    /// A public read-only snapshot of a session.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chat_shares")]
    pub struct Model {
        /// Keyed hash of the link token.
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        /// Session.
        pub session_id: Uuid,
        /// Owner.
        pub user_id: Uuid,
        /// JSON snapshot.
        #[sea_orm(column_type = "Text")]
        pub snapshot: String,
        /// Shared.
        pub created_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
