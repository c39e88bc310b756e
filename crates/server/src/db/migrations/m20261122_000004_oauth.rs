//! Sign-in with OAuth2 / OpenID Connect providers: the providers admins configure and the
//! identities linked to accounts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthProviders {
    Table,
    Id,
    Slug,
    Kind,
    DisplayName,
    Issuer,
    AuthorizationUrl,
    TokenUrl,
    UserinfoUrl,
    JwksUrl,
    ClientId,
    ClientSecretEnc,
    Scopes,
    Enabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Id,
    UserId,
    ProviderId,
    Subject,
    Email,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthProviders::Table)
                    .col(
                        ColumnDef::new(OauthProviders::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::Slug)
                            .string_len(32)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::DisplayName)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::Issuer)
                            .string_len(512)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::AuthorizationUrl)
                            .string_len(512)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::TokenUrl)
                            .string_len(512)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::UserinfoUrl)
                            .string_len(512)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::JwksUrl)
                            .string_len(512)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::ClientId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::ClientSecretEnc)
                            .string_len(1024)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OauthProviders::Scopes)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(OauthProviders::Enabled).boolean().not_null())
                    .col(
                        ColumnDef::new(OauthProviders::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserIdentities::Table)
                    .col(
                        ColumnDef::new(UserIdentities::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(UserIdentities::UserId).uuid().not_null())
                    .col(ColumnDef::new(UserIdentities::ProviderId).uuid().not_null())
                    .col(
                        ColumnDef::new(UserIdentities::Subject)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(UserIdentities::Email).string_len(254).null())
                    .col(
                        ColumnDef::new(UserIdentities::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserIdentities::Table, UserIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserIdentities::Table, UserIdentities::ProviderId)
                            .to(OauthProviders::Table, OauthProviders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_subject")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::ProviderId)
                    .col(UserIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_user")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserIdentities::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OauthProviders::Table).to_owned())
            .await
    }
}
