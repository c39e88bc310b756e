//! `deployments.replica_of`: a replica's deployment. A deployment with N replicas is N rows:
//! the deployment itself and N - 1 replicas (`name#2`, `name#3`, …), each supervised alone
//! with its own process, port and route, all serving the deployment's name, so the gateway
//! spreads requests over them and fails over between them.

use sea_orm_migration::prelude::*;

/// This migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deployments {
    Table,
    ReplicaOf,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deployments::Table)
                    .add_column(ColumnDef::new(Deployments::ReplicaOf).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Deployments::Table)
                    .drop_column(Deployments::ReplicaOf)
                    .to_owned(),
            )
            .await
    }
}
