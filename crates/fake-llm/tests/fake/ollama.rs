//! Ollama wire format: `/api/chat` NDJSON streaming by default, plain answers, tool calls,
//! errors, embeddings and tags.

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use serde_json::{Value, json};

use crate::support::{parse_ndjson, post, read_to_end};

fn chat(text: &str) -> Value {
    json!({"model": "fake-model", "messages": [
        {"role": "user", "content": text, "images": ["AAAA", "BBBB"]},
    ]})
}

#[tokio::test]
async fn chat_streams_ndjson_when_stream_is_absent() {
    let fake = FakeLlm::start().await.unwrap();

    let response = post(&fake, "/api/chat", &chat("hi there")).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let (text, broken) = read_to_end(response).await;
    assert!(!broken);
    let lines = parse_ndjson(&text);
    let (last, partial) = lines.split_last().unwrap();
    assert_eq!(partial.len(), 5);
    for line in partial {
        assert_eq!(line["done"], false);
        assert_eq!(line["model"], "fake-model");
        assert!(line["created_at"].is_string());
        assert_eq!(line["message"]["role"], "assistant");
    }
    let joined: String = lines
        .iter()
        .filter_map(|l| l["message"]["content"].as_str())
        .collect();
    assert_eq!(joined, "Hello! You said: hi there");
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop");
    assert_eq!(last["message"]["content"], "");
    // 2 words + 2 images.
    assert_eq!(last["prompt_eval_count"], 172);
    assert_eq!(last["eval_count"], 5);
    assert!(last["total_duration"].is_u64());
}

#[tokio::test]
async fn chat_with_stream_false_is_one_done_object() {
    let fake = FakeLlm::start().await.unwrap();
    let mut body = chat("x");
    body["stream"] = json!(false);

    let response = post(&fake, "/api/chat", &body).await;

    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: Value = response.json().await.unwrap();
    assert_eq!(v["done"], true);
    assert_eq!(v["message"]["content"], "Hello! You said: x");
}

#[tokio::test]
async fn tool_call_goes_in_message_tool_calls() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script(
        "fake-model",
        [Behaviour::ToolCall {
            name: "add".into(),
            arguments: json!({"a": 1, "b": 2}),
        }],
    );

    let (text, _) = read_to_end(post(&fake, "/api/chat", &chat("x")).await).await;

    let lines = parse_ndjson(&text);
    assert_eq!(
        lines[0]["message"]["tool_calls"],
        json!([{"function": {"name": "add", "arguments": {"a": 1, "b": 2}}}])
    );
    assert_eq!(lines.last().unwrap()["done"], true);
}

#[tokio::test]
async fn errors_are_a_plain_error_string() {
    let config = FakeConfig {
        required_key: Some("o-key".into()),
        models: vec!["llama3:latest".into()],
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/api/chat", fake.ollama_base());
    let mut body = chat("x");
    body["stream"] = json!(false);

    let no_key = client.post(&url).json(&body).send().await.unwrap();
    let unknown = client
        .post(&url)
        .bearer_auth("o-key")
        .json(&body)
        .send()
        .await
        .unwrap();
    body["model"] = json!("llama3");
    let untagged = client
        .post(&url)
        .bearer_auth("o-key")
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(no_key.status(), 401);
    assert!(no_key.json::<Value>().await.unwrap()["error"].is_string());
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"error": "model \"fake-model\" not found, try pulling it first"})
    );
    assert_eq!(untagged.status(), 200, "llama3 means llama3:latest");
}

#[tokio::test]
async fn embed_and_tags() {
    let fake = FakeLlm::start().await.unwrap();

    let embed: Value = post(
        &fake,
        "/api/embed",
        &json!({"model": "fake-embed", "input": ["a b", "c"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let tags: Value = reqwest::get(format!("{}/api/tags", fake.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(embed["model"], "fake-embed");
    assert_eq!(embed["embeddings"].as_array().unwrap().len(), 2);
    assert_eq!(embed["embeddings"][0].as_array().unwrap().len(), 8);
    assert_eq!(embed["prompt_eval_count"], 3);
    let first = &tags["models"][0];
    assert_eq!(first["name"], "fake-model");
    assert_eq!(first["model"], "fake-model");
    assert_eq!(first["digest"].as_str().unwrap().len(), 64);
    assert!(first["details"]["family"].is_string());
}
