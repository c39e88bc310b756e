//! The storage layer behaves the same on both backends: settings round trip, migrations are
//! idempotent, online backups.

use llm_manager::db::Database;
use llm_manager::system::store;
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestDatabase};
use crate::on_both_databases;

on_both_databases! {
    async fn settings_round_trip_json_values(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let conn = &app.state.db.conn;
        assert_eq!(store::get_setting(conn, "missing").await.unwrap(), None);
        let value = json!({"mode": "invite_only", "limits": [1, 2.5, null], "中文": "值"});
        store::put_setting(conn, "registration", value.clone()).await.unwrap();
        assert_eq!(store::get_setting(conn, "registration").await.unwrap(), Some(value));
        store::put_setting(conn, "registration", json!("open")).await.unwrap();
        assert_eq!(store::get_setting(conn, "registration").await.unwrap(), Some(json!("open")));
        let kept = store::insert_setting_if_absent(conn, "registration", json!("closed")).await.unwrap();
        assert_eq!(kept, json!("open"));
    }

    async fn migrating_twice_applies_nothing_the_second_time(backend: Backend) {
        let db = TestDatabase::create(backend).await;
        std::fs::create_dir_all(&db.data_dir).unwrap();
        let database = Database::connect(&db.config().database).await.unwrap();
        let first = database.migrate().await.unwrap();
        assert!(!first.applied.is_empty());
        assert!(first.backup.is_none(), "a brand-new database needs no backup");
        let second = database.migrate().await.unwrap();
        assert!(second.applied.is_empty());
        assert!(database.pending_migrations().await.unwrap().is_empty());
    }

    async fn online_backup_copies_sqlite_and_explains_pg_dump(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        store::put_setting(&app.state.db.conn, "marker", json!(42)).await.unwrap();
        let target = app.db.data_dir.join("backups/copy.db");
        let result = app.state.db.backup_to(&target).await;
        match backend {
            Backend::Postgres => {
                assert!(format!("{:#}", result.unwrap_err()).contains("pg_dump"));
            }
            Backend::Sqlite => {
                result.unwrap();
                let url = format!("sqlite://{}", target.display());
                let copy = TestDatabase::create(Backend::Sqlite).await;
                let mut config = copy.config();
                config.database.url = secrecy::SecretString::from(url);
                let restored = Database::connect(&config.database).await.unwrap();
                assert_eq!(store::get_setting(&restored.conn, "marker").await.unwrap(), Some(json!(42)));
                assert!(restored.pending_migrations().await.unwrap().is_empty());
                // Never overwrite an existing file.
                assert!(app.state.db.backup_to(&target).await.is_err());
            }
        }
    }
}
