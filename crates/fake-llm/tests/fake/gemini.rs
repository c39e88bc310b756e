//! Gemini wire format: generateContent, the SSE stream, function calls, keys in header or query,
//! errors, embeddings and the model list.

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use serde_json::{Value, json};

use crate::support::{parse_sse, post, read_to_end};

fn request(text: &str) -> Value {
    json!({
        "systemInstruction": {"parts": [{"text": "sys prompt"}]},
        "contents": [{"role": "user", "parts": [
            {"text": text},
            {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
        ]}],
    })
}

#[tokio::test]
async fn generate_content_returns_a_candidate_and_usage_metadata() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        cached_tokens: 3,
        ..FakeConfig::default()
    });

    let response = post(
        &fake,
        "/v1beta/models/fake-model:generateContent",
        &request("hello"),
    )
    .await;

    assert_eq!(response.status(), 200);
    let v: Value = response.json().await.unwrap();
    let candidate = &v["candidates"][0];
    assert_eq!(candidate["content"]["role"], "model");
    assert_eq!(
        candidate["content"]["parts"],
        json!([{"text": "Hello! You said: hello"}])
    );
    assert_eq!(candidate["finishReason"], "STOP");
    assert_eq!(candidate["index"], 0);
    assert_eq!(v["usageMetadata"]["promptTokenCount"], 88);
    assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 4);
    assert_eq!(v["usageMetadata"]["totalTokenCount"], 92);
    assert_eq!(v["usageMetadata"]["cachedContentTokenCount"], 3);
    assert_eq!(v["modelVersion"], "fake-model");
    assert!(v["responseId"].is_string());
    assert_eq!(fake.requests()[0].model.as_deref(), Some("fake-model"));
}

#[tokio::test]
async fn stream_sends_partial_candidates_then_finish_and_usage_without_done() {
    let fake = FakeLlm::start().await.unwrap();

    let response = post(
        &fake,
        "/v1beta/models/fake-model:streamGenerateContent?alt=sse",
        &request("hey"),
    )
    .await;

    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (text, broken) = read_to_end(response).await;
    assert!(!broken);
    assert!(!text.contains("[DONE]"));
    let events: Vec<Value> = parse_sse(&text).iter().map(|e| e.json().unwrap()).collect();
    let (last, partial) = events.split_last().unwrap();
    assert_eq!(partial.len(), 4);
    assert!(
        partial
            .iter()
            .all(|e| e["candidates"][0]["finishReason"].is_null() && e["usageMetadata"].is_null())
    );
    let joined: String = events
        .iter()
        .filter_map(|e| e["candidates"][0]["content"]["parts"][0]["text"].as_str())
        .collect();
    assert_eq!(joined, "Hello! You said: hey");
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(last["usageMetadata"]["candidatesTokenCount"], 4);
}

#[tokio::test]
async fn function_call_part_answers_a_tool_call() {
    let fake = FakeLlm::start().await.unwrap();
    let call = Behaviour::ToolCall {
        name: "lookup".into(),
        arguments: json!({"q": "rust"}),
    };
    fake.script("fake-model", [call.clone(), call]);

    let v: Value = post(
        &fake,
        "/v1beta/models/fake-model:generateContent",
        &request("x"),
    )
    .await
    .json()
    .await
    .unwrap();
    let (text, _) = read_to_end(
        post(
            &fake,
            "/v1beta/models/fake-model:streamGenerateContent?alt=sse",
            &request("x"),
        )
        .await,
    )
    .await;

    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["functionCall"],
        json!({"name": "lookup", "args": {"q": "rust"}})
    );
    let events: Vec<Value> = parse_sse(&text).iter().map(|e| e.json().unwrap()).collect();
    assert_eq!(
        events[0]["candidates"][0]["content"]["parts"][0]["functionCall"]["name"],
        "lookup"
    );
    assert_eq!(
        events.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );
}

#[tokio::test]
async fn key_is_taken_from_header_or_query_and_errors_carry_status_names() {
    let config = FakeConfig {
        required_key: Some("g-key".into()),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!(
        "{}/v1beta/models/fake-model:generateContent",
        fake.gemini_base()
    );
    fake.script(
        "fake-model",
        [Behaviour::Status(429), Behaviour::Status(503)],
    );

    let none = client.post(&url).json(&request("x")).send().await.unwrap();
    let limited = client
        .post(&url)
        .header("x-goog-api-key", "g-key")
        .json(&request("x"))
        .send()
        .await
        .unwrap();
    let unavailable = client
        .post(format!("{url}?key=g-key"))
        .json(&request("x"))
        .send()
        .await
        .unwrap();
    let ok = client
        .post(format!("{url}?key=g-key"))
        .json(&request("x"))
        .send()
        .await
        .unwrap();
    let unknown = client
        .post(format!(
            "{}/v1beta/models/gemini-nope:generateContent?key=g-key",
            fake.url()
        ))
        .json(&request("x"))
        .send()
        .await
        .unwrap();

    assert_eq!(none.status(), 401);
    let error: Value = none.json().await.unwrap();
    assert_eq!(error["error"]["code"], 401);
    assert_eq!(error["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "0");
    assert_eq!(
        limited.json::<Value>().await.unwrap()["error"]["status"],
        "RESOURCE_EXHAUSTED"
    );
    assert_eq!(unavailable.status(), 503);
    assert_eq!(
        unavailable.json::<Value>().await.unwrap()["error"]["status"],
        "UNAVAILABLE"
    );
    assert_eq!(ok.status(), 200);
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["status"],
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn embed_content_and_batch_agree_and_models_list_names_methods() {
    let fake = FakeLlm::start().await.unwrap();
    let content = json!({"parts": [{"text": "embed me"}]});

    let single: Value = post(
        &fake,
        "/v1beta/models/fake-embed:embedContent",
        &json!({"content": content}),
    )
    .await
    .json()
    .await
    .unwrap();
    let batch: Value = post(
        &fake,
        "/v1beta/models/fake-embed:batchEmbedContents",
        &json!({"requests": [
            {"model": "models/fake-embed", "content": content},
            {"model": "models/fake-embed", "content": {"parts": [{"text": "other"}]}, "outputDimensionality": 4},
        ]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let models: Value = reqwest::get(format!("{}/v1beta/models", fake.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(single["embedding"]["values"].as_array().unwrap().len(), 8);
    assert_eq!(
        batch["embeddings"][0]["values"],
        single["embedding"]["values"]
    );
    assert_eq!(
        batch["embeddings"][1]["values"].as_array().unwrap().len(),
        4
    );
    assert_eq!(models["models"][0]["name"], "models/fake-model");
    let methods = models["models"][0]["supportedGenerationMethods"]
        .as_array()
        .unwrap();
    assert!(methods.contains(&json!("generateContent")));
    assert!(
        models["models"][1]["supportedGenerationMethods"]
            .as_array()
            .unwrap()
            .contains(&json!("embedContent"))
    );
}
