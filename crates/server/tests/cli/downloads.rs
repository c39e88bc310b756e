//! Downloads through the real binary, as the user tries them: `kill -9` of the server in
//! the middle of a download, then a new start that resumes it, finishes it with the right
//! sha256 and fetches at most one segment again; and a disk that fills up mid-download (a small
//! tmpfs in the server's own mount namespace), which pauses the download with the reason until
//! space is freed and it is resumed, again without starting over.

use std::path::Path;
use std::time::Duration;

use fake_hub::{FakeHub, TinyGguf};
use reqwest::Method;
use serde_json::{Value, json};

use super::create_admin_with;
use super::live::{ADMIN_PASSWORD, Http, LiveServer};

const MIB: u64 = 1 << 20;
/// The download manager's segment size.
const SEGMENT: u64 = 16 * MIB;
const REPO: &str = "acme/Tiny-GGUF";
const FILE: &str = "tiny.Q4_K_M.gguf";
const STORED: &str = "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf";

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn hub_with(size: u64) -> (FakeHub, Vec<u8>) {
    let hub = FakeHub::start().await.unwrap();
    let bytes = TinyGguf::model("llama", "Tiny", 15).padded(size as usize);
    hub.add_repo(REPO, 10, &[(FILE, bytes.clone())]);
    (hub, bytes)
}

async fn task(http: &mut Http, token: &str, id: &str) -> Value {
    let reply = http
        .call(
            Method::GET,
            &format!("/api/downloads/{id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

async fn wait_for(http: &mut Http, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let t = task(http, token, id).await;
        if done(&t) {
            return t;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never got there: {t}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_download(http: &mut Http, token: &str) -> String {
    let body = json!({"source": "huggingface", "repo": REPO, "files": [FILE]});
    let reply = http
        .call(Method::POST, "/api/downloads", Some(token), Some(body))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["id"].as_str().unwrap().to_owned()
}

/// A fake hub holding one GGUF of `size` bytes at `throttle` bytes/s per range, a data dir
/// with an admin, and the server's environment.
struct Setup {
    hub: FakeHub,
    bytes: Vec<u8>,
    dir: tempfile::TempDir,
    models: std::path::PathBuf,
    envs: Vec<(&'static str, String)>,
}

impl Setup {
    async fn new(size: u64, throttle: u64) -> Self {
        let (hub, bytes) = hub_with(size).await;
        hub.throttle(throttle);
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("models");
        let envs = vec![
            ("HF_ENDPOINT", hub.base()),
            ("DOWNLOAD_FREE_MARGIN", "1KiB".to_owned()),
            ("MODELS_DIR", models.display().to_string()),
            ("LOG_LEVEL", "info".to_owned()),
        ];
        let setup = Self {
            hub,
            bytes,
            dir,
            models,
            envs,
        };
        let out = create_admin_with(setup.dir.path(), "root", ADMIN_PASSWORD, &setup.envs());
        assert!(out.status.success());
        setup
    }

    fn envs(&self) -> Vec<(&str, &str)> {
        self.envs.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Logs in as the admin: the client and its token.
async fn admin(server: &LiveServer) -> (Http, String) {
    let mut http = Http::new(server);
    let token = http.login("root", ADMIN_PASSWORD).await;
    (http, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_survives_kill_9_and_fetches_at_most_one_segment_again() {
    let size = 96 * MIB;
    let setup = Setup::new(size, 24 * MIB).await;
    let (hub, bytes, dir, models) = (&setup.hub, &setup.bytes, &setup.dir, &setup.models);
    let envs = setup.envs();
    let server = LiveServer::start(dir.path(), "first", &envs).await;
    let (mut http, token) = admin(&server).await;
    let id = start_download(&mut http, &token).await;
    wait_for(&mut http, &token, &id, |t| {
        t["downloaded_bytes"].as_u64() > Some(40 * MIB)
    })
    .await;
    server.kill().await;
    let served_before = hub.bytes_served();
    assert!(served_before < size, "the download was not cut short");

    hub.throttle(0);
    let server = LiveServer::start(dir.path(), "second", &envs).await;
    let (mut http, token) = admin(&server).await;
    let done = wait_for(&mut http, &token, &id, |t| {
        t["status"] != "downloading" && t["status"] != "pending"
    })
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        sha256(&std::fs::read(models.join(STORED)).unwrap()),
        sha256(bytes)
    );
    let again = hub.bytes_served() - size;
    assert!(
        again <= SEGMENT,
        "{again} bytes were fetched twice, more than one segment"
    );
    let models_list = http
        .call(Method::GET, "/api/models", Some(&token), None)
        .await
        .json();
    let m = &models_list["items"][0];
    assert_eq!(
        (m["architecture"].as_str(), m["quantization"].as_str()),
        (Some("llama"), Some("Q4_K_M"))
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_pauses_the_download_and_it_resumes_once_there_is_space() {
    let size = 40 * MIB;
    let setup = Setup::new(size, 8 * MIB).await;
    let (hub, bytes, dir, models) = (&setup.hub, &setup.bytes, &setup.dir, &setup.models);
    let envs = setup.envs();
    let server = LiveServer::start_on_small_disk(dir.path(), "small", &envs, models, "48m").await;
    let (mut http, token) = admin(&server).await;
    let id = start_download(&mut http, &token).await;
    wait_for(&mut http, &token, &id, |t| {
        t["downloaded_bytes"].as_u64() > Some(4 * MIB)
    })
    .await;
    // Something else fills the disk (seen through the server's own mount namespace).
    let filler = Path::new("/proc")
        .join(server.pid().to_string())
        .join("root")
        .join(models.strip_prefix("/").unwrap())
        .join("filler.bin");
    std::fs::write(&filler, vec![1u8; 30 * MIB as usize]).unwrap();
    let paused = wait_for(&mut http, &token, &id, |t| t["status"] != "downloading").await;
    assert_eq!(paused["status"], "paused", "{paused}");
    assert!(
        paused["error"].as_str().unwrap().contains("disk is full"),
        "{paused}"
    );
    let kept = paused["downloaded_bytes"].as_u64().unwrap();
    assert!(kept > 4 * MIB, "progress was kept: {paused}");
    std::fs::remove_file(&filler).unwrap();
    hub.throttle(0);
    let resumed = http
        .call(
            Method::POST,
            &format!("/api/downloads/{id}/resume"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.body);
    let done = wait_for(&mut http, &token, &id, |t| {
        t["status"] != "downloading" && t["status"] != "pending"
    })
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    let stored = Path::new("/proc")
        .join(server.pid().to_string())
        .join("root")
        .join(models.strip_prefix("/").unwrap())
        .join(STORED);
    assert_eq!(sha256(&std::fs::read(stored).unwrap()), sha256(bytes));
    let again = hub.bytes_served() - size;
    assert!(
        again <= SEGMENT,
        "{again} bytes were fetched twice after the disk filled up"
    );
    server.stop().await;
}
