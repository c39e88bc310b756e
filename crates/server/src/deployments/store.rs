//! Table `deployments`. SQL only.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ConnectionTrait, QueryOrder, Set};

/// `deployments` table.
pub mod deployments {
    use sea_orm::entity::prelude::*;

    /// A local model served by a backend.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deployments")]
    pub struct Model {
        /// Id (UUID v7).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Unique name; also the model id clients ask for.
        pub name: String,
        /// The local model served.
        pub model_id: Uuid,
        /// `builtin`, `llama_cpp`, `vllm`, `sglang` or `custom`.
        pub backend: String,
        /// JSON array: the custom command line (program first), with placeholders.
        #[sea_orm(column_type = "Text")]
        pub command: String,
        /// stopped, starting, running, unhealthy, failed.
        pub status: String,
        /// Whether it should run (started again after a restart of the server).
        pub should_run: bool,
        /// A port asked for; `None`: a free one each start.
        pub fixed_port: Option<i32>,
        /// The port of the running process.
        pub port: Option<i32>,
        /// Its process id.
        pub pid: Option<i32>,
        /// Context length asked for.
        pub context_length: Option<i32>,
        /// Requests decoded at once (built-in engine).
        pub parallel: i32,
        /// CPU threads (built-in engine); `None`: all cores.
        pub threads: Option<i32>,
        /// The GPU given (its index); `None`: CPU only.
        pub gpu: Option<i32>,
        /// The deployment this row is a replica of (`None`: a deployment).
        pub replica_of: Option<Uuid>,
        /// JSON array of extra arguments.
        #[sea_orm(column_type = "Text")]
        pub args: String,
        /// Restarts after crashes so far.
        pub restarts: i32,
        /// Why it last stopped or failed.
        pub last_error: Option<String>,
        /// The shared provider it is routed through.
        pub provider_id: Option<Uuid>,
        /// Who created it.
        pub created_by: Option<Uuid>,
        /// Created.
        pub created_at: DateTimeUtc,
        /// Last change.
        pub updated_at: DateTimeUtc,
    }

    /// Relations (none navigated).
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use deployments::Model as DeploymentRow;

/// Inserts a deployment.
pub async fn insert(db: &impl ConnectionTrait, row: DeploymentRow) -> Result<DeploymentRow, DbErr> {
    deployments::ActiveModel::from(row).insert(db).await
}

/// One deployment.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<DeploymentRow>, DbErr> {
    deployments::Entity::find_by_id(id).one(db).await
}

/// Every deployment, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<DeploymentRow>, DbErr> {
    deployments::Entity::find()
        .order_by_asc(deployments::Column::CreatedAt)
        .all(db)
        .await
}

/// The replicas of a deployment, by name.
pub async fn replicas_of(db: &impl ConnectionTrait, id: Uuid) -> Result<Vec<DeploymentRow>, DbErr> {
    deployments::Entity::find()
        .filter(deployments::Column::ReplicaOf.eq(id))
        .order_by_asc(deployments::Column::CreatedAt)
        .all(db)
        .await
}

/// The deployments that should run.
pub async fn should_run(db: &impl ConnectionTrait) -> Result<Vec<DeploymentRow>, DbErr> {
    deployments::Entity::find()
        .filter(deployments::Column::ShouldRun.eq(true))
        .all(db)
        .await
}

/// Deployments of a model.
pub async fn of_model(
    db: &impl ConnectionTrait,
    model_id: Uuid,
) -> Result<Vec<DeploymentRow>, DbErr> {
    deployments::Entity::find()
        .filter(deployments::Column::ModelId.eq(model_id))
        .all(db)
        .await
}

/// Whether a name is taken.
pub async fn name_taken(db: &impl ConnectionTrait, name: &str) -> Result<bool, DbErr> {
    Ok(deployments::Entity::find()
        .filter(deployments::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some())
}

/// What the supervisor reports.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    /// New status.
    pub status: String,
    /// Port, pid (cleared when stopped).
    pub port: Option<i32>,
    /// Process id.
    pub pid: Option<i32>,
    /// Restarts so far.
    pub restarts: i32,
    /// Why it stopped.
    pub last_error: Option<String>,
}

/// Records the supervisor's view of a deployment.
pub async fn set_run_state(db: &impl ConnectionTrait, id: Uuid, s: RunState) -> Result<(), DbErr> {
    deployments::ActiveModel {
        id: Set(id),
        status: Set(s.status),
        port: Set(s.port),
        pid: Set(s.pid),
        restarts: Set(s.restarts),
        last_error: Set(s.last_error),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Whether it should run.
pub async fn set_should_run(db: &impl ConnectionTrait, id: Uuid, run: bool) -> Result<(), DbErr> {
    deployments::ActiveModel {
        id: Set(id),
        should_run: Set(run),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Deletes a deployment.
pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    deployments::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
