//! Two `llm-manager serve` processes sharing one PostgreSQL database and Redis, as a scaled-out
//! deployment runs them: a key's 5 requests a minute hold across both, a user's daily budget is
//! never overspent by concurrent calls spread over both, and a key revoked through one stops
//! on the other within a second.

use fake_llm::{FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use super::create_admin_with;
use super::live::{ADMIN_PASSWORD, Http, LiveServer, chat};

const REDIS: &str = "redis://127.0.0.1:6379/0";

/// A new, empty PostgreSQL database; its URL.
async fn new_database() -> (String, String) {
    use sqlx::Connection;
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("llmm_cli_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    (url.to_string(), name)
}

async fn drop_database(name: &str) {
    use sqlx::Connection;
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn v1(base: &str, key: &str, max_tokens: u32) -> u16 {
    let mut body = chat("fake-model", "hi", false);
    body["max_tokens"] = json!(max_tokens);
    reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn new_key(http: &mut Http, token: &str, body: Value) -> (String, String) {
    let reply = http
        .call(Method::POST, "/api/keys", Some(token), Some(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let v = reply.json();
    (
        v["key"].as_str().unwrap().to_owned(),
        v["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_and_redis_enforce_one_limit_budget_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let (url, name) = new_database().await;
    let envs = [
        ("DATABASE_URL", url.as_str()),
        ("REDIS_URL", REDIS),
        ("LOG_LEVEL", "warn"),
    ];
    let out = create_admin_with(dir.path(), "root", ADMIN_PASSWORD, &envs);
    assert!(out.status.success(), "{}", super::text(&out));
    let config = FakeConfig {
        prompt_tokens: Some(5),
        completion_tokens: Some(10),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // Same data dir (so the same generated secrets), same database and Redis.
    let one = LiveServer::start(dir.path(), "one", &envs).await;
    let two = LiveServer::start(dir.path(), "two", &envs).await;
    let mut http = Http::new(&one);
    let admin = http.login("root", ADMIN_PASSWORD).await;
    let provider = json!({"name": "Fake", "kind": "openai_compatible", "base_url": fake.openai_base(),
        "api_key": "sk-up", "models": ["fake-model"]});
    let reply = http
        .call(
            Method::POST,
            "/api/admin/providers",
            Some(&admin),
            Some(provider),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let price = json!({"input_per_mtok": "1000", "output_per_mtok": "1000"});
    let reply = http
        .call(
            Method::PUT,
            "/api/admin/prices/fake-model",
            Some(&admin),
            Some(price),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let bases = [one.base.clone(), two.base.clone()];

    // A key allowed 5 requests a minute, used on both processes in turn.
    let (key, _) = new_key(&mut http, &admin, json!({"name": "rpm", "rpm": 5})).await;
    for i in 0..5 {
        assert_eq!(v1(&bases[i % 2], &key, 10).await, 200, "request {i}");
    }
    for base in &bases {
        assert_eq!(
            v1(base, &key, 10).await,
            429,
            "the sixth request, on either process"
        );
    }

    // A daily budget of 0.05 for a user whose every call costs 0.015: 20 calls at once.
    let reply = http
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(
                json!({"username": "sam", "email": "sam@example.com", "password": ADMIN_PASSWORD}),
            ),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let login = http
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "sam", "password": ADMIN_PASSWORD})),
        )
        .await;
    let sam_id = login.json()["user"]["id"].as_str().unwrap().to_owned();
    let sam = login.json()["access_token"].as_str().unwrap().to_owned();
    let quota = json!({"period": "day", "max_cost": "0.05"});
    let reply = http
        .call(
            Method::PUT,
            &format!("/api/admin/users/{sam_id}/quota"),
            Some(&admin),
            Some(quota),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (sam_key, _) = new_key(&mut http, &sam, json!({"name": "spend"})).await;
    let calls = (0..20).map(|i| {
        let (base, key) = (bases[i % 2].clone(), sam_key.clone());
        async move { v1(&base, &key, 10).await }
    });
    let statuses = futures::future::join_all(calls).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        ok >= 1 && statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        ok <= 3,
        "3 calls of 0.015 fit in 0.05, {ok} were let through: {statuses:?}"
    );
    // Both processes read the same ledger: what is spent is what the answered calls cost.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let expected = 0.015 * ok as f64;
    let mut spent = String::new();
    while std::time::Instant::now() < deadline {
        let reply = Http::new(&two)
            .call(Method::GET, "/api/llm/statistics", Some(&sam), None)
            .await;
        spent = reply.json()["budget"]["spent_cost"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if spent
            .parse::<f64>()
            .is_ok_and(|s| (s - expected).abs() < 1e-9)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let value: f64 = spent.parse().unwrap();
    assert!(
        (value - expected).abs() < 1e-9,
        "spent {spent} for {ok} calls"
    );
    assert!(
        value <= 0.05,
        "both processes together spent {spent} of 0.05"
    );

    // Revoked through the first process, the key stops on the second within a second.
    let (doomed, doomed_id) = new_key(&mut http, &sam, json!({"name": "doomed"})).await;
    assert_eq!(v1(&bases[1], &doomed, 1).await, 200);
    let reply = http
        .call(
            Method::DELETE,
            &format!("/api/keys/{doomed_id}"),
            Some(&sam),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
    let revoked = std::time::Instant::now();
    while v1(&bases[1], &doomed, 1).await != 401 {
        assert!(
            revoked.elapsed() < std::time::Duration::from_secs(1),
            "the second process still takes the revoked key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for server in [one, two] {
        let (status, logs) = server.stop().await;
        assert!(status.success(), "{logs}");
    }
    drop_database(&name).await;
}
