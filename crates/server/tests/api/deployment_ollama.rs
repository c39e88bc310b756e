//! The `ollama` backend against the fake Ollama daemon: the GGUF uploaded as a blob (its
//! digest checked by the daemon), a model `llmm-{name}` created with the context length, `/v1`
//! answered by the daemon under the deployment's name, a stop that unloads it, a delete that
//! removes it; refused without `OLLAMA_HOST` or with replicas.

use std::time::Duration;

use fake_hub::FakeHub;
use llm_engine::tiny::Tiny;
use reqwest::Method;
use serde_json::json;

use crate::deployments::{call, model, wait_for};
use crate::helpers::TestApp;
use crate::llm::{api_key, v1};
use crate::on_both_databases;

on_both_databases! {
    async fn the_ollama_backend_serves_a_registry_gguf_through_the_daemon(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let base = url::Url::parse(&format!("{}/", hub.base())).unwrap();
        let app = TestApp::spawn_with(backend, |c| {
            c.models.ollama_host = Some(base);
            c.deployments.backoff = Duration::from_millis(20);
        })
        .await;
        let admin = app.admin().await;
        let tiny = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "o", "model_id": tiny, "backend": "ollama", "replicas": 2}))).await;
        assert!(status == 422 && body["error"]["message"].as_str().unwrap().starts_with("replicas"), "{body}");
        let (status, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "o", "model_id": tiny, "backend": "ollama", "context_length": 1536}))).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        wait_for(&app, &admin, &id, |d| d["status"] == "running").await;
        let created = hub.daemon_created();
        assert_eq!(created.len(), 1, "{created:?}");
        let (name, request, _) = &created[0];
        assert_eq!(name, "llmm-o");
        assert_eq!(request["parameters"]["num_ctx"], 1536, "{request}");
        let file = std::fs::read(app.state.config.models.dir.join("tiny.gguf")).unwrap();
        let digest = format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&file)));
        assert_eq!(request["files"]["model.gguf"], digest.as_str(), "{request}");

        let user = app.user("olga").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(json!({"model": "o", "messages": [{"role": "user", "content": "hi"}]}))).await;
        assert_eq!(res.status(), 200);
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["choices"][0]["message"]["content"], "ollama serving llmm-o with num_ctx 1536", "{answer}");
        assert!(hub.daemon_created()[0].2, "loaded by the call");

        let (status, stopped) = call(&app, &admin, Method::POST, &format!("/api/deployments/{id}/stop"), None).await;
        assert_eq!((status, stopped["status"].as_str()), (200, Some("stopped")), "{stopped}");
        assert!(!hub.daemon_created()[0].2, "a stop unloads the model");
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(json!({"model": "o", "messages": [{"role": "user", "content": "hi"}]}))).await;
        assert_eq!(res.status(), 404, "the route is closed");
        let (status, _) = call(&app, &admin, Method::DELETE, &format!("/api/deployments/{id}"), None).await;
        assert_eq!(status, 204);
        assert!(hub.daemon_created().is_empty(), "the delete removes the daemon's model");
    }

    async fn the_ollama_backend_needs_ollama_host(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let tiny = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "o", "model_id": tiny, "backend": "ollama"}))).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("needs OLLAMA_HOST"), "{body}");
    }
}
