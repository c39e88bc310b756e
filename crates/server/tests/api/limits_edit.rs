//! Editing what was set: `PATCH /api/keys/{id}` (name, models, expiry, limits; nobody else's
//! key) and rate limits on a model, shared by all its callers.

use fake_llm::FakeLlm;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::llm::{add_openai, api_key, chat, v1};
use crate::on_both_databases;

async fn send(
    app: &TestApp,
    who: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let res = app.send_as(&who.access_token, method, path, body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn call(app: &TestApp, key: &str, model: &str) -> u16 {
    v1(
        app,
        key,
        Method::POST,
        "/v1/chat/completions",
        Some(chat(model, "hi", false)),
    )
    .await
    .status()
    .as_u16()
}

on_both_databases! {
    async fn a_key_is_edited_in_place_and_the_next_request_sees_it(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-up", &["fake-model", "fake-embed"]).await;
        let user = app.user("pat").await;
        let key = api_key(&app, &user, json!({"name": "first"})).await;
        let (_, keys) = send(&app, &user, Method::GET, "/api/keys", None).await;
        let id = keys["items"][0]["id"].as_str().unwrap().to_owned();
        let path = format!("/api/keys/{id}");
        assert_eq!(call(&app, &key, "fake-model").await, 200);
        // Rename, narrow to one model, limit to one request a minute: all at once.
        let (status, edited) = send(&app, &user, Method::PATCH, &path,
            Some(json!({"name": "renamed", "models": ["fake-embed"], "rpm": 1}))).await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["name"], "renamed");
        assert_eq!(edited["models"], json!(["fake-embed"]));
        assert_eq!(call(&app, &key, "fake-model").await, 403, "the allow-list applies at once");
        let (_, quota) = send(&app, &user, Method::GET, &format!("{path}/quota"), None).await;
        assert_eq!(quota["rpm"], 1);
        // Absent fields stay; null clears: all models again, limits merged field by field.
        let (status, edited) = send(&app, &user, Method::PATCH, &path, Some(json!({"models": null, "tpm": 100000}))).await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["name"], "renamed");
        assert_eq!(edited["models"], Value::Null);
        let (_, quota) = send(&app, &user, Method::GET, &format!("{path}/quota"), None).await;
        assert_eq!((quota["rpm"].clone(), quota["tpm"].clone()), (json!(1), json!(100000)));
        assert_eq!(call(&app, &key, "fake-model").await, 200);
        assert_eq!(call(&app, &key, "fake-model").await, 429, "rpm 1 holds");
        // Clearing every limit removes the key's limits.
        let (status, _) = send(&app, &user, Method::PATCH, &path, Some(json!({"rpm": null, "tpm": null}))).await;
        assert_eq!(status, 200);
        let (_, quota) = send(&app, &user, Method::GET, &format!("{path}/quota"), None).await;
        assert_eq!(quota, Value::Null);
        assert_eq!(call(&app, &key, "fake-model").await, 200);
        // An expiry in the past is refused; one in the future is kept; the key expires when set.
        let (status, err) = send(&app, &user, Method::PATCH, &path, Some(json!({"expires_at": "2000-01-01T00:00:00Z"}))).await;
        assert_eq!(status, 422);
        assert!(err["error"]["details"]["fields"]["expires_at"].is_string(), "{err}");
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
        let (status, edited) = send(&app, &user, Method::PATCH, &path, Some(json!({"expires_at": soon}))).await;
        assert_eq!(status, 200, "{edited}");
        assert!(edited["expires_at"].is_string());
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let res = v1(&app, &key, Method::GET, "/v1/models", None).await;
        assert_eq!(res.status(), 401, "expired");
        // Bad fields are named and change nothing.
        for (body, field) in [(json!({"name": ""}), "name"), (json!({"models": []}), "models"), (json!({"rpm": 0}), "rpm"),
            (json!({"max_cost": "lots"}), "max_cost"), (json!({"period": "week"}), "period")] {
            let (status, err) = send(&app, &user, Method::PATCH, &path, Some(body)).await;
            assert_eq!(status, 422, "{err}");
            assert!(err["error"]["details"]["fields"][field].is_string(), "{err}");
        }
        let (status, err) = send(&app, &user, Method::PATCH, &path, Some(json!({"colour": "red"}))).await;
        assert_eq!(status, 422, "{err}");
        let (_, keys) = send(&app, &user, Method::GET, "/api/keys", None).await;
        assert_eq!(keys["items"][0]["name"], "renamed");
        // Another user can't edit it; a revoked key can't be edited.
        let other = app.user("mallory").await;
        let (status, _) = send(&app, &other, Method::PATCH, &path, Some(json!({"name": "mine"}))).await;
        assert_eq!(status, 404);
        assert_eq!(send(&app, &user, Method::DELETE, &path, None).await.0, 204);
        assert_eq!(send(&app, &user, Method::PATCH, &path, Some(json!({"name": "back"}))).await.0, 404);
        let audited = app.db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'api_key.updated'").await;
        assert_eq!(audited, 4);
    }

    async fn a_models_rate_limit_is_shared_by_all_its_callers(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-up", &["fake-model", "fake-embed"]).await;
        let (status, set) = send(&app, &admin, Method::PUT, "/api/admin/quotas/models/fake-model", Some(json!({"rpm": 3}))).await;
        assert_eq!(status, 200, "{set}");
        assert_eq!((set["scope"].clone(), set["subject"].clone()), (json!("model"), json!("fake-model")));
        let (status, set) = send(&app, &admin, Method::PUT, "/api/admin/quotas/models/fake-embed", Some(json!({"tpm": 1000000}))).await;
        assert_eq!(status, 200, "{set}");
        let (_, list) = send(&app, &admin, Method::GET, "/api/admin/quotas/models", None).await;
        let names: Vec<&str> = list.as_array().unwrap().iter().map(|l| l["subject"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["fake-embed", "fake-model"]);
        let (ann, bob) = (app.user("ann").await, app.user("bob").await);
        let (a, b) = (api_key(&app, &ann, json!({"name": "a"})).await, api_key(&app, &bob, json!({"name": "b"})).await);
        assert_eq!(call(&app, &a, "fake-model").await, 200);
        assert_eq!(call(&app, &b, "fake-model").await, 200);
        assert_eq!(call(&app, &a, "fake-model").await, 200);
        let res = v1(&app, &b, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        assert_eq!(res.status(), 429, "the fourth call to the model in a minute, whoever makes it");
        assert_eq!(res.headers()["x-ratelimit-limit-requests"], "3");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["message"].as_str().unwrap().contains("the model fake-model"), "{err}");
        assert_eq!(call(&app, &b, "fake-embed").await, 200, "other models are not held back");
        // A name with a slash is one path segment when encoded.
        let (status, set) = send(&app, &admin, Method::PUT, "/api/admin/quotas/models/org%2Fother-model", Some(json!({"rpm": 7}))).await;
        assert_eq!((status, set["subject"].clone()), (200, json!("org/other-model")));
        // A budget on a model is refused by name; only admins set model limits.
        let (status, err) = send(&app, &admin, Method::PUT, "/api/admin/quotas/models/fake-model", Some(json!({"max_cost": "1"}))).await;
        assert_eq!(status, 422);
        assert!(err["error"]["details"]["fields"]["max_cost"].is_string(), "{err}");
        assert_eq!(send(&app, &ann, Method::PUT, "/api/admin/quotas/models/fake-model", Some(json!({"rpm": 100}))).await.0, 403);
        assert_eq!(send(&app, &ann, Method::GET, "/api/admin/quotas/models", None).await.0, 403);
        // Removed: the model is free again.
        assert_eq!(send(&app, &admin, Method::DELETE, "/api/admin/quotas/models/fake-model", None).await.0, 204);
        assert_eq!(send(&app, &admin, Method::DELETE, "/api/admin/quotas/models/fake-model", None).await.0, 404);
        assert_eq!(call(&app, &b, "fake-model").await, 200);
    }
}
