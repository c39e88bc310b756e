//! The download manager against a fake hub: downloads verified and registered, pause and
//! resume fetching only what is missing, cancel cleaning up, cut bodies and 5xx retried, a
//! changed remote file restarted cleanly, a wrong checksum failing, the disk check, the same
//! file asked for twice at once shared, and a restart resuming.

use fake_hub::FakeHub;
use serde_json::json;

use crate::helpers::TestApp;
use crate::hub::{
    MIB, act, app_with_hub, gguf, local_models, settled, sha256, start, start_hf, task, wait_until,
};
use crate::on_both_databases;

const REPO: &str = "acme/Tiny-GGUF";
const Q4: &str = "tiny.Q4_K_M.gguf";

/// A hub with one repository: a 40 MiB Q4_K_M (three segments) and a small Q8_0.
async fn hub() -> (FakeHub, Vec<u8>) {
    let hub = FakeHub::start().await.unwrap();
    let q4 = gguf("Tiny", 15, 40 * MIB);
    hub.add_repo(
        REPO,
        1000,
        &[
            (Q4, q4.clone()),
            ("tiny.Q8_0.gguf", gguf("Tiny", 7, 2 * MIB)),
        ],
    );
    (hub, q4)
}

fn stored(app: &TestApp, name: &str) -> std::path::PathBuf {
    app.state.config.models.dir.join(name)
}

on_both_databases! {
    async fn a_download_is_verified_stored_under_our_name_and_registered(backend: Backend) {
        let (hub, q4) = hub().await;
        let (app, admin) = app_with_hub(backend, &hub).await;
        let t = start_hf(&app, &admin, REPO, &[Q4]).await;
        assert_eq!(t["total_bytes"], q4.len());
        let done = settled(&app, &admin, t["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["downloaded_bytes"], q4.len());
        let name = "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf";
        assert_eq!(done["files"][0]["file_name"], name);
        assert_eq!(done["files"][0]["status"], "done");
        assert_eq!(sha256(&std::fs::read(stored(&app, name)).unwrap()), sha256(&q4));
        assert!(!stored(&app, &format!("{name}.part")).exists());
        let models = local_models(&app, &admin).await;
        assert_eq!(models.len(), 1);
        let m = &models[0];
        assert_eq!(m["id"], done["model_id"]);
        assert_eq!((m["source"].as_str(), m["repo"].as_str()), (Some("huggingface"), Some(REPO)));
        assert_eq!((m["architecture"].as_str(), m["quantization"].as_str()), (Some("llama"), Some("Q4_K_M")));
        assert_eq!((m["context_length"].as_u64(), m["chat_template"].as_bool()), (Some(2048), Some(true)));
        assert_eq!((m["format"].as_str(), m["size_bytes"].as_u64()), (Some("gguf"), Some(q4.len() as u64)));
        assert_eq!(m["parameters"], 16 * 4 + 16 * 16);
        // Asking again for what is on disk is refused, naming the model.
        let (status, body) = start(&app, &admin, json!({"source": "huggingface", "repo": REPO, "files": [Q4]})).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("already downloaded"));
    }

    async fn pause_and_resume_fetch_only_what_is_missing(backend: Backend) {
        let (hub, q4) = hub().await;
        hub.throttle(16 * MIB as u64);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let id = start_hf(&app, &admin, REPO, &[Q4]).await["id"].as_str().unwrap().to_owned();
        wait_until(&app, &admin, &id, |t| t["downloaded_bytes"].as_u64() > Some(12 * MIB as u64)).await;
        let (status, paused) = act(&app, &admin, &id, "pause").await;
        assert_eq!((status, paused["status"].as_str()), (200, Some("paused")), "{paused}");
        let kept = paused["downloaded_bytes"].as_u64().unwrap();
        assert!(kept > 0 && kept < q4.len() as u64, "{paused}");
        let part = stored(&app, "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf.part");
        assert!(part.exists(), "the partial file is kept while paused");
        // A paused download stays paused; resuming it twice is refused the second time.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(task(&app, &admin, &id).await["downloaded_bytes"], kept);
        hub.throttle(0);
        let (status, resumed) = act(&app, &admin, &id, "resume").await;
        assert_eq!(status, 200, "{resumed}");
        let done = settled(&app, &admin, &id).await;
        assert_eq!(done["status"], "completed", "{done}");
        let again = hub.bytes_served() - q4.len() as u64;
        assert!(again <= 16 * MIB as u64, "{again} bytes were fetched twice (more than one segment)");
        let (status, _) = act(&app, &admin, &id, "resume").await;
        assert_eq!(status, 409);
    }

    async fn cancel_removes_the_partial_files(backend: Backend) {
        let (hub, _) = hub().await;
        hub.throttle(8 * MIB as u64);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let id = start_hf(&app, &admin, REPO, &[Q4]).await["id"].as_str().unwrap().to_owned();
        wait_until(&app, &admin, &id, |t| t["downloaded_bytes"].as_u64() > Some(MIB as u64)).await;
        let (status, cancelled) = act(&app, &admin, &id, "cancel").await;
        assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "{cancelled}");
        assert!(!stored(&app, "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf.part").exists());
        assert!(local_models(&app, &admin).await.is_empty());
        let (status, _) = act(&app, &admin, &id, "cancel").await;
        assert_eq!(status, 409);
        // A cancelled file may be asked for again.
        hub.throttle(0);
        let again = start_hf(&app, &admin, REPO, &[Q4]).await;
        assert_ne!(again["id"], id);
        assert_eq!(settled(&app, &admin, again["id"].as_str().unwrap()).await["status"], "completed");
    }

    async fn cut_bodies_and_server_errors_are_retried(backend: Backend) {
        let (hub, q4) = hub().await;
        hub.cut_bodies(3, MIB as u64 + 12_345);
        hub.fail_next(2);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let id = start_hf(&app, &admin, REPO, &[Q4]).await["id"].as_str().unwrap().to_owned();
        let done = settled(&app, &admin, &id).await;
        assert_eq!(done["status"], "completed", "{done}");
        let name = "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf";
        assert_eq!(sha256(&std::fs::read(stored(&app, name)).unwrap()), sha256(&q4));
    }

    async fn a_remote_file_that_changes_is_fetched_again_whole(backend: Backend) {
        let (hub, _) = hub().await;
        hub.throttle(16 * MIB as u64);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let id = start_hf(&app, &admin, REPO, &[Q4]).await["id"].as_str().unwrap().to_owned();
        wait_until(&app, &admin, &id, |t| t["downloaded_bytes"].as_u64() > Some(8 * MIB as u64)).await;
        act(&app, &admin, &id, "pause").await;
        // The repository gets a new version of the file (same size, other bytes, new ETag).
        let newer = gguf("Tiny v2", 15, 40 * MIB);
        assert!(hub.replace_file(REPO, Q4, newer.clone()));
        hub.throttle(0);
        act(&app, &admin, &id, "resume").await;
        let done = settled(&app, &admin, &id).await;
        assert_eq!(done["status"], "completed", "{done}");
        let name = "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf";
        let bytes = std::fs::read(stored(&app, name)).unwrap();
        assert_eq!(sha256(&bytes), sha256(&newer), "no splice of the old and new file");
        assert_eq!(done["files"][0]["sha256"], sha256(&newer));
    }

    async fn a_wrong_checksum_fails_and_the_file_is_removed(backend: Backend) {
        let (hub, _) = hub().await;
        assert!(hub.report_wrong_sha(REPO, Q4));
        let (app, admin) = app_with_hub(backend, &hub).await;
        let id = start_hf(&app, &admin, REPO, &[Q4]).await["id"].as_str().unwrap().to_owned();
        let done = settled(&app, &admin, &id).await;
        assert_eq!(done["status"], "failed", "{done}");
        assert!(done["error"].as_str().unwrap().contains("checksum mismatch"), "{done}");
        let name = "huggingface/acme/Tiny-GGUF/tiny.Q4_K_M.gguf";
        assert!(!stored(&app, name).exists() && !stored(&app, &format!("{name}.part")).exists());
        assert!(local_models(&app, &admin).await.is_empty());
    }

    async fn a_download_that_does_not_fit_on_the_disk_is_refused_naming_the_shortfall(backend: Backend) {
        let (hub, _) = hub().await;
        let base = url::Url::parse(&hub.base()).unwrap();
        let app = TestApp::spawn_with(backend, |c| {
            c.models.hf_endpoint = base;
            c.models.free_margin = u64::MAX / 4;
        })
        .await;
        let admin = app.admin().await;
        let (status, body) = start(&app, &admin, json!({"source": "huggingface", "repo": REPO, "files": [Q4]})).await;
        assert_eq!(status, 409, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("not enough disk space") && message.contains("short by"), "{message}");
        let list = app.get_as(&admin.access_token, "/api/downloads").await.json::<serde_json::Value>().await.unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing was stored");
    }

    async fn the_same_file_asked_for_twice_at_once_is_one_download(backend: Backend) {
        let (hub, _) = hub().await;
        hub.throttle(8 * MIB as u64);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let body = json!({"source": "huggingface", "repo": REPO, "files": [Q4]});
        let ((s1, a), (s2, b)) = tokio::join!(start(&app, &admin, body.clone()), start(&app, &admin, body));
        let mut statuses = [s1, s2];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "{a} {b}");
        assert_eq!(a["id"], b["id"]);
        act(&app, &admin, a["id"].as_str().unwrap(), "cancel").await;
    }

    async fn a_restart_resumes_a_running_download(backend: Backend) {
        let (hub, q4) = hub().await;
        hub.throttle(16 * MIB as u64);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let config = app.state.config.clone();
        let id = start_hf(&app, &admin, REPO, &[Q4]).await["id"].as_str().unwrap().to_owned();
        wait_until(&app, &admin, &id, |t| t["downloaded_bytes"].as_u64() > Some(8 * MIB as u64)).await;
        let db = app.stop().await;
        hub.throttle(0);
        let app = TestApp::start(db, config).await;
        let admin = app.login("root", crate::helpers::PASSWORD).await;
        let done = settled(&app, &admin, &id).await;
        assert_eq!(done["status"], "completed", "{done}");
        let again = hub.bytes_served() - q4.len() as u64;
        assert!(again <= 16 * MIB as u64, "{again} bytes were fetched twice");
    }
}
