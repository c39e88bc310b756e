//! Start-up, shutdown and cross-cutting HTTP behaviour: request ids, CORS, compression,
//! graceful shutdown, refusing to start on a failed migration or unreachable Redis.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use llm_manager::Application;
use llm_manager::config::CorsOrigins;
use llm_manager::state::AppState;

use crate::helpers::{Backend, TestApp, TestDatabase, serve_with_app_middleware};
use crate::on_both_databases;

on_both_databases! {
    async fn request_id_is_kept_or_generated(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.client.get(app.url("/health")).header("x-request-id", "abc-123").send().await.unwrap();
        assert_eq!(res.headers()["x-request-id"], "abc-123");
        let res = app.get("/api/nope").await;
        let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");
        let res = app.client.get(app.url("/health")).header("x-request-id", "bad id <script>").send().await.unwrap();
        let replaced = res.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(replaced).is_ok(), "{replaced}");
    }

    async fn cors_allows_only_configured_origins(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.http.cors = CorsOrigins::List(vec!["https://app.example".into()]);
        }).await;
        let preflight = |origin: &'static str| {
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/system/info"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .send()
        };
        let res = preflight("https://app.example").await.unwrap();
        assert_eq!(res.headers()["access-control-allow-origin"], "https://app.example");
        assert_eq!(res.headers()["access-control-allow-credentials"], "true");
        let res = preflight("https://evil.example").await.unwrap();
        assert!(!res.headers().contains_key("access-control-allow-origin"));
    }

    async fn same_origin_by_default(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.client.get(app.url("/api/system/info"))
            .header("origin", "https://elsewhere.example").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(!res.headers().contains_key("access-control-allow-origin"));
    }

    async fn responses_are_compressed_when_asked(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let res = app.client.get(app.url("/api/openapi.json"))
            .header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(res.headers()["content-encoding"], "gzip");
    }

    async fn shutdown_lets_in_flight_requests_finish(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        // A slow request on the real router, through a second server sharing the state, is not
        // what we want: shut the app itself down while its own request is in flight.
        let url = app.url("/ready");
        let client = app.client.clone();
        let slow = Router::<AppState>::new().route("/api/test/slow", get(|| async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            "done"
        }));
        let (addr, token) = serve_with_app_middleware(&app.state, slow).await;
        let in_flight = tokio::spawn({
            let client = client.clone();
            async move { client.get(format!("http://{addr}/api/test/slow")).send().await }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        token.cancel();
        let res = in_flight.await.unwrap().unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "done");
        // And the application stops cleanly when asked, after which it refuses connections.
        let _db = app.stop().await;
        assert!(client.get(url).send().await.is_err());
    }

    async fn a_failed_migration_refuses_to_start_and_changes_nothing(backend: Backend) {
        let db = TestDatabase::create(backend).await;
        std::fs::create_dir_all(&db.data_dir).unwrap();
        // An old table in the way of the first migration, holding data that must survive.
        db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, note TEXT)").await;
        db.execute("INSERT INTO settings (key, note) VALUES ('keep', 'me')").await;
        let err = Application::build(db.config()).await.err().expect("start must fail");
        let message = format!("{err:#}");
        assert!(message.contains("migration failed; the database was left as it was"), "{message}");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM settings WHERE note = 'me'").await, 1);
        let tables = match backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE name = 'seaql_migrations'",
            Backend::Postgres => "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'seaql_migrations'",
        };
        assert_eq!(db.scalar(tables).await, 0, "the migrations table must be rolled back too");
        if backend == Backend::Sqlite {
            let backups: Vec<_> = std::fs::read_dir(&db.data_dir).unwrap()
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .filter(|n| n.contains(".pre-migrate-") && n.ends_with(".bak"))
                .collect();
            assert_eq!(backups.len(), 1, "an existing SQLite database is copied before migrating");
        }
    }

    async fn unreachable_redis_refuses_to_start(backend: Backend) {
        let db = TestDatabase::create(backend).await;
        let mut config = db.config();
        config.redis_url = Some(secrecy::SecretString::from("redis://127.0.0.1:1/0".to_owned()));
        let err = Application::build(config).await.err().expect("start must fail");
        assert!(format!("{err:#}").contains("REDIS_URL=redis://127.0.0.1:1/0: cannot connect"), "{err:#}");
    }
}
