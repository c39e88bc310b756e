//! A deployment outlives a `kill -9` of the server: its engine keeps serving, and the next
//! start of the server re-adopts that process (same pid, answering through `/v1`) instead of
//! starting a second one; a stop then ends it.

use std::time::Duration;

use llm_engine::tiny::Tiny;
use reqwest::Method;
use serde_json::{Value, json};

use super::create_admin_with;
use super::live::{ADMIN_PASSWORD, Http, LiveServer};

async fn deployment(
    http: &mut Http,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let d = http
            .call(
                Method::GET,
                &format!("/api/deployments/{id}"),
                Some(token),
                None,
            )
            .await
            .json();
        if done(&d) {
            return d;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never got there: {d}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or_default()
            .trim_start()
            .starts_with('Z')
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_survives_kill_9_of_the_server_and_is_re_adopted_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    Tiny::default()
        .write_file(&models.join("tiny.gguf"))
        .unwrap();
    let envs = [
        ("MODELS_DIR", models.to_str().unwrap()),
        ("LOG_LEVEL", "info"),
    ];
    assert!(
        create_admin_with(dir.path(), "root", ADMIN_PASSWORD, &envs)
            .status
            .success()
    );

    let server = LiveServer::start(dir.path(), "first", &envs).await;
    let mut http = Http::new(&server);
    let token = http.login("root", ADMIN_PASSWORD).await;
    let listed = http
        .call(Method::GET, "/api/models", Some(&token), None)
        .await
        .json();
    let model_id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let reply = http
        .call(
            Method::POST,
            "/api/deployments",
            Some(&token),
            Some(json!({"name": "tiny", "model_id": model_id, "backend": "builtin"})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let running = deployment(&mut http, &token, &id, |d| d["status"] == "running").await;
    let pid = running["pid"].as_i64().unwrap();
    server.kill().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(alive(pid), "the engine {pid} ended with the server");

    let server = LiveServer::start(dir.path(), "second", &envs).await;
    let mut http = Http::new(&server);
    let token = http.login("root", ADMIN_PASSWORD).await;
    let adopted = deployment(&mut http, &token, &id, |d| d["status"] == "running").await;
    assert_eq!(
        adopted["pid"].as_i64(),
        Some(pid),
        "a second engine was started: {adopted}"
    );
    let logs = http
        .call(
            Method::GET,
            &format!("/api/deployments/{id}/logs"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert!(
        logs.to_string()
            .contains(&format!("re-adopted process {pid}")),
        "{logs}"
    );
    let key = http
        .call(
            Method::POST,
            "/api/keys",
            Some(&token),
            Some(json!({"name": "k"})),
        )
        .await
        .json();
    let key = key["key"].as_str().unwrap().to_owned();
    let body =
        json!({"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3});
    // The row still says `running` from before the kill until the adopted process has answered
    // its first health check and its route is open again (a fraction of a second).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let reply = loop {
        let reply = http
            .call(
                Method::POST,
                "/v1/chat/completions",
                Some(&key),
                Some(body.clone()),
            )
            .await;
        if reply.status != 404 || tokio::time::Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["usage"]["completion_tokens"],
        3,
        "{}",
        reply.body
    );

    let stopped = http
        .call(
            Method::POST,
            &format!("/api/deployments/{id}/stop"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(stopped["status"], "stopped", "{stopped}");
    assert!(
        !alive(pid),
        "the re-adopted engine {pid} still runs after a stop"
    );
    server.stop().await;
}
