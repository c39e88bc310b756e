//! Helpers of the model and download tests: an app pointed at a fake hub, waiting for a
//! download to settle, and GGUFs of a given size.

use std::time::Duration;

use fake_hub::{FakeHub, TinyGguf};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestUser};

pub const MIB: usize = 1 << 20;

/// A llama GGUF with quantisation `file_type` (15 = Q4_K_M, 7 = Q8_0), padded to `size`.
pub fn gguf(name: &str, file_type: u32, size: usize) -> Vec<u8> {
    TinyGguf::model("llama", name, file_type).padded(size)
}

/// sha256 of bytes, hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The app with every hub at `hub`, a tiny free-space margin, and an admin.
pub async fn app_with_hub(backend: Backend, hub: &FakeHub) -> (TestApp, TestUser) {
    let base = url::Url::parse(&hub.base()).unwrap();
    let app = TestApp::spawn_with(backend, |c| {
        c.models.hf_endpoint = base.clone();
        c.models.modelscope_endpoint = base.clone();
        c.models.ollama_registry = base.clone();
        c.models.free_margin = 1024;
    })
    .await;
    let admin = app.admin().await;
    (app, admin)
}

/// `POST /api/downloads` as `user`: (status, body).
pub async fn start(app: &TestApp, user: &TestUser, body: Value) -> (u16, Value) {
    let res = app
        .send_as(
            &user.access_token,
            reqwest::Method::POST,
            "/api/downloads",
            Some(body),
        )
        .await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// A Hugging Face download of `files` from `repo`, which must start (201).
pub async fn start_hf(app: &TestApp, user: &TestUser, repo: &str, files: &[&str]) -> Value {
    let (status, body) = start(
        app,
        user,
        json!({"source": "huggingface", "repo": repo, "files": files}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// `GET /api/downloads/{id}`.
pub async fn task(app: &TestApp, user: &TestUser, id: &str) -> Value {
    let res = app
        .get_as(&user.access_token, &format!("/api/downloads/{id}"))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// `POST /api/downloads/{id}/{action}`: (status, body).
pub async fn act(app: &TestApp, user: &TestUser, id: &str, action: &str) -> (u16, Value) {
    let res = app
        .send_as(
            &user.access_token,
            reqwest::Method::POST,
            &format!("/api/downloads/{id}/{action}"),
            None,
        )
        .await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// Polls the download until `done` holds (at most 60 s).
pub async fn wait_until(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let t = task(app, user, id).await;
        if done(&t) {
            return t;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "download never got there: {t}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits for a terminal state (completed, failed, cancelled, paused).
pub async fn settled(app: &TestApp, user: &TestUser, id: &str) -> Value {
    wait_until(app, user, id, |t| {
        ["completed", "failed", "cancelled", "paused"].contains(&t["status"].as_str().unwrap_or(""))
    })
    .await
}

/// `GET /api/models` items.
pub async fn local_models(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let res = app.get_as(&user.access_token, "/api/models").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}
