//! A hostile upstream that echoes the key it received in its error text ("Incorrect API key
//! provided: …"), in every wire format, on every path that relays an upstream's error: `/v1`
//! streamed (an error event mid-stream) and not (a 2xx error object, an error status), the web
//! chat streamed and not with its stored reply, exports and the admin's message viewer, and a
//! provider test. The key reaches no response, no log line and no byte of the database; nor
//! does a password-reset link written to the outbox reach the log.

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use super::create_admin;
use super::live::{ADMIN_PASSWORD, Http, LiveServer, chat, database_path};

/// Providers, one per wire format: (kind, model, canary key).
const CHANNELS: [(&str, &str, &str); 4] = [
    (
        "openai_compatible",
        "echo-openai",
        "sk-ECHOo1-7f3a9b1c5d2e8f4a6b0c9d1e",
    ),
    (
        "anthropic",
        "echo-claude",
        "sk-ant-ECHOa2-4c8d2e6f0a1b3c5d7e9f",
    ),
    ("gemini", "echo-gemini", "AIzaECHOg3-9e8d7c6b5a4f3e2d1c0b9a"),
    (
        "ollama",
        "echo-ollama",
        "ECHOl4-2b4d6f8a0c1e3a5c7e9b1d3f5a7c",
    ),
];

/// The first 10-character piece of a canary found in `haystack`.
fn leaked(haystack: &str) -> Option<&'static str> {
    CHANNELS.iter().find_map(|(_, _, canary)| {
        (0..=canary.len() - 10)
            .map(|i| &canary[i..i + 10])
            .find(|piece| haystack.contains(piece))
    })
}

fn assert_clean(what: &str, haystack: &str) {
    if let Some(piece) = leaked(haystack) {
        let at = haystack.find(piece).unwrap_or(0);
        let context: String = haystack
            .chars()
            .skip(at.saturating_sub(200))
            .take(500)
            .collect();
        panic!("{what} holds `{piece}`:\n…{context}…");
    }
}

fn base(fake: &FakeLlm, kind: &str) -> String {
    match kind {
        "anthropic" => fake.anthropic_base(),
        "gemini" => fake.gemini_base(),
        "ollama" => fake.ollama_base(),
        _ => fake.openai_base(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_echoing_its_key_never_gets_it_to_a_caller_a_row_or_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = create_admin(dir.path(), "root", ADMIN_PASSWORD);
    assert!(out.status.success(), "{}", super::text(&out));
    let config = FakeConfig {
        models: vec![],
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // No retries: each scripted answer is the one the caller gets.
    let envs = [("LOG_LEVEL", "debug"), ("GATEWAY_RETRIES", "0")];
    let server = LiveServer::start(dir.path(), "echo", &envs).await;
    let mut http = Http::new(&server);
    let admin = http.login("root", ADMIN_PASSWORD).await;
    let token = Some(admin.as_str());
    let mut provider_ids = Vec::new();
    for (kind, model, canary) in CHANNELS {
        let body = json!({"name": format!("Echo {kind}"), "kind": kind, "base_url": base(&fake, kind),
            "api_key": canary, "models": [model]});
        let created = http
            .call(Method::POST, "/api/admin/providers", token, Some(body))
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        provider_ids.push(created.json()["id"].as_str().unwrap().to_owned());
    }
    let created = http
        .call(Method::POST, "/api/keys", token, Some(json!({"name": "k"})))
        .await;
    let key = created.json()["key"].as_str().unwrap().to_owned();

    for (kind, model, _) in CHANNELS {
        for stream in [false, true] {
            for behaviour in [
                Behaviour::EchoKey { after_chunks: 1 },
                Behaviour::EchoKeyStatus(401),
            ] {
                fake.script(model, [behaviour.clone()]);
                let reply = http
                    .call(
                        Method::POST,
                        "/v1/chat/completions",
                        Some(&key),
                        Some(chat(model, "hello", stream)),
                    )
                    .await;
                let what = format!("{kind} stream={stream} {behaviour:?}");
                assert!(matches!(reply.status, 200 | 502), "{what}: {}", reply.body);
                assert!(reply.body.contains("[redacted]"), "{what}: {}", reply.body);
            }
            // The web chat: the reply fails, is stored with its (scrubbed) error, exported.
            fake.script(model, [Behaviour::EchoKey { after_chunks: 1 }]);
            let body = json!({"message": "hi", "model": model, "stream": stream});
            let reply = http
                .call(Method::POST, "/api/llm/chat", token, Some(body))
                .await;
            assert_eq!(
                reply.status, 200,
                "{kind} chat stream={stream}: {}",
                reply.body
            );
            assert!(reply.body.contains("[redacted]"), "{}", reply.body);
        }
        let id = &provider_ids[CHANNELS.iter().position(|c| c.1 == model).unwrap()];
        fake.script(model, [Behaviour::EchoKeyStatus(401)]);
        let path = format!("/api/providers/{id}/test");
        let reply = http
            .call(Method::POST, &path, token, Some(json!({"model": model})))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["ok"], false, "{}", reply.body);
    }

    // Everything that shows the stored replies.
    let sessions = http
        .call(Method::GET, "/api/llm/sessions?per_page=100", token, None)
        .await;
    let sessions: Vec<Value> = sessions.json()["items"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 8);
    for s in &sessions {
        let id = s["id"].as_str().unwrap();
        let messages = http
            .call(
                Method::GET,
                &format!("/api/llm/messages?session_id={id}"),
                token,
                None,
            )
            .await;
        assert!(
            messages.body.contains("\"status\":\"incomplete\""),
            "{}",
            messages.body
        );
        for format in ["md", "json"] {
            let path = format!("/api/llm/sessions/{id}/export?format={format}");
            assert_eq!(http.call(Method::GET, &path, token, None).await.status, 200);
        }
    }
    let all = http
        .call(Method::GET, "/api/admin/messages?per_page=200", token, None)
        .await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.body.contains("[redacted]"), "{}", all.body);
    // Without SMTP a reset mail goes to the outbox; the log says so, never with the live link.
    let reset = http
        .call(
            Method::POST,
            "/api/auth/password/reset",
            None,
            Some(json!({"email": "root@example.com"})),
        )
        .await;
    assert_eq!(reset.status, 202);
    for _ in 0..100 {
        if std::fs::read_dir(dir.path().join("data/outbox")).is_ok_and(|d| d.count() > 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, logs) = server.stop().await;
    assert!(status.success(), "{status}");
    assert!(logs.contains("mail written to the outbox"), "{logs}");
    assert!(!logs.contains("token="), "a live link reached the log");

    // The keys did reach the upstream (so it had something to echo)...
    let requests = fake.requests();
    for (_, _, canary) in CHANNELS {
        assert!(
            requests
                .iter()
                .any(|r| r.headers.iter().any(|(_, v)| v.contains(canary))
                    || r.path.contains(canary)),
            "{canary} was never sent"
        );
    }
    // ...and nowhere else.
    for record in &http.transcript {
        assert_clean("a response", record);
    }
    assert!(logs.contains("stream failed after it started"), "{logs}");
    assert_clean("the log", &logs);
    let db = database_path(dir.path());
    for file in [db.clone(), db.with_extension("db-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert_clean(
                &file.display().to_string(),
                &String::from_utf8_lossy(&bytes),
            );
        }
    }
}
