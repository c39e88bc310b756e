//! Deployments for real: the built-in engine started as a child process of the built binary on
//! a tiny random-weight GGUF, routed through `/v1` with exact usage, restarted after `kill -9`,
//! stopped and deleted with its route; a command that keeps crashing stops at the limit with
//! the reason; models the engine cannot serve and models too big for memory refused at deploy
//! time with the reason; a model in use cannot be deleted; plain users get 403.

use std::time::Duration;

use llm_engine::tiny::Tiny;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestUser};
use crate::llm::{api_key, v1};
use crate::on_both_databases;

async fn app(backend: Backend) -> (TestApp, TestUser) {
    let app = TestApp::spawn_with(backend, |c| {
        c.deployments.engine_program = env!("CARGO_BIN_EXE_llm-manager").into();
        c.deployments.backoff = Duration::from_millis(20);
    })
    .await;
    let admin = app.admin().await;
    (app, admin)
}

/// Writes a tiny model into MODELS_DIR, rescans, and returns its registry id.
pub(crate) async fn model(
    app: &TestApp,
    admin: &TestUser,
    file: &str,
    tiny: &Tiny,
    grow_to: Option<u64>,
) -> String {
    let dir = app.state.config.models.dir.clone();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    tiny.write_file(&path).unwrap();
    if let Some(len) = grow_to {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len)
            .unwrap();
    }
    let res = app
        .send_as(
            &admin.access_token,
            Method::POST,
            "/api/models/rescan",
            None,
        )
        .await;
    let body: Value = res.json().await.unwrap();
    let found = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["path"] == file)
        .cloned();
    found.unwrap_or_else(|| panic!("{file} not registered: {body}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn call(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let res = app.send_as(&user.access_token, method, path, body).await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub(crate) async fn wait_for(
    app: &TestApp,
    admin: &TestUser,
    id: &str,
    what: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, d) = call(
            app,
            admin,
            Method::GET,
            &format!("/api/deployments/{id}"),
            None,
        )
        .await;
        if what(&d) {
            return d;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the deployment never got there: {d}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_both_databases! {
    async fn the_builtin_engine_serves_through_v1_comes_back_after_kill_9_and_stops_with_its_route(backend: Backend) {
        let (app, admin) = app(backend).await;
        let model_id = model(&app, &admin, "tiny.gguf", &Tiny { chatml_tokens: false, ..Tiny::default() }, None).await;
        let (status, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "tiny-local", "model_id": model_id, "backend": "builtin", "parallel": 2, "threads": 1}))).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        let running = wait_for(&app, &admin, &id, |d| d["status"] == "running").await;
        let first_pid = running["pid"].as_i64().unwrap();

        let user = app.user("ursula").await;
        let key = api_key(&app, &user, json!({"name": "local"})).await;
        let models: Value = v1(&app, &key, Method::GET, "/v1/models", None).await.json().await.unwrap();
        assert!(models["data"].as_array().unwrap().iter().any(|m| m["id"] == "tiny-local"), "{models}");
        let body = json!({"model": "tiny-local", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 6, "temperature": 0});
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body.clone())).await;
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["usage"]["completion_tokens"], 6, "{answer}");
        let prompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n".len() as i64;
        assert_eq!(answer["usage"]["prompt_tokens"], prompt, "{answer}");
        let logged = crate::llm::wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE model = 'tiny-local' AND completion_tokens = 6", 1).await;
        assert_eq!(logged, 1, "the call is in the usage log with exact tokens");

        // The model is in use: it cannot be deleted.
        let (status, refused) = call(&app, &admin, Method::DELETE, &format!("/api/models/{model_id}"), None).await;
        assert_eq!(status, 409, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("tiny-local"));

        nix::sys::signal::kill(nix::unistd::Pid::from_raw(first_pid as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
        let back = wait_for(&app, &admin, &id, |d| d["status"] == "running" && d["pid"].as_i64() != Some(first_pid)).await;
        assert_eq!(back["restarts"], 1, "{back}");
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body.clone())).await;
        assert_eq!(res.status(), 200, "served again after the restart");
        let (_, logs) = call(&app, &admin, Method::GET, &format!("/api/deployments/{id}/logs?tail=50"), None).await;
        let lines = logs["lines"].as_array().unwrap();
        assert!(lines.iter().any(|l| l.as_str().unwrap().contains("killed by signal 9")), "{logs}");
        assert!(lines.iter().any(|l| l.as_str().unwrap().contains("engine: serving")), "{logs}");

        let (status, stopped) = call(&app, &admin, Method::POST, &format!("/api/deployments/{id}/stop"), None).await;
        assert_eq!((status, stopped["status"].as_str(), stopped["pid"].as_i64()), (200, Some("stopped"), None), "{stopped}");
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body)).await;
        assert_eq!(res.status(), 404, "the route is closed while stopped");
        assert!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(back["pid"].as_i64().unwrap() as i32), None).is_err(), "the process is gone");

        let (status, _) = call(&app, &admin, Method::DELETE, &format!("/api/deployments/{id}"), None).await;
        assert_eq!(status, 204);
        let (_, providers) = call(&app, &admin, Method::GET, "/api/admin/providers", None).await;
        assert!(!providers.to_string().contains("Local: tiny-local"), "{providers}");
        let (status, _) = call(&app, &admin, Method::DELETE, &format!("/api/models/{model_id}"), None).await;
        assert_eq!(status, 204, "free to delete once no deployment uses it");
    }

    async fn a_command_that_keeps_crashing_fails_at_the_limit_with_the_reason(backend: Backend) {
        let (app, admin) = app(backend).await;
        let model_id = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let command = json!(["sh", "-c", "echo cannot bind {port} >&2; exit 7"]);
        let (status, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "crashy", "model_id": model_id, "backend": "custom", "command": command}))).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        let failed = wait_for(&app, &admin, &id, |d| d["status"] == "failed").await;
        let error = failed["last_error"].as_str().unwrap();
        assert!(error.contains("crashed 5 times") && error.contains("status 7") && error.contains("cannot bind"), "{failed}");
        assert_eq!((failed["restarts"].as_i64(), failed["should_run"].as_bool()), (Some(5), Some(false)), "{failed}");
    }

    async fn models_the_engine_cannot_serve_or_memory_cannot_hold_are_refused_at_deploy_time(backend: Backend) {
        let (app, admin) = app(backend).await;
        let deploy = |model_id: String, name: &str| json!({"name": name, "model_id": model_id, "backend": "builtin"});
        let mamba = model(&app, &admin, "mamba.gguf", &Tiny { architecture: "mamba".into(), ..Tiny::default() }, None).await;
        let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(deploy(mamba, "m"))).await;
        assert_eq!(status, 422, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("architecture `mamba`") && message.contains("llama.cpp backend"), "{body}");
        // A valid header in front of a file of 1 TiB (sparse): more than this machine's memory.
        let huge = model(&app, &admin, "huge.gguf", &Tiny::default(), Some(1 << 40)).await;
        let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(deploy(huge, "h"))).await;
        assert_eq!(status, 409, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("1024.00 GiB of weights") && message.contains("of memory is free"), "{body}");
        let fine = model(&app, &admin, "fine.gguf", &Tiny::default(), None).await;
        for (bad, field) in [
            (json!({"name": "Bad Name", "model_id": fine, "backend": "builtin"}), "name"),
            (json!({"name": "ok", "model_id": fine, "backend": "tgi"}), "backend"),
            (json!({"name": "ok", "model_id": fine, "backend": "custom"}), "command"),
            (json!({"name": "ok", "model_id": fine, "backend": "builtin", "parallel": 0}), "parallel"),
            (json!({"name": "ok", "model_id": "0190a0c0-0000-7000-8000-000000000009", "backend": "builtin"}), "model_id"),
        ] {
            let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(bad)).await;
            assert_eq!(status, 422, "{body}");
            assert!(body["error"]["message"].as_str().unwrap().starts_with(field), "{body}");
        }
        let (status, _) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "ok", "model_id": fine, "backend": "builtin", "start": false}))).await;
        assert_eq!(status, 201);
        let (status, body) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "ok", "model_id": fine, "backend": "builtin", "start": false}))).await;
        assert_eq!(status, 409, "{body}");
    }

    async fn plain_users_cannot_deploy_or_read_logs(backend: Backend) {
        let (app, admin) = app(backend).await;
        let model_id = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let (_, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "quiet", "model_id": model_id, "backend": "builtin", "start": false}))).await;
        let id = d["id"].as_str().unwrap();
        let mallory = app.user("mallory").await;
        for (method, path, body) in [
            (Method::GET, "/api/deployments".to_owned(), None),
            (Method::POST, "/api/deployments".to_owned(), Some(json!({"name": "x", "model_id": model_id, "backend": "builtin"}))),
            (Method::GET, format!("/api/deployments/{id}"), None),
            (Method::GET, format!("/api/deployments/{id}/logs"), None),
            (Method::POST, format!("/api/deployments/{id}/start"), None),
            (Method::POST, format!("/api/deployments/{id}/stop"), None),
            (Method::POST, format!("/api/deployments/{id}/restart"), None),
            (Method::DELETE, format!("/api/deployments/{id}"), None),
        ] {
            let (status, _) = call(&app, &mallory, method.clone(), &path, body).await;
            assert_eq!(status, 403, "{method} {path}");
        }
        let (_, still) = call(&app, &admin, Method::GET, &format!("/api/deployments/{id}"), None).await;
        assert_eq!(still["status"], "stopped");
    }
}

/// cyllama's `cyllama` program (llama.cpp inside), installed by the test set-up.
fn cyllama() -> String {
    std::env::var("LLM_MANAGER_TEST_CYLLAMA")
        .expect("LLM_MANAGER_TEST_CYLLAMA names cyllama's program (scripts/test.sh installs it)")
}

on_both_databases! {
    async fn the_llama_cpp_backend_serves_smollm2_through_v1(backend: Backend) {
        let gguf = std::path::PathBuf::from(std::env::var("LLM_MANAGER_TEST_GGUF").expect("LLM_MANAGER_TEST_GGUF names SmolLM2's GGUF"));
        let dir = gguf.parent().unwrap().to_path_buf();
        let app = TestApp::spawn_with(backend, |c| {
            c.deployments.llama_cpp_server = vec![cyllama(), "server".into()];
            c.models.import_dirs = vec![dir];
        })
        .await;
        let admin = app.admin().await;
        let (status, model) = call(&app, &admin, Method::POST, "/api/models/import", Some(json!({"path": gguf}))).await;
        assert_eq!(status, 201, "{model}");
        let (status, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "smol-cpp", "model_id": model["id"], "backend": "llama_cpp", "context_length": 2048}))).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_owned();
        wait_for(&app, &admin, &id, |d| d["status"] == "running").await;
        let user = app.user("lena").await;
        let key = api_key(&app, &user, json!({"name": "cpp"})).await;
        let body = json!({"model": "smol-cpp", "messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 12, "temperature": 0});
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body)).await;
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert!(!answer["choices"][0]["message"]["content"].as_str().unwrap().is_empty(), "{answer}");
        assert!(answer["usage"]["completion_tokens"].as_u64().unwrap() > 0, "{answer}");
        let (_, logs) = call(&app, &admin, Method::GET, &format!("/api/deployments/{id}/logs"), None).await;
        assert!(logs.to_string().contains("[supervisor] running on port"), "{logs}");
        let (status, stopped) = call(&app, &admin, Method::POST, &format!("/api/deployments/{id}/stop"), None).await;
        assert_eq!((status, stopped["status"].as_str()), (200, Some("stopped")), "{stopped}");
    }
}
