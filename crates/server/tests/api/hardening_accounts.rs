//! The outside probe's low findings on accounts: registration does not tell which addresses
//! exist, verification mail cannot be used as a mail bomb, time zones and e-mail forms are
//! checked, a disabled account's share links stop working, the data directory is private.

use std::os::unix::fs::PermissionsExt;

use fake_llm::FakeConfig;
use reqwest::Method;
use serde_json::{Value, json};

use crate::chat::{post, setup};
use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

on_both_databases! {
    async fn registering_a_taken_address_answers_as_usual_and_mails_its_owner(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("owner").await;
        app.wait_for_mails(1).await;
        let (status, body) = json_of(app.post_json("/api/auth/register",
            &json!({"username": "stranger", "email": "OWNER@example.com", "password": PASSWORD})).await).await;
        let (fresh_status, fresh) = json_of(app.post_json("/api/auth/register",
            &json!({"username": "newcomer", "email": "newcomer@example.com", "password": PASSWORD})).await).await;
        assert_eq!((status, fresh_status), (201, 201), "{body} {fresh}");
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&body), keys(&fresh), "the same shape of answer");
        assert_eq!(body["username"], "stranger");
        // No account was made: the stranger cannot log in, the name stays free.
        let res = app.post_json("/api/auth/login", &json!({"username": "stranger", "password": PASSWORD})).await;
        assert_eq!(res.status(), 401);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM users WHERE username_lower = 'stranger'").await, 0);
        // The owner hears of it (besides the two verification mails).
        let mails = app.wait_for_mails(3).await;
        let notice = mails.iter().find(|m| m.contains("Someone tried to register with your address")).expect("a notice");
        assert!(notice.contains("To: owner@example.com"), "{notice}");
    }

    async fn verification_mail_is_limited_per_address_and_per_account(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("mallory").await;
        // Point the account at someone else's address and ask again and again.
        let res = app.send_as(&user.access_token, Method::PUT, "/api/auth/profile", Some(json!({"email": "victim@example.org"}))).await;
        assert_eq!(res.status(), 200);
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let res = app.send_as(&user.access_token, Method::POST, "/api/auth/send-verification", None).await;
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [202, 202, 429], "three mails an hour to one address");
        app.wait_for_mails(4).await;
        let to_victim = app.outbox().iter().filter(|m| m.contains("To: victim@example.org")).count();
        assert_eq!(to_victim, 3);
        // Switching addresses does not reset the account's own count (five an hour).
        let mut statuses = Vec::new();
        for i in 0..3 {
            let res = app.send_as(&user.access_token, Method::PUT, "/api/auth/profile", Some(json!({"email": format!("v{i}@example.org")}))).await;
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [200, 429, 429]);
    }

    async fn time_zones_and_email_forms_are_checked(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("tzuser").await;
        for (body, field) in [
            (json!({"timezone": "Mars/Olympus_Mons"}), "timezone"),
            (json!({"timezone": "../../etc/passwd"}), "timezone"),
            (json!({"email": "a@x.com, b@y.com"}), "email"),
            (json!({"email": "\"quoted local\"@example.com"}), "email"),
            (json!({"display_name": "bell\u{7}"}), "display_name"),
        ] {
            let (status, res) = json_of(app.send_as(&user.access_token, Method::PUT, "/api/auth/profile", Some(body.clone())).await).await;
            assert_eq!(status, 422, "{body}: {res}");
            assert!(res["error"]["details"]["fields"][field].is_string(), "{res}");
        }
        let (status, res) = json_of(app.send_as(&user.access_token, Method::PUT, "/api/auth/profile",
            Some(json!({"timezone": "Asia/Shanghai", "bio": "line one\nline two"}))).await).await;
        assert_eq!(status, 200, "{res}");
        assert_eq!(res["timezone"], "Asia/Shanghai");
    }

    async fn a_disabled_accounts_share_links_stop_working_until_it_is_enabled(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let (_, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "shared", "model": "fake-model"})).await).await;
        let sid = body["session_id"].as_str().unwrap();
        let (_, share) = json_of(post(&app, &user, &format!("/api/llm/sessions/{sid}/share"), json!({})).await).await;
        let path = format!("/api/share/{}", share["token"].as_str().unwrap());
        assert_eq!(app.get(&path).await.status(), 200);
        let admin = app.login("root", PASSWORD).await;
        for (active, expected) in [(false, 404), (true, 200)] {
            let res = app.send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{}", user.id),
                Some(json!({"is_active": active}))).await;
            assert_eq!(res.status(), 200);
            assert_eq!(app.get(&path).await.status(), expected, "active={active}");
        }
    }
}

#[tokio::test]
async fn the_data_directory_and_what_it_holds_are_private() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    app.register("pat").await;
    app.wait_for_mails(1).await;
    let dir = &app.db.data_dir;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for entry in walk(dir) {
        let m = mode(&entry);
        assert_eq!(m & 0o077, 0, "{} is {m:o}", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}
