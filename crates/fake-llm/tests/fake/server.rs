//! The server itself: request recording, connection counting, runtime config, unknown paths,
//! latency and shutdown.

use std::time::{Duration, Instant};

use fake_llm::{FakeConfig, FakeLlm, Format};
use serde_json::{Value, json};

use crate::support::{eventually, openai_chat, post};

#[tokio::test]
async fn every_request_is_recorded_with_lowercase_headers_and_query() {
    let config = FakeConfig {
        required_key: Some("k".into()),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let rejected = reqwest::Client::new()
        .post(format!(
            "{}/v1beta/models/fake-model:generateContent?key=bad",
            fake.url()
        ))
        .header("X-Custom-Thing", "Value")
        .json(&json!({"contents": []}))
        .send()
        .await
        .unwrap();
    let raw = reqwest::Client::new()
        .post(format!("{}/api/chat", fake.url()))
        .body("not json")
        .send()
        .await
        .unwrap();

    assert_eq!(rejected.status(), 401);
    assert_eq!(raw.status(), 401);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(fake.request_count(), 2);
    let first = &requests[0];
    assert_eq!(first.method, "POST");
    assert_eq!(
        first.path,
        "/v1beta/models/fake-model:generateContent?key=bad"
    );
    assert_eq!(first.format, Format::Gemini);
    assert_eq!(first.model.as_deref(), Some("fake-model"));
    assert_eq!(first.body, json!({"contents": []}));
    assert_eq!(first.header("x-custom-thing"), Some("Value"));
    assert_eq!(first.header("X-CUSTOM-THING"), Some("Value"));
    assert!(
        first
            .headers
            .iter()
            .any(|(name, _)| name == "x-custom-thing")
    );
    assert_eq!(requests[1].format, Format::Ollama);
    assert_eq!(requests[1].body, Value::Null);
    assert_eq!(requests[1].model, None);

    fake.clear_requests();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn connections_count_even_without_a_request() {
    let fake = FakeLlm::start().await.unwrap();

    let socket = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();

    eventually("the connection is counted", || fake.connections() == 1).await;
    drop(socket);
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn set_config_applies_to_later_requests() {
    let fake = FakeLlm::start().await.unwrap();
    let before: Value = post(&fake, "/v1/chat/completions", &openai_chat("x", false))
        .await
        .json()
        .await
        .unwrap();

    fake.set_config(FakeConfig {
        reply: Some("changed".into()),
        models: vec!["other".into()],
        ..FakeConfig::default()
    });
    let unknown_now = post(&fake, "/v1/chat/completions", &openai_chat("x", false)).await;
    let mut body = openai_chat("x", false);
    body["model"] = json!("other");
    let after: Value = post(&fake, "/v1/chat/completions", &body)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(
        before["choices"][0]["message"]["content"],
        "Hello! You said: x"
    );
    assert_eq!(unknown_now.status(), 404);
    assert_eq!(after["choices"][0]["message"]["content"], "changed");
    assert_eq!(fake.config().models, ["other"]);
}

#[tokio::test]
async fn empty_model_list_accepts_any_model() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        models: vec![],
        ..FakeConfig::default()
    });
    let mut body = openai_chat("x", false);
    body["model"] = json!("anything-at-all");

    assert_eq!(
        post(&fake, "/v1/chat/completions", &body).await.status(),
        200
    );
}

#[tokio::test]
async fn unknown_paths_are_recorded_and_answered_404() {
    let fake = FakeLlm::start().await.unwrap();

    let response = post(&fake, "/v1/nothing-here", &json!({"a": 1})).await;

    assert_eq!(response.status(), 404);
    assert!(response.json::<Value>().await.unwrap()["error"]["message"].is_string());
    assert_eq!(fake.requests()[0].path, "/v1/nothing-here");
}

#[tokio::test]
async fn latency_delays_answers_and_rejections() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        latency: Duration::from_millis(100),
        ..FakeConfig::default()
    });
    let started = Instant::now();

    let ok = post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await;
    let mut unknown = openai_chat("x", false);
    unknown["model"] = json!("nope");
    let rejected = post(&fake, "/v1/chat/completions", &unknown).await;

    assert_eq!(ok.status(), 200);
    assert_eq!(rejected.status(), 404);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn stop_closes_the_listener() {
    let fake = FakeLlm::start().await.unwrap();
    let addr = fake.addr();
    assert_eq!(fake.url(), format!("http://{addr}"));
    assert_eq!(fake.openai_base(), format!("http://{addr}/v1"));

    fake.stop().await;

    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
