//! Admin console API: user management and the audit log.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn only_admins_reach_the_admin_api(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("uma").await;
        for path in ["/api/admin/users", "/api/admin/audit-log", "/api/admin/users/export?format=json"] {
            assert_eq!(app.get_as(&user.access_token, path).await.status(), 403, "{path}");
            assert_eq!(app.get(path).await.status(), 401, "{path}");
        }
        let res = app.send_as(&user.access_token, Method::PATCH, &format!("/api/admin/users/{}", user.id),
            Some(json!({"role": "admin"}))).await;
        assert_eq!(res.status(), 403);
    }

    async fn admin_searches_and_pages_users(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        for name in ["victor", "vera", "walter"] {
            app.register(name).await;
        }
        let (status, page) = json_of(app.get_as(&admin.access_token, "/api/admin/users?q=V&per_page=1").await).await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 2);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        let (_, page) = json_of(app.get_as(&admin.access_token, "/api/admin/users?role=admin").await).await;
        assert_eq!(page["total"], 1);
        assert_eq!(page["items"][0]["username"], "root");
        let (status, body) = json_of(app.get_as(&admin.access_token, "/api/admin/users?role=king").await).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["role"].is_string());
        let (status, _) = json_of(app.get_as(&admin.access_token, "/api/admin/users?page=x").await).await;
        assert_eq!(status, 422);
    }

    async fn disabling_a_user_ends_their_tokens_on_the_next_request(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let xena = app.user("xena").await;
        let res = app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{}", xena.id),
            Some(json!({"is_active": false}))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get_as(&xena.access_token, "/api/auth/profile").await.status(), 401);
        let res = app.post_json("/api/auth/refresh", &json!({"refresh_token": xena.refresh_token})).await;
        assert_eq!(res.status(), 401);
        let res = app.post_json("/api/auth/login", &json!({"username": "xena", "password": PASSWORD})).await;
        assert_eq!(res.status(), 401);
    }

    async fn lowering_a_role_takes_effect_on_the_next_request(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let yuri = app.user("yuri").await;
        let res = app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{}", yuri.id),
            Some(json!({"role": "admin"}))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get_as(&yuri.access_token, "/api/admin/users").await.status(), 200);
        let res = app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{}", yuri.id),
            Some(json!({"role": "user"}))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get_as(&yuri.access_token, "/api/admin/users").await.status(), 403);
    }

    async fn the_last_admin_cannot_be_demoted_disabled_or_deleted(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let path = format!("/api/admin/users/{}", admin.id);
        for body in [json!({"role": "user"}), json!({"is_active": false})] {
            let (status, _) = json_of(app.send_as(&admin.access_token, Method::PATCH, &path, Some(body)).await).await;
            assert_eq!(status, 409);
        }
        let (status, _) = json_of(app.send_as(&admin.access_token, Method::DELETE, &path, None).await).await;
        assert_eq!(status, 409);
        let (status, _) = json_of(app.send_as(&admin.access_token, Method::PATCH, &path,
            Some(json!({"password_hash": "x"}))).await).await;
        assert_eq!(status, 422, "unknown fields are refused");
    }

    async fn deleting_a_user_removes_them_and_their_sessions(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let zoe = app.user("zoe").await;
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/admin/users/{}", zoe.id), None).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get_as(&zoe.access_token, "/api/auth/profile").await.status(), 401);
        let remaining = app.db.scalar(&format!("SELECT COUNT(*) FROM sessions WHERE user_id = '{}'", zoe.id)).await;
        assert_eq!(remaining, 0);
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/admin/users/{}", zoe.id), None).await;
        assert_eq!(res.status(), 404);
        // The name is free again.
        app.register("zoe").await;
    }

    async fn users_export_as_csv_and_json_without_secrets(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        app.register("amy").await;
        let res = app.get_as(&admin.access_token, "/api/admin/users/export?format=csv").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(res.headers()["content-disposition"].to_str().unwrap().contains("users.csv"));
        let csv = res.text().await.unwrap();
        assert!(csv.starts_with("id,username,email,"));
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.contains("amy@example.com"));
        assert!(!csv.contains("argon2"));
        let (status, users) = json_of(app.get_as(&admin.access_token, "/api/admin/users/export?format=json").await).await;
        assert_eq!(status, 200);
        assert_eq!(users.as_array().unwrap().len(), 2);
        assert!(!users.to_string().contains("argon2"));
        let (status, _) = json_of(app.get_as(&admin.access_token, "/api/admin/users/export?format=xml").await).await;
        assert_eq!(status, 422);
    }

    async fn audit_log_records_logins_failures_and_admin_actions(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let ben = app.user("ben").await;
        app.post_json("/api/auth/login", &json!({"username": "ben", "password": "wrong wrong wrong"})).await;
        app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{}", ben.id),
            Some(json!({"role": "guest"}))).await;
        let (status, log) = json_of(app.get_as(&admin.access_token, "/api/admin/audit-log").await).await;
        assert_eq!(status, 200);
        let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for expected in ["admin.bootstrapped", "user.registered", "auth.login", "auth.login_failed", "admin.user_updated"] {
            assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
        }
        let (_, updates) = json_of(app.get_as(&admin.access_token, "/api/admin/audit-log?action=admin.").await).await;
        let update = updates["items"].as_array().unwrap().iter().find(|e| e["action"] == "admin.user_updated").unwrap();
        assert_eq!(update["details"]["role"]["to"], "guest");
        assert_eq!(update["target_id"].as_str().unwrap(), ben.id);
        assert!(!log.to_string().contains("wrong wrong wrong"), "passwords never reach the audit log");
    }
}

on_both_databases! {
    async fn user_search_treats_wildcards_literally(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        app.register("a_b").await;
        app.register("axb").await;
        let (_, page) = json_of(app.get_as(&admin.access_token, "/api/admin/users?q=a_b").await).await;
        assert_eq!(page["total"], 1);
        assert_eq!(page["items"][0]["username"], "a_b");
        let (_, page) = json_of(app.get_as(&admin.access_token, "/api/admin/users?q=%25").await).await;
        assert_eq!(page["total"], 0);
    }
}

on_both_databases! {
    async fn invite_only_registration_needs_a_valid_unused_invitation(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let (_, info) = json_of(app.get("/api/auth/registration").await).await;
        assert_eq!(info["mode"], "open");
        let (status, _) = json_of(app.send_as(&admin.access_token, Method::PUT, "/api/admin/settings/registration",
            Some(json!({"registration_mode": "members_only"}))).await).await;
        assert_eq!(status, 422);
        let (status, settings) = json_of(app.send_as(&admin.access_token, Method::PUT, "/api/admin/settings/registration",
            Some(json!({"registration_mode": "invite_only"}))).await).await;
        assert_eq!(status, 200);
        assert_eq!(settings["registration_mode"], "invite_only");
        let (_, info) = json_of(app.get("/api/auth/registration").await).await;
        assert_eq!(info["mode"], "invite_only");

        let register = |code: Option<&str>, email: &str| {
            app.client.post(app.url("/api/auth/register"))
                .json(&json!({"username": "invitee", "email": email, "password": PASSWORD, "invite_code": code}))
                .send()
        };
        let (status, body) = json_of(register(None, "inv@example.com").await.unwrap()).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["invite_code"].as_str().unwrap().contains("required"));
        let (status, invite) = json_of(app.send_as(&admin.access_token, Method::POST, "/api/admin/invites",
            Some(json!({"email": "Inv@Example.com"}))).await).await;
        assert_eq!(status, 201);
        let code = invite["code"].as_str().unwrap().to_owned();
        let (status, _) = json_of(register(Some(&code), "other@example.com").await.unwrap()).await;
        assert_eq!(status, 422, "bound to another address");
        let (status, _) = json_of(register(Some("made-up"), "inv@example.com").await.unwrap()).await;
        assert_eq!(status, 422);
        let (status, user) = json_of(register(Some(&code), "inv@example.com").await.unwrap()).await;
        assert_eq!(status, 201);
        let res = app.client.post(app.url("/api/auth/register"))
            .json(&json!({"username": "second", "email": "inv@example.com", "password": PASSWORD, "invite_code": code}))
            .send().await.unwrap();
        assert_eq!(res.status(), 422, "single use");
        let (_, list) = json_of(app.get_as(&admin.access_token, "/api/admin/invites").await).await;
        assert_eq!(list[0]["used_by"], user["id"]);
        assert!(list[0]["code"].is_null(), "codes are shown once");
        let id = list[0]["id"].as_str().unwrap();
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/admin/invites/{id}"), None).await;
        assert_eq!(res.status(), 404, "a used invitation stays on record");
        let member = app.login("invitee", PASSWORD).await;
        let res = app.send_as(&member.access_token, Method::POST, "/api/admin/invites", Some(json!({}))).await;
        assert_eq!(res.status(), 403);
    }
}
