//! The one call pipeline and the chat write path: one end-of-stream rule for `/v1` and chat,
//! titles accounted, a refused send writes nothing, concurrent sends leave no stuck row,
//! long non-streamed replies are not cut by the request timeout, WebSocket errors in the
//! envelope.

use std::time::Duration;

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::helpers::{TestApp, TestUser};
use crate::llm::{add_openai, api_key, v1, wait_for_count};
use crate::on_both_databases;

async fn with_fake(app: &TestApp, config: FakeConfig) -> (TestUser, FakeLlm) {
    let admin = app.admin().await;
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    add_openai(
        app,
        &admin,
        "Fake",
        &fake,
        "sk-upstream-0000000000",
        &["fake-model"],
    )
    .await;
    (app.user("pia").await, fake)
}

async fn chat(app: &TestApp, user: &TestUser, body: Value) -> (u16, Value) {
    let res = app
        .send_as(
            &user.access_token,
            Method::POST,
            "/api/llm/chat",
            Some(body),
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn a_stream_ending_after_its_finish_without_the_end_marker_is_complete_everywhere(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (user, fake) = with_fake(&app, FakeConfig::default()).await;
        fake.script("fake-model", [Behaviour::NoEndMarker]);
        let (status, body) = chat(&app, &user, json!({"message": "no marker", "model": "fake-model"})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["assistant_message"]["status"], "complete", "{body}");
        assert_eq!(body["assistant_message"]["content"], "Hello! You said: no marker");
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        fake.script("fake-model", [Behaviour::NoEndMarker]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(json!({"model": "fake-model", "stream": true, "messages": [{"role": "user", "content": "x"}]}))).await;
        let text = res.text().await.unwrap();
        assert!(text.trim_end().ends_with("data: [DONE]"), "{text}");
        assert!(!text.contains("\"error\""), "{text}");
    }

    async fn a_generated_title_is_a_usage_event(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (user, _fake) = with_fake(&app, FakeConfig::default()).await;
        let (status, _) = chat(&app, &user, json!({"message": "title me", "model": "fake-model"})).await;
        assert_eq!(status, 200);
        let n = wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE source = 'title' AND status = 200", 1).await;
        assert_eq!(n, 1);
    }

    async fn a_send_to_an_unservable_model_writes_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (user, _fake) = with_fake(&app, FakeConfig::default()).await;
        let (status, body) = chat(&app, &user, json!({"message": "first", "model": "fake-model"})).await;
        assert_eq!(status, 200, "{body}");
        let sid = body["session_id"].as_str().unwrap().to_owned();
        let before = app.db.scalar("SELECT COUNT(*) FROM chat_messages").await;
        // A new session with a model nobody serves: no orphan session or question.
        let (status, body) = chat(&app, &user, json!({"message": "orphan?", "model": "no-such-model"})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["details"]["fields"]["model"].as_str().map(|m| m.contains("no-such-model")), Some(true), "{body}");
        // The same on the existing session: its model stays.
        let (status, _) = chat(&app, &user, json!({"message": "switch", "model": "no-such-model", "session_id": sid})).await;
        assert_eq!(status, 422);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_sessions").await, 1);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages").await, before);
        let (status, body) = chat(&app, &user, json!({"message": "still works", "session_id": sid})).await;
        assert_eq!(status, 200, "a later send without a model must use the session's: {body}");
    }

    async fn two_concurrent_sends_in_one_session_leave_no_reply_streaming(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let slow = FakeConfig { tokens_per_second: Some(20.0), reply: Some("a b c d e f g h".into()), ..FakeConfig::default() };
        let (user, _fake) = with_fake(&app, slow).await;
        let (_, body) = chat(&app, &user, json!({"message": "start", "model": "fake-model"})).await;
        let sid = body["session_id"].as_str().unwrap().to_owned();
        let before = app.db.scalar("SELECT COUNT(*) FROM chat_messages").await;
        let one = chat(&app, &user, json!({"message": "one", "session_id": sid}));
        let two = chat(&app, &user, json!({"message": "two", "session_id": sid}));
        let ((s1, _), (s2, _)) = tokio::join!(one, two);
        let mut statuses = [s1, s2];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409]);
        // The loser wrote nothing; nothing is left streaming.
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages").await, before + 2);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages WHERE status = 'streaming'").await, 0);
    }

    async fn a_non_streamed_reply_longer_than_the_request_timeout_is_answered(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.http.request_timeout = Duration::from_secs(1)).await;
        let slow = FakeConfig { latency: Duration::from_millis(1500), ..FakeConfig::default() };
        let (user, _fake) = with_fake(&app, slow).await;
        let (status, body) = chat(&app, &user, json!({"message": "take your time", "model": "fake-model"})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["assistant_message"]["status"], "complete");
        // Other routes keep the timeout.
        assert_eq!(app.get_as(&user.access_token, "/api/llm/sessions").await.status(), 200);
    }

    async fn websocket_errors_are_the_envelope(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (user, _fake) = with_fake(&app, FakeConfig::default()).await;
        let url = format!("ws://{}/api/llm/ws?token={}", app.addr, user.access_token);
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        ws.send(WsMessage::Text(json!({"type": "message", "message": "hi", "model": "no-such-model"}).to_string().into())).await.unwrap();
        let frame = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap().unwrap().unwrap() {
                WsMessage::Text(t) => break serde_json::from_str::<Value>(t.as_str()).unwrap(),
                _ => continue,
            }
        };
        assert_eq!(frame["type"], "error");
        assert_eq!(frame["code"], "validation_failed", "{frame}");
        assert!(frame["details"]["fields"]["model"].is_string(), "{frame}");
    }

    async fn a_page_far_out_is_a_422_naming_it(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("quinn").await;
        let admin = app.admin().await;
        for (who, path) in [(&user, "/api/llm/sessions?page=18446744073709551615"), (&user, "/api/llm/sessions?q=abc&page=9223372036854775807&per_page=100"), (&admin, "/api/admin/users?page=18446744073709551615"), (&admin, "/api/admin/messages?page=18446744073709551615")] {
            let res = app.get_as(&who.access_token, path).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, 422, "{path}: {body}");
            assert!(body["error"]["details"]["fields"]["page"].is_string(), "{path}: {body}");
        }
    }
}
