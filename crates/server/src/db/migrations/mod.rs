//! Embedded schema migrations, written once with SeaQuery's schema builder so the same
//! migration produces the right DDL on SQLite and PostgreSQL. Append new migrations at the end;
//! never edit one that has shipped.

use sea_orm_migration::prelude::*;

mod m20261121_000001_settings;
mod m20261122_000001_accounts;
mod m20261122_000002_account_security;
mod m20261122_000003_invites;
mod m20261122_000004_oauth;
mod m20261123_000001_providers;
mod m20261124_000001_chat;
mod m20261124_000002_files;
mod m20261124_000003_chat_images;
mod m20261206_000001_chat_search;
mod m20261206_000002_metering;
mod m20261206_000003_usage_daily;
mod m20261207_000001_models;
mod m20261208_000001_download_sync;
mod m20261208_000002_user_permissions;
mod m20261208_000003_deployments;
mod m20261209_000001_deployment_gpu;
mod m20261209_000002_deployment_replicas;
mod m20261210_000001_scrub_message_errors;

/// The list of migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_settings::Migration),
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_account_security::Migration),
            Box::new(m20261122_000003_invites::Migration),
            Box::new(m20261122_000004_oauth::Migration),
            Box::new(m20261123_000001_providers::Migration),
            Box::new(m20261124_000001_chat::Migration),
            Box::new(m20261124_000002_files::Migration),
            Box::new(m20261124_000003_chat_images::Migration),
            Box::new(m20261206_000001_chat_search::Migration),
            Box::new(m20261206_000002_metering::Migration),
            Box::new(m20261206_000003_usage_daily::Migration),
            Box::new(m20261207_000001_models::Migration),
            Box::new(m20261208_000001_download_sync::Migration),
            Box::new(m20261208_000002_user_permissions::Migration),
            Box::new(m20261208_000003_deployments::Migration),
            Box::new(m20261209_000001_deployment_gpu::Migration),
            Box::new(m20261209_000002_deployment_replicas::Migration),
            Box::new(m20261210_000001_scrub_message_errors::Migration),
        ]
    }
}
