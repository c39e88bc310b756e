//! Health, readiness, metrics, instance info and the OpenAPI document.

use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;

on_both_databases! {
    async fn health_is_ok(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = app.get_json("/health").await;
        assert_eq!(status, 200);
        assert_eq!(body, serde_json::json!({"status": "ok"}));
    }

    async fn ready_when_database_answers_and_migrations_are_applied(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = app.get_json("/ready").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ready");
        assert_eq!(body["checks"]["database"], "ok");
        assert_eq!(body["checks"]["migrations"], "ok");
        assert_eq!(body["checks"]["redis"], "disabled");
    }

    async fn not_ready_when_a_migration_is_missing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.db.execute("DELETE FROM seaql_migrations").await;
        let (status, body) = app.get_json("/ready").await;
        assert_eq!(status, 503);
        assert_eq!(body["status"], "not_ready");
        assert_eq!(body["checks"]["database"], "ok");
        assert_eq!(body["checks"]["migrations"], "pending");
    }

    async fn not_ready_when_the_database_is_gone(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.state.db.close().await;
        let (status, body) = app.get_json("/ready").await;
        assert_eq!(status, 503);
        assert_eq!(body["checks"]["database"], "error");
        // Liveness is independent of the database.
        assert_eq!(app.get("/health").await.status(), 200);
    }

    async fn ready_checks_redis_when_configured(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.redis_url = Some(secrecy::SecretString::from("redis://127.0.0.1:6379/0".to_owned()));
        })
        .await;
        let (status, body) = app.get_json("/ready").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["checks"]["redis"], "ok");
        let (_, info) = app.get_json("/api/system/info").await;
        assert_eq!(info["redis_configured"], true);
    }

    async fn system_info_names_version_and_backend(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = app.get_json("/api/system/info").await;
        assert_eq!(status, 200);
        assert_eq!(body["name"], "LLM Manager");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        let expected = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(body["database_backend"], expected);
        assert_eq!(body["redis_configured"], false);
        assert!(body["uptime_seconds"].as_i64().unwrap() >= 0);
        assert!(body["installed_at"].is_string());
    }

    async fn installation_time_survives_a_restart(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (_, first) = app.get_json("/api/system/info").await;
        let db = app.stop().await;
        let config = db.config();
        let app = TestApp::start(db, config).await;
        let (_, second) = app.get_json("/api/system/info").await;
        assert_eq!(first["installed_at"], second["installed_at"]);
        assert_ne!(first["started_at"], second["started_at"]);
    }

    async fn metrics_count_requests_by_route_pattern(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.get("/api/system/info").await;
        app.get("/api/nothing-here/123").await;
        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = res.text().await.unwrap();
        assert!(text.contains(
            r#"llm_manager_http_requests_total{method="GET",route="/api/system/info",status="200"} 1"#
        ), "{text}");
        assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
        assert!(!text.contains("nothing-here"), "raw paths must not become labels");
        assert!(text.contains("llm_manager_http_request_duration_seconds_bucket"));
        assert!(text.contains(r#"llm_manager_build_info{database=""#));
        assert!(text.contains(r#"llm_manager_db_pool_connections{state="max"} 5"#));
    }

    async fn openapi_document_describes_the_api(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, doc) = app.get_json("/api/openapi.json").await;
        assert_eq!(status, 200);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc["info"]["title"], "LLM Manager API");
        for path in ["/health", "/ready", "/metrics", "/api/system/info"] {
            assert!(doc["paths"][path].is_object(), "missing {path}");
        }
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
        assert!(doc["components"]["schemas"]["SystemInfoResponse"].is_object());
    }
}
