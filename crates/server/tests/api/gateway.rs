//! The `/v1` gateway against fake upstreams: OpenAI's shapes for answers, chunks and errors,
//! every wire format, retries and fail-over before the first byte, the circuit breaker,
//! usage events, and refusal of fields that would redirect the call.

use std::time::Duration;

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::llm::{
    add_openai, add_shared, api_key, chat, sse_data, streamed_text, v1, wait_for_count,
};
use crate::on_both_databases;

async fn setup(backend: crate::helpers::Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    let user = app.user("gwen").await;
    let key = api_key(&app, &user, json!({"name": "test"})).await;
    (app, key)
}

on_both_databases! {
    async fn chat_completions_speak_openais_format_for_every_upstream_kind(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start_with(FakeConfig { models: vec![], ..FakeConfig::default() }, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        add_openai(&app, &admin, "OpenAI-compatible", &fake, "sk-oai-upstream-00000000", &["oai-model"]).await;
        add_shared(&app, &admin, json!({"name": "Anthropic", "kind": "anthropic", "base_url": fake.anthropic_base(), "api_key": "sk-ant-upstream-0000000", "models": ["claude-model"]})).await;
        add_shared(&app, &admin, json!({"name": "Gemini", "kind": "gemini", "base_url": fake.gemini_base(), "api_key": "gem-upstream-key-0000000", "models": ["gemini-model"]})).await;
        add_shared(&app, &admin, json!({"name": "Ollama", "kind": "ollama", "base_url": fake.ollama_base(), "models": ["llama-model"]})).await;
        add_shared(&app, &admin, json!({"name": "Azure", "kind": "azure_openai", "base_url": fake.azure_base(), "api_version": "2024-10-21", "api_key": "azure-upstream-key-000", "model_aliases": {"azure-gpt": "my-deployment"}})).await;
        for model in ["oai-model", "claude-model", "gemini-model", "llama-model", "azure-gpt"] {
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat(model, "ping pong", false))).await;
            assert_eq!(res.status(), 200, "{model}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["object"], "chat.completion", "{model}");
            assert_eq!(body["model"], model);
            assert_eq!(body["choices"][0]["message"]["role"], "assistant");
            assert_eq!(body["choices"][0]["message"]["content"], "Hello! You said: ping pong", "{model}");
            assert_eq!(body["choices"][0]["finish_reason"], "stop", "{model}");
            assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() > 0, "{model}");
            assert_eq!(body["usage"]["total_tokens"].as_u64().unwrap(),
                body["usage"]["prompt_tokens"].as_u64().unwrap() + body["usage"]["completion_tokens"].as_u64().unwrap());

            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat(model, "ping pong", true))).await;
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "text/event-stream");
            let frames = sse_data(res).await;
            assert_eq!(frames.last().unwrap(), "[DONE]", "{model}");
            assert_eq!(streamed_text(&frames), "Hello! You said: ping pong", "{model}");
            let usage: Value = serde_json::from_str(&frames[frames.len() - 2]).unwrap();
            assert_eq!(usage["choices"], json!([]), "{model}");
            assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0, "{model}");
            let first: Value = serde_json::from_str(&frames[0]).unwrap();
            assert_eq!(first["object"], "chat.completion.chunk");
            assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
        }
        // Each upstream got its own key in its own header; Azure the deployment in the path.
        let reqs = fake.requests();
        assert!(reqs.iter().any(|r| r.header("x-api-key") == Some("sk-ant-upstream-0000000")));
        assert!(reqs.iter().any(|r| r.header("x-goog-api-key") == Some("gem-upstream-key-0000000")));
        assert!(reqs.iter().any(|r| r.path.starts_with("/openai/deployments/my-deployment/") && r.header("api-key") == Some("azure-upstream-key-000")));
        assert!(reqs.iter().any(|r| r.path == "/api/chat"));
        // OpenAI-style upstreams are asked for usage in streams.
        assert!(reqs.iter().any(|r| r.body["stream_options"]["include_usage"] == json!(true)));
        // One usage event per call, written in the background.
        let n = wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE status = 200", 10).await;
        assert_eq!(n, 10);
        let ttft = app.db.scalar("SELECT COUNT(*) FROM usage_events WHERE stream AND ttft_ms IS NOT NULL").await;
        assert_eq!(ttft, 5);
    }

    async fn models_and_embeddings_follow_openai(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model", "fake-embed"]).await;
        add_shared(&app, &admin, json!({"name": "Gem", "kind": "gemini", "base_url": fake.gemini_base(), "api_key": "g-key-00000000000", "model_aliases": {"gem-embed": "fake-embed"}})).await;
        let models: Value = v1(&app, &key, Method::GET, "/v1/models", None).await.json().await.unwrap();
        assert_eq!(models["object"], "list");
        let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec!["fake-embed", "fake-model", "gem-embed"]);
        let one: Value = v1(&app, &key, Method::GET, "/v1/models/fake-model", None).await.json().await.unwrap();
        assert_eq!(one["id"], "fake-model");
        assert_eq!(v1(&app, &key, Method::GET, "/v1/models/nope", None).await.status(), 404);
        for model in ["fake-embed", "gem-embed"] {
            let res = v1(&app, &key, Method::POST, "/v1/embeddings", Some(json!({"model": model, "input": ["a", "b c"]}))).await;
            assert_eq!(res.status(), 200, "{model}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["object"], "list");
            assert_eq!(body["data"].as_array().unwrap().len(), 2);
            assert_eq!(body["data"][1]["index"], 1);
            assert_eq!(body["data"][0]["embedding"].as_array().unwrap().len(), 8);
        }
        let res = v1(&app, &key, Method::POST, "/v1/embeddings", Some(json!({"model": "fake-embed", "input": "x", "encoding_format": "base64"}))).await;
        let body: Value = res.json().await.unwrap();
        assert!(body["data"][0]["embedding"].is_string());
    }

    async fn errors_use_openais_shape_and_status(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        let cases = [
            (chat("no-such-model", "x", false), 404, Some("model_not_found")),
            (json!({"model": "fake-model", "messages": [{"role": "user", "content": "x"}], "api_base": "http://evil.example"}), 400, None),
            (json!({"model": "fake-model", "messages": [{"role": "user", "content": "x"}], "base_url": "http://evil.example"}), 400, None),
            (json!({"model": "fake-model", "messages": [{"role": "user", "content": "x"}], "api_key": "sk-other"}), 400, None),
            (json!({"model": "fake-model", "messages": []}), 400, None),
            (json!({"model": "fake-model", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}), 400, None),
        ];
        for (body, status, code) in cases {
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body.clone())).await;
            assert_eq!(res.status(), status, "{body}");
            let err: Value = res.json().await.unwrap();
            assert!(err["error"]["message"].as_str().unwrap().len() > 5, "{err}");
            assert!(err["error"]["type"].is_string());
            if let Some(code) = code {
                assert_eq!(err["error"]["code"], code);
            }
        }
        let res = app.client.post(app.url("/v1/chat/completions")).bearer_auth(&key).body("{nope").send().await.unwrap();
        assert_eq!(res.status(), 400);
        // None of that reached the upstream.
        assert_eq!(fake.request_count(), 0);
        // The upstream's own 400 comes back as 400 with its message (no key, no URL).
        fake.script("fake-model", [Behaviour::Status(400)]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", false))).await;
        assert_eq!(res.status(), 400);
        assert_eq!(fake.request_count(), 1, "a 400 is not retried");
    }

    async fn failures_before_the_first_byte_are_retried_then_fail_over(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let primary = FakeLlm::start().await.unwrap();
        let backup = FakeLlm::start().await.unwrap();
        add_shared(&app, &admin, json!({"name": "Primary", "kind": "openai_compatible", "base_url": primary.openai_base(), "api_key": "sk-primary-000000000", "models": ["fake-model"], "priority": 10})).await;
        add_shared(&app, &admin, json!({"name": "Backup", "kind": "openai_compatible", "base_url": backup.openai_base(), "api_key": "sk-backup-0000000000", "models": ["fake-model"], "priority": 1})).await;
        // 500 on the primary: the backup answers.
        primary.script("fake-model", [Behaviour::Status(500)]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "one", false))).await;
        assert_eq!(res.status(), 200);
        assert_eq!((primary.request_count(), backup.request_count()), (1, 1));
        // A dropped connection and a slow-to-fail stream on the primary: the stream comes from the backup.
        primary.script("fake-model", [Behaviour::DropBeforeHead]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "two", true))).await;
        let frames = sse_data(res).await;
        assert_eq!(streamed_text(&frames), "Hello! You said: two");
        assert_eq!(backup.request_count(), 2);
        // 429 then success on the same channel when it is the only one left: retried with back-off.
        let solo = FakeLlm::start().await.unwrap();
        add_shared(&app, &admin, json!({"name": "Solo", "kind": "openai_compatible", "base_url": solo.openai_base(), "api_key": "sk-solo-000000000000", "models": ["solo-model"]})).await;
        solo.set_config(FakeConfig { models: vec!["solo-model".into()], ..FakeConfig::default() });
        solo.script("solo-model", [Behaviour::Status(429), Behaviour::Status(503)]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("solo-model", "three", false))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(solo.request_count(), 3);
        // Out of attempts: the last error, in OpenAI's shape (429 keeps its status and Retry-After).
        solo.script("solo-model", [Behaviour::Status(429), Behaviour::Status(429), Behaviour::Status(429)]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("solo-model", "four", false))).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "rate_limit_exceeded");
        assert!(!err.to_string().contains("sk-solo"));
        let failed = wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE status = 429", 1).await;
        assert_eq!(failed, 1);
    }

    async fn a_stream_that_breaks_after_it_started_is_not_retried(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        fake.set_config(FakeConfig { reply: Some("one two three four five six".into()), ..FakeConfig::default() });
        fake.script("fake-model", [Behaviour::DropMidStream { after_chunks: 2 }]);
        let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", true))).await;
        assert_eq!(res.status(), 200);
        let frames = sse_data(res).await;
        assert_eq!(fake.request_count(), 1, "no retry once bytes reached the client");
        assert_ne!(frames.last().unwrap(), "[DONE]");
        let last: Value = serde_json::from_str(frames.last().unwrap()).unwrap();
        assert_eq!(last["error"]["type"], "server_error", "{last}");
        assert!(streamed_text(&frames).starts_with("one"));
        let failed = wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE status = 502 AND stream", 1).await;
        assert_eq!(failed, 1);
        // A malformed chunk is reported the same way.
        fake.script("fake-model", [Behaviour::Malformed]);
        let frames = sse_data(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", true))).await).await;
        assert!(frames.last().unwrap().contains("\"error\""));
    }

    async fn a_stalled_stream_ends_at_the_idle_timeout(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.gateway.stream_idle_timeout = Duration::from_secs(1)).await;
        let user = app.user("ivy").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        fake.script("fake-model", [Behaviour::Stall { after_chunks: 1 }]);
        let frames = sse_data(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", true))).await).await;
        let last: Value = serde_json::from_str(frames.last().unwrap()).unwrap();
        assert_eq!(last["error"]["code"], "upstream_timeout", "{last}");
    }

    async fn a_client_that_goes_away_stops_the_upstream_call(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        fake.script("fake-model", [Behaviour::Endless]);
        let mut res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", true))).await;
        // Read a little, then hang up.
        let first = res.chunk().await.unwrap().unwrap();
        assert!(!first.is_empty());
        drop(res);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while fake.active_streams() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(fake.active_streams(), 0, "the upstream stream was not closed");
        let gone = wait_for_count(&app, "SELECT COUNT(*) FROM usage_events WHERE status = 499", 1).await;
        assert_eq!(gone, 1);
    }

    async fn a_failing_channel_rests_while_the_others_serve(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.gateway.retries = 1).await;
        let user = app.user("rita").await;
        let key = api_key(&app, &user, json!({"name": "k"})).await;
        let admin = app.admin().await;
        let bad = FakeLlm::start().await.unwrap();
        let good = FakeLlm::start().await.unwrap();
        add_shared(&app, &admin, json!({"name": "Bad", "kind": "openai_compatible", "base_url": bad.openai_base(), "api_key": "sk-bad-0000000000000", "models": ["fake-model"], "priority": 10})).await;
        add_shared(&app, &admin, json!({"name": "Good", "kind": "openai_compatible", "base_url": good.openai_base(), "api_key": "sk-good-000000000000", "models": ["fake-model"]})).await;
        bad.script("fake-model", std::iter::repeat_n(Behaviour::Status(502), 10));
        for _ in 0..6 {
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", false))).await;
            assert_eq!(res.status(), 200);
        }
        // Three failures open the circuit: later requests go straight to the good channel.
        assert_eq!(bad.request_count(), 3);
        assert_eq!(good.request_count(), 6);
    }

    async fn usage_is_counted_when_the_upstream_reports_none(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start_with(FakeConfig { report_usage: false, ..FakeConfig::default() }, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        let body: Value = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "count these words please", false))).await.json().await.unwrap();
        assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() >= 4, "{body}");
        assert!(body["usage"]["completion_tokens"].as_u64().unwrap() >= 5, "{body}");
    }

    async fn personal_providers_serve_only_their_owner(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.gateway.outbound_allow = vec!["127.0.0.1/32".parse().unwrap()]).await;
        let fake = FakeLlm::start().await.unwrap();
        let owner = app.user("olga").await;
        let other = app.user("otto").await;
        let res = app.send_as(&owner.access_token, Method::POST, "/api/providers", Some(json!({
            "name": "Mine", "kind": "openai_compatible", "base_url": fake.openai_base(), "api_key": "sk-olga-own-key-000000", "models": ["fake-model"],
        }))).await;
        assert_eq!(res.status(), 201);
        let owner_key = api_key(&app, &owner, json!({"name": "k"})).await;
        let other_key = api_key(&app, &other, json!({"name": "k"})).await;
        let res = v1(&app, &owner_key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", false))).await;
        assert_eq!(res.status(), 200);
        assert_eq!(fake.requests()[0].header("authorization"), Some("Bearer sk-olga-own-key-000000"));
        let res = v1(&app, &other_key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", false))).await;
        assert_eq!(res.status(), 404);
        let models: Value = v1(&app, &other_key, Method::GET, "/v1/models", None).await.json().await.unwrap();
        assert_eq!(models["data"], json!([]));
    }
}

on_both_databases! {
    async fn personal_providers_are_guarded_again_at_connection_time(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let fake = FakeLlm::start().await.unwrap();
        let user = app.user("pete").await;
        let own_key = api_key(&app, &user, json!({"name": "k"})).await;
        // Saved while pointing at a public address (no lookup needed)…
        let res = app.send_as(&user.access_token, Method::POST, "/api/providers", Some(json!({
            "name": "Rebound", "kind": "openai_compatible", "base_url": "http://8.8.8.8:9/v1",
            "api_key": "sk-pete-own-key-0000000", "models": ["fake-model"],
        }))).await;
        assert_eq!(res.status(), 201);
        // …then the stored URL turns private (as a DNS rebinding would): every connection is
        // checked again, by literal address and by resolved name.
        for url in [fake.openai_base(), format!("http://localhost:{}/v1", fake.addr().port())] {
            app.db.execute(&format!("UPDATE providers SET base_url = '{url}' WHERE name = 'Rebound'")).await;
            app.state.llm.invalidate();
            let res = v1(&app, &own_key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", false))).await;
            assert_eq!(res.status(), 502, "{url}");
            let err: Value = res.json().await.unwrap();
            assert!(err["error"]["message"].as_str().unwrap().contains("blocked"), "{err}");
        }
        assert_eq!(fake.connections(), 0);
    }
}

on_both_databases! {
    async fn tool_calls_come_back_in_openais_shape(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        add_shared(&app, &admin, json!({"name": "Claude", "kind": "anthropic", "base_url": fake.anthropic_base(), "api_key": "sk-ant-0000000000000", "model_aliases": {"claude-tools": "fake-model"}})).await;
        let tools = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
        for model in ["fake-model", "claude-tools"] {
            let call = Behaviour::ToolCall { name: "get_weather".into(), arguments: json!({"city": "Paris"}) };
            fake.script("fake-model", [call.clone(), call]);
            let mut body = chat(model, "weather in Paris?", false);
            body["tools"] = tools.clone();
            let res: Value = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body.clone())).await.json().await.unwrap();
            let msg = &res["choices"][0]["message"];
            assert_eq!(res["choices"][0]["finish_reason"], "tool_calls", "{model}: {res}");
            assert_eq!(msg["tool_calls"][0]["type"], "function");
            assert_eq!(msg["tool_calls"][0]["function"]["name"], "get_weather");
            let args: Value = serde_json::from_str(msg["tool_calls"][0]["function"]["arguments"].as_str().unwrap()).unwrap();
            assert_eq!(args, json!({"city": "Paris"}), "{model}");
            body["stream"] = json!(true);
            let frames = sse_data(v1(&app, &key, Method::POST, "/v1/chat/completions", Some(body)).await).await;
            let chunks: Vec<Value> = frames.iter().filter(|f| f.as_str() != "[DONE]").map(|f| serde_json::from_str(f).unwrap()).collect();
            let name = chunks.iter().find_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["name"].as_str()).unwrap();
            assert_eq!(name, "get_weather");
            let args: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()).collect();
            assert_eq!(serde_json::from_str::<Value>(&args).unwrap(), json!({"city": "Paris"}), "{model}");
            assert!(chunks.iter().any(|c| c["choices"][0]["finish_reason"] == "tool_calls"), "{model}");
        }
        // The tools went to each upstream in its own format.
        let reqs = fake.requests();
        assert!(reqs.iter().any(|r| r.body["tools"][0]["function"]["name"] == "get_weather"));
        assert!(reqs.iter().any(|r| r.body["tools"][0]["name"] == "get_weather" && r.body["tools"][0]["input_schema"].is_object()));
    }

    async fn usage_events_still_queued_are_written_at_shutdown(backend: Backend) {
        let (app, key) = setup(backend).await;
        let admin = app.admin().await;
        let fake = FakeLlm::start().await.unwrap();
        add_openai(&app, &admin, "Fake", &fake, "sk-upstream-0000000000", &["fake-model"]).await;
        for _ in 0..5 {
            let res = v1(&app, &key, Method::POST, "/v1/chat/completions", Some(chat("fake-model", "x", false))).await;
            assert_eq!(res.status(), 200);
        }
        // Stop at once: the writer may not have flushed yet; shutdown must write what is queued.
        let db = app.stop().await;
        assert_eq!(db.scalar("SELECT COUNT(*) FROM usage_events").await, 5);
    }
}
