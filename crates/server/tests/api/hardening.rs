//! Findings of an outside probe, each a regression test: stored upstream errors scrubbed,
//! the login throttle keyed by account and address, avatar bombs refused from the header,
//! NUL characters refused before PostgreSQL sees them, huge pages, slow and greedy clients.

use std::io::Cursor;
use std::time::Duration;

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{PASSWORD, TestApp};
use crate::llm::{add_openai, api_key};
use crate::on_both_databases;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A login from `ip` (the app trusts loopback proxies).
async fn login_from(app: &TestApp, ip: &str, login: &str, password: &str) -> u16 {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"username": login, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn trusting_loopback(c: &mut llm_manager::config::Config) {
    c.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
}

on_both_databases! {
    async fn errors_stored_before_scrubbing_are_scrubbed_by_the_migration(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start_with(FakeConfig::default(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        fake.script("fake-model", [Behaviour::Status(400)]);
        let res = app.send_as(&admin.access_token, Method::POST, "/api/llm/chat",
            Some(json!({"message": "hi", "model": "fake-model"}))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages WHERE error IS NOT NULL").await, 1);
        let db = app.stop().await;
        // As an older version stored an echoing upstream's words.
        db.execute("UPDATE chat_messages SET error = 'the upstream answered 401: Incorrect API key provided: sk-proj-AbCdEf0123456789AbCdEf0123. See https://x.example/keys' WHERE error IS NOT NULL").await;
        db.execute("DELETE FROM seaql_migrations WHERE version = 'm20261210_000001_scrub_message_errors'").await;
        let config = db.config();
        let app = TestApp::start(db, config).await;
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages WHERE error LIKE '%AbCdEf0123%'").await, 0);
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages WHERE error LIKE '%Incorrect API key provided: [redacted]%'").await, 1);
    }

    async fn a_username_and_its_email_share_one_failure_count(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("erin").await;
        for login in ["erin", "erin@example.com", "ERIN", "erin@example.com", " erin "] {
            let res = app.post_json("/api/auth/login", &json!({"username": login, "password": "not the password"})).await;
            assert_eq!(res.status(), 401, "{login}");
        }
        for login in ["erin", "erin@example.com"] {
            let res = app.post_json("/api/auth/login", &json!({"username": login, "password": PASSWORD})).await;
            assert_eq!(res.status(), 429, "{login}: five failures in any spelling lock both");
        }
    }

    async fn failures_from_one_address_do_not_lock_the_owner_out_from_another(backend: Backend) {
        let app = TestApp::spawn_with(backend, trusting_loopback).await;
        app.admin().await;
        for _ in 0..5 {
            assert_eq!(login_from(&app, "198.51.100.7", "root", "a wrong guess!").await, 401);
        }
        assert_eq!(login_from(&app, "198.51.100.7", "root", PASSWORD).await, 429, "the attacker's address waits");
        assert_eq!(login_from(&app, "203.0.113.9", "root", PASSWORD).await, 200, "the owner elsewhere gets in");
        // IPv6 clients count by their /64: rotating addresses inside it does not help.
        for i in 0..5 {
            assert_eq!(login_from(&app, &format!("2001:db8:1:2::{i:x}"), "root", "a wrong guess!").await, 401);
        }
        assert_eq!(login_from(&app, "2001:db8:1:2::ff", "root", PASSWORD).await, 429);
        assert_eq!(login_from(&app, "2001:db8:1:3::1", "root", PASSWORD).await, 200);
    }

    async fn nul_characters_are_refused_with_422_never_stored_or_a_500(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("nina").await;
        let raw = |path: &'static str, body: &'static str| {
            app.client.post(app.url(path)).header("content-type", "application/json").body(body).send()
        };
        for (path, body) in [
            ("/api/auth/register", r#"{"username": "bad\u0000name", "email": "b@example.com", "password": "a fine long passphrase"}"#),
            ("/api/auth/login", r#"{"username": "nina\u0000", "password": "x"}"#),
            ("/api/auth/password/reset", r#"{"email": "nina@example.com\u0000"}"#),
        ] {
            let (status, body) = json_of(raw(path, body).await.unwrap()).await;
            assert_eq!(status, 422, "{path}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("NUL"), "{body}");
        }
        let res = app.client.put(app.url("/api/auth/profile")).bearer_auth(&user.access_token)
            .header("content-type", "application/json").body(r#"{"display_name": "N\u0000"}"#).send().await.unwrap();
        assert_eq!(res.status(), 422);
        let res = app.client.post(app.url("/api/llm/chat")).bearer_auth(&user.access_token)
            .header("content-type", "application/json").body(r#"{"message": "hi\u0000there"}"#).send().await.unwrap();
        assert_eq!(res.status(), 422);
        let (status, body) = json_of(app.get_as(&user.access_token, "/api/llm/sessions?q=a%00b").await).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["details"]["fields"]["q"], "must not contain NUL characters (U+0000)");
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let res = app.client.post(app.url("/v1/chat/completions")).bearer_auth(&key)
            .header("content-type", "application/json")
            .body(r#"{"model": "m\u0000", "messages": [{"role": "user", "content": "x"}]}"#).send().await.unwrap();
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("NUL"), "{body}");
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages").await, 0);
        // An escaped backslash before `u0000` is just text.
        let res = app.client.put(app.url("/api/auth/profile")).bearer_auth(&user.access_token)
            .header("content-type", "application/json").body(r#"{"display_name": "C:\\u0000"}"#).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }

    async fn a_page_too_far_to_count_is_a_422_on_every_list(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let huge = "page=9223372036854775807&per_page=200";
        for path in [
            format!("/api/llm/sessions?{huge}"),
            format!("/api/llm/messages?session_id=00000000-0000-0000-0000-000000000000&{huge}"),
            format!("/api/admin/users?{huge}"),
            format!("/api/admin/audit-log?{huge}"),
            format!("/api/admin/messages?{huge}"),
        ] {
            let (status, body) = json_of(app.get_as(&admin.access_token, &path).await).await;
            assert_eq!(status, 422, "{path}: {body}");
            assert_eq!(body["error"]["details"]["fields"]["page"], "is too large", "{path}: {body}");
        }
    }

    async fn an_avatar_over_4_megapixels_is_refused_before_it_is_decoded(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("otto").await;
        // 4,000 × 4,000 of one colour: a small file that would take 64 MiB to decode.
        let img = image::GrayImage::from_pixel(4000, 4000, image::Luma([9]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert!(png.len() < 200 * 1024, "{}", png.len());
        let mut uploads = Vec::new();
        for _ in 0..4 {
            let part = reqwest::multipart::Part::bytes(png.clone()).file_name("a.png").mime_str("image/png").unwrap();
            uploads.push(app.client.post(app.url("/api/auth/avatar")).bearer_auth(&user.access_token)
                .multipart(reqwest::multipart::Form::new().part("file", part)).send());
        }
        for res in futures::future::join_all(uploads).await {
            let (status, body) = json_of(res.unwrap()).await;
            assert_eq!(status, 413, "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("4000×4000"), "{body}");
        }
    }

    async fn unfinished_request_heads_are_closed_and_one_address_cannot_take_every_connection(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.http.header_read_timeout = Duration::from_secs(1);
            c.http.max_connections_per_ip = 8;
        }).await;
        let mut slow = Vec::new();
        for i in 0..8 {
            let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
            // Half send an unfinished head, half nothing at all.
            if i % 2 == 0 {
                tcp.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
            }
            slow.push(tcp);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The address has used its eight: a ninth connection is closed on arrival.
        assert!(app.client.get(app.url("/health")).send().await.is_err(), "a ninth connection must be refused");
        // Within the header timeout (and a margin) every unfinished head is closed.
        for mut tcp in slow {
            let mut buf = [0u8; 256];
            let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await;
            let n = read.expect("the slow connection must be closed by the server").unwrap_or(0);
            let answer = String::from_utf8_lossy(&buf[..n]).to_string();
            assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
        }
        let res = app.client.get(app.url("/health")).send().await.unwrap();
        assert_eq!(res.status(), 200, "the slots come back");
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("llm_manager_http_connections_refused_total 1"), "{metrics}");
    }

    async fn an_allowed_address_and_port_opens_that_port_and_no_other(backend: Backend) {
        let fake = FakeLlm::start().await.unwrap();
        let port = fake.addr().port();
        let app = TestApp::spawn_with(backend, |c| {
            c.gateway.outbound_allow = vec![format!("127.0.0.1:{port}").parse().unwrap()];
        }).await;
        let user = app.user("paula").await;
        let provider = |base_url: String| json!({"name": format!("P {base_url}"), "kind": "openai_compatible",
            "base_url": base_url, "api_key": "sk-paula-000000000000", "models": ["fake-model"]});
        let res = app.send_as(&user.access_token, Method::POST, "/api/providers", Some(provider(fake.openai_base()))).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let res = crate::llm::v1(&app, &key, Method::POST, "/v1/chat/completions", Some(crate::llm::chat("fake-model", "x", false))).await;
        assert_eq!(res.status(), 200);
        // The same address on another port (here: this server's own) stays closed.
        for other in [format!("http://127.0.0.1:{}/v1", app.addr.port()), "http://127.0.0.1:6379/v1".to_owned()] {
            let res = app.send_as(&user.access_token, Method::POST, "/api/providers", Some(provider(other.clone()))).await;
            let (status, body) = json_of(res).await;
            assert_eq!(status, 422, "{other}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("127.0.0.1"), "{body}");
        }
    }

    async fn a_forged_oauth_error_reaches_neither_the_login_page_nor_the_log(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for (error, shown) in [("FORGED%20LOG%20LINE%0Aadmin%20logged%20in", None), ("access_denied", Some("access_denied"))] {
            let res = app.get(&format!("/api/auth/oauth/no-such-slug/callback?error={error}")).await;
            assert_eq!(res.status(), 303);
            let to = res.headers()["location"].to_str().unwrap().to_owned();
            assert!(to.starts_with("/login?error=the+provider+refused+the+sign-in"), "{to}");
            assert!(!to.contains("FORGED"), "{to}");
            if let Some(code) = shown {
                assert!(to.contains(code), "{to}");
            }
        }
    }
}
