//! Prices, cost, budgets and rate limits through the real API on both databases: exact cost
//! on every usage row, a daily budget that concurrent requests cannot overspend, a key's
//! sixth request in a minute refused with OpenAI's headers, and nobody else's limits
//! reachable.

use fake_llm::{FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::llm::{add_openai, api_key, chat, v1, wait_for_count};
use crate::on_both_databases;

async fn put(app: &TestApp, who: &TestUser, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .send_as(&who.access_token, Method::PUT, path, Some(body))
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// An app with a fake upstream reporting `prompt` and `completion` tokens for every call.
async fn setup(
    backend: crate::helpers::Backend,
    prompt: u64,
    completion: u64,
) -> (TestApp, TestUser, FakeLlm) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let config = FakeConfig {
        prompt_tokens: Some(prompt),
        completion_tokens: Some(completion),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    add_openai(&app, &admin, "Fake", &fake, "sk-up", &["fake-model"]).await;
    (app, admin, fake)
}

on_both_databases! {
    async fn admins_set_prices_and_every_call_is_costed_exactly(backend: Backend) {
        let (app, admin, _fake) = setup(backend, 7, 5).await;
        let (status, price) = put(&app, &admin, "/api/admin/prices/fake-model",
            json!({"input_per_mtok": "2.50", "output_per_mtok": "10.00", "cached_input_per_mtok": "1.25"})).await;
        assert_eq!(status, 200, "{price}");
        assert_eq!(price["input_per_mtok"], "2.5");
        let (_, list) = crate::chat::json_of(app.get_as(&admin.access_token, "/api/admin/prices").await).await;
        assert!(list.as_array().unwrap().iter().any(|p| p["model"] == "fake-model"));
        assert!(list.as_array().unwrap().iter().any(|p| p["model"] == "gpt-4o"), "seeded");
        for (body, field) in [
            (json!({"input_per_mtok": "2,50", "output_per_mtok": "1"}), "input_per_mtok"),
            (json!({"input_per_mtok": "1", "output_per_mtok": "-3"}), "output_per_mtok"),
            (json!({"input_per_mtok": "1", "output_per_mtok": "1", "currency": "dollars"}), "currency"),
        ] {
            let (status, err) = put(&app, &admin, "/api/admin/prices/fake-model", body).await;
            assert_eq!(status, 422, "{err}");
            assert!(err["error"]["details"]["fields"][field].is_string(), "{err}");
        }
        let user = app.user("paula").await;
        assert_eq!(put(&app, &user, "/api/admin/prices/fake-model", json!({"input_per_mtok": "0", "output_per_mtok": "0"})).await.0, 403);
        assert_eq!(app.get_as(&user.access_token, "/api/admin/prices").await.status(), 403);
        // 7 input × 2.50 + 5 output × 10.00 per million = 0.0000675 = 67,500 nanos.
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE source = 'api'", 1).await, 1);
        assert_eq!(app.db.scalar("SELECT cost_nanos FROM usage_events WHERE source = 'api'").await, 67_500);
        // A model without a price costs 0 and is not refused for it.
        let res = app.send_as(&admin.access_token, Method::DELETE, "/api/admin/prices/fake-model", None).await;
        assert_eq!(res.status(), 204);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE source = 'api'", 2).await, 2);
        assert_eq!(app.db.scalar("SELECT MIN(cost_nanos) FROM usage_events WHERE source = 'api'").await, 0);
    }

    async fn a_daily_budget_holds_under_fifty_concurrent_requests(backend: Backend) {
        // Every call reports 5 + 10 tokens; at 1,000 per million tokens each costs 0.015.
        let (app, admin, _fake) = setup(backend, 5, 10).await;
        put(&app, &admin, "/api/admin/prices/fake-model", json!({"input_per_mtok": "1000", "output_per_mtok": "1000"})).await;
        let user = app.user("bud").await;
        let (status, quota) = put(&app, &admin, &format!("/api/admin/users/{}/quota", user.id),
            json!({"period": "day", "max_cost": "0.05", "max_tokens": null, "rpm": null, "tpm": null})).await;
        assert_eq!(status, 200, "{quota}");
        assert_eq!(quota["max_cost"], "0.05");
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let mut body = chat("fake-model", "hi", false);
        body["max_tokens"] = json!(10);
        let calls = (0..50).map(|_| {
            let (app, key, body) = (&app, key.clone(), body.clone());
            async move { v1(app, &key, Method::POST, "/v1/chat/completions", Some(body)).await }
        });
        let responses = futures::future::join_all(calls).await;
        let mut ok = 0;
        for res in responses {
            match res.status().as_u16() {
                200 => ok += 1,
                429 => {
                    assert!(res.headers().contains_key("retry-after"));
                    let err: Value = res.json().await.unwrap();
                    assert_eq!(err["error"]["type"], "insufficient_quota", "{err}");
                    assert_eq!(err["error"]["code"], "budget_exceeded");
                }
                other => panic!("unexpected status {other}"),
            }
        }
        assert!(ok >= 1, "the budget admits at least one call");
        let n = wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE status = 200", ok).await;
        assert_eq!(n, ok);
        let spent = app.db.scalar("SELECT CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) FROM usage_events").await;
        assert!(spent <= 50_000_000, "spent {spent} nanos of a 50,000,000 budget");
        assert_eq!(spent, ok * 15_000_000, "each call cost exactly 0.015");
        // The chat gets the same refusal in our envelope.
        let res = app.send_as(&user.access_token, Method::POST, "/api/llm/chat", Some(json!({"message": "x", "model": "fake-model"}))).await;
        assert_eq!(res.status(), 429);
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["message"].as_str().unwrap().contains("budget"), "{err}");
        // Another user is not limited by it, and cannot read or set it.
        let other = app.user("olga").await;
        let other_key = api_key(&app, &other, json!({"name": "k"})).await;
        let res = v1(&app, &other_key, Method::POST, "/v1/chat/completions", Some(body.clone())).await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get_as(&other.access_token, &format!("/api/admin/users/{}/quota", user.id)).await.status(), 403);
    }

    async fn a_keys_sixth_request_in_a_minute_gets_429_with_retry_after(backend: Backend) {
        let (app, _admin, _fake) = setup(backend, 5, 5).await;
        let user = app.user("rita").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let (_, keys) = crate::chat::json_of(app.get_as(&user.access_token, "/api/keys").await).await;
        let key_id = keys["items"][0]["id"].as_str().unwrap().to_owned();
        let (status, quota) = put(&app, &user, &format!("/api/keys/{key_id}/quota"), json!({"rpm": 5})).await;
        assert_eq!(status, 200, "{quota}");
        for i in 0..5 {
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
            assert_eq!(res.status(), 200, "request {i}");
        }
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        assert_eq!(res.status(), 429);
        let h = res.headers().clone();
        let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert_eq!(h["x-ratelimit-limit-requests"], "5");
        assert_eq!(h["x-ratelimit-remaining-requests"], "0");
        assert!(h["x-ratelimit-reset-requests"].to_str().unwrap().ends_with('s'));
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "rate_limit_exceeded", "{err}");
        // The user's other key is not limited; nobody else may touch this key's limits.
        let second = api_key(&app, &user, json!({"name": "k2"})).await;
        let res = v1(&app, &second, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        assert_eq!(res.status(), 200);
        let other = app.user("otto").await;
        assert_eq!(put(&app, &other, &format!("/api/keys/{key_id}/quota"), json!({"rpm": 100})).await.0, 404);
        assert_eq!(app.get_as(&other.access_token, &format!("/api/keys/{key_id}/quota")).await.status(), 404);
        for (body, field) in [(json!({"rpm": 0}), "rpm"), (json!({"period": "week"}), "period"), (json!({"max_cost": "lots"}), "max_cost")] {
            let (status, err) = put(&app, &user, &format!("/api/keys/{key_id}/quota"), body).await;
            assert_eq!(status, 422, "{err}");
            assert!(err["error"]["details"]["fields"][field].is_string(), "{err}");
        }
    }
}

on_both_databases! {
    async fn usage_statistics_group_by_every_dimension_and_export_csv(backend: Backend) {
        let (app, admin, _fake) = setup(backend, 7, 5).await;
        put(&app, &admin, "/api/admin/prices/fake-model", json!({"input_per_mtok": "2.50", "output_per_mtok": "10.00"})).await;
        let user = app.user("uma").await;
        let key = api_key(&app, &user, json!({"name": "uma-key"})).await;
        for _ in 0..2 {
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
            assert_eq!(res.status(), 200);
        }
        assert_eq!(wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE source = 'api'", 2).await, 2);
        let stats = |q: &str| {
            let (app, token, q) = (&app, admin.access_token.clone(), q.to_owned());
            async move { crate::chat::json_of(app.get_as(&token, &format!("/api/admin/statistics?{q}")).await).await }
        };
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        for (group, key, label) in [("model", "fake-model", None), ("user", user.id.as_str(), Some("uma")),
            ("key", "", Some("uma-key")), ("provider", "", Some("Fake")), ("day", today.as_str(), None)] {
            let (status, s) = stats(&format!("group_by={group}")).await;
            assert_eq!(status, 200, "{s}");
            let row = &s["rows"][0];
            assert_eq!(row["requests"], 2, "{group}: {s}");
            assert_eq!(row["prompt_tokens"], 14);
            assert_eq!(row["cost"], "0.000135", "2 × (7 × 2.50 + 5 × 10.00) per million");
            if !key.is_empty() { assert_eq!(row["key"], key, "{group}"); }
            if let Some(l) = label { assert_eq!(row["label"], l, "{group}"); }
        }
        let res = app.get_as(&admin.access_token, "/api/admin/statistics?group_by=model&format=csv").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("key,label,requests,errors,prompt_tokens"), "{csv}");
        assert!(csv.contains("fake-model,,2,0,14,10,0,0.000135,"), "{csv}");
        let res = app.client.get(app.url("/api/admin/statistics?group_by=user")).bearer_auth(&admin.access_token)
            .header("Accept", "text/csv").send().await.unwrap();
        assert!(res.text().await.unwrap().contains(",uma,2,"));
        for q in ["group_by=week", "from=2026-13-01", "from=2026-12-10&to=2026-12-01", "format=xml"] {
            assert_eq!(stats(q).await.0, 422, "{q}");
        }
        assert_eq!(app.get_as(&user.access_token, "/api/admin/statistics").await.status(), 403);
        // The user's own page: cost per model and day, and the budget left.
        let (_, mine) = crate::chat::json_of(app.get_as(&user.access_token, "/api/llm/statistics").await).await;
        assert_eq!(mine["usage"]["by_model"][0]["cost"], "0.000135", "{mine}");
        assert_eq!(mine["usage"]["by_day"][0]["key"], today.as_str());
        assert!(mine["budget"].is_null());
        put(&app, &admin, &format!("/api/admin/users/{}/quota", user.id), json!({"period": "month", "max_cost": "1"})).await;
        let (_, mine) = crate::chat::json_of(app.get_as(&user.access_token, "/api/llm/statistics").await).await;
        assert_eq!(mine["budget"]["spent_cost"], "0.000135", "{mine}");
        assert_eq!(mine["budget"]["remaining_cost"], "0.999865");
        assert_eq!(mine["budget"]["period"], "month");
        // Someone else sees none of it.
        let other = app.user("vera").await;
        let (_, theirs) = crate::chat::json_of(app.get_as(&other.access_token, "/api/llm/statistics").await).await;
        assert_eq!(theirs["usage"]["by_model"], json!([]));
    }
}

/// Two instances sharing PostgreSQL and Redis: one rate limit and one budget for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_postgres_and_redis_enforce_one_limit_and_one_budget() {
    let redis = |c: &mut llm_manager::config::Config| {
        c.redis_url = Some(secrecy::SecretString::from(
            "redis://127.0.0.1:6379/0".to_owned(),
        ));
    };
    let app = TestApp::spawn_with(crate::helpers::Backend::Postgres, redis).await;
    let second = app.another_instance(redis).await;
    let admin = app.admin().await;
    let config = FakeConfig {
        prompt_tokens: Some(5),
        completion_tokens: Some(10),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    add_openai(&app, &admin, "Fake", &fake, "sk-up", &["fake-model"]).await;
    put(
        &app,
        &admin,
        "/api/admin/prices/fake-model",
        json!({"input_per_mtok": "1000", "output_per_mtok": "1000"}),
    )
    .await;
    let call = |base: String, key: String| async move {
        let mut body = chat("fake-model", "hi", false);
        body["max_tokens"] = json!(10);
        reqwest::Client::new()
            .post(format!("{base}/v1/chat/completions"))
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap()
    };
    let (first_url, second_url) = (app.url(""), second.url(""));
    // A key allowed 5 requests a minute, used on both instances in turn.
    let user = app.user("rosa").await;
    let key = api_key(&app, &user, json!({"name": "k"})).await;
    let (_, keys) = crate::chat::json_of(app.get_as(&user.access_token, "/api/keys").await).await;
    let key_id = keys["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        put(
            &app,
            &user,
            &format!("/api/keys/{key_id}/quota"),
            json!({"rpm": 5})
        )
        .await
        .0,
        200
    );
    for i in 0..5 {
        let base = if i % 2 == 0 { &first_url } else { &second_url };
        assert_eq!(
            call(base.clone(), key.clone()).await.status(),
            200,
            "request {i}"
        );
    }
    for base in [&first_url, &second_url] {
        let res = call(base.clone(), key.clone()).await;
        assert_eq!(res.status(), 429, "the sixth request, on either instance");
        assert!(res.headers().contains_key("retry-after"));
    }
    // A key revoked on the first instance stops on the second within a second, though the
    // second keeps key lookups for 10 s: Redis pub/sub tells it.
    let models = |base: String, key: String| async move {
        reqwest::Client::new()
            .get(format!("{base}/v1/models"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .status()
    };
    let doomed = api_key(&app, &user, json!({"name": "doomed"})).await;
    assert_eq!(models(second_url.clone(), doomed.clone()).await, 200);
    let (_, keys) = crate::chat::json_of(app.get_as(&user.access_token, "/api/keys").await).await;
    let doomed_id = keys["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .send_as(
            &user.access_token,
            Method::DELETE,
            &format!("/api/keys/{doomed_id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let revoked_at = std::time::Instant::now();
    while models(second_url.clone(), doomed.clone()).await != 401 {
        assert!(
            revoked_at.elapsed() < std::time::Duration::from_secs(1),
            "the second instance still takes a key revoked on the first"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A user's daily budget of 0.05 (each call costs 0.015), 20 calls at once on both.
    let spender = app.user("sam").await;
    put(
        &app,
        &admin,
        &format!("/api/admin/users/{}/quota", spender.id),
        json!({"period": "day", "max_cost": "0.05"}),
    )
    .await;
    let spender_key = api_key(&app, &spender, json!({"name": "k"})).await;
    // The second instance reads limits again within a second: wait until it shows the budget.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let res = reqwest::Client::new()
            .get(second.url("/api/llm/statistics"))
            .bearer_auth(&spender.access_token)
            .send()
            .await
            .unwrap();
        let mine: Value = res.json().await.unwrap();
        if mine["budget"]["max_cost"] == "0.05" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second instance never saw the budget: {mine}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let calls = (0..20).map(|i| {
        call(
            if i % 2 == 0 {
                first_url.clone()
            } else {
                second_url.clone()
            },
            spender_key.clone(),
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(calls)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let ok = statuses.iter().filter(|s| **s == 200).count() as i64;
    assert!(
        ok >= 1 && statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let sql = format!(
        "SELECT COUNT(*) FROM usage_events WHERE status = 200 AND user_id = '{}'",
        spender.id
    );
    assert_eq!(wait_for_count(&app, &sql, ok).await, ok);
    let spent = app.db.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(cost_nanos), 0) AS BIGINT) FROM usage_events WHERE user_id = '{}'", spender.id)).await;
    assert!(
        spent <= 50_000_000,
        "both instances together spent {spent} nanos of 50,000,000"
    );
    assert_eq!(spent, ok * 15_000_000);
}

on_both_databases! {
    async fn a_key_created_with_limits_is_limited_at_once_and_a_bad_limit_creates_no_key(backend: Backend) {
        let (app, _admin, _fake) = setup(backend, 5, 5).await;
        let user = app.user("kira").await;
        let res = app.send_as(&user.access_token, Method::POST, "/api/keys", Some(json!({"name": "bad", "rpm": 0}))).await;
        assert_eq!(res.status(), 422);
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["details"]["fields"]["rpm"].is_string(), "{err}");
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM api_keys").await, 0, "a refused key is not stored");
        let key = api_key(&app, &user, json!({"name": "limited", "rpm": 2, "period": "day", "max_tokens": 1000000})).await;
        for _ in 0..2 {
            assert_eq!(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await.status(), 200);
        }
        assert_eq!(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await.status(), 429);
        let (_, keys) = crate::chat::json_of(app.get_as(&user.access_token, "/api/keys").await).await;
        let id = keys["items"][0]["id"].as_str().unwrap().to_owned();
        let (_, quota) = crate::chat::json_of(app.get_as(&user.access_token, &format!("/api/keys/{id}/quota")).await).await;
        assert_eq!(quota["rpm"], 2);
        assert_eq!(quota["max_tokens"], 1_000_000);
    }
}
