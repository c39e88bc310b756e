//! Exact tokens on every usage row: the provider's figures where it reports them (streams
//! ask for them), else an o200k count of what was sent and what arrived — also for a stream
//! cut in the middle and for a client that leaves early; and every answered call is in the
//! log after a graceful stop under load.

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::llm::{add_openai, api_key, chat, sse_data, v1, wait_for_count};
use crate::on_both_databases;

/// The reply every call gets: nine o200k tokens.
const REPLY: &str = "The quick brown fox jumps over the lazy dog";

async fn setup(backend: crate::helpers::Backend, config: FakeConfig) -> (TestApp, String, FakeLlm) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    add_openai(&app, &admin, "Fake", &fake, "sk-up", &["fake-model"]).await;
    let user = app.user("tess").await;
    let key = api_key(&app, &user, json!({"name": "k"})).await;
    (app, key, fake)
}

/// `(prompt, completion, status)` of the usage rows, oldest first.
async fn rows(app: &TestApp, n: i64) -> Vec<(i64, i64, i64)> {
    assert_eq!(
        wait_for_count(app, "SELECT COUNT(*) FROM usage_events", n).await,
        n
    );
    let mut out = Vec::new();
    for i in 0..n {
        let q = |col: &str| {
            format!("SELECT CAST({col} AS BIGINT) FROM usage_events ORDER BY id LIMIT 1 OFFSET {i}")
        };
        out.push((
            app.db.scalar(&q("prompt_tokens")).await,
            app.db.scalar(&q("completion_tokens")).await,
            app.db.scalar(&q("status")).await,
        ));
    }
    out
}

on_both_databases! {
    async fn reported_usage_is_recorded_as_reported_streamed_and_not(backend: Backend) {
        let config = FakeConfig { reply: Some(REPLY.into()), prompt_tokens: Some(11), completion_tokens: Some(17), ..FakeConfig::default() };
        let (app, key, fake) = setup(backend, config).await;
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["usage"]["completion_tokens"], 17);
        let frames = sse_data(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", true))).await).await;
        let usage: Value = frames.iter().rev().filter_map(|f| serde_json::from_str::<Value>(f).ok()).find(|v| v["usage"].is_object()).unwrap();
        assert_eq!(usage["usage"]["prompt_tokens"], 11);
        // The stream asked the upstream for its figures.
        assert_eq!(fake.requests().last().unwrap().body["stream_options"]["include_usage"], true);
        assert_eq!(rows(&app, 2).await, vec![(11, 17, 200), (11, 17, 200)]);
    }

    async fn without_reported_usage_tokens_are_counted_with_o200k(backend: Backend) {
        let config = FakeConfig { reply: Some(REPLY.into()), report_usage: false, ..FakeConfig::default() };
        let (app, key, _fake) = setup(backend, config).await;
        assert_eq!(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await.status(), 200);
        let frames = sse_data(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", true))).await).await;
        assert_eq!(frames.last().map(String::as_str), Some("[DONE]"));
        // "hi" as one user message: 3 (priming) + 4 (message) + 1; the reply: 9 tokens.
        assert_eq!(rows(&app, 2).await, vec![(8, 9, 200), (8, 9, 200)]);
    }

    async fn a_stream_cut_in_the_middle_counts_what_arrived(backend: Backend) {
        let config = FakeConfig { reply: Some(REPLY.into()), report_usage: false, ..FakeConfig::default() };
        let (app, key, fake) = setup(backend, config).await;
        fake.script("fake-model", [Behaviour::DropMidStream { after_chunks: 3 }]);
        let frames = sse_data(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", true))).await).await;
        assert!(frames.iter().any(|f| f.contains("\"error\"")), "{frames:?}");
        let got = rows(&app, 1).await;
        // "The quick brown": three tokens arrived; the call failed (not a 200).
        assert_eq!((got[0].0, got[0].1), (8, 3), "{got:?}");
        assert_ne!(got[0].2, 200);
    }

    async fn a_client_that_leaves_is_accounted_for_what_was_sent(backend: Backend) {
        let config = FakeConfig { reply: Some(REPLY.into()), report_usage: false, tokens_per_second: Some(20.0), ..FakeConfig::default() };
        let (app, key, _fake) = setup(backend, config).await;
        let mut res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", true))).await;
        let mut seen = String::new();
        while seen.matches("\"content\"").count() < 3 {
            seen.push_str(std::str::from_utf8(&res.chunk().await.unwrap().unwrap()).unwrap());
        }
        drop(res);
        let got = rows(&app, 1).await;
        assert_eq!(got[0].0, 8);
        assert!((2..9).contains(&got[0].1), "tokens sent before the client left: {got:?}");
        assert_eq!(got[0].2, 499, "the caller went away");
    }
}

on_both_databases! {
    async fn every_answered_request_is_logged_when_the_server_stops_under_load(backend: Backend) {
        let config = FakeConfig { reply: Some(REPLY.into()), latency: std::time::Duration::from_millis(300), ..FakeConfig::default() };
        let (app, key, _fake) = setup(backend, config).await;
        let url = app.url("/v1/chat/completions");
        let calls: Vec<_> = (0..30).map(|i| {
            let (url, key) = (url.clone(), key.clone());
            let stream = i % 2 == 0;
            tokio::spawn(async move {
                let res = reqwest::Client::new().post(url).bearer_auth(key).json(&chat("fake-model", "hi", stream)).send().await.ok()?;
                let status = res.status().as_u16();
                // An answer read to its end (a stream to its last frame).
                res.text().await.ok()?;
                Some(status)
            })
        }).collect();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let db = app.stop().await;
        let mut answered = Vec::new();
        for c in calls {
            if let Some(status) = c.await.unwrap() { answered.push(status); }
        }
        assert!(!answered.is_empty(), "requests in flight are answered during a graceful stop");
        // Every answered call — finished, or cut short by the stop (503) — is in the log.
        let logged = db.scalar("SELECT COUNT(*) FROM usage_events").await;
        assert_eq!(logged, answered.len() as i64, "{answered:?}");
        assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_events WHERE status = 200 OR error_code = 'incomplete'").await,
            logged, "each logged call finished or was cut by the stop");
    }
}
