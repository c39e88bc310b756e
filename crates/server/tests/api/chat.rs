//! Chat: replies stored as they stream, re-attaching, stop, upstream failures, restarts,
//! regenerate and edit, personas, titles, search, share, export, and privacy between users.

use std::time::Duration;

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::llm::add_openai;
use crate::on_both_databases;

/// One server-sent event.
#[derive(Debug, Clone)]
struct Event {
    id: u64,
    name: String,
    data: Value,
}

fn parse_events(text: &str) -> Vec<Event> {
    text.split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|frame| {
            let mut ev = Event {
                id: 0,
                name: String::new(),
                data: Value::Null,
            };
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    ev.id = v.parse().unwrap();
                } else if let Some(v) = line.strip_prefix("event: ") {
                    ev.name = v.to_owned();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    ev.data = serde_json::from_str(v).unwrap();
                }
            }
            ev
        })
        .collect()
}

fn text_of(events: &[Event]) -> String {
    events
        .iter()
        .filter(|e| e.name == "delta")
        .map(|e| e.data["content"].as_str().unwrap().to_owned())
        .collect()
}

/// A user, an admin-made provider on `fake` serving `fake-model`.
pub(crate) async fn setup(
    backend: crate::helpers::Backend,
    config: FakeConfig,
) -> (TestApp, TestUser, FakeLlm) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    add_openai(
        &app,
        &admin,
        "Fake",
        &fake,
        "sk-upstream-0000000000",
        &["fake-model"],
    )
    .await;
    let user = app.user("chloe").await;
    (app, user, fake)
}

pub(crate) async fn post(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.send_as(&user.access_token, Method::POST, path, Some(body))
        .await
}

pub(crate) async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Polls the assistant message until its status is no longer `streaming`.
async fn settled(app: &TestApp, user: &TestUser, session_id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, page) = json_of(
            app.get_as(
                &user.access_token,
                &format!("/api/llm/messages?session_id={session_id}"),
            )
            .await,
        )
        .await;
        let last = page["items"].as_array().unwrap().last().cloned().unwrap();
        if last["status"] != "streaming" || std::time::Instant::now() > deadline {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn slow() -> FakeConfig {
    FakeConfig {
        tokens_per_second: Some(40.0),
        reply: Some("one two three four five six seven eight nine ten eleven twelve".into()),
        ..FakeConfig::default()
    }
}

on_both_databases! {
    async fn a_user_chats_with_the_fox_and_both_messages_are_stored(backend: Backend) {
        let (app, user, fake) = setup(backend, FakeConfig::default()).await;
        let (status, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "hello fox", "persona_id": "fox", "model": "fake-model"})).await).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["assistant_message"]["content"], "Hello! You said: hello fox");
        assert_eq!(body["assistant_message"]["status"], "complete");
        assert_eq!(body["assistant_message"]["persona_id"], "fox");
        assert!(body["assistant_message"]["completion_tokens"].as_i64().unwrap() > 0);
        assert_eq!(body["user_message"]["content"], "hello fox");
        // The fox's system prompt went first.
        let sent = &fake.requests()[0].body;
        assert_eq!(sent["messages"][0]["role"], "system");
        assert!(sent["messages"][0]["content"].as_str().unwrap().contains("Fox"));
        let session_id = body["session_id"].as_str().unwrap();
        // A follow-up carries the history.
        let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "and again", "session_id": session_id})).await).await;
        assert_eq!(status, 200);
        let last = fake.requests().into_iter().rev().find(|r| r.body["stream"] == true).unwrap().body;
        let roles: Vec<&str> = last["messages"].as_array().unwrap().iter().filter_map(|m| m["role"].as_str()).collect();
        assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
        let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/messages?session_id={session_id}")).await).await;
        assert_eq!(page["total"], 4);
        let (_, sessions) = json_of(app.get_as(&user.access_token, "/api/llm/sessions").await).await;
        assert_eq!(sessions["total"], 1);
        assert_eq!(sessions["items"][0]["persona_id"], "fox");
        // One usage event per reply, marked as chat.
        let n = crate::llm::wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE source = 'chat'", 2).await;
        assert!(n >= 2, "{n}");
    }

    async fn streamed_replies_are_numbered_events_and_saved(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let res = post(&app, &user, "/api/llm/chat", json!({"message": "stream me", "model": "fake-model", "stream": true})).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let events = parse_events(&res.text().await.unwrap());
        assert_eq!(events[0].name, "start");
        assert_eq!(events.last().unwrap().name, "done");
        assert!(events.iter().any(|e| e.name == "usage"));
        let ids: Vec<u64> = events.iter().map(|e| e.id).collect();
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
        assert_eq!(text_of(&events), "Hello! You said: stream me");
        let done = &events.last().unwrap().data["message"];
        assert_eq!(done["status"], "complete");
        assert_eq!(done["content"], "Hello! You said: stream me");
        let session_id = events[0].data["session_id"].as_str().unwrap();
        assert_eq!(settled(&app, &user, session_id).await["content"], "Hello! You said: stream me");
    }

    async fn a_client_that_leaves_does_not_stop_the_reply_and_can_reattach(backend: Backend) {
        let (app, user, _fake) = setup(backend, slow()).await;
        let mut res = post(&app, &user, "/api/llm/chat", json!({"message": "x", "model": "fake-model", "stream": true})).await;
        let first = String::from_utf8(res.chunk().await.unwrap().unwrap().to_vec()).unwrap();
        let start = parse_events(&first).into_iter().next().unwrap();
        assert_eq!(start.name, "start");
        drop(res);
        let session_id = start.data["session_id"].as_str().unwrap().to_owned();
        // Re-attach after event 1: the missed events are replayed, then the live ones.
        let res = app.client.get(app.url(&format!("/api/llm/sessions/{session_id}/stream")))
            .bearer_auth(&user.access_token).header("Last-Event-ID", "1").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let events = parse_events(&res.text().await.unwrap());
        assert_eq!(events[0].id, 2);
        assert_eq!(events.last().unwrap().name, "done");
        assert_eq!(text_of(&events), "one two three four five six seven eight nine ten eleven twelve");
        let last = settled(&app, &user, &session_id).await;
        assert_eq!(last["status"], "complete");
        assert_eq!(last["content"], "one two three four five six seven eight nine ten eleven twelve");
        // Nothing running any more: 204.
        let res = app.get_as(&user.access_token, &format!("/api/llm/sessions/{session_id}/stream")).await;
        assert_eq!(res.status(), 204);
    }

    async fn stop_cancels_the_upstream_and_keeps_what_was_written(backend: Backend) {
        let (app, user, fake) = setup(backend, FakeConfig::default()).await;
        fake.script("fake-model", [Behaviour::Endless]);
        let mut res = post(&app, &user, "/api/llm/chat", json!({"message": "go on forever", "model": "fake-model", "stream": true})).await;
        let mut seen = String::new();
        while parse_events(&seen).iter().filter(|e| e.name == "delta").count() < 3 {
            seen.push_str(std::str::from_utf8(&res.chunk().await.unwrap().unwrap()).unwrap());
        }
        let session_id = parse_events(&seen)[0].data["session_id"].as_str().unwrap().to_owned();
        let (status, body) = json_of(post(&app, &user, &format!("/api/llm/sessions/{session_id}/stop"), json!({})).await).await;
        assert_eq!(status, 200);
        assert_eq!(body["stopped"], true);
        let rest = res.text().await.unwrap();
        let events = parse_events(&format!("{seen}{rest}"));
        assert_eq!(events.last().unwrap().name, "done");
        assert_eq!(events.last().unwrap().data["message"]["status"], "cancelled");
        let last = settled(&app, &user, &session_id).await;
        assert_eq!(last["status"], "cancelled");
        assert!(!last["content"].as_str().unwrap().is_empty());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while fake.active_streams() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(fake.active_streams(), 0, "the upstream call was not cancelled");
        let (_, body) = json_of(post(&app, &user, &format!("/api/llm/sessions/{session_id}/stop"), json!({})).await).await;
        assert_eq!(body["stopped"], false);
    }

    async fn an_upstream_that_dies_mid_reply_leaves_an_incomplete_message(backend: Backend) {
        let (app, user, fake) = setup(backend, FakeConfig { reply: Some("alpha beta gamma delta epsilon".into()), ..FakeConfig::default() }).await;
        fake.script("fake-model", [Behaviour::DropMidStream { after_chunks: 2 }]);
        let res = post(&app, &user, "/api/llm/chat", json!({"message": "x", "model": "fake-model", "stream": true})).await;
        let events = parse_events(&res.text().await.unwrap());
        assert_eq!(events.last().unwrap().name, "error");
        assert_eq!(events.last().unwrap().data["code"], "incomplete");
        let session_id = events[0].data["session_id"].as_str().unwrap();
        let last = settled(&app, &user, session_id).await;
        assert_eq!(last["status"], "incomplete");
        assert_eq!(last["content"], "alpha beta");
        // An upstream that refuses outright: the reply is stored as an error.
        fake.script("fake-model", [Behaviour::Status(400)]);
        let (status, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "y", "session_id": session_id})).await).await;
        assert_eq!(status, 200);
        assert_eq!(body["assistant_message"]["status"], "error");
        assert!(body["assistant_message"]["error"].as_str().unwrap().contains("400"));
    }

    async fn a_server_stop_mid_reply_leaves_an_incomplete_message_after_restart(backend: Backend) {
        let (app, user, fake) = setup(backend, FakeConfig::default()).await;
        fake.script("fake-model", [Behaviour::Endless]);
        let mut res = post(&app, &user, "/api/llm/chat", json!({"message": "x", "model": "fake-model", "stream": true})).await;
        let first = String::from_utf8(res.chunk().await.unwrap().unwrap().to_vec()).unwrap();
        let session_id = parse_events(&first)[0].data["session_id"].as_str().unwrap().to_owned();
        // Let some text be saved, then stop the server.
        tokio::time::sleep(Duration::from_millis(700)).await;
        drop(res);
        let db = app.stop().await;
        // A reply left `streaming` by a crash is repaired at the next start too.
        let config = db.config();
        let app = TestApp::start(db, config).await;
        let user = app.login("chloe", crate::helpers::PASSWORD).await;
        let last = settled(&app, &user, &session_id).await;
        assert_eq!(last["status"], "incomplete", "{last}");
        assert!(!last["content"].as_str().unwrap().is_empty(), "{last}");
    }

    async fn regenerate_and_edit_keep_earlier_answers_reachable(backend: Backend) {
        let (app, user, fake) = setup(backend, FakeConfig::default()).await;
        let (_, first) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "first question", "model": "fake-model"})).await).await;
        let session_id = first["session_id"].as_str().unwrap().to_owned();
        fake.set_config(FakeConfig { reply: Some("a second answer".into()), ..FakeConfig::default() });
        let (status, again) = json_of(post(&app, &user, &format!("/api/llm/sessions/{session_id}/regenerate"), json!({})).await).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["assistant_message"]["content"], "a second answer");
        assert_eq!(again["assistant_message"]["parent_id"], first["user_message"]["id"]);
        // The regenerated answer did not see the old one.
        // (Replies stream; the background title request does not.)
        let sent = fake.requests().into_iter().rev().find(|r| r.body["stream"] == true).unwrap().body;
        assert_eq!(sent["messages"].as_array().unwrap().len(), 1, "{sent}");
        let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/messages?session_id={session_id}")).await).await;
        let contents: Vec<&str> = page["items"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
        assert_eq!(contents, vec!["first question", "a second answer"]);
        // Edit the question: a new branch.
        let qid = first["user_message"]["id"].as_str().unwrap();
        let res = app.send_as(&user.access_token, Method::PUT, &format!("/api/llm/messages/{qid}"), Some(json!({"content": "edited question"}))).await;
        let (status, edited) = json_of(res).await;
        assert_eq!(status, 200, "{edited}");
        let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/messages?session_id={session_id}")).await).await;
        let contents: Vec<&str> = page["items"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
        assert_eq!(contents, vec!["edited question", "a second answer"]);
        // All five messages are still stored.
        assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages").await, 5);
    }

    async fn sessions_are_searched_tagged_pinned_renamed_and_titled(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let mut ids = Vec::new();
        for msg in ["tell me about the aardvark", "我想了解一下熊猫的生活习性", "something else entirely"] {
            let (status, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": msg, "model": "fake-model"})).await).await;
            assert_eq!(status, 200);
            ids.push(body["session_id"].as_str().unwrap().to_owned());
        }
        for (q, expected) in [("aardvark", 0usize), ("熊猫的生活", 1), ("ard", 0)] {
            let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/sessions?q={}", urlencode(q))).await).await;
            assert_eq!(page["total"], 1, "{q}: {page}");
            assert_eq!(page["items"][0]["id"], ids[expected].as_str(), "{q}");
        }
        // Tags, pin, rename.
        let res = app.send_as(&user.access_token, Method::PATCH, &format!("/api/llm/sessions/{}", ids[2]),
            Some(json!({"tags": ["work", "zoo"], "pinned": true, "title": "My title"}))).await;
        let (status, s) = json_of(res).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["tags"], json!(["work", "zoo"]));
        let (_, page) = json_of(app.get_as(&user.access_token, "/api/llm/sessions?tag=zoo").await).await;
        assert_eq!(page["total"], 1);
        let (_, page) = json_of(app.get_as(&user.access_token, "/api/llm/sessions").await).await;
        assert_eq!(page["items"][0]["id"], ids[2].as_str(), "pinned first");
        assert_eq!(page["items"][0]["title"], "My title");
        for (body, field) in [(json!({"title": ""}), "title"), (json!({"tags": [""]}), "tags[0]"), (json!({"params": {"temperature": 5}}), "params.temperature")] {
            let res = app.send_as(&user.access_token, Method::PATCH, &format!("/api/llm/sessions/{}", ids[2]), Some(body)).await;
            let (status, err) = json_of(res).await;
            assert_eq!(status, 422);
            assert!(err["error"]["details"]["fields"][field].is_string(), "{err}");
        }
        // A generated title replaces the fallback of the first session (not a renamed one).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (_, s) = json_of(app.get_as(&user.access_token, &format!("/api/llm/sessions/{}", ids[0])).await).await;
            if s["title"] != "tell me about the aardvark" { break; }
            assert!(std::time::Instant::now() < deadline, "no title was generated");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, s) = json_of(app.get_as(&user.access_token, &format!("/api/llm/sessions/{}", ids[2])).await).await;
        assert_eq!(s["title"], "My title");
    }

    async fn share_links_are_public_snapshots_until_revoked_and_exports_download(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let (_, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "share <b>this</b>", "model": "fake-model"})).await).await;
        let sid = body["session_id"].as_str().unwrap();
        let (status, share) = json_of(post(&app, &user, &format!("/api/llm/sessions/{sid}/share"), json!({})).await).await;
        assert_eq!(status, 201);
        let token = share["token"].as_str().unwrap();
        assert!(token.len() >= 22);
        assert!(share["url"].as_str().unwrap().ends_with(&format!("/s/{token}")));
        let (status, snap) = app.get_json(&format!("/api/share/{token}")).await;
        assert_eq!(status, 200);
        assert_eq!(snap["messages"][0]["content"], "share <b>this</b>");
        assert_eq!(snap["messages"].as_array().unwrap().len(), 2);
        assert!(snap["messages"][0].get("id").is_none());
        // The public page is the web UI's route.
        assert_eq!(app.get(&format!("/s/{token}")).await.status(), 200);
        let res = app.send_as(&user.access_token, Method::DELETE, &format!("/api/llm/sessions/{sid}/share"), None).await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.get(&format!("/api/share/{token}")).await.status(), 404);
        // Exports.
        let res = app.get_as(&user.access_token, &format!("/api/llm/sessions/{sid}/export?format=md")).await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\""));
        let md = res.text().await.unwrap();
        assert!(md.contains("## User") && md.contains("share <b>this</b>") && md.contains("Hello! You said"), "{md}");
        let (status, exported) = json_of(app.get_as(&user.access_token, &format!("/api/llm/sessions/{sid}/export?format=json")).await).await;
        assert_eq!(status, 200);
        assert_eq!(exported["messages"].as_array().unwrap().len(), 2);
        let res = app.get_as(&user.access_token, &format!("/api/llm/sessions/{sid}/export?format=pdf")).await;
        assert_eq!(res.status(), 422);
    }

    async fn another_user_reaches_no_session_message_stream_share_or_export(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let (_, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "private aardvark", "model": "fake-model"})).await).await;
        let sid = body["session_id"].as_str().unwrap();
        let mid = body["user_message"]["id"].as_str().unwrap();
        let eve = app.user("eve").await;
        for (method, path, body) in [
            (Method::GET, format!("/api/llm/sessions/{sid}"), None),
            (Method::PATCH, format!("/api/llm/sessions/{sid}"), Some(json!({"title": "mine"}))),
            (Method::DELETE, format!("/api/llm/sessions/{sid}"), None),
            (Method::GET, format!("/api/llm/messages?session_id={sid}"), None),
            (Method::PUT, format!("/api/llm/messages/{mid}"), Some(json!({"content": "hijack"}))),
            (Method::POST, format!("/api/llm/sessions/{sid}/stop"), Some(json!({}))),
            (Method::POST, format!("/api/llm/sessions/{sid}/regenerate"), Some(json!({}))),
            (Method::GET, format!("/api/llm/sessions/{sid}/stream"), None),
            (Method::POST, format!("/api/llm/sessions/{sid}/share"), Some(json!({}))),
            (Method::DELETE, format!("/api/llm/sessions/{sid}/share"), None),
            (Method::GET, format!("/api/llm/sessions/{sid}/export?format=md"), None),
            (Method::POST, "/api/llm/chat".to_owned(), Some(json!({"message": "in yours", "session_id": sid}))),
        ] {
            let res = app.send_as(&eve.access_token, method.clone(), &path, body).await;
            assert_eq!(res.status(), 404, "{method} {path}");
            let text = res.text().await.unwrap();
            assert!(!text.contains("aardvark"), "{method} {path}: {text}");
        }
        let (_, page) = json_of(app.get_as(&eve.access_token, "/api/llm/sessions?q=aardvark").await).await;
        assert_eq!(page["total"], 0);
        assert_eq!(app.get("/api/llm/sessions").await.status(), 401);
        // Still all there for the owner.
        let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/messages?session_id={sid}")).await).await;
        assert_eq!(page["total"], 2);
    }

    async fn bad_chat_input_is_named(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        for (body, field) in [
            (json!({"message": "  "}), "message"),
            (json!({"message": "x", "persona_id": "unicorn"}), "persona_id"),
            (json!({"message": "x", "model": "no-such-model"}), "model"),
        ] {
            let (status, err) = json_of(post(&app, &user, "/api/llm/chat", body.clone()).await).await;
            assert_eq!(status, 422, "{body}: {err}");
            assert!(err["error"]["details"]["fields"][field].is_string(), "{err}");
        }
        let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "x", "colour": "red"})).await).await;
        assert_eq!(status, 422);
        // Without a model the first available one is used.
        let (status, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "pick one"})).await).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["assistant_message"]["model"], "fake-model");
    }

    async fn personas_are_built_in_shared_or_own(backend: Backend) {
        let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
        let (_, list) = json_of(app.get_as(&user.access_token, "/api/llm/personas").await).await;
        let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["fox", "dog", "snake", "emotion"]);
        assert_eq!(list["items"][0]["name"], "Fox");
        let res = app.client.get(app.url("/api/llm/personas")).bearer_auth(&user.access_token).header("Accept-Language", "zh-CN,zh;q=0.9").send().await.unwrap();
        let (_, zh) = json_of(res).await;
        assert_eq!(zh["items"][0]["name"], "狐狸");
        let (status, own) = json_of(post(&app, &user, "/api/llm/personas", json!({"name": "Owl", "system_prompt": "You are a wise owl.", "avatar": "🦉"})).await).await;
        assert_eq!(status, 201, "{own}");
        assert_eq!(own["kind"], "own");
        let (status, _) = json_of(post(&app, &user, "/api/llm/personas", json!({"name": "Pub", "system_prompt": "x", "shared": true})).await).await;
        assert_eq!(status, 403);
        let res = app.send_as(&user.access_token, Method::PUT, "/api/llm/personas/fox", Some(json!({"name": "F", "system_prompt": "x"}))).await;
        assert_eq!(res.status(), 403);
        // Another user neither sees nor changes it, nor chats with it.
        let other = app.user("oscar").await;
        let oid = own["id"].as_str().unwrap();
        let (_, theirs) = json_of(app.get_as(&other.access_token, "/api/llm/personas").await).await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 4);
        let res = app.send_as(&other.access_token, Method::PUT, &format!("/api/llm/personas/{oid}"), Some(json!({"name": "Mine", "system_prompt": "x"}))).await;
        assert_eq!(res.status(), 404);
        let res = app.send_as(&other.access_token, Method::DELETE, &format!("/api/llm/personas/{oid}"), None).await;
        assert_eq!(res.status(), 404);
        let (status, _) = json_of(post(&app, &other, "/api/llm/chat", json!({"message": "x", "persona_id": oid})).await).await;
        assert_eq!(status, 422);
        // An admin publishes one: everyone sees it.
        let admin = app.login("root", crate::helpers::PASSWORD).await;
        let (status, shared) = json_of(post(&app, &admin, "/api/llm/personas", json!({"name": "Guide", "system_prompt": "You guide.", "shared": true})).await).await;
        assert_eq!(status, 201);
        assert_eq!(shared["kind"], "shared");
        let (_, theirs) = json_of(app.get_as(&other.access_token, "/api/llm/personas").await).await;
        assert_eq!(theirs["items"].as_array().unwrap().len(), 5);
        // The owner chats with their own persona; its prompt goes first.
        let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "hoot", "persona_id": oid, "model": "fake-model"})).await).await;
        assert_eq!(status, 200);
        let res = app.send_as(&user.access_token, Method::DELETE, &format!("/api/llm/personas/{oid}"), None).await;
        assert_eq!(res.status(), 204);
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

mod websocket {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    use super::*;

    async fn next_json(
        ws: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Value {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap()
            {
                WsMessage::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                _ => continue,
            }
        }
    }

    on_both_databases! {
        async fn the_websocket_streams_replies_and_stops_them(backend: Backend) {
            let (app, user, fake) = setup(backend, FakeConfig::default()).await;
            let url = format!("ws://{}/api/llm/ws?token={}", app.addr, user.access_token);
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            ws.send(WsMessage::Text(json!({"type": "message", "message": "hi over ws", "model": "fake-model", "persona_id": "dog"}).to_string().into())).await.unwrap();
            let start = next_json(&mut ws).await;
            assert_eq!(start["type"], "start");
            assert_eq!(start["id"], 1);
            let mut text = String::new();
            let done = loop {
                let f = next_json(&mut ws).await;
                match f["type"].as_str().unwrap() {
                    "delta" => text.push_str(f["content"].as_str().unwrap()),
                    "usage" => {}
                    "done" => break f,
                    other => panic!("unexpected {other}: {f}"),
                }
            };
            assert_eq!(text, "Hello! You said: hi over ws");
            assert_eq!(done["message"]["status"], "complete");
            // Stop over the socket (once the background title request is out of the way, so
            // that the scripted endless stream goes to the reply).
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while fake.request_count() < 2 && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            fake.script("fake-model", [Behaviour::Endless]);
            let sid = start["session_id"].as_str().unwrap();
            ws.send(WsMessage::Text(json!({"type": "message", "message": "forever", "session_id": sid}).to_string().into())).await.unwrap();
            assert_eq!(next_json(&mut ws).await["type"], "start");
            assert_eq!(next_json(&mut ws).await["type"], "delta");
            ws.send(WsMessage::Text(json!({"type": "stop", "session_id": sid}).to_string().into())).await.unwrap();
            let end = loop {
                let f = next_json(&mut ws).await;
                if f["type"] == "done" { break f; }
            };
            assert_eq!(end["message"]["status"], "cancelled");
            // A bad frame gets an error frame, not a closed socket.
            ws.send(WsMessage::Text("{nope".into())).await.unwrap();
            assert_eq!(next_json(&mut ws).await["type"], "error");
            // Another user's session: refused like over HTTP.
            let eve = app.user("eve").await;
            let url = format!("ws://{}/api/llm/ws?token={}", app.addr, eve.access_token);
            let (mut ws2, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            ws2.send(WsMessage::Text(json!({"type": "stop", "session_id": sid}).to_string().into())).await.unwrap();
            let err = next_json(&mut ws2).await;
            assert_eq!(err["code"], "not_found", "{err}");
        }

        async fn the_websocket_needs_credentials_and_refuses_foreign_origins(backend: Backend) {
            let (app, _user, _fake) = setup(backend, FakeConfig::default()).await;
            let url = format!("ws://{}/api/llm/ws", app.addr);
            assert!(tokio_tungstenite::connect_async(url.clone()).await.is_err());
            let res = app.client.post(app.url("/api/auth/login"))
                .json(&json!({"username": "chloe", "password": crate::helpers::PASSWORD, "use_cookie": true}))
                .send().await.unwrap();
            let cookie = res.headers().get_all("set-cookie").iter()
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
                .find(|c| c.starts_with("llmm_session=")).unwrap();
            let mut req = url.clone().into_client_request().unwrap();
            req.headers_mut().insert("cookie", cookie.parse().unwrap());
            req.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
            assert!(tokio_tungstenite::connect_async(req).await.is_err(), "a foreign origin must not ride the cookie");
            let mut req = url.into_client_request().unwrap();
            req.headers_mut().insert("cookie", cookie.parse().unwrap());
            req.headers_mut().insert("origin", format!("http://{}", app.addr).parse().unwrap());
            assert!(tokio_tungstenite::connect_async(req).await.is_ok());
        }
    }
}

mod guests {
    use super::*;

    on_both_databases! {
        async fn guests_chat_only_when_allowed_within_limits_and_nothing_is_stored(backend: Backend) {
            let (app, _user, fake) = setup(backend, FakeConfig::default()).await;
            let chat = json!({"message": "hi as a guest", "history": [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "earlier answer"}], "persona_id": "snake"});
            let (status, info) = app.get_json("/api/llm/guest").await;
            assert_eq!(status, 200);
            assert_eq!(info["enabled"], false);
            let res = app.post_json("/api/llm/guest/chat", &chat).await;
            assert_eq!(res.status(), 403);
            // Only admins switch it on.
            let user = app.login("chloe", crate::helpers::PASSWORD).await;
            let settings = json!({"enabled": true, "model": "fake-model", "requests_per_hour": 2, "max_message_chars": 100});
            let res = app.send_as(&user.access_token, Method::PUT, "/api/admin/guest-chat", Some(settings.clone())).await;
            assert_eq!(res.status(), 403);
            let admin = app.login("root", crate::helpers::PASSWORD).await;
            let res = app.send_as(&admin.access_token, Method::PUT, "/api/admin/guest-chat", Some(json!({"enabled": true, "model": null, "requests_per_hour": 2, "max_message_chars": 100}))).await;
            assert_eq!(res.status(), 422);
            let res = app.send_as(&admin.access_token, Method::PUT, "/api/admin/guest-chat", Some(settings)).await;
            assert_eq!(res.status(), 200);
            let (_, info) = app.get_json("/api/llm/guest").await;
            assert_eq!(info["enabled"], true);
            assert_eq!(info["model"], "fake-model");
            let res = app.post_json("/api/llm/guest/chat", &chat).await;
            assert_eq!(res.status(), 200);
            let events = parse_events(&res.text().await.unwrap());
            assert_eq!(text_of(&events), "Hello! You said: hi as a guest");
            assert_eq!(events.last().unwrap().name, "done");
            // The page's history and the snake's prompt went upstream.
            let sent = fake.requests().last().unwrap().body.clone();
            let roles: Vec<&str> = sent["messages"].as_array().unwrap().iter().filter_map(|m| m["role"].as_str()).collect();
            assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
            // Nothing stored.
            assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_sessions").await, 0);
            assert_eq!(app.db.scalar("SELECT COUNT(*) FROM chat_messages").await, 0);
            // Limits: message size, persona kind, requests per hour.
            let res = app.post_json("/api/llm/guest/chat", &json!({"message": "x".repeat(101)})).await;
            assert_eq!(res.status(), 422);
            let res = app.post_json("/api/llm/guest/chat", &json!({"message": "x"})).await;
            assert_eq!(res.status(), 200);
            res.text().await.unwrap();
            let res = app.post_json("/api/llm/guest/chat", &json!({"message": "x"})).await;
            assert_eq!(res.status(), 429);
            assert!(res.headers().contains_key("retry-after"));
            let n = crate::llm::wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE source = 'guest'", 2).await;
            assert_eq!(n, 2);
        }
    }
}

mod statistics {
    use super::*;

    on_both_databases! {
        async fn statistics_exports_and_the_admin_message_list(backend: Backend) {
            let (app, user, _fake) = setup(backend, FakeConfig { prompt_tokens: Some(7), completion_tokens: Some(5), ..FakeConfig::default() }).await;
            for msg in ["first", "second"] {
                let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": msg, "model": "fake-model"})).await).await;
                assert_eq!(status, 200);
            }
            let (status, stats) = json_of(app.get_as(&user.access_token, "/api/llm/statistics").await).await;
            assert_eq!(status, 200);
            assert_eq!(stats["sessions"], 2);
            assert_eq!(stats["messages"], 4);
            assert_eq!(stats["by_model"]["fake-model"]["replies"], 2);
            assert_eq!(stats["by_model"]["fake-model"]["prompt_tokens"], 14);
            let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
            assert_eq!(stats["by_day"][&today]["completion_tokens"], 10);
            // Another user's statistics are their own.
            let other = app.user("olive").await;
            let (_, theirs) = json_of(app.get_as(&other.access_token, "/api/llm/statistics").await).await;
            assert_eq!(theirs["sessions"], 0);
            let res = app.get_as(&user.access_token, "/api/llm/export").await;
            assert_eq!(res.status(), 200);
            assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
            let all: Value = res.json().await.unwrap();
            assert_eq!(all["sessions"].as_array().unwrap().len(), 2);
            let (_, theirs) = json_of(app.get_as(&other.access_token, "/api/llm/export").await).await;
            assert_eq!(theirs["sessions"], json!([]));
            // Admins see everyone's messages, filtered; users may not.
            assert_eq!(app.get_as(&user.access_token, "/api/admin/messages").await.status(), 403);
            let admin = app.login("root", crate::helpers::PASSWORD).await;
            let (status, page) = json_of(app.get_as(&admin.access_token, &format!("/api/admin/messages?user_id={}&role=user&q=sec", user.id)).await).await;
            assert_eq!(status, 200, "{page}");
            assert_eq!(page["total"], 1);
            assert_eq!(page["items"][0]["content"], "second");
            let (status, _) = json_of(app.get_as(&admin.access_token, "/api/admin/messages?role=wizard").await).await;
            assert_eq!(status, 422);
        }
    }
}

mod images {
    use super::*;

    const READING: &str = r#"{"emotions":{"happy":0.8,"sad":0.02,"angry":0.01,"fearful":0.01,"surprised":0.1,"disgusted":0.01,"neutral":0.05},"dominant":"happy","face_detected":true,"objects":["cake"]}"#;

    async fn upload_png(app: &TestApp, user: &TestUser) -> String {
        let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 120, 40]));
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("face.png")
            .mime_str("image/png")
            .unwrap();
        let res = app
            .client
            .post(app.url("/api/files"))
            .bearer_auth(&user.access_token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    on_both_databases! {
        async fn a_photo_goes_to_the_vision_model_and_the_emotion_reading_is_checked(backend: Backend) {
            let (app, user, fake) = setup(backend, FakeConfig { reply: Some(READING.into()), ..FakeConfig::default() }).await;
            let image = upload_png(&app, &user).await;
            let (status, body) = json_of(post(&app, &user, "/api/llm/chat", json!({
                "message": "how does this person feel?", "persona_id": "emotion", "model": "fake-model", "image_ids": [image],
            })).await).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["user_message"]["image_ids"], json!([image]));
            let reply = &body["assistant_message"];
            assert_eq!(reply["status"], "complete", "{reply}");
            let reading: Value = serde_json::from_str(reply["content"].as_str().unwrap()).unwrap();
            assert_eq!(reading["dominant"], "happy");
            // The upstream got the image as an image part and the JSON-schema mode.
            let sent = fake.requests().into_iter().rev().find(|r| r.body["stream"] == true).unwrap().body;
            let parts = sent["messages"].as_array().unwrap().last().unwrap()["content"].clone();
            let image_part = parts.as_array().unwrap().iter().find(|p| p["type"] == "image_url").unwrap();
            assert!(image_part["image_url"]["url"].as_str().unwrap().starts_with("data:image/png;base64,"));
            assert_eq!(sent["response_format"]["type"], "json_schema");
            assert_eq!(sent["response_format"]["json_schema"]["schema"]["properties"]["dominant"]["enum"].as_array().unwrap().len(), 7);
            // An answer that breaks the schema is stored as an error, with the reason.
            fake.set_config(FakeConfig { reply: Some("{\"mood\": \"great\"}".into()), ..FakeConfig::default() });
            let sid = body["session_id"].as_str().unwrap();
            let (_, again) = json_of(post(&app, &user, &format!("/api/llm/sessions/{sid}/regenerate"), json!({})).await).await;
            assert_eq!(again["assistant_message"]["status"], "error", "{again}");
            assert!(again["assistant_message"]["error"].as_str().unwrap().contains("schema"));
            // Someone else's image cannot be attached.
            let other = app.user("otis").await;
            let (status, err) = json_of(post(&app, &other, "/api/llm/chat", json!({"message": "x", "model": "fake-model", "image_ids": [image]})).await).await;
            assert_eq!(status, 422, "{err}");
            assert!(err["error"]["details"]["fields"]["image_ids[0]"].is_string());
        }
    }
}

mod title_model {
    use super::*;

    on_both_databases! {
        async fn titles_come_from_the_configured_title_model(backend: Backend) {
            let app = TestApp::spawn_with(backend, |c| c.chat_title_model = Some("title-model".into())).await;
            let admin = app.admin().await;
            let fake = FakeLlm::start_with(FakeConfig { models: vec![], ..FakeConfig::default() }, "127.0.0.1:0".parse().unwrap()).await.unwrap();
            add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model", "title-model"]).await;
            let user = app.user("tina").await;
            let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "name this", "model": "fake-model"})).await).await;
            assert_eq!(status, 200);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !fake.requests().iter().any(|r| r.body["model"] == "title-model") {
                assert!(std::time::Instant::now() < deadline, "no title request to title-model");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

mod crash {
    use super::*;

    on_both_databases! {
        async fn replies_left_streaming_by_a_crash_are_marked_incomplete_at_start(backend: Backend) {
            let (app, user, _fake) = setup(backend, FakeConfig::default()).await;
            let (_, body) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "x", "model": "fake-model"})).await).await;
            let sid = body["session_id"].as_str().unwrap().to_owned();
            let db = app.stop().await;
            // As if the process had died mid-reply: the row still says `streaming`.
            db.execute("UPDATE chat_messages SET status = 'streaming' WHERE role = 'assistant'").await;
            let config = db.config();
            let app = TestApp::start(db, config).await;
            let user = app.login("chloe", crate::helpers::PASSWORD).await;
            let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/messages?session_id={sid}")).await).await;
            let last = page["items"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(last["status"], "incomplete", "{last}");
            assert!(last["error"].as_str().unwrap().contains("server stopped"));
        }
    }
}

mod context {
    use super::*;

    on_both_databases! {
        async fn history_is_trimmed_to_the_providers_context_window(backend: Backend) {
            let app = TestApp::spawn(backend).await;
            let admin = app.admin().await;
            let fake = FakeLlm::start().await.unwrap();
            crate::llm::add_shared(&app, &admin, json!({
                "name": "Small window", "kind": "openai_compatible", "base_url": fake.openai_base(),
                "api_key": "sk-upstream-0000000000", "models": ["fake-model"],
                "default_params": {"context_window": 2000},
            })).await;
            let user = app.user("wendy").await;
            let long = "alpha ".repeat(700);
            let (_, first) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": long, "model": "fake-model"})).await).await;
            let sid = first["session_id"].as_str().unwrap();
            let (status, _) = json_of(post(&app, &user, "/api/llm/chat", json!({"message": "short question", "session_id": sid})).await).await;
            assert_eq!(status, 200);
            let sent = fake.requests().into_iter().rev().find(|r| r.body["stream"] == true).unwrap().body;
            let contents: Vec<String> = sent["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap_or_default().to_owned()).collect();
            assert_eq!(contents.last().unwrap(), "short question");
            assert!(!contents.iter().any(|c| c.starts_with("alpha alpha")), "the oldest turn should have been dropped: {} messages", contents.len());
            // The stored conversation keeps everything.
            let (_, page) = json_of(app.get_as(&user.access_token, &format!("/api/llm/messages?session_id={sid}")).await).await;
            assert_eq!(page["total"], 4);
        }
    }
}
