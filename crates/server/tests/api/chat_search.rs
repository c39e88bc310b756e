//! Chat search on both databases: words found in message bodies (not only titles), in English
//! and Chinese, in any case, with `LIKE`'s own characters taken literally; a streaming reply
//! indexed once, when it ends. Statistics summed by the database and the streamed export.

use std::time::Duration;

use fake_llm::FakeConfig;
use serde_json::{Value, json};

use crate::chat::{json_of, post, setup, urlencode};
use crate::helpers::{Backend, TestApp, TestUser};
use crate::on_both_databases;

async fn search(app: &TestApp, user: &TestUser, q: &str) -> Value {
    let path = format!("/api/llm/sessions?q={}", urlencode(q));
    let (status, page) = json_of(app.get_as(&user.access_token, &path).await).await;
    assert_eq!(status, 200, "{q}: {page}");
    page
}

/// A session whose title comes from `first` and whose later message is `body`.
async fn session_with(app: &TestApp, user: &TestUser, first: &str, body: &str) -> String {
    let (status, res) = json_of(
        post(
            app,
            user,
            "/api/llm/chat",
            json!({"message": first, "model": "fake-model"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{res}");
    let id = res["session_id"].as_str().unwrap().to_owned();
    let (status, res) = json_of(
        post(
            app,
            user,
            "/api/llm/chat",
            json!({"message": body, "session_id": id}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{res}");
    id
}

on_both_databases! {
    async fn words_inside_message_bodies_are_found_in_english_and_chinese(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let animals = session_with(&app, &user, "hi", "tell me about the Aardvark please").await;
        let panda = session_with(&app, &user, "你好", "我想了解一下熊猫的生活习性").await;
        let sale = session_with(&app, &user, "hello", "everything is 50%_off today").await;
        for (q, expected) in [
            ("aardvark", &animals), ("AARDVARK", &animals), ("ardv", &animals),
            ("熊猫", &panda), ("熊猫的生活", &panda), ("生活习性", &panda),
            ("%_", &sale), ("50%", &sale),
        ] {
            let page = search(&app, &user, q).await;
            assert_eq!(page["total"], 1, "{q}: {page}");
            assert_eq!(page["items"][0]["id"], expected.as_str(), "{q}");
            let title = page["items"][0]["title"].as_str().unwrap().to_lowercase();
            assert!(!title.contains(&q.to_lowercase()), "{q} was found through the title {title}");
        }
        for q in ["zebra", "熊猫吃", "_x_"] {
            assert_eq!(search(&app, &user, q).await["total"], 0, "{q}");
        }
        // Another user finds nothing of it.
        let other = app.user("olive").await;
        assert_eq!(search(&app, &other, "aardvark").await["total"], 0);
        assert_eq!(search(&app, &other, "熊猫").await["total"], 0);
    }

    async fn a_streaming_reply_is_indexed_once_when_it_ends(backend: Backend) {
        let slow = FakeConfig {
            tokens_per_second: Some(10.0),
            reply: Some("zebra quagga okapi tapir gnu eland kudu oryx ibex yak".into()),
            ..FakeConfig::default()
        };
        let (app, user, _fake) = setup(backend, slow).await;
        let mut res = post(&app, &user, "/api/llm/chat", json!({"message": "x", "model": "fake-model", "stream": true})).await;
        assert_eq!(res.status(), 200);
        // Wait until a progress save has written part of the reply.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while app.db.scalar("SELECT COUNT(*) FROM chat_messages WHERE status = 'streaming' AND content LIKE 'zebra quagga%'").await == 0 {
            assert!(std::time::Instant::now() < deadline, "no progress was saved");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(search(&app, &user, "quagga").await["total"], 0, "a reply still streaming is not searched");
        match backend {
            Backend::Sqlite => assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages_fts").await, 1, "only the question is indexed"),
            Backend::Postgres => assert_eq!(app.db.scalar(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_chat_messages_trgm' AND indexdef LIKE '%WHERE%streaming%'").await, 1),
        }
        while res.chunk().await.unwrap().is_some() {}
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while search(&app, &user, "okapi").await["total"] != 1 {
            assert!(std::time::Instant::now() < deadline, "the finished reply was never indexed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if backend == Backend::Sqlite {
            assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages_fts").await, 2);
            // Deleting the session takes its index rows with it.
            let sid = search(&app, &user, "okapi").await["items"][0]["id"].as_str().unwrap().to_owned();
            let res = app.send_as(&user.access_token, reqwest::Method::DELETE, &format!("/api/llm/sessions/{sid}"), None).await;
            assert!(res.status().is_success());
            assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages_fts").await, 0);
        }
    }
}

on_both_databases! {
    async fn the_export_streams_every_session_with_its_own_messages_past_one_batch(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        // More sessions than the export reads at once (100).
        for i in 0..103 {
            let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": format!("question {i}"), "model": "fake-model"})).await).await;
            assert_eq!(status, 200);
        }
        let other = app.user("olive").await;
        let (status, _) = json_of(post(&app, &other, "/api/llm/chat", json!({"message": "not yours", "model": "fake-model"})).await).await;
        assert_eq!(status, 200);
        let res = app.get_as(&user.access_token, "/api/llm/export").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        let all: Value = res.json().await.unwrap();
        let sessions = all["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 103);
        let mut seen = std::collections::HashSet::new();
        for (i, s) in sessions.iter().enumerate() {
            let id = s["session"]["id"].as_str().unwrap();
            assert!(seen.insert(id.to_owned()), "session {id} twice");
            let messages = s["messages"].as_array().unwrap();
            assert_eq!(messages.len(), 2, "{s}");
            assert!(messages.iter().all(|m| m["session_id"] == id));
            assert_eq!(messages[0]["content"], format!("question {i}"), "oldest first");
        }
        assert_eq!(all["user"]["id"], user.id.as_str());
        assert!(all["personas"].is_array());
        assert!(!all.to_string().contains("not yours"));
    }
}
