//! The vLLM and SGLang templates, started for real with a stand-in that takes exactly their
//! flags (tests/fixtures/standin_server.py; there is no GPU here) and answered through `/v1`;
//! the resource estimate before a deploy; GPU choices refused with the reason; the
//! `deployments` permission; replicas that share the load and cover for each other.

use std::time::Duration;

use llm_engine::tiny::Tiny;
use reqwest::Method;
use serde_json::{Value, json};

use crate::deployments::{call, model, wait_for};
use crate::helpers::{Backend, TestApp, TestUser};
use crate::llm::{api_key, v1};
use crate::on_both_databases;

fn standin(flavor: &str) -> Vec<String> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/standin_server.py"
    );
    vec!["python3".into(), script.into(), flavor.into()]
}

async fn app(backend: Backend) -> (TestApp, TestUser) {
    let app = TestApp::spawn_with(backend, |c| {
        c.deployments.engine_program = env!("CARGO_BIN_EXE_llm-manager").into();
        c.deployments.backoff = Duration::from_millis(20);
        c.deployments.vllm_server = standin("vllm");
        c.deployments.sglang_server = standin("sglang");
    })
    .await;
    let admin = app.admin().await;
    (app, admin)
}

async fn grant(app: &TestApp, admin: &TestUser, user: &TestUser, permissions: Value) {
    let path = format!("/api/admin/users/{}", user.id);
    let (status, body) = call(
        app,
        admin,
        Method::PATCH,
        &path,
        Some(json!({"permissions": permissions})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

on_both_databases! {
    async fn vllm_and_sglang_templates_serve_through_v1_with_their_flags_and_keys(backend: Backend) {
        let (app, admin) = app(backend).await;
        let model_id = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let user = app.user("vera").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        for (name, backend_name) in [("v", "vllm"), ("s", "sglang")] {
            let (status, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": name, "model_id": model_id, "backend": backend_name, "context_length": 1024}))).await;
            assert_eq!(status, 201, "{d}");
            assert_eq!(d["gpu"], Value::Null, "no GPU here: {d}");
            let id = d["id"].as_str().unwrap().to_owned();
            wait_for(&app, &admin, &id, |d| d["status"] == "running").await;
            let body = json!({"model": name, "messages": [{"role": "user", "content": "Who are you?"}]});
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body)).await;
            assert_eq!(res.status(), 200);
            let answer: Value = res.json().await.unwrap();
            let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
            assert_eq!(text, format!("{backend_name} serving tiny.gguf as {name} with context 1024 on gpu []"), "{answer}");
            assert_eq!(answer["usage"]["prompt_tokens"], 7, "{answer}");
            let (status, stopped) = call(&app, &admin, Method::POST, &format!("/api/deployments/{id}/stop"), None).await;
            assert_eq!((status, stopped["status"].as_str()), (200, Some("stopped")), "{stopped}");
        }
    }

    async fn the_estimate_shows_weights_context_and_fit_and_refuses_bad_gpus(backend: Backend) {
        let (app, admin) = app(backend).await;
        let tiny = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let size = std::fs::metadata(app.state.config.models.dir.join("tiny.gguf")).unwrap().len();
        let estimate = |body: Value| call(&app, &admin, Method::POST, "/api/deployments/estimate", Some(body));
        let (status, e) = estimate(json!({"model_id": tiny, "backend": "builtin", "context_length": 256, "parallel": 2})).await;
        assert_eq!(status, 200, "{e}");
        assert_eq!(e["model_bytes"], size, "{e}");
        let (context, required) = (e["context_bytes"].as_u64().unwrap(), e["required_bytes"].as_u64().unwrap());
        assert!(context > 0 && required == size + context, "{e}");
        assert_eq!((e["fits"].as_bool(), e["gpu"].clone(), e["message"].clone()), (Some(true), Value::Null, Value::Null), "{e}");
        assert!(e["memory_available_bytes"].as_u64().unwrap() > 0, "{e}");
        // Twice the context, twice the KV cache (working memory stays).
        let (_, wide) = estimate(json!({"model_id": tiny, "backend": "builtin", "context_length": 512, "parallel": 2})).await;
        let kv = |v: &Value| v["context_bytes"].as_u64().unwrap();
        let (_, narrow) = estimate(json!({"model_id": tiny, "backend": "builtin", "context_length": 128, "parallel": 2})).await;
        assert_eq!(kv(&wide) - context, (context - kv(&narrow)) * 2, "{wide}");

        let huge = model(&app, &admin, "huge.gguf", &Tiny::default(), Some(1 << 40)).await;
        let (status, e) = estimate(json!({"model_id": huge, "backend": "llama_cpp"})).await;
        assert_eq!((status, e["fits"].as_bool()), (200, Some(false)), "{e}");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("1024.00 GiB of weights") && message.contains("of memory is free"), "{e}");

        for (body, field, says) in [
            (json!({"model_id": tiny, "backend": "builtin", "gpu": 0}), "gpu", "CPU only"),
            (json!({"model_id": tiny, "backend": "vllm", "gpu": 3}), "gpu", "no GPU 3"),
            (json!({"model_id": tiny, "backend": "tgi"}), "backend", "`tgi` is not available"),
            (json!({"model_id": "0190a0c0-0000-7000-8000-000000000009", "backend": "builtin"}), "model_id", "no such model"),
        ] {
            let (status, e) = estimate(body.clone()).await;
            let m = e["error"]["message"].as_str().unwrap_or_default();
            assert!(status == 422 && m.starts_with(field) && m.contains(says), "{body} → {status} {e}");
        }
        let (status, e) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "g", "model_id": tiny, "backend": "vllm", "gpu": 3}))).await;
        assert_eq!(status, 422, "{e}");
    }

    async fn the_deployments_permission_opens_deployments_and_the_monitor_only(backend: Backend) {
        let (app, admin) = app(backend).await;
        let tiny = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let ops = app.user("ops").await;
        let plain = app.user("plain").await;
        let (status, _) = call(&app, &ops, Method::GET, "/api/deployments", None).await;
        assert_eq!(status, 403);
        grant(&app, &admin, &ops, json!(["deployments"])).await;
        let (status, d) = call(&app, &ops, Method::POST, "/api/deployments", Some(json!({"name": "theirs", "model_id": tiny, "backend": "builtin", "start": false}))).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap();
        for path in ["/api/deployments".to_owned(), format!("/api/deployments/{id}"), format!("/api/deployments/{id}/logs"), "/api/models".to_owned(), "/api/monitor/host".to_owned(), format!("/api/monitor/deployments/{id}")] {
            let (status, body) = call(&app, &ops, Method::GET, &path, None).await;
            assert_eq!(status, 200, "{path}: {body}");
            let (status, _) = call(&app, &plain, Method::GET, &path, None).await;
            assert_eq!(status, 403, "{path}");
        }
        // Managing models stays with the `models` permission.
        let (status, body) = call(&app, &ops, Method::POST, "/api/models/rescan", None).await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = call(&app, &plain, Method::POST, "/api/deployments/estimate", Some(json!({"model_id": tiny, "backend": "builtin"}))).await;
        assert_eq!(status, 403);
        let (status, _) = call(&app, &ops, Method::DELETE, &format!("/api/deployments/{id}"), None).await;
        assert_eq!(status, 204);
    }

    async fn replicas_share_the_load_and_cover_for_one_another(backend: Backend) {
        let (app, admin) = app(backend).await;
        let tiny = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "rep", "model_id": tiny, "backend": "builtin", "replicas": 2, "port": 40000}))).await;
        assert!(status == 422 && body["error"]["message"].as_str().unwrap().starts_with("replicas"), "{body}");
        let (status, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "rep", "model_id": tiny, "backend": "builtin", "replicas": 2}))).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        assert_eq!(d["replicas"][0]["name"], "rep#2", "{d}");
        let both = wait_for(&app, &admin, &id, |d| d["status"] == "running" && d["replicas"][0]["status"] == "running").await;
        let (_, list) = call(&app, &admin, Method::GET, "/api/deployments", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "replicas sit inside their deployment: {list}");

        let user = app.user("rhea").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let models: Value = v1(&app, &key, Method::GET, "/v1/models", None).await.json().await.unwrap();
        let ids: Vec<&str> = models["data"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
        assert_eq!(ids.iter().filter(|m| **m == "rep").count(), 1, "{models}");
        let ask = || v1(&app, &key, Method::POST, "/v1/chat/completions", Some(json!({"model": "rep", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})));
        for _ in 0..16 {
            assert_eq!(ask().await.status(), 200);
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (_, stats) = call(&app, &admin, Method::GET, "/api/admin/statistics?group_by=provider", None).await;
            let rows = stats["rows"].as_array().unwrap();
            let served = |name: &str| rows.iter().find(|r| r["label"] == name).and_then(|r| r["requests"].as_i64()).unwrap_or(0);
            if served("Local: rep") + served("Local: rep#2") == 16 {
                assert!(served("Local: rep") > 0 && served("Local: rep#2") > 0, "both replicas serve: {stats}");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{stats}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // One replica killed: the other answers every request meanwhile.
        let pid = both["pid"].as_i64().unwrap();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
        for _ in 0..6 {
            assert_eq!(ask().await.status(), 200);
        }
        wait_for(&app, &admin, &id, |d| d["status"] == "running" && d["restarts"] == 1).await;

        let (_, providers) = call(&app, &admin, Method::GET, "/api/admin/providers", None).await;
        let local: Vec<&Value> = providers["items"].as_array().unwrap().iter().filter(|p| p["kind"] == "local").collect();
        assert_eq!(local.len(), 2, "one provider of kind local per replica: {providers}");
        let (status, body) = call(&app, &admin, Method::POST, "/api/admin/providers", Some(json!({"name": "mine", "kind": "local", "base_url": "http://127.0.0.1:9/v1"}))).await;
        assert!(status == 422 && !body["error"]["message"].as_str().unwrap().contains("local"), "kind local is kept for deployments: {body}");
        let (status, stopped) = call(&app, &admin, Method::POST, &format!("/api/deployments/{id}/stop"), None).await;
        assert_eq!((status, stopped["status"].as_str(), stopped["replicas"][0]["status"].as_str()), (200, Some("stopped"), Some("stopped")), "{stopped}");
        let (status, _) = call(&app, &admin, Method::DELETE, &format!("/api/deployments/{id}"), None).await;
        assert_eq!(status, 204);
        let (_, providers) = call(&app, &admin, Method::GET, "/api/admin/providers", None).await;
        assert!(!providers.to_string().contains("Local: rep"), "{providers}");
    }
}
