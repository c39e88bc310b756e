//! The error envelope under `/api`: malformed input, unknown routes, limits, panics, timeouts.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use llm_manager::error::ApiError;
use llm_manager::extract::{AppJson, AppPath, AppQuery};
use llm_manager::state::AppState;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, serve_with_app_middleware};
use crate::on_both_databases;

#[derive(serde::Deserialize, serde::Serialize)]
struct Item {
    name: String,
    count: u32,
}

#[derive(serde::Deserialize)]
struct Paging {
    limit: u32,
}

async fn echo(AppJson(item): AppJson<Item>) -> AppJson<Item> {
    AppJson(item)
}

async fn by_id(AppPath(id): AppPath<uuid::Uuid>, AppQuery(p): AppQuery<Paging>) -> AppJson<Value> {
    AppJson(json!({"id": id, "limit": p.limit}))
}

async fn explode() -> AppJson<Value> {
    panic!("secret detail hunter2");
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

async fn fail() -> Result<AppJson<Value>, ApiError> {
    Err(ApiError::Internal(anyhow::anyhow!(
        "connection string has hunter2"
    )))
}

fn test_routes() -> Router<AppState> {
    Router::new()
        .route("/api/test/echo", post(echo))
        .route("/api/test/items/{id}", get(by_id))
        .route("/api/test/panic", get(explode))
        .route("/api/test/slow", get(slow))
        .route("/api/test/fail", get(fail))
}

async fn test_server(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, |c| {
        c.http.request_timeout = Duration::from_millis(300);
        c.http.max_body_bytes = 4096;
    })
    .await;
    let (addr, _token) = serve_with_app_middleware(&app.state, test_routes()).await;
    (app, format!("http://{addr}"))
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = res
        .json()
        .await
        .unwrap_or_else(|e| panic!("not JSON ({ct:?}): {e}"));
    (status, body)
}

on_both_databases! {
    async fn malformed_json_is_400_with_envelope(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let req = app.client.post(format!("{base}/api/test/echo"))
            .header("content-type", "application/json").body("{\"name\": ");
        let (status, body) = send(req).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"]["code"], "bad_request");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("malformed JSON body"));
    }

    async fn wrong_field_type_is_422_naming_the_field(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let (status, body) = send(app.client.post(format!("{base}/api/test/echo"))
            .json(&json!({"name": "a", "count": "many"}))).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["code"], "validation_failed");
        assert!(body["error"]["details"]["fields"]["count"].as_str().unwrap().contains("invalid type"));
        let (status, body) = send(app.client.post(format!("{base}/api/test/echo"))
            .json(&json!({"name": "a"}))).await;
        assert_eq!(status, 422);
        assert!(body["error"]["message"].as_str().unwrap().contains("missing field `count`"));
        let (status, body) = send(app.client.post(format!("{base}/api/test/echo"))
            .json(&json!({"name": "a", "count": 2}))).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"name": "a", "count": 2}));
    }

    async fn missing_content_type_is_415(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let (status, body) = send(app.client.post(format!("{base}/api/test/echo"))
            .body(r#"{"name":"a","count":1}"#)).await;
        assert_eq!(status, 415);
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }

    async fn bad_path_and_query_parameters_are_named(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let (status, body) = send(app.client.get(format!("{base}/api/test/items/not-a-uuid?limit=1"))).await;
        assert_eq!(status, 400);
        assert!(body["error"]["message"].as_str().unwrap().contains("invalid path parameter"));
        let id = uuid::Uuid::now_v7();
        let (status, body) = send(app.client.get(format!("{base}/api/test/items/{id}?limit=ten"))).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["limit"].is_string(), "{body}");
        let (status, _) = send(app.client.get(format!("{base}/api/test/items/{id}?limit=10"))).await;
        assert_eq!(status, 200);
    }

    async fn oversized_body_is_413_with_envelope(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let big = json!({"name": "x".repeat(10_000), "count": 1});
        let (status, body) = send(app.client.post(format!("{base}/api/test/echo")).json(&big)).await;
        assert_eq!(status, 413);
        assert_eq!(body["error"]["code"], "payload_too_large");
        // Also on the real app, before any route reads the body.
        let (status, body) = send(app.client.post(app.url("/api/system/info"))
            .body(vec![b'x'; 16 * 1024])).await;
        assert_eq!(status, 413);
        assert_eq!(body["error"]["code"], "payload_too_large");
    }

    async fn panics_become_a_bare_json_500(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let (status, body) = send(app.client.get(format!("{base}/api/test/panic"))).await;
        assert_eq!(status, 500);
        assert_eq!(body["error"]["code"], "internal_error");
        assert!(!body.to_string().contains("hunter2"));
        // The server keeps serving.
        assert_eq!(app.get("/health").await.status(), 200);
    }

    async fn internal_errors_hide_their_detail(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let (status, body) = send(app.client.get(format!("{base}/api/test/fail"))).await;
        assert_eq!(status, 500);
        assert_eq!(body["error"]["message"], "internal server error");
        assert!(!body.to_string().contains("hunter2"));
    }

    async fn slow_requests_time_out_with_408(backend: Backend) {
        let (app, base) = test_server(backend).await;
        let (status, body) = send(app.client.get(format!("{base}/api/test/slow"))).await;
        assert_eq!(status, 408);
        assert_eq!(body["error"]["code"], "request_timeout");
    }

    async fn unknown_api_routes_and_methods_get_json(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = send(app.client.get(app.url("/api/does/not/exist"))).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"]["code"], "not_found");
        assert!(body["error"]["message"].as_str().unwrap().contains("/api/does/not/exist"));
        let res = app.client.delete(app.url("/api/system/info")).send().await.unwrap();
        assert_eq!(res.status(), 405);
        assert!(res.headers().contains_key("allow"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
}
