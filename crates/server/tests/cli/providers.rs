//! Provider keys through the built binary: every response, header, log line (at trace level),
//! export and the database are searched for canary keys after exercising each path that
//! handles them, including failing upstream calls.

use fake_llm::{FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::json;

use super::create_admin;
use super::live::{ADMIN_PASSWORD, Http, LiveServer, chat, query_strings};

const OPENAI_CANARY: &str = "sk-CANARYo1-5e1f0a9b3c7d2e4f6a8b9c0d1e2f";
const ANTHROPIC_CANARY: &str = "sk-ant-CANARYa2-9d8c7b6a5f4e3d2c1b0a9f8e";
const ADDED_CANARY: &str = "sk-CANARYk3-3c2b1a0f9e8d7c6b5a4f3e2d1c0b";
/// The key the fake upstream wants: none of the canaries, so every upstream call fails with 401.
const UPSTREAM_KEY: &str = "sk-the-upstream-wants-another-key-0000";

/// The first 12-character piece of `canary` (after `sk-`) found in `haystack`, if any.
fn leaked_piece<'a>(haystack: &str, canary: &'a str) -> Option<&'a str> {
    let rest = canary.strip_prefix("sk-").unwrap();
    (0..=rest.len() - 12)
        .map(|i| &rest[i..i + 12])
        .find(|piece| haystack.contains(piece))
}

fn assert_no_canary(what: &str, haystack: &str) {
    for canary in [OPENAI_CANARY, ANTHROPIC_CANARY, ADDED_CANARY] {
        if let Some(piece) = leaked_piece(haystack, canary) {
            let mut start = haystack.find(piece).unwrap().saturating_sub(300);
            while !haystack.is_char_boundary(start) {
                start -= 1;
            }
            let context: String = haystack[start..].chars().take(700).collect();
            panic!("{what} holds `{piece}` of {canary}:\n…{context}…");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_keys_never_reach_logs_responses_exports_or_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = create_admin(dir.path(), "root", ADMIN_PASSWORD);
    assert!(out.status.success(), "{}", super::text(&out));
    let config = FakeConfig {
        required_key: Some(UPSTREAM_KEY.to_owned()),
        models: vec![],
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let server = LiveServer::start(
        dir.path(),
        "leak",
        &[("LOG_LEVEL", "trace"), ("LOG_FORMAT", "json")],
    )
    .await;
    let mut http = Http::new(&server);
    let admin = http.login("root", ADMIN_PASSWORD).await;
    let token = Some(admin.as_str());

    // Arrange: two shared providers with canary keys, one more key added then removed.
    let openai = http
        .call(Method::POST, "/api/admin/providers", token, Some(json!({
            "name": "Canary OpenAI", "kind": "openai_compatible", "base_url": fake.openai_base(),
            "api_key": OPENAI_CANARY, "models": ["canary-model"],
        })))
        .await;
    assert_eq!(openai.status, 201, "{}", openai.body);
    assert_eq!(openai.json()["keys"][0]["hint"], "sk-…1e2f");
    let anthropic = http
        .call(
            Method::POST,
            "/api/admin/providers",
            token,
            Some(json!({
                "name": "Canary Anthropic", "kind": "anthropic", "base_url": fake.anthropic_base(),
                "api_key": ANTHROPIC_CANARY, "models": ["claude-canary"],
            })),
        )
        .await;
    assert_eq!(anthropic.status, 201, "{}", anthropic.body);
    let ids = [openai.json(), anthropic.json()].map(|p| p["id"].as_str().unwrap().to_owned());
    let added = http
        .call(
            Method::POST,
            &format!("/api/providers/{}/keys", ids[0]),
            token,
            Some(json!({"api_key": ADDED_CANARY})),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let added = added.json();
    let added_id = added["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["hint"] == "sk-…1c0b")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/providers/{}/keys/{added_id}", ids[0]);
    assert_eq!(
        http.call(Method::DELETE, &path, token, None).await.status,
        200
    );

    // Act: every read and write of the providers.
    for path in ["/api/admin/providers", "/api/providers"] {
        assert_eq!(
            http.call(Method::GET, path, token, None).await.status,
            200,
            "{path}"
        );
    }
    for id in &ids {
        for path in [
            format!("/api/admin/providers/{id}"),
            format!("/api/providers/{id}"),
        ] {
            assert_eq!(
                http.call(Method::GET, &path, token, None).await.status,
                200,
                "{path}"
            );
        }
        let path = format!("/api/admin/providers/{id}");
        let reply = http
            .call(Method::PATCH, &path, token, Some(json!({"priority": 3})))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let path = format!("/api/providers/{id}");
        let reply = http
            .call(Method::PATCH, &path, token, Some(json!({"weight": 2})))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        // The upstream refuses the key: the test reports it, the refresh fails.
        let reply = http
            .call(
                Method::POST,
                &format!("/api/providers/{id}/test"),
                token,
                Some(json!({})),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["ok"], false, "{}", reply.body);
        assert!(
            reply.json()["error"].as_str().unwrap().contains("401"),
            "{}",
            reply.body
        );
        let reply = http
            .call(
                Method::POST,
                &format!("/api/providers/{id}/models/refresh"),
                token,
                None,
            )
            .await;
        assert_eq!(reply.status, 422, "{}", reply.body);
    }

    // The gateway, streamed and not, on both providers: upstream 401 → 502.
    let created = http
        .call(Method::POST, "/api/keys", token, Some(json!({"name": "x"})))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.json()["key"].as_str().unwrap().to_owned();
    for model in ["canary-model", "claude-canary"] {
        for stream in [false, true] {
            let reply = http
                .call(
                    Method::POST,
                    "/v1/chat/completions",
                    Some(&key),
                    Some(chat(model, "hello", stream)),
                )
                .await;
            assert_eq!(reply.status, 502, "{model} stream={stream}: {}", reply.body);
            assert!(reply.body.contains("upstream_error"), "{}", reply.body);
        }
    }
    assert_eq!(
        http.call(Method::GET, "/v1/models", Some(&key), None)
            .await
            .status,
        200
    );
    assert_eq!(
        http.call(Method::GET, "/api/keys", token, None)
            .await
            .status,
        200
    );

    // Everything an admin can read or export.
    let audit = http
        .call(Method::GET, "/api/admin/audit-log", token, None)
        .await;
    assert_eq!(audit.status, 200);
    assert!(audit.body.contains("provider.created") && audit.body.contains("provider.key_added"));
    for path in [
        "/api/admin/users/export?format=json",
        "/api/admin/users/export?format=csv",
        "/api/openapi.json",
    ] {
        assert_eq!(
            http.call(Method::GET, path, token, None).await.status,
            200,
            "{path}"
        );
    }
    let metrics = http.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);

    let (status, logs) = server.stop().await;
    assert!(status.success(), "SIGTERM must end with status 0: {status}");

    // Assert: the keys did go upstream, each in its format's header...
    let requests = fake.requests();
    let bearer = format!("Bearer {OPENAI_CANARY}");
    assert!(
        requests
            .iter()
            .any(|r| r.header("authorization") == Some(bearer.as_str()))
    );
    assert!(
        requests
            .iter()
            .any(|r| r.header("x-api-key") == Some(ANTHROPIC_CANARY))
    );
    assert!(
        requests
            .iter()
            .all(|r| r.header("authorization") != Some(&format!("Bearer {ADDED_CANARY}")))
    );
    // ...but nowhere else: responses, headers, logs at trace level, the database.
    assert!(http.transcript.len() >= 30, "{}", http.transcript.len());
    for record in &http.transcript {
        assert_no_canary("a response", record);
    }
    assert!(
        logs.contains("\"level\":\"TRACE\""),
        "trace logging was not on"
    );
    assert!(
        logs.contains("/v1/chat/completions"),
        "the gateway calls were not logged"
    );
    assert_no_canary("the log", &logs);
    let stored = query_strings(dir.path(), "SELECT key_enc FROM provider_keys").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    for enc in &stored {
        assert!(enc.starts_with("v1:"), "{enc}");
        assert_no_canary("provider_keys.key_enc", enc);
    }
    // The raw files too (database, WAL, secrets), where plaintext such as names is visible.
    let mut plaintext_seen = false;
    for entry in std::fs::read_dir(dir.path().join("data")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            plaintext_seen |= bytes.contains("Canary Anthropic");
            assert_no_canary(&path.display().to_string(), &bytes);
        }
    }
    assert!(
        plaintext_seen,
        "the scan did not see the database's contents"
    );
}
