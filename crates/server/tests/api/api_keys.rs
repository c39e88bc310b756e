//! Gateway API keys: shown once, stored hashed, listed masked, revoked at once, dead with a
//! disabled owner, bounded by their model allow-list and expiry.

use fake_llm::FakeLlm;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::llm::{add_openai, api_key, chat, v1};
use crate::on_both_databases;

on_both_databases! {
    async fn api_keys_are_shown_once_listed_masked_and_revoked_at_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("kim").await;
        let res = app.send_as(&user.access_token, Method::POST, "/api/keys", Some(json!({"name": "laptop"}))).await;
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let key = created["key"].as_str().unwrap();
        assert!(key.starts_with("sk-llmm-") && key.len() > 40);
        assert_eq!(created["hint"].as_str().unwrap(), format!("sk-llmm-…{}", &key[key.len() - 4..]));
        // Stored only as a keyed hash.
        let plain = app.db.scalar(&format!("SELECT COUNT(*) FROM api_keys WHERE key_hash = '{key}' OR hint = '{key}'")).await;
        assert_eq!(plain, 0);
        let list: Value = app.get_as(&user.access_token, "/api/keys").await.json().await.unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        assert!(!list.to_string().contains(key));
        assert_eq!(v1(&app, key, Method::GET, "/v1/models", None).await.status(), 200);
        // Another user can neither see nor revoke it.
        let other = app.user("lee").await;
        let theirs: Value = app.get_as(&other.access_token, "/api/keys").await.json().await.unwrap();
        assert_eq!(theirs["items"], json!([]));
        let id = created["id"].as_str().unwrap();
        let res = app.send_as(&other.access_token, Method::DELETE, &format!("/api/keys/{id}"), None).await;
        assert_eq!(res.status(), 404);
        assert_eq!(v1(&app, key, Method::GET, "/v1/models", None).await.status(), 200);
        // The owner revokes it: the next call is refused.
        let res = app.send_as(&user.access_token, Method::DELETE, &format!("/api/keys/{id}"), None).await;
        assert_eq!(res.status(), 204);
        let res = v1(&app, key, Method::GET, "/v1/models", None).await;
        assert_eq!(res.status(), 401);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_api_key");
        let list: Value = app.get_as(&user.access_token, "/api/keys").await.json().await.unwrap();
        assert_eq!(list["items"], json!([]));
    }

    async fn a_disabled_users_keys_stop_working_at_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let user = app.user("dora").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        assert_eq!(v1(&app, &key, Method::GET, "/v1/models", None).await.status(), 200);
        let res = app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{}", user.id), Some(json!({"is_active": false}))).await;
        assert_eq!(res.status(), 200);
        let res = v1(&app, &key, Method::GET, "/v1/models", None).await;
        assert_eq!(res.status(), 401);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_api_key");
    }

    async fn keys_are_bounded_by_their_model_list_and_expiry(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model", "fake-embed"]).await;
        let user = app.user("nina").await;
        let narrow = api_key(&app, &user, json!({"name": "narrow", "models": ["fake-embed"]})).await;
        let models: Value = v1(&app, &narrow, Method::GET, "/v1/models", None).await.json().await.unwrap();
        let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["fake-embed"]);
        let res = v1(&app, &narrow, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "hi", false))).await;
        assert_eq!(res.status(), 403);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "model_not_allowed");
        assert_eq!(fake.request_count(), 0);
        // Expiry in the past is refused at creation; bad fields are named.
        for (body, field) in [
            (json!({"name": "old", "expires_at": "2000-01-01T00:00:00Z"}), "expires_at"),
            (json!({"name": ""}), "name"),
            (json!({"name": "x", "models": []}), "models"),
        ] {
            let res = app.send_as(&user.access_token, Method::POST, "/api/keys", Some(body.clone())).await;
            assert_eq!(res.status(), 422, "{body}");
            let err: Value = res.json().await.unwrap();
            assert!(err["error"]["details"]["fields"][field].is_string(), "{err}");
        }
        // A key that expired after creation is refused with its own message.
        let soon = api_key(&app, &user, json!({"name": "soon", "expires_at": (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339()})).await;
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let res = v1(&app, &soon, Method::GET, "/v1/models", None).await;
        assert_eq!(res.status(), 401);
        let err: Value = res.json().await.unwrap();
        assert!(err["error"]["message"].as_str().unwrap().contains("expired"));
        // No key, a malformed header, an unknown key.
        assert_eq!(app.get("/v1/models").await.status(), 401);
        assert_eq!(v1(&app, "sk-llmm-not-a-real-key", Method::GET, "/v1/models", None).await.status(), 401);
    }
}
