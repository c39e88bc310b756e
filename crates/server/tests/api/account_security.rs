//! Email verification, password reset, two-factor login, avatars, and mail over real SMTP.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, link_token, unfold_mail};
use crate::on_both_databases;
use crate::smtp_sink::SmtpSink;

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn totp_code(secret_base32: &str, offset_steps: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        "t".to_owned(),
    )
    .unwrap();
    let t = chrono::Utc::now().timestamp() + offset_steps * 30;
    totp.generate(u64::try_from(t).unwrap())
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 200]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

on_both_databases! {
    async fn registration_mails_a_verification_link_that_works_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("vivian").await;
        let mails = app.wait_for_mails(1).await;
        assert!(mails[0].contains("To: vivian@example.com"));
        assert!(mails[0].contains("Subject: Verify your email address"));
        let token = link_token(&mails[0], "verify-email").expect("link in the mail");
        let (_, profile) = json_of(app.get_as(&user.access_token, "/api/auth/profile").await).await;
        assert_eq!(profile["email_verified"], false);
        let res = app.post_json("/api/auth/verify-email", &json!({"token": token})).await;
        assert_eq!(res.status(), 204);
        let (_, profile) = json_of(app.get_as(&user.access_token, "/api/auth/profile").await).await;
        assert_eq!(profile["email_verified"], true);
        let (status, _) = json_of(app.post_json("/api/auth/verify-email", &json!({"token": token})).await).await;
        assert_eq!(status, 400, "single use");
        let res = app.send_as(&user.access_token, Method::POST, "/api/auth/send-verification", None).await;
        assert_eq!(res.status(), 409);
    }

    async fn changing_the_email_needs_a_new_verification(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("walt").await;
        let first = link_token(&app.wait_for_mails(1).await[0], "verify-email").unwrap();
        let (status, profile) = json_of(app.send_as(&user.access_token, Method::PUT, "/api/auth/profile",
            Some(json!({"email": "walt.new@example.com"}))).await).await;
        assert_eq!(status, 200);
        assert_eq!(profile["email"], "walt.new@example.com");
        assert_eq!(profile["email_verified"], false);
        let mails = app.wait_for_mails(2).await;
        let second_mail = mails.iter().find(|m| m.contains("To: walt.new@example.com")).unwrap();
        // The link mailed to the old address does not verify the new one.
        let (status, _) = json_of(app.post_json("/api/auth/verify-email", &json!({"token": first})).await).await;
        assert_eq!(status, 400);
        let second = link_token(second_mail, "verify-email").unwrap();
        assert_eq!(app.post_json("/api/auth/verify-email", &json!({"token": second})).await.status(), 204);
        app.register("xavier").await;
        let (status, body) = json_of(app.send_as(&user.access_token, Method::PUT, "/api/auth/profile",
            Some(json!({"email": "XAVIER@example.com"}))).await).await;
        assert_eq!(status, 422);
        assert_eq!(body["error"]["details"]["fields"]["email"], "is already registered");
    }

    async fn password_reset_by_mail_ends_every_session(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("yara").await;
        app.wait_for_mails(1).await;
        // Unknown addresses get the same answer and no mail.
        let res = app.post_json("/api/auth/password/reset", &json!({"email": "nobody@example.com"})).await;
        assert_eq!(res.status(), 202);
        let res = app.post_json("/api/auth/password/reset", &json!({"email": "YARA@example.com"})).await;
        assert_eq!(res.status(), 202);
        let mails = app.wait_for_mails(2).await;
        assert_eq!(mails.len(), 2, "no mail for the unknown address");
        let token = mails.iter().find_map(|m| link_token(m, "reset-password")).unwrap();
        let (status, body) = json_of(app.post_json("/api/auth/password/reset/confirm",
            &json!({"token": token, "new_password": "password123"})).await).await;
        assert_eq!(status, 422);
        assert!(body["error"]["details"]["fields"]["new_password"].is_string());
        let (status, _) = json_of(app.post_json("/api/auth/password/reset/confirm",
            &json!({"token": "forged-token", "new_password": "a brand new passphrase"})).await).await;
        assert_eq!(status, 400);
        let res = app.post_json("/api/auth/password/reset/confirm",
            &json!({"token": token, "new_password": "a brand new passphrase"})).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get_as(&user.access_token, "/api/auth/profile").await.status(), 401);
        let (status, _) = json_of(app.post_json("/api/auth/password/reset/confirm",
            &json!({"token": token, "new_password": "yet another passphrase"})).await).await;
        assert_eq!(status, 400, "single use");
        let fresh = app.login("yara", "a brand new passphrase").await;
        let (_, profile) = json_of(app.get_as(&fresh.access_token, "/api/auth/profile").await).await;
        assert_eq!(profile["email_verified"], true, "following the mailed link proves the address");
    }

    async fn admin_can_mail_a_reset_link(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let admin = app.admin().await;
        let user = app.user("zane").await;
        app.wait_for_mails(1).await;
        let res = app.send_as(&admin.access_token, Method::POST,
            &format!("/api/admin/users/{}/reset-password", user.id), None).await;
        assert_eq!(res.status(), 202);
        let mails = app.wait_for_mails(2).await;
        // Both mails may carry the same second in their outbox names: find it by content.
        assert!(mails.iter().any(|m| link_token(m, "reset-password").is_some()));
        let res = app.send_as(&user.access_token, Method::POST,
            &format!("/api/admin/users/{}/reset-password", admin.id), None).await;
        assert_eq!(res.status(), 403);
    }

    async fn two_factor_login_with_totp_and_recovery_codes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let user = app.user("tess").await;
        let (status, setup) = json_of(app.send_as(&user.access_token, Method::POST, "/api/auth/2fa/setup", None).await).await;
        assert_eq!(status, 200);
        let secret = setup["secret"].as_str().unwrap().to_owned();
        assert!(setup["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"));
        assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
        let stored = app.db.scalar("SELECT COUNT(*) FROM users WHERE totp_secret_enc LIKE 'v1:%'").await;
        assert_eq!(stored, 1, "the secret is stored encrypted");
        let (status, _) = json_of(app.send_as(&user.access_token, Method::POST, "/api/auth/2fa/enable",
            Some(json!({"code": "000000"}))).await).await;
        assert_eq!(status, 422);
        let (status, codes) = json_of(app.send_as(&user.access_token, Method::POST, "/api/auth/2fa/enable",
            Some(json!({"code": totp_code(&secret, 0)}))).await).await;
        assert_eq!(status, 200);
        let codes: Vec<String> = codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
        assert_eq!(codes.len(), 10);

        // The password alone no longer logs in.
        let (status, challenge) = json_of(app.post_json("/api/auth/login", &json!({"username": "tess", "password": PASSWORD})).await).await;
        assert_eq!(status, 200);
        assert_eq!(challenge["two_factor_required"], true);
        assert!(challenge.get("access_token").is_none());
        let challenge = challenge["challenge_token"].as_str().unwrap().to_owned();
        let second = |challenge: String, code: String| {
            app.client.post(app.url("/api/auth/login/2fa"))
                .json(&json!({"challenge_token": challenge, "code": code}))
                .send()
        };
        let fresh = || async {
            let (_, c) = json_of(app.post_json("/api/auth/login", &json!({"username": "tess", "password": PASSWORD})).await).await;
            c["challenge_token"].as_str().unwrap().to_owned()
        };
        assert_eq!(second(challenge.clone(), "123456".to_owned()).await.unwrap().status(), 401);
        let next = totp_code(&secret, 1);
        let (status, tokens) = json_of(second(challenge.clone(), next.clone()).await.unwrap()).await;
        assert_eq!(status, 200);
        assert!(tokens["access_token"].is_string());
        // A challenge works once: not again with another valid code, which stays unspent.
        assert_eq!(second(challenge.clone(), codes[0].clone()).await.unwrap().status(), 401, "a challenge works once");
        let challenge = fresh().await;
        assert_eq!(second(challenge.clone(), next).await.unwrap().status(), 401, "a code works once");
        assert_eq!(second(challenge.clone(), codes[0].to_uppercase()).await.unwrap().status(), 200, "recovery codes work");
        assert_eq!(second(fresh().await, codes[0].clone()).await.unwrap().status(), 401, "once");
        // Two second steps at once on one challenge, each with a valid code: one session.
        let c = fresh().await;
        let (a, b) = tokio::join!(second(c.clone(), codes[2].clone()), second(c.clone(), codes[3].clone()));
        let statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        let (status, _) = json_of(app.post_json("/api/auth/login/2fa",
            &json!({"challenge_token": "forged", "code": codes[1]})).await).await;
        assert_eq!(status, 401);

        let access = tokens["access_token"].as_str().unwrap();
        let (status, _) = json_of(app.send_as(access, Method::POST, "/api/auth/2fa/disable",
            Some(json!({"password": "wrong password here", "code": codes[1]}))).await).await;
        assert_eq!(status, 422);
        let res = app.send_as(access, Method::POST, "/api/auth/2fa/disable",
            Some(json!({"password": PASSWORD, "code": codes[1]}))).await;
        assert_eq!(res.status(), 204);
        app.login("tess", PASSWORD).await;
    }

    async fn avatars_are_reencoded_and_private(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let ursula = app.user("ursula").await;
        let victor = app.user("victor").await;
        let upload = |token: String, bytes: Vec<u8>, mime: &'static str| {
            let part = reqwest::multipart::Part::bytes(bytes).file_name("a.bin").mime_str(mime).unwrap();
            app.client.post(app.url("/api/auth/avatar")).bearer_auth(token)
                .multipart(reqwest::multipart::Form::new().part("file", part)).send()
        };
        let (status, user) = json_of(upload(ursula.access_token.clone(), png(900, 600), "image/png").await.unwrap()).await;
        assert_eq!(status, 200, "{user}");
        let url = user["avatar_url"].as_str().unwrap().to_owned();
        let res = app.get_as(&ursula.access_token, &url).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((img.width(), img.height()), (512, 512));
        // Victor has none and cannot reach Ursula's.
        assert_eq!(app.get_as(&victor.access_token, &url).await.status(), 404);
        assert_eq!(app.get(&url).await.status(), 401);

        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec();
        let (status, _) = json_of(upload(victor.access_token.clone(), svg, "image/svg+xml").await.unwrap()).await;
        assert_eq!(status, 415);
        let mut big = png(8, 8);
        big.resize(6 * 1024 * 1024, 0);
        let (status, body) = json_of(upload(victor.access_token.clone(), big, "image/png").await.unwrap()).await;
        assert_eq!(status, 413, "{body}");
        let mut broken = png(50, 50);
        broken.truncate(60);
        let (status, _) = json_of(upload(victor.access_token.clone(), broken, "image/png").await.unwrap()).await;
        assert_eq!(status, 422);
        let files = std::fs::read_dir(app.db.data_dir.join("avatars")).unwrap().count();
        assert_eq!(files, 1, "only the re-encoded avatar is stored");
    }
}

#[tokio::test]
async fn mail_goes_through_smtp_when_configured() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.mail.smtp_host = Some("127.0.0.1".to_owned());
        c.mail.smtp_port = sink.port;
        c.mail.smtp_tls = llm_manager::config::SmtpTls::None;
        c.public_url = Some(url::Url::parse("https://llm.example.com").unwrap());
    })
    .await;
    app.post_json(
        "/api/auth/register",
        &json!({"username": "sally", "email": "sally@example.com", "password": PASSWORD}),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mail = loop {
        if let Some(m) = sink.mails.lock().unwrap().first().cloned() {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail reached the SMTP sink"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let text = unfold_mail(&mail);
    assert!(text.contains("To: sally@example.com"));
    assert!(
        text.contains("https://llm.example.com/verify-email?token="),
        "{text}"
    );
    assert!(app.outbox().is_empty());
}
