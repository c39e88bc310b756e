//! Provider management: admin and personal providers, masked keys, validation, access between
//! users, the SSRF guard, connection tests and model refresh.

use fake_llm::{FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::llm::{add_openai, add_shared};
use crate::on_both_databases;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn admin_adds_providers_whose_keys_are_only_shown_masked(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        let key = "sk-test-openai-compatible-0123456789a1b2";
        let created = add_openai(&app, &admin, "Local vLLM", &fake, key, &["fake-model"]).await;
        assert_eq!(created["owner"], "shared");
        assert_eq!(created["keys"][0]["hint"], "sk-…a1b2");
        assert_eq!(created["base_url"], fake.openai_base());
        let anthropic = add_shared(&app, &admin, json!({
            "name": "Claude", "kind": "anthropic", "base_url": fake.anthropic_base(),
            "api_keys": ["sk-ant-first-key-00000000", "sk-ant-second-key-1111111"], "models": ["claude-fake"],
            "default_params": {"temperature": 0.3, "max_tokens": 256}, "priority": 5, "weight": 3,
        })).await;
        assert_eq!(anthropic["keys"].as_array().unwrap().len(), 2);
        assert_eq!(anthropic["default_params"]["max_tokens"], 256);
        let (status, list) = json_of(app.get_as(&admin.access_token, "/api/admin/providers").await).await;
        assert_eq!(status, 200);
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
        let text = list.to_string();
        assert!(!text.contains(key) && !text.contains("first-key-0000"), "{text}");
        // Stored encrypted under the vault's key id.
        let stored = app.db.scalar("SELECT COUNT(*) FROM provider_keys WHERE key_enc LIKE 'v1:%' AND key_enc NOT LIKE '%sk-%'").await;
        assert_eq!(stored, 3);
        // Users see the shared ones, without key hints.
        let user = app.user("ursula").await;
        let (_, mine) = json_of(app.get_as(&user.access_token, "/api/providers").await).await;
        assert_eq!(mine["items"].as_array().unwrap().len(), 2);
        assert!(mine["items"].as_array().unwrap().iter().all(|p| p["keys"] == json!([])));
        // Edit, disable, add and remove a key.
        let id = created["id"].as_str().unwrap();
        let (status, edited) = json_of(app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/providers/{id}"),
            Some(json!({"enabled": false, "priority": 7, "models": ["a", "b"]}))).await).await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["enabled"], false);
        assert_eq!(edited["models"], json!(["a", "b"]));
        let (status, with_key) = json_of(app.send_as(&admin.access_token, Method::POST, &format!("/api/providers/{id}/keys"),
            Some(json!({"api_key": "sk-another-key-abcdefgh9999"}))).await).await;
        assert_eq!(status, 201);
        let new_key = with_key["keys"].as_array().unwrap().iter().find(|k| k["hint"] == "sk-…9999").unwrap();
        let (status, _) = json_of(app.send_as(&admin.access_token, Method::DELETE,
            &format!("/api/providers/{id}/keys/{}", new_key["id"].as_str().unwrap()), None).await).await;
        assert_eq!(status, 200);
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/admin/providers/{id}"), None).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.db.scalar(&format!("SELECT COUNT(*) FROM provider_keys WHERE provider_id = '{id}'")).await, 0);
    }

    async fn bad_provider_input_gets_422_naming_the_field(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let cases = [
            (json!({"name": "x", "kind": "cohere", "api_key": "k"}), "kind"),
            (json!({"name": "x", "kind": "azure_openai", "base_url": "https://r.openai.azure.com", "api_key": "k"}), "api_version"),
            (json!({"name": "x", "kind": "openai_compatible", "api_key": "k"}), "base_url"),
            (json!({"name": "x", "kind": "openai"}), "api_key"),
            (json!({"name": "", "kind": "openai", "api_key": "k"}), "name"),
            (json!({"name": "x", "kind": "openai", "api_key": "k", "base_url": "ftp://x"}), "base_url"),
            (json!({"name": "x", "kind": "openai", "api_key": "k", "weight": 0}), "weight"),
            (json!({"name": "x", "kind": "openai", "api_key": "k", "default_params": {"temperature": 9}}), "default_params.temperature"),
        ];
        for (body, field) in cases {
            let (status, err) = json_of(app.send_as(&admin.access_token, Method::POST, "/api/admin/providers", Some(body.clone())).await).await;
            assert_eq!(status, 422, "{body} → {err}");
            assert!(err["error"]["details"]["fields"][field].is_string(), "{body} → {err}");
        }
        let (status, err) = json_of(app.send_as(&admin.access_token, Method::POST, "/api/admin/providers",
            Some(json!({"name": "x", "kind": "openai", "api_key": "k", "colour": "red"}))).await).await;
        assert_eq!(status, 422, "{err}");
        add_shared(&app, &admin, json!({"name": "Dup", "kind": "openai", "api_key": "k"})).await;
        let (status, _) = json_of(app.send_as(&admin.access_token, Method::POST, "/api/admin/providers",
            Some(json!({"name": "dup", "kind": "openai", "api_key": "k"}))).await).await;
        assert_eq!(status, 409);
    }

    async fn users_cannot_reach_other_users_providers(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.gateway.outbound_allow = vec!["127.0.0.1/32".parse().unwrap()]).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let res = app.send_as(&alice.access_token, Method::POST, "/api/providers", Some(json!({
            "name": "Mine", "kind": "openai_compatible", "base_url": fake.openai_base(), "api_key": "sk-alice-personal-key-1234", "models": ["fake-model"],
        }))).await;
        let (status, mine) = json_of(res).await;
        assert_eq!(status, 201, "{mine}");
        assert_eq!(mine["owner"], "personal");
        let id = mine["id"].as_str().unwrap();
        for (method, path, body) in [
            (Method::GET, format!("/api/providers/{id}"), None),
            (Method::PATCH, format!("/api/providers/{id}"), Some(json!({"name": "stolen"}))),
            (Method::DELETE, format!("/api/providers/{id}"), None),
            (Method::POST, format!("/api/providers/{id}/keys"), Some(json!({"api_key": "sk-bob"}))),
            (Method::POST, format!("/api/providers/{id}/test"), Some(json!({}))),
            (Method::POST, format!("/api/providers/{id}/models/refresh"), None),
        ] {
            let res = app.send_as(&bob.access_token, method.clone(), &path, body).await;
            assert_eq!(res.status(), 404, "{method} {path}");
        }
        // Admins manage shared providers only through the admin API, and cannot see Alice's.
        let res = app.get_as(&admin.access_token, &format!("/api/admin/providers/{id}")).await;
        assert_eq!(res.status(), 404);
        let (_, bobs) = json_of(app.get_as(&bob.access_token, "/api/providers").await).await;
        assert!(!bobs.to_string().contains("Mine"));
        // Shared: visible to users, not changeable by them.
        let shared = add_openai(&app, &admin, "Shared", &fake, "sk-shared-key-000000000", &["fake-model"]).await;
        let sid = shared["id"].as_str().unwrap();
        let res = app.send_as(&bob.access_token, Method::PATCH, &format!("/api/providers/{sid}"), Some(json!({"enabled": false}))).await;
        assert_eq!(res.status(), 403);
        let res = app.send_as(&bob.access_token, Method::POST, &format!("/api/providers/{sid}/test"), None).await;
        assert_eq!(res.status(), 403);
        let res = app.send_as(&bob.access_token, Method::GET, "/api/admin/providers", None).await;
        assert_eq!(res.status(), 403);
        assert_eq!(app.get("/api/providers").await.status(), 401);
    }

    async fn personal_base_urls_cannot_reach_private_addresses(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("mallory").await;
        let fake = FakeLlm::start().await.unwrap();
        let port = fake.addr().port();
        for url in [
            fake.openai_base(),
            format!("http://localhost:{port}/v1"),
            format!("http://LOCALHOST.:{port}/v1"),
            format!("http://2130706433:{port}/v1"),
            format!("http://0x7f.1:{port}/v1"),
            format!("http://[::ffff:127.0.0.1]:{port}/v1"),
            format!("http://[::1]:{port}/v1"),
            "http://169.254.169.254/latest".to_owned(),
            "http://10.0.0.1/v1".to_owned(),
            "http://192.168.1.10/v1".to_owned(),
            "http://100.64.1.1/v1".to_owned(),
            "http://0.0.0.0/v1".to_owned(),
        ] {
            let res = app.send_as(&user.access_token, Method::POST, "/api/providers", Some(json!({
                "name": "evil", "kind": "openai_compatible", "base_url": url, "api_key": "sk-x", "models": ["fake-model"],
            }))).await;
            let (status, err) = json_of(res).await;
            assert_eq!(status, 422, "{url}: {err}");
            assert!(err["error"]["details"]["fields"]["base_url"].is_string(), "{url}: {err}");
        }
        // Nothing reached the loopback listener, not even a connection.
        assert_eq!(fake.connections(), 0);
        // Admins may point shared providers anywhere (Ollama on localhost is normal).
        let admin = app.admin().await;
        add_openai(&app, &admin, "Local", &fake, "sk-admin-key-00000000", &["fake-model"]).await;
    }

    async fn connection_test_and_model_refresh_call_the_upstream(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start_with(
            FakeConfig { required_key: Some("sk-right-key-0000000000".into()), models: vec!["m-one".into(), "m-two".into()], ..FakeConfig::default() },
            "127.0.0.1:0".parse().unwrap(),
        ).await.unwrap();
        let p = add_openai(&app, &admin, "Fake", &fake, "sk-right-key-0000000000", &[]).await;
        let id = p["id"].as_str().unwrap();
        let (status, refreshed) = json_of(app.send_as(&admin.access_token, Method::POST, &format!("/api/providers/{id}/models/refresh"), None).await).await;
        assert_eq!(status, 200, "{refreshed}");
        assert_eq!(refreshed["models"], json!(["m-one", "m-two"]));
        let (status, test) = json_of(app.send_as(&admin.access_token, Method::POST, &format!("/api/providers/{id}/test"), Some(json!({}))).await).await;
        assert_eq!(status, 200);
        assert_eq!(test["ok"], true, "{test}");
        assert_eq!(test["model"], "m-one");
        assert!(!test["reply"].as_str().unwrap().is_empty());
        let sent = fake.requests();
        assert!(sent.iter().all(|r| r.header("authorization") == Some("Bearer sk-right-key-0000000000")));
        // A wrong key: the test reports the upstream's refusal without the key.
        let bad = add_openai(&app, &admin, "Bad", &fake, "sk-wrong-key-1111111111", &["m-one"]).await;
        let (status, test) = json_of(app.send_as(&admin.access_token, Method::POST,
            &format!("/api/providers/{}/test", bad["id"].as_str().unwrap()), None).await).await;
        assert_eq!(status, 200);
        assert_eq!(test["ok"], false);
        let err = test["error"].as_str().unwrap();
        assert!(err.contains("401"), "{err}");
        assert!(!err.contains("sk-wrong-key"), "{err}");
        // Azure deployments cannot be listed.
        let azure = add_shared(&app, &admin, json!({"name": "Az", "kind": "azure_openai", "base_url": fake.azure_base(), "api_version": "2024-10-21", "api_key": "k"})).await;
        let (status, err) = json_of(app.send_as(&admin.access_token, Method::POST,
            &format!("/api/providers/{}/models/refresh", azure["id"].as_str().unwrap()), None).await).await;
        assert_eq!(status, 422, "{err}");
    }
}
