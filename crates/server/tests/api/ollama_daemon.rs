//! Pulls through an Ollama daemon (`OLLAMA_HOST`, the fake hub's daemon in front of its
//! registry): the daemon's models listed, a pull with live progress that pauses and resumes
//! where the daemon stopped, a model the registry lacks failing with the daemon's reason, the
//! same pull asked twice shared, and a clear 409 when no daemon is configured.

use fake_hub::FakeHub;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestUser};
use crate::hub::{MIB, act, app_with_hub, gguf, settled, start, wait_until};
use crate::on_both_databases;

async fn app_with_daemon(backend: Backend, hub: &FakeHub) -> (TestApp, TestUser) {
    let base = url::Url::parse(&hub.base()).unwrap();
    let app = TestApp::spawn_with(backend, |c| {
        c.models.ollama_registry = base.clone();
        c.models.ollama_host = Some(base.clone());
    })
    .await;
    let admin = app.admin().await;
    (app, admin)
}

async fn daemon_models(app: &TestApp, admin: &TestUser) -> (u16, Value) {
    let res = app.get_as(&admin.access_token, "/api/models/ollama").await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

on_both_databases! {
    async fn a_pull_through_the_daemon_shows_progress_pauses_resumes_and_lists_the_model(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        hub.add_ollama("tiny:q4", gguf("Tiny", 15, 4 * MIB), "{{ .Prompt }}", "{}");
        hub.add_ollama("other:1b", gguf("Other", 7, 4096), "", "{}");
        hub.daemon_holds("other:1b");
        // Twenty steps per layer of 4 MiB at 2 MiB/s: about two seconds for the model layer.
        hub.throttle(2 * MIB as u64);
        let (app, admin) = app_with_daemon(backend, &hub).await;
        let (status, before) = daemon_models(&app, &admin).await;
        assert_eq!(status, 200, "{before}");
        assert_eq!(before["host"], format!("{}/", hub.base()));
        let names: Vec<&str> = before["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["other:1b"]);
        assert_eq!(before["items"][0]["quantization"], "Q4_1");

        let (status, t) = start(&app, &admin, json!({"source": "ollama_daemon", "model": "tiny:q4"})).await;
        assert_eq!(status, 201, "{t}");
        assert_eq!(t["label"], "tiny:q4 (Ollama daemon)");
        let id = t["id"].as_str().unwrap().to_owned();
        let (again, same) = start(&app, &admin, json!({"source": "ollama_daemon", "model": "tiny:q4"})).await;
        assert_eq!((again, same["id"].as_str()), (200, Some(id.as_str())), "{same}");

        let moving = wait_until(&app, &admin, &id, |t| t["downloaded_bytes"].as_u64() > Some(MIB as u64)).await;
        assert!(moving["total_bytes"].as_u64() >= Some(4 * MIB as u64), "{moving}");
        let (status, paused) = act(&app, &admin, &id, "pause").await;
        assert_eq!((status, paused["status"].as_str()), (200, Some("paused")), "{paused}");
        let kept = paused["downloaded_bytes"].as_u64().unwrap();
        assert!(kept < paused["total_bytes"].as_u64().unwrap(), "{paused}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (_, listed) = daemon_models(&app, &admin).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "not pulled while paused");

        let (status, resumed) = act(&app, &admin, &id, "resume").await;
        assert_eq!(status, 200, "{resumed}");
        // The daemon resumes its layer where it stopped: the progress never drops below it.
        let done = wait_until(&app, &admin, &id, |t| {
            assert!(t["downloaded_bytes"].as_u64() >= Some(kept), "{t} after {kept}");
            t["status"] != "downloading" && t["status"] != "pending"
        })
        .await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["downloaded_bytes"], done["total_bytes"]);
        assert!(done["model_id"].is_null(), "the daemon keeps the files");
        let (_, after) = daemon_models(&app, &admin).await;
        let mut names: Vec<&str> = after["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        names.sort_unstable();
        assert_eq!(names, ["other:1b", "tiny:q4"]);
    }

    async fn a_model_the_registry_lacks_fails_with_the_daemons_reason(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let (app, admin) = app_with_daemon(backend, &hub).await;
        let (status, t) = start(&app, &admin, json!({"source": "ollama_daemon", "model": "nothing:1b"})).await;
        assert_eq!(status, 201, "{t}");
        let done = settled(&app, &admin, t["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "failed", "{done}");
        assert!(done["error"].as_str().unwrap().contains("file does not exist"), "{done}");
        let (status, bad) = start(&app, &admin, json!({"source": "ollama_daemon", "model": "../Etc:x"})).await;
        assert_eq!(status, 422, "{bad}");
        assert!(bad["error"]["message"].as_str().unwrap().contains("name:tag"), "{bad}");
    }

    async fn without_a_daemon_the_endpoints_say_how_to_configure_one(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let (app, admin) = app_with_hub(backend, &hub).await;
        let (status, body) = daemon_models(&app, &admin).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("OLLAMA_HOST"), "{body}");
        let (status, body) = start(&app, &admin, json!({"source": "ollama_daemon", "model": "tiny:q4"})).await;
        assert_eq!(status, 409, "{body}");
    }
}
