//! Helpers for provider and gateway tests: providers on a fake upstream, API keys, `/v1` calls.

use fake_llm::FakeLlm;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

/// Adds a shared provider as `admin`; panics unless 201.
pub async fn add_shared(app: &TestApp, admin: &TestUser, body: Value) -> Value {
    let res = app
        .send_as(
            &admin.access_token,
            Method::POST,
            "/api/admin/providers",
            Some(body),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// An OpenAI-compatible shared provider on `fake` serving `models`.
pub async fn add_openai(
    app: &TestApp,
    admin: &TestUser,
    name: &str,
    fake: &FakeLlm,
    key: &str,
    models: &[&str],
) -> Value {
    add_shared(
        app,
        admin,
        json!({"name": name, "kind": "openai_compatible", "base_url": fake.openai_base(), "api_key": key, "models": models}),
    )
    .await
}

/// Creates an API key for `user` and returns the key.
pub async fn api_key(app: &TestApp, user: &TestUser, body: Value) -> String {
    let res = app
        .send_as(&user.access_token, Method::POST, "/api/keys", Some(body))
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["key"].as_str().unwrap().to_owned()
}

/// `method /v1…` with an API key.
pub async fn v1(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// A chat request body.
pub fn chat(model: &str, text: &str, stream: bool) -> Value {
    let mut body = json!({"model": model, "messages": [{"role": "user", "content": text}]});
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

/// Reads an SSE body into its `data:` payloads.
pub async fn sse_data(res: reqwest::Response) -> Vec<String> {
    let text = res.text().await.unwrap();
    text.split("\n\n")
        .filter_map(|frame| frame.strip_prefix("data: "))
        .map(str::to_owned)
        .collect()
}

/// Concatenated `delta.content` of a streamed answer.
pub fn streamed_text(frames: &[String]) -> String {
    frames
        .iter()
        .filter(|f| f.as_str() != "[DONE]")
        .filter_map(|f| serde_json::from_str::<Value>(f).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

/// Polls `sql` until it returns at least `n` (usage events are written asynchronously).
pub async fn wait_for_count(app: &TestApp, sql: &str, n: i64) -> i64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = app.db.scalar(sql).await;
        if got >= n || std::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
