//! Accounts: registration rules, login, tokens, cookie sessions with CSRF, refresh rotation,
//! logout, profile, password change, sessions, throttling, first-admin bootstrap.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn registration_validates_every_field(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = json_of(app.post_json("/api/auth/register",
            &json!({"username": "a b", "email": "nope", "password": "short"})).await).await;
        assert_eq!(status, 422);
        let fields = &body["error"]["details"]["fields"];
        assert!(fields["username"].as_str().unwrap().contains("letters, digits"));
        assert_eq!(fields["email"], "is not a valid email address");
        assert!(fields["password"].as_str().unwrap().contains("at least 8"));
        let (status, body) = json_of(app.post_json("/api/auth/register",
            &json!({"username": "alice", "email": "a@example.com", "password": "password123"})).await).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["password"].as_str().unwrap().contains("too common"));
    }

    async fn usernames_and_emails_are_unique_regardless_of_case(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.register("Alice").await;
        assert_eq!(user["username"], "Alice");
        assert_eq!(user["role"], "user", "registration never makes an admin");
        let (status, body) = json_of(app.post_json("/api/auth/register",
            &json!({"username": "ALICE", "email": "Alice@Example.com", "password": PASSWORD})).await).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["details"]["fields"]["username"], "is already taken");
        assert!(body["error"]["details"]["fields"].get("email").is_none(), "a taken address is never reported: {body}");
    }

    async fn login_by_username_or_email_and_read_profile(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("bob").await;
        let by_email = app.login("BOB@example.com", PASSWORD).await;
        let res = app.get_as(&by_email.access_token, "/api/auth/profile").await;
        assert_eq!(res.status(), 200);
        let (_, profile) = json_of(res).await;
        assert_eq!(profile["username"], "bob");
        assert!(profile.get("password_hash").is_none());
        let (status, body) = json_of(app.post_json("/api/auth/login",
            &json!({"username": "bob", "password": PASSWORD})).await).await;
        assert_eq!(status, 200);
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_i64().unwrap() <= 900);
    }

    async fn passwords_are_stored_as_argon2id(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("carol").await;
        let stored = llm_manager::auth::store::get_user_by_login(&app.state.db.conn, "carol").await.unwrap().unwrap();
        let hash = stored.password_hash.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
    }

    async fn failed_logins_do_not_reveal_whether_an_account_exists(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("dave").await;
        let wrong = json_of(app.post_json("/api/auth/login", &json!({"username": "dave", "password": "wrong password!"})).await).await;
        let unknown = json_of(app.post_json("/api/auth/login", &json!({"username": "nobody", "password": "wrong password!"})).await).await;
        assert_eq!(wrong.0, 401);
        assert_eq!(wrong, unknown);
    }

    async fn login_is_throttled_per_account_with_retry_after(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("erin").await;
        for _ in 0..5 {
            let res = app.post_json("/api/auth/login", &json!({"username": "erin", "password": "not the password"})).await;
            assert_eq!(res.status(), 401);
        }
        // Now even the right password is refused until the window ends.
        let res = app.post_json("/api/auth/login", &json!({"username": "erin", "password": PASSWORD})).await;
        assert_eq!(res.status(), 429);
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry));
        let (_, body) = json_of(res).await;
        assert_eq!(body["error"]["code"], "rate_limited");
        // Another account is not affected.
        app.register("frank").await;
        app.login("frank", PASSWORD).await;
    }

    async fn login_is_throttled_per_ip_across_accounts(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for i in 0..30 {
            let res = app.post_json("/api/auth/login", &json!({"username": format!("ghost{i}"), "password": "whatever it is"})).await;
            assert_eq!(res.status(), 401);
        }
        app.register("grace").await;
        let res = app.post_json("/api/auth/login", &json!({"username": "grace", "password": PASSWORD})).await;
        assert_eq!(res.status(), 429);
    }

    async fn forged_expired_and_unsigned_tokens_are_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("heidi").await;
        let parts: Vec<&str> = user.access_token.split('.').collect();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        // Edited claims, same signature.
        let mut edited = claims.clone();
        edited["exp"] = json!(claims["exp"].as_i64().unwrap() + 3600);
        let edited_token = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(edited.to_string()), parts[2]);
        // alg=none.
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
        // HS256 with another key.
        let other_key = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"not the server key at all, sorry"),
        ).unwrap();
        // Expired, signed with the real keys.
        let sid = uuid::Uuid::parse_str(claims["sid"].as_str().unwrap()).unwrap();
        let uid = uuid::Uuid::parse_str(&user.id).unwrap();
        let expired = app.state.auth.keys
            .issue_access(uid, sid, chrono::Utc::now() - chrono::Duration::minutes(20)).unwrap();
        for (what, token) in [("edited", edited_token), ("alg none", none), ("wrong key", other_key), ("expired", expired), ("garbage", "abc".to_owned())] {
            let res = app.get_as(&token, "/api/auth/profile").await;
            assert_eq!(res.status(), 401, "{what}");
        }
        assert_eq!(app.get_as(&user.access_token, "/api/auth/profile").await.status(), 200);
        assert_eq!(app.get("/api/auth/profile").await.status(), 401);
    }

    async fn logout_ends_access_and_refresh_tokens_at_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("ivan").await;
        let res = app.send_as(&user.access_token, Method::POST, "/api/auth/logout", None).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get_as(&user.access_token, "/api/auth/profile").await.status(), 401);
        let res = app.post_json("/api/auth/refresh", &json!({"refresh_token": user.refresh_token})).await;
        assert_eq!(res.status(), 401);
    }

    async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("judy").await;
        let (status, first) = json_of(app.post_json("/api/auth/refresh", &json!({"refresh_token": user.refresh_token})).await).await;
        assert_eq!(status, 200);
        let new_access = first["access_token"].as_str().unwrap();
        let new_refresh = first["refresh_token"].as_str().unwrap();
        assert_ne!(new_refresh, user.refresh_token);
        assert_eq!(app.get_as(new_access, "/api/auth/profile").await.status(), 200);
        // The old refresh token is replayed (stolen): the whole family dies.
        let res = app.post_json("/api/auth/refresh", &json!({"refresh_token": user.refresh_token})).await;
        assert_eq!(res.status(), 401);
        assert_eq!(app.get_as(new_access, "/api/auth/profile").await.status(), 401);
        let res = app.post_json("/api/auth/refresh", &json!({"refresh_token": new_refresh})).await;
        assert_eq!(res.status(), 401);
        let admin = app.admin().await;
        let (_, log) = json_of(app.get_as(&admin.access_token, "/api/admin/audit-log?action=auth.refresh_reuse").await).await;
        assert_eq!(log["total"], 1);
    }

    async fn cookie_sessions_need_the_csrf_token_for_changes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("kate").await;
        let res = app.post_json("/api/auth/login", &json!({"username": "kate", "password": PASSWORD, "use_cookie": true})).await;
        assert_eq!(res.status(), 200);
        let cookies: Vec<String> = res.headers().get_all("set-cookie").iter()
            .map(|v| v.to_str().unwrap().to_owned()).collect();
        let session = cookies.iter().find(|c| c.starts_with("llmm_session=")).unwrap();
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"));
        let csrf_cookie = cookies.iter().find(|c| c.starts_with("llmm_csrf=")).unwrap();
        assert!(!csrf_cookie.contains("HttpOnly"));
        let (_, body) = json_of(res).await;
        assert!(body.get("access_token").is_none());
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let cookie_header = session.split(';').next().unwrap().to_owned();

        let get = app.client.get(app.url("/api/auth/profile")).header("cookie", &cookie_header).send().await.unwrap();
        assert_eq!(get.status(), 200);
        let put = |token: Option<&str>| {
            let mut req = app.client.put(app.url("/api/auth/profile"))
                .header("cookie", &cookie_header)
                .json(&json!({"display_name": "Kate"}));
            if let Some(t) = token { req = req.header("x-csrf-token", t); }
            req.send()
        };
        let (status, body) = json_of(put(None).await.unwrap()).await;
        assert_eq!(status, 403);
        assert!(body["error"]["message"].as_str().unwrap().contains("X-CSRF-Token"));
        assert_eq!(put(Some("wrong")).await.unwrap().status(), 403);
        assert_eq!(put(Some(&csrf)).await.unwrap().status(), 200);

        // Logout clears the cookies and kills the session server-side.
        let res = app.client.post(app.url("/api/auth/logout"))
            .header("cookie", &cookie_header).header("x-csrf-token", &csrf).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert!(res.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().contains("Max-Age=0")));
        let get = app.client.get(app.url("/api/auth/profile")).header("cookie", &cookie_header).send().await.unwrap();
        assert_eq!(get.status(), 401);
    }

    async fn cookies_are_secure_behind_https(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("liam").await;
        let res = app.client.post(app.url("/api/auth/login"))
            .header("x-forwarded-proto", "https")
            .json(&json!({"username": "liam", "password": PASSWORD, "use_cookie": true}))
            .send().await.unwrap();
        assert!(res.headers().get_all("set-cookie").iter().all(|v| v.to_str().unwrap().contains("Secure")));
    }

    async fn profile_update_cannot_change_role_id_or_active(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("mia").await;
        for (field, value) in [("role", json!("admin")), ("id", json!(uuid::Uuid::nil())), ("is_active", json!(false)), ("email_verified", json!(true))] {
            let res = app.send_as(&user.access_token, Method::PUT, "/api/auth/profile",
                Some(json!({"display_name": "Mia", field: value}))).await;
            assert_eq!(res.status(), 422, "{field}");
        }
        let (status, profile) = json_of(app.send_as(&user.access_token, Method::PUT, "/api/auth/profile",
            Some(json!({"display_name": " Mia ", "bio": "hi", "language": "zh-CN", "timezone": "Asia/Shanghai"}))).await).await;
        assert_eq!(status, 200);
        assert_eq!(profile["display_name"], "Mia");
        assert_eq!(profile["language"], "zh-CN");
        assert_eq!(profile["role"], "user");
        assert_eq!(profile["is_active"], true);
        assert_eq!(profile["id"].as_str().unwrap(), user.id);
        let (status, body) = json_of(app.send_as(&user.access_token, Method::PUT, "/api/auth/profile",
            Some(json!({"language": "klingon"}))).await).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["language"].is_string());
    }

    async fn password_change_ends_other_sessions_but_not_this_one(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let here = app.user("noah").await;
        let elsewhere = app.login("noah", PASSWORD).await;
        let (status, body) = json_of(app.send_as(&here.access_token, Method::POST, "/api/auth/password/change",
            Some(json!({"old_password": "not it at all", "new_password": "a new long passphrase"}))).await).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["old_password"].is_string());
        let res = app.send_as(&here.access_token, Method::POST, "/api/auth/password/change",
            Some(json!({"old_password": PASSWORD, "new_password": "a new long passphrase"}))).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get_as(&here.access_token, "/api/auth/profile").await.status(), 200);
        assert_eq!(app.get_as(&elsewhere.access_token, "/api/auth/profile").await.status(), 401);
        let res = app.post_json("/api/auth/refresh", &json!({"refresh_token": elsewhere.refresh_token})).await;
        assert_eq!(res.status(), 401);
        let res = app.post_json("/api/auth/login", &json!({"username": "noah", "password": PASSWORD})).await;
        assert_eq!(res.status(), 401);
        app.login("noah", "a new long passphrase").await;
    }

    async fn sessions_are_listed_and_only_the_owner_can_end_them(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let olivia = app.user("olivia").await;
        let olivia2 = app.login("olivia", PASSWORD).await;
        let peter = app.user("peter").await;
        let (status, sessions) = json_of(app.get_as(&olivia.access_token, "/api/auth/sessions").await).await;
        assert_eq!(status, 200);
        let sessions = sessions.as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        assert!(sessions.iter().all(|s| s["ip"] == "127.0.0.1"));
        let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
        // Peter cannot see or end Olivia's session: it does not exist for him.
        let (_, peters) = json_of(app.get_as(&peter.access_token, "/api/auth/sessions").await).await;
        assert!(peters.as_array().unwrap().iter().all(|s| s["id"] != other.as_str()));
        let res = app.send_as(&peter.access_token, Method::DELETE, &format!("/api/auth/sessions/{other}"), None).await;
        assert_eq!(res.status(), 404);
        assert_eq!(app.get_as(&olivia2.access_token, "/api/auth/profile").await.status(), 200);
        let res = app.send_as(&olivia.access_token, Method::DELETE, &format!("/api/auth/sessions/{other}"), None).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get_as(&olivia2.access_token, "/api/auth/profile").await.status(), 401);
        let res = app.send_as(&olivia.access_token, Method::DELETE, "/api/auth/sessions/not-a-uuid", None).await;
        assert_eq!(res.status(), 400);
    }

    async fn registration_can_be_closed(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        llm_manager::system::store::put_setting(&app.state.db.conn, "registration_mode", json!("closed")).await.unwrap();
        let (status, body) = json_of(app.post_json("/api/auth/register",
            &json!({"username": "quinn", "email": "q@example.com", "password": PASSWORD})).await).await;
        assert_eq!(status, 403);
        assert!(body["error"]["message"].as_str().unwrap().contains("closed"));
    }

    async fn setup_token_creates_the_first_admin_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        // The app issued a token at start; issue a known one the same way.
        let token = llm_manager::auth::registration::prepare_setup_token(&app.state.db.conn, &app.state.auth.keys)
            .await.unwrap().expect("no admin yet");
        let body = |t: &str, name: &str| json!({"token": t, "username": name, "email": format!("{name}@example.com"), "password": PASSWORD});
        let (status, _) = json_of(app.post_json("/api/auth/setup", &body("wrong-token", "rita")).await).await;
        assert_eq!(status, 403);
        let (status, admin) = json_of(app.post_json("/api/auth/setup", &body(&token, "rita")).await).await;
        assert_eq!(status, 201);
        assert_eq!(admin["role"], "admin");
        let (status, _) = json_of(app.post_json("/api/auth/setup", &body(&token, "sam")).await).await;
        assert_eq!(status, 403, "the token works once");
        assert!(llm_manager::auth::registration::prepare_setup_token(&app.state.db.conn, &app.state.auth.keys)
            .await.unwrap().is_none(), "no new token once an admin exists");
    }

    async fn fifty_concurrent_bootstraps_make_exactly_one_admin(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let token = llm_manager::auth::registration::prepare_setup_token(&app.state.db.conn, &app.state.auth.keys)
            .await.unwrap().unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let (client, url, token) = (app.client.clone(), app.url("/api/auth/setup"), token.clone());
            let conn = app.state.db.conn.clone();
            let keys = app.state.auth.keys.clone();
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    // Through the web setup endpoint.
                    let res = client.post(url).json(&json!({"token": token, "username": format!("admin{i}"),
                        "email": format!("admin{i}@example.com"), "password": PASSWORD})).send().await.unwrap();
                    res.status().as_u16() == 201
                } else {
                    // As `create-admin` does.
                    llm_manager::auth::registration::bootstrap_admin(&conn, &keys, None, &format!("admin{i}"),
                        &format!("admin{i}@example.com"), PASSWORD).await.is_ok()
                }
            }));
        }
        let mut created = 0;
        for t in tasks {
            if t.await.unwrap() { created += 1; }
        }
        assert_eq!(created, 1);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'").await, 1);
    }
}

on_both_databases! {
    async fn client_ips_come_from_trusted_proxies_only(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
        }).await;
        app.register("pia").await;
        let res = app.client.post(app.url("/api/auth/login"))
            .header("x-forwarded-for", "198.51.100.7")
            .json(&json!({"username": "pia", "password": PASSWORD})).send().await.unwrap();
        let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let (_, sessions) = json_of(app.get_as(&token, "/api/auth/sessions").await).await;
        assert_eq!(sessions[0]["ip"], "198.51.100.7");

        let untrusting = TestApp::spawn(backend).await;
        untrusting.register("quin").await;
        let res = untrusting.client.post(untrusting.url("/api/auth/login"))
            .header("x-forwarded-for", "198.51.100.7")
            .json(&json!({"username": "quin", "password": PASSWORD})).send().await.unwrap();
        let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let (_, sessions) = json_of(untrusting.get_as(&token, "/api/auth/sessions").await).await;
        assert_eq!(sessions[0]["ip"], "127.0.0.1", "the header is ignored without TRUSTED_PROXIES");
    }
}
