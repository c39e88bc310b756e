//! `llm-manager rotate-encryption-key` on a real data dir: every stored secret (provider keys,
//! TOTP secrets, OAuth client secrets) moves to the new key, the secrets file gets the new key,
//! the restarted server still decrypts them, and refused runs change nothing.

use std::path::Path;
use std::process::{Output, Stdio};

use fake_llm::{FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use super::live::{ADMIN_PASSWORD, Http, LiveServer, chat, query_strings};
use super::{create_admin, llm_manager, text};

const PROVIDER_KEY: &str = "sk-rotate-provider-key-7c6d5e4f3a2b1c0d";
/// A strong key given on stdin for the rotation with `ENCRYPTION_KEY` configured.
const THIRD_KEY: &str = "9f1c2e7a4b6d8053e1a2c4f6b8d0e2a4c6e8f0b2d4a6c8e0f2a4b6d8e0c2a4f6";
const OAUTH_SECRET: &str = "github-client-secret-0a1b2c3d4e5f6a7b";
/// Every encrypted value in the database, in a stable order.
const ENCRYPTED: &str = "SELECT key_enc FROM provider_keys \
    UNION ALL SELECT totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL \
    UNION ALL SELECT client_secret_enc FROM oauth_providers";

fn rotate(dir: &Path, args: &[&str], envs: &[(&str, &str)], stdin: &str) -> Output {
    use std::io::Write;
    let mut cmd = llm_manager(dir);
    cmd.arg("rotate-encryption-key")
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // The command may exit before reading stdin; a broken pipe is fine then.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

/// `(secret_key, encryption_key)` from `data/secrets.toml`.
fn stored_secrets(dir: &Path) -> (String, String) {
    let file: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("data/secrets.toml")).unwrap()).unwrap();
    let get = |k: &str| file[k].as_str().unwrap().to_owned();
    (get("secret_key"), get("encryption_key"))
}

/// The key id in `v1:<key id>:<data>`.
fn key_id(stored: &str) -> &str {
    let mut parts = stored.splitn(3, ':');
    assert_eq!(parts.next(), Some("v1"), "{stored}");
    parts.next().unwrap()
}

fn totp_code(secret_base32: &str, offset_steps: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .unwrap();
    let totp =
        totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "t".into()).unwrap();
    let t = chrono::Utc::now().timestamp() + offset_steps * 30;
    totp.generate(u64::try_from(t).unwrap())
}

async fn chat_succeeds(http: &mut Http, key: &str) {
    let reply = http
        .call(
            Method::POST,
            "/v1/chat/completions",
            Some(key),
            Some(chat("rotate-model", "ping", false)),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "Hello! You said: ping"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_encryption_key_reencrypts_every_stored_secret() {
    let dir = tempfile::tempdir().unwrap();
    let out = create_admin(dir.path(), "root", ADMIN_PASSWORD);
    assert!(out.status.success(), "{}", text(&out));
    let config = FakeConfig {
        required_key: Some(PROVIDER_KEY.to_owned()),
        models: vec![],
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    // Arrange: a provider key, an OAuth client secret and a TOTP secret, all encrypted.
    let server = LiveServer::start(dir.path(), "before", &[("LOG_FORMAT", "json")]).await;
    let mut http = Http::new(&server);
    let admin = http.login("root", ADMIN_PASSWORD).await;
    let token = Some(admin.as_str());
    let provider = http
        .call(
            Method::POST,
            "/api/admin/providers",
            token,
            Some(json!({
                "name": "Rotated", "kind": "openai_compatible", "base_url": fake.openai_base(),
                "api_key": PROVIDER_KEY, "models": ["rotate-model"],
            })),
        )
        .await;
    assert_eq!(provider.status, 201, "{}", provider.body);
    let provider_id = provider.json()["id"].as_str().unwrap().to_owned();
    let created = http
        .call(Method::POST, "/api/keys", token, Some(json!({"name": "x"})))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let key = created.json()["key"].as_str().unwrap().to_owned();
    chat_succeeds(&mut http, &key).await;
    let oauth = http
        .call(Method::POST, "/api/admin/oauth-providers", token, Some(json!({
            "slug": "github", "kind": "github", "client_id": "cid", "client_secret": OAUTH_SECRET,
        })))
        .await;
    assert_eq!(oauth.status, 201, "{}", oauth.body);
    let setup = http
        .call(Method::POST, "/api/auth/2fa/setup", token, None)
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    let totp_secret = setup.json()["secret"].as_str().unwrap().to_owned();
    let enable = http
        .call(
            Method::POST,
            "/api/auth/2fa/enable",
            token,
            Some(json!({"code": totp_code(&totp_secret, 0)})),
        )
        .await;
    assert_eq!(enable.status, 200, "{}", enable.body);
    let (status, _) = server.stop().await;
    assert!(status.success(), "{status}");

    let (secret_key, old_key) = stored_secrets(dir.path());
    let before = query_strings(dir.path(), ENCRYPTED).await;
    assert_eq!(before.len(), 3, "{before:?}");
    let old_id = key_id(&before[0]).to_owned();
    assert!(before.iter().all(|v| key_id(v) == old_id), "{before:?}");

    // Refused: ENCRYPTION_KEY configured but no new key given; a weak new key.
    let configured = [("ENCRYPTION_KEY", old_key.as_str())];
    let out = rotate(dir.path(), &[], &configured, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ENCRYPTION_KEY is set") && text(&out).contains("--new-key-stdin"),
        "{}",
        text(&out)
    );
    for envs in [&configured[..], &[]] {
        let out = rotate(dir.path(), &["--new-key-stdin"], envs, "changeme\n");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("error: the new key: looks like a placeholder"),
            "{}",
            text(&out)
        );
        assert!(!text(&out).contains(&old_key));
    }
    assert_eq!(
        query_strings(dir.path(), ENCRYPTED).await,
        before,
        "a refused run changes nothing"
    );
    assert_eq!(
        stored_secrets(dir.path()),
        (secret_key.clone(), old_key.clone())
    );

    // Act: rotate to a generated key.
    let out = rotate(dir.path(), &[], &[], "");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);

    // Assert: a new key in the file, the signing key kept, every value under the new key id.
    let (new_secret_key, new_key) = stored_secrets(dir.path());
    assert_eq!(new_secret_key, secret_key, "the token-signing key is kept");
    assert_ne!(new_key, old_key);
    assert!(
        !text(&out).contains(&new_key) && !text(&out).contains(&old_key),
        "{}",
        text(&out)
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/secrets.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The key waited in encryption_key.pending only until secrets.toml had it.
    assert!(!dir.path().join("data/encryption_key.pending").exists());
    let after = query_strings(dir.path(), ENCRYPTED).await;
    assert_eq!(after.len(), 3);
    let new_id = key_id(&after[0]).to_owned();
    assert_ne!(new_id, old_id);
    for (old, new) in before.iter().zip(&after) {
        assert_ne!(old, new);
        assert!(new.starts_with(&format!("v1:{new_id}:")), "{new}");
    }
    assert!(
        stdout.contains(&format!(
            "re-encrypted 1 provider key(s), 1 2FA secret(s), 1 OAuth client secret(s) with key {new_id} (0 already current)"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("secrets.toml"), "{stdout}");

    // The restarted server decrypts everything with the new key.
    let server = LiveServer::start(dir.path(), "after", &[("LOG_FORMAT", "json")]).await;
    let mut http = Http::new(&server);
    let login = json!({"username": "root", "password": ADMIN_PASSWORD});
    let challenge = http
        .call(Method::POST, "/api/auth/login", None, Some(login))
        .await;
    assert_eq!(
        challenge.json()["two_factor_required"],
        true,
        "{}",
        challenge.body
    );
    let second = json!({
        "challenge_token": challenge.json()["challenge_token"], "code": totp_code(&totp_secret, 1),
    });
    let tokens = http
        .call(Method::POST, "/api/auth/login/2fa", None, Some(second))
        .await;
    assert_eq!(
        tokens.status, 200,
        "the TOTP secret decrypts: {}",
        tokens.body
    );
    let admin = tokens.json()["access_token"].as_str().unwrap().to_owned();
    chat_succeeds(&mut http, &key).await;
    let test = http
        .call(
            Method::POST,
            &format!("/api/providers/{provider_id}/test"),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(test.status, 200, "{}", test.body);
    assert_eq!(test.json()["ok"], Value::Bool(true), "{}", test.body);
    let (status, logs) = server.stop().await;
    assert!(status.success(), "{status}");
    assert!(
        !logs.contains("decryption failed") && !logs.contains("another key"),
        "{logs}"
    );

    // With ENCRYPTION_KEY configured the new key comes on stdin and the file is left alone.
    let out = rotate(
        dir.path(),
        &["--new-key-stdin"],
        &[("ENCRYPTION_KEY", &new_key)],
        &format!("{THIRD_KEY}\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("now set ENCRYPTION_KEY to the new key"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains(THIRD_KEY));
    assert_eq!(stored_secrets(dir.path()), (secret_key, new_key));
    let third = query_strings(dir.path(), ENCRYPTED).await;
    assert!(
        third
            .iter()
            .all(|v| key_id(v) != new_id && key_id(v) == key_id(&third[0])),
        "{third:?}"
    );
    let server = LiveServer::start(
        dir.path(),
        "third",
        &[("LOG_FORMAT", "json"), ("ENCRYPTION_KEY", THIRD_KEY)],
    )
    .await;
    let mut http = Http::new(&server);
    chat_succeeds(&mut http, &key).await;
    let (status, _) = server.stop().await;
    assert!(status.success(), "{status}");
}
