//! The model catalog and the local registry: search and file lists of Hugging Face, ModelScope
//! and the Ollama registry (fake hub), GGUF grouped by quantisation with split files together,
//! hostile names refused, gated repositories, Ollama pulls, the registry rescanned at start,
//! import from allowed directories only, delete, and no access for users who are not admins.

use fake_hub::FakeHub;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::hub::{MIB, app_with_hub, gguf, local_models, settled, sha256, start};
use crate::on_both_databases;

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = app.get_as(token, path).await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

on_both_databases! {
    async fn hubs_are_searched_and_gguf_files_grouped_by_quantisation(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let first = gguf("Big", 15, 1000);
        let split_size = first.len() + 500;
        hub.add_repo("acme/Big-GGUF", 50, &[
            ("big-Q4_K_M-00001-of-00002.gguf", first),
            ("big-Q4_K_M-00002-of-00002.gguf", vec![7; 500]),
            ("big.Q8_0.gguf", gguf("Big", 7, 3000)),
            ("README.md", b"# Big".to_vec()),
        ]);
        hub.add_repo("acme/other", 900, &[("model.safetensors", vec![0; 10])]);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let token = &admin.access_token;
        let (status, hits) = get(&app, token, "/api/models/search?source=huggingface&q=big").await;
        assert_eq!(status, 200, "{hits}");
        assert_eq!(hits["items"][0]["id"], "acme/Big-GGUF");
        assert_eq!(hits["items"][0]["gguf"], true);
        let (_, all) = get(&app, token, "/api/models/search?source=huggingface&q=acme&gguf=false").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let (status, files) = get(&app, token, "/api/models/files?source=huggingface&repo=acme/Big-GGUF").await;
        assert_eq!(status, 200, "{files}");
        assert_eq!(files["files"].as_array().unwrap().len(), 4);
        let groups = files["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 2, "{files}");
        assert_eq!(groups[0]["quantization"], "Q4_K_M");
        assert_eq!(groups[0]["size_bytes"], split_size);
        assert_eq!(groups[0]["files"], json!(["big-Q4_K_M-00001-of-00002.gguf", "big-Q4_K_M-00002-of-00002.gguf"]));
        assert_eq!(groups[1]["quantization"], "Q8_0");
        // ModelScope speaks its own API over the same repositories.
        let (status, ms) = get(&app, token, "/api/models/search?source=modelscope&q=big").await;
        assert_eq!((status, ms["items"][0]["id"].as_str()), (200, Some("acme/Big-GGUF")), "{ms}");
        let (status, ms_files) = get(&app, token, "/api/models/files?source=modelscope&repo=acme/Big-GGUF").await;
        assert_eq!((status, ms_files["groups"].as_array().map(Vec::len)), (200, Some(2)), "{ms_files}");
        // Bad input names the problem.
        let (status, e) = get(&app, token, "/api/models/search?source=civitai&q=x").await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(get(&app, token, "/api/models/search?source=huggingface&q=x&limit=0").await.0, 422);
        let (status, e) = get(&app, token, "/api/models/files?source=huggingface&repo=acme/nothing").await;
        assert_eq!(status, 404, "{e}");
        assert_eq!(get(&app, token, "/api/models/files?source=huggingface&repo=../etc").await.0, 400);
    }

    async fn a_split_gguf_is_downloaded_as_one_model(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let (one, two) = (gguf("Big", 15, 3 * MIB), vec![9u8; 2 * MIB]);
        hub.add_repo("acme/Big-GGUF", 50, &[
            ("big-Q4_K_M-00001-of-00002.gguf", one.clone()),
            ("big-Q4_K_M-00002-of-00002.gguf", two.clone()),
        ]);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let (status, t) = start(&app, &admin, json!({"source": "huggingface", "repo": "acme/Big-GGUF",
            "files": ["big-Q4_K_M-00001-of-00002.gguf"]})).await;
        assert_eq!(status, 201, "{t}");
        assert_eq!(t["files"].as_array().unwrap().len(), 2);
        let done = settled(&app, &admin, t["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        let models = local_models(&app, &admin).await;
        assert_eq!(models.len(), 1);
        assert_eq!((models[0]["parts"].as_u64(), models[0]["size_bytes"].as_u64()), (Some(2), Some((one.len() + two.len()) as u64)));
    }

    async fn hostile_names_from_a_hub_or_a_caller_are_refused(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        hub.add_repo("acme/evil", 1, &[("../../evil.gguf", gguf("Evil", 15, 100)), ("a/./b.gguf", vec![1; 10])]);
        let (app, admin) = app_with_hub(backend, &hub).await;
        for (body, what) in [
            (json!({"source": "huggingface", "repo": "acme/evil", "files": ["../../evil.gguf"]}), "file path"),
            (json!({"source": "huggingface", "repo": "acme/evil", "files": ["/etc/passwd"]}), "file path"),
            (json!({"source": "huggingface", "repo": "../evil", "files": ["x.gguf"]}), "repository"),
            (json!({"source": "huggingface", "repo": "acme/evil", "revision": "../main", "files": ["x.gguf"]}), "revision"),
            (json!({"source": "ollama", "model": "../../etc:passwd"}), "Ollama model"),
        ] {
            let (status, e) = start(&app, &admin, body.clone()).await;
            assert_eq!(status, 400, "{body} → {e}");
            assert!(e["error"]["message"].as_str().unwrap().contains(what), "{e}");
        }
        let (status, e) = start(&app, &admin, json!({"source": "huggingface", "repo": "acme/evil", "files": []})).await;
        assert_eq!(status, 400, "{e}");
        let (status, e) = start(&app, &admin, json!({"source": "huggingface", "files": ["x"]})).await;
        assert_eq!(status, 422, "{e}");
        let (status, e) = start(&app, &admin, json!({"source": "huggingface", "repo": "acme/evil", "files": ["x"], "url": "http://x"})).await;
        assert_eq!(status, 422, "unknown fields are refused: {e}");
        assert!(!app.state.config.models.dir.parent().unwrap().join("evil.gguf").exists());
    }

    async fn gated_repositories_need_the_token(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let file = gguf("Gated", 15, MIB);
        hub.add_repo("acme/gated", 1, &[("g.Q4_K_M.gguf", file.clone())]);
        hub.gate("acme/gated", "hf_secret");
        let (app, admin) = app_with_hub(backend, &hub).await;
        let (status, e) = get(&app, &admin.access_token, "/api/models/files?source=huggingface&repo=acme/gated").await;
        assert_eq!(status, 403, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("gated"), "{e}");
        let base = url::Url::parse(&hub.base()).unwrap();
        let app = TestApp::spawn_with(backend, |c| {
            c.models.hf_endpoint = base;
            c.models.hf_token = Some("hf_secret".to_owned().into());
            c.models.free_margin = 1024;
        })
        .await;
        let admin = app.admin().await;
        let (status, t) = start(&app, &admin, json!({"source": "huggingface", "repo": "acme/gated", "files": ["g.Q4_K_M.gguf"]})).await;
        assert_eq!(status, 201, "{t}");
        assert_eq!(settled(&app, &admin, t["id"].as_str().unwrap()).await["status"], "completed");
    }

    async fn ollama_models_are_pulled_from_the_registry(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let model = gguf("Tiny", 15, 3 * MIB);
        hub.add_ollama("tiny:q4", model.clone(), "{{ .Prompt }}", r#"{"stop":["<|end|>"]}"#);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let (status, hits) = get(&app, &admin.access_token, "/api/models/search?source=ollama&q=tiny:q4").await;
        assert_eq!(status, 200, "{hits}");
        assert_eq!(hits["items"][0]["id"], "tiny:q4");
        let (_, none) = get(&app, &admin.access_token, "/api/models/search?source=ollama&q=nothing:1").await;
        assert_eq!(none["items"], json!([]));
        let (status, t) = start(&app, &admin, json!({"source": "ollama", "model": "tiny:q4"})).await;
        assert_eq!(status, 201, "{t}");
        let done = settled(&app, &admin, t["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        let dir = &app.state.config.models.dir;
        let gguf_path = dir.join("ollama/library/tiny/q4.gguf");
        assert_eq!(sha256(&std::fs::read(gguf_path).unwrap()), sha256(&model));
        assert_eq!(std::fs::read_to_string(dir.join("ollama/library/tiny/q4.template")).unwrap(), "{{ .Prompt }}");
        assert!(dir.join("ollama/library/tiny/q4.params.json").exists());
        let models = local_models(&app, &admin).await;
        assert_eq!(models.len(), 1);
        assert_eq!((models[0]["name"].as_str(), models[0]["architecture"].as_str()), (Some("tiny:q4"), Some("llama")));
        assert_eq!(models[0]["size_bytes"], model.len());
    }

    async fn modelscope_downloads_use_the_same_engine(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let file = gguf("Qwen", 7, 5 * MIB);
        hub.add_repo("qwen/Qwen-GGUF", 10, &[("qwen.Q8_0.gguf", file.clone())]);
        let (app, admin) = app_with_hub(backend, &hub).await;
        let (status, t) = start(&app, &admin, json!({"source": "modelscope", "repo": "qwen/Qwen-GGUF", "files": ["qwen.Q8_0.gguf"]})).await;
        assert_eq!(status, 201, "{t}");
        let done = settled(&app, &admin, t["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        let path = app.state.config.models.dir.join("modelscope/qwen/Qwen-GGUF/qwen.Q8_0.gguf");
        assert_eq!(sha256(&std::fs::read(path).unwrap()), sha256(&file));
        assert_eq!(local_models(&app, &admin).await[0]["quantization"], "Q8_0");
    }

    async fn the_registry_is_rescanned_at_start_and_corrupt_files_are_listed_as_invalid(backend: Backend) {
        let db = crate::helpers::TestDatabase::create(backend).await;
        let config = db.config();
        let dir = config.models.dir.clone();
        std::fs::create_dir_all(dir.join("mine")).unwrap();
        std::fs::write(dir.join("mine/hand.gguf"), gguf("Hand", 7, 4096)).unwrap();
        let mut corrupt = gguf("Bad", 7, 4096);
        corrupt[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(dir.join("mine/bad.gguf"), corrupt).unwrap();
        std::fs::write(dir.join("mine/half.gguf.part"), b"partial").unwrap();
        let app = TestApp::start(db, config.clone()).await;
        let admin = app.admin().await;
        let models = local_models(&app, &admin).await;
        let summary: Vec<(String, bool, Option<String>)> = models.iter()
            .map(|m| (m["path"].as_str().unwrap().to_owned(), m["valid"].as_bool().unwrap(), m["quantization"].as_str().map(str::to_owned)))
            .collect();
        assert_eq!(summary, vec![
            ("mine/bad.gguf".to_owned(), false, None),
            ("mine/hand.gguf".to_owned(), true, Some("Q8_0".to_owned())),
        ]);
        assert!(models[0]["error"].as_str().unwrap().contains("not a valid GGUF"));
        std::fs::remove_file(dir.join("mine/bad.gguf")).unwrap();
        let db = app.stop().await;
        let app = TestApp::start(db, config).await;
        let admin = app.login("root", crate::helpers::PASSWORD).await;
        let models = local_models(&app, &admin).await;
        assert_eq!(models.len(), 1, "the removed file is gone from the registry");
        // Delete removes the file from disk.
        let id = models[0]["id"].as_str().unwrap();
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/models/{id}"), None).await;
        assert_eq!(res.status(), 204);
        assert!(!dir.join("mine/hand.gguf").exists());
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/models/{id}"), None).await;
        assert_eq!(res.status(), 404);
    }

    async fn files_are_imported_only_from_allowed_directories(backend: Backend) {
        let outside = tempfile::tempdir().unwrap();
        let allowed = tempfile::tempdir().unwrap();
        std::fs::write(allowed.path().join("ok.gguf"), gguf("Ok", 15, 4096)).unwrap();
        std::fs::write(outside.path().join("no.gguf"), gguf("No", 15, 4096)).unwrap();
        std::os::unix::fs::symlink(outside.path().join("no.gguf"), allowed.path().join("link.gguf")).unwrap();
        let allowed_dir = allowed.path().to_path_buf();
        let app = TestApp::spawn_with(backend, |c| c.models.import_dirs = vec![allowed_dir]).await;
        let admin = app.admin().await;
        let import = |path: String| {
            let app = &app;
            let token = admin.access_token.clone();
            async move {
                let res = app.send_as(&token, Method::POST, "/api/models/import", Some(json!({"path": path}))).await;
                (res.status().as_u16(), res.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, m) = import(allowed.path().join("ok.gguf").display().to_string()).await;
        assert_eq!(status, 201, "{m}");
        assert_eq!((m["source"].as_str(), m["quantization"].as_str()), (Some("import"), Some("Q4_K_M")));
        for bad in [
            outside.path().join("no.gguf").display().to_string(),
            allowed.path().join("link.gguf").display().to_string(),
            format!("{}/../{}/no.gguf", allowed.path().display(), outside.path().file_name().unwrap().to_string_lossy()),
            "relative/ok.gguf".to_owned(),
            allowed.path().join("missing.gguf").display().to_string(),
        ] {
            let (status, e) = import(bad.clone()).await;
            assert_eq!(status, 422, "{bad} → {e}");
        }
        // Deleting an imported model leaves its file alone.
        let res = app.send_as(&admin.access_token, Method::DELETE, &format!("/api/models/{}", m["id"].as_str().unwrap()), None).await;
        assert_eq!(res.status(), 204);
        assert!(allowed.path().join("ok.gguf").exists());
    }

    async fn users_who_are_not_admins_cannot_reach_models_or_downloads(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let (app, admin) = app_with_hub(backend, &hub).await;
        hub.add_repo("acme/t", 1, &[("t.Q4_K_M.gguf", gguf("T", 15, 4096))]);
        let (_, t) = start(&app, &admin, json!({"source": "huggingface", "repo": "acme/t", "files": ["t.Q4_K_M.gguf"]})).await;
        let done = settled(&app, &admin, t["id"].as_str().unwrap()).await;
        let (id, model) = (t["id"].as_str().unwrap(), done["model_id"].as_str().unwrap());
        let user = app.user("mallory").await;
        for (method, path, body) in [
            (Method::GET, "/api/models".to_owned(), None),
            (Method::GET, "/api/models/search?source=huggingface&q=t".to_owned(), None),
            (Method::GET, "/api/models/files?source=huggingface&repo=acme/t".to_owned(), None),
            (Method::GET, "/api/models/ollama".to_owned(), None),
            (Method::POST, "/api/models/import".to_owned(), Some(json!({"path": "/tmp/x.gguf"}))),
            (Method::POST, "/api/models/rescan".to_owned(), None),
            (Method::DELETE, format!("/api/models/{model}"), None),
            (Method::GET, "/api/downloads".to_owned(), None),
            (Method::POST, "/api/downloads".to_owned(), Some(json!({"source": "huggingface", "repo": "acme/t", "files": ["t.Q4_K_M.gguf"]}))),
            (Method::GET, format!("/api/downloads/{id}"), None),
            (Method::GET, "/api/downloads/events".to_owned(), None),
            (Method::POST, format!("/api/downloads/{id}/pause"), None),
            (Method::POST, format!("/api/downloads/{id}/resume"), None),
            (Method::POST, format!("/api/downloads/{id}/cancel"), None),
        ] {
            let res = app.send_as(&user.access_token, method.clone(), &path, body).await;
            assert_eq!(res.status(), 403, "{method} {path}");
        }
        assert_eq!(local_models(&app, &admin).await.len(), 1, "nothing changed");
    }
}

on_both_databases! {
    async fn a_user_given_the_models_permission_manages_models_but_imports_nothing(backend: Backend) {
        let hub = FakeHub::start().await.unwrap();
        let (app, admin) = app_with_hub(backend, &hub).await;
        hub.add_repo("acme/t", 1, &[("t.Q4_K_M.gguf", gguf("T", 15, 4096))]);
        let user = app.user("operator").await;
        let user_id = user.id.to_string();
        let grant = |permissions: Value| {
            let (app, admin, id) = (&app, &admin, user_id.clone());
            async move {
                let res = app
                    .send_as(&admin.access_token, Method::PATCH, &format!("/api/admin/users/{id}"), Some(json!({"permissions": permissions})))
                    .await;
                (res.status().as_u16(), res.json::<Value>().await.unwrap())
            }
        };
        let (status, bad) = grant(json!(["models", "root"])).await;
        assert_eq!(status, 422, "{bad}");
        assert!(bad["error"]["message"].as_str().unwrap().contains("`root` is not a permission"), "{bad}");
        let (status, granted) = grant(json!(["models", "models"])).await;
        assert_eq!((status, granted["permissions"].clone()), (200, json!(["models"])), "{granted}");
        let res = app.get_as(&user.access_token, "/api/auth/profile").await;
        assert_eq!(res.json::<Value>().await.unwrap()["permissions"], json!(["models"]));

        let (status, t) = start(&app, &user, json!({"source": "huggingface", "repo": "acme/t", "files": ["t.Q4_K_M.gguf"]})).await;
        assert_eq!(status, 201, "{t}");
        let done = settled(&app, &user, t["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(local_models(&app, &user).await.len(), 1);
        let res = app.get_as(&user.access_token, "/api/models/search?source=huggingface&q=t").await;
        assert_eq!(res.status(), 200);
        // A path on the server's disk stays for admins.
        let res = app
            .send_as(&user.access_token, Method::POST, "/api/models/import", Some(json!({"path": "/tmp/x.gguf"})))
            .await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("administrators only"));
        // Other admin pages stay closed.
        assert_eq!(app.get_as(&user.access_token, "/api/admin/users").await.status(), 403);

        let (status, revoked) = grant(json!([])).await;
        assert_eq!((status, revoked["permissions"].clone()), (200, json!([])), "{revoked}");
        let res = app.get_as(&user.access_token, "/api/models").await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("`models` permission"));
    }
}
