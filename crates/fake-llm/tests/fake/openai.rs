//! OpenAI and Azure wire format: chat completions (plain and streamed), usage chunks, keys,
//! unknown models, embeddings and the model list.

use base64::Engine as _;
use fake_llm::{FakeConfig, FakeLlm, Format};
use serde_json::{Value, json};

use crate::support::{openai_chat, parse_sse, post, read_to_end};

#[tokio::test]
async fn chat_completion_echoes_the_last_user_message_with_usage() {
    let fake = FakeLlm::start().await.unwrap();
    let body = json!({"model": "fake-model", "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "hi there"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
    ]});

    let response = post(&fake, "/v1/chat/completions", &body).await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: Value = response.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(v["model"], "fake-model");
    assert!(v["created"].is_u64());
    let choice = &v["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "Hello! You said: hi there");
    assert_eq!(choice["finish_reason"], "stop");
    // "be brief" + "hi there" = 4 words, plus 85 for the image.
    assert_eq!(v["usage"]["prompt_tokens"], 89);
    assert_eq!(v["usage"]["completion_tokens"], 5);
    assert_eq!(v["usage"]["total_tokens"], 94);
    assert_eq!(v["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

#[tokio::test]
async fn stream_sends_role_chunk_words_finish_and_done() {
    let fake = FakeLlm::start().await.unwrap();

    let response = post(&fake, "/v1/chat/completions", &openai_chat("one two", true)).await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (text, broken) = read_to_end(response).await;
    assert!(!broken);
    let events = parse_sse(&text);
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events.iter().filter_map(|e| e.json()).collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "Hello! You said: one two");
    // role chunk + 5 words + finish chunk; no usage without include_usage.
    assert_eq!(chunks.len(), 7);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
}

async fn stream_chunks(fake: &FakeLlm, body: Value) -> Vec<Value> {
    let (text, _) = read_to_end(post(fake, "/v1/chat/completions", &body).await).await;
    parse_sse(&text).iter().filter_map(|e| e.json()).collect()
}

#[tokio::test]
async fn include_usage_adds_a_usage_chunk_with_no_choices() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        prompt_tokens: Some(100),
        completion_tokens: Some(7),
        cached_tokens: 40,
        ..FakeConfig::default()
    });
    let mut body = openai_chat("hi", true);
    body["stream_options"] = json!({"include_usage": true});

    let chunks = stream_chunks(&fake, body.clone()).await;

    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 100);
    assert_eq!(last["usage"]["completion_tokens"], 7);
    assert_eq!(last["usage"]["total_tokens"], 107);
    assert_eq!(last["usage"]["prompt_tokens_details"]["cached_tokens"], 40);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null())
    );

    fake.set_config(FakeConfig {
        report_usage: false,
        ..FakeConfig::default()
    });
    let chunks = stream_chunks(&fake, body).await;
    assert!(chunks.iter().all(|c| c["usage"].is_null()));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
}

#[tokio::test]
async fn report_usage_false_omits_usage_from_a_completion() {
    let config = FakeConfig {
        report_usage: false,
        reply: Some("fixed answer".into()),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let v: Value = post(&fake, "/v1/chat/completions", &openai_chat("x", false))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(v["choices"][0]["message"]["content"], "fixed answer");
    assert!(v.get("usage").is_none());
}

#[tokio::test]
async fn max_tokens_cuts_the_reply_with_finish_reason_length() {
    let fake = FakeLlm::start().await.unwrap();
    let mut body = openai_chat("a b c", false);
    body["max_tokens"] = json!(2);

    let v: Value = post(&fake, "/v1/chat/completions", &body)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(v["choices"][0]["message"]["content"], "Hello! You");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
}

#[tokio::test]
async fn required_key_is_a_bearer_token() {
    let config = FakeConfig {
        required_key: Some("sk-right".into()),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("{}/chat/completions", fake.openai_base());
    let client = reqwest::Client::new();

    let wrong = client
        .post(&url)
        .bearer_auth("sk-wrong")
        .json(&openai_chat("x", false))
        .send()
        .await
        .unwrap();
    let right = client
        .post(&url)
        .bearer_auth("sk-right")
        .json(&openai_chat("x", false))
        .send()
        .await
        .unwrap();

    assert_eq!(wrong.status(), 401);
    let error: Value = wrong.json().await.unwrap();
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert_eq!(error["error"]["code"], "invalid_api_key");
    assert!(error["error"]["param"].is_null());
    assert!(error["error"]["message"].is_string());
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn unknown_model_gets_model_not_found() {
    let fake = FakeLlm::start().await.unwrap();
    let mut body = openai_chat("x", false);
    body["model"] = json!("gpt-nope");

    let response = post(&fake, "/v1/chat/completions", &body).await;

    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "model_not_found");
}

#[tokio::test]
async fn embeddings_are_deterministic_and_base64_matches_floats() {
    let fake = FakeLlm::start().await.unwrap();
    let body = json!({"model": "fake-embed", "input": ["hello world", "other"]});

    let a: Value = post(&fake, "/v1/embeddings", &body)
        .await
        .json()
        .await
        .unwrap();
    let b: Value = post(&fake, "/v1/embeddings", &body)
        .await
        .json()
        .await
        .unwrap();
    let mut b64_body = body.clone();
    b64_body["encoding_format"] = json!("base64");
    let c: Value = post(&fake, "/v1/embeddings", &b64_body)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(a["object"], "list");
    assert_eq!(a["data"], b["data"]);
    let first: Vec<f32> = a["data"][0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(first.len(), 8);
    assert_ne!(a["data"][0]["embedding"], a["data"][1]["embedding"]);
    let norm: f32 = first.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    assert_eq!(a["data"][1]["index"], 1);
    assert_eq!(a["usage"]["prompt_tokens"], 3);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(c["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(decoded, first);
}

#[tokio::test]
async fn models_lists_the_configured_models() {
    let fake = FakeLlm::start().await.unwrap();

    let v: Value = reqwest::get(format!("{}/models", fake.openai_base()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(v["object"], "list");
    let ids: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fake-model", "fake-embed"]);
    assert_eq!(v["data"][0]["object"], "model");
    assert!(v["data"][0]["owned_by"].is_string());
    assert_eq!(fake.requests()[0].format, Format::OpenAi);
}

#[tokio::test]
async fn azure_takes_the_deployment_as_model_and_the_api_key_header() {
    let config = FakeConfig {
        required_key: Some("azure-key".into()),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let base = fake.azure_base();
    let chat =
        format!("{base}/openai/deployments/fake-model/chat/completions?api-version=2024-10-21");
    let body = json!({"messages": [{"role": "user", "content": "hey"}]});

    let ok = client
        .post(&chat)
        .header("api-key", "azure-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    let bearer = client
        .post(&chat)
        .bearer_auth("azure-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    let no_version = client
        .post(format!(
            "{base}/openai/deployments/fake-model/chat/completions"
        ))
        .header("api-key", "azure-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    let unknown = client
        .post(format!(
            "{base}/openai/deployments/nope/chat/completions?api-version=1"
        ))
        .header("api-key", "azure-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    let embeddings = client
        .post(format!(
            "{base}/openai/deployments/fake-embed/embeddings?api-version=1"
        ))
        .header("api-key", "azure-key")
        .json(&json!({"input": "x"}))
        .send()
        .await
        .unwrap();

    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["model"], "fake-model");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello! You said: hey"
    );
    assert_eq!(bearer.status(), 401);
    assert_eq!(
        bearer.json::<Value>().await.unwrap()["error"]["code"],
        "401"
    );
    assert_eq!(no_version.status(), 404);
    assert_eq!(
        no_version.json::<Value>().await.unwrap(),
        json!({"error": {"code": "404", "message": "Resource not found"}})
    );
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "DeploymentNotFound"
    );
    assert_eq!(embeddings.status(), 200);
    let recorded = fake.requests();
    assert!(recorded.iter().all(|r| r.format == Format::Azure));
    assert_eq!(recorded[0].model.as_deref(), Some("fake-model"));
    assert_eq!(recorded[0].header("api-key"), Some("azure-key"));
}
