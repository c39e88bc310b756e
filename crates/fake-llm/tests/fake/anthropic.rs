//! Anthropic Messages wire format: required headers and fields, message bodies, the named-event
//! stream, tool use, cache usage, errors and the model list.

use fake_llm::{Behaviour, FakeConfig, FakeLlm, Format};
use serde_json::{Value, json};

use crate::support::{anthropic_request, parse_sse, read_to_end};

fn message(text: &str, stream: bool) -> Value {
    json!({"model": "fake-model", "max_tokens": 100, "stream": stream,
    "system": "be kind",
    "messages": [{"role": "user", "content": [
        {"type": "text", "text": text},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
    ]}]})
}

#[tokio::test]
async fn message_has_text_content_stop_reason_and_usage() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        cached_tokens: 50,
        ..FakeConfig::default()
    });

    let response = anthropic_request(&fake, &message("hi", false))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let v: Value = response.json().await.unwrap();
    assert_eq!(v["type"], "message");
    assert!(v["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], "fake-model");
    assert_eq!(
        v["content"],
        json!([{"type": "text", "text": "Hello! You said: hi"}])
    );
    assert_eq!(v["stop_reason"], "end_turn");
    assert!(v["stop_sequence"].is_null());
    // "be kind" + "hi" + one image = 88 prompt tokens, 50 of them read from cache.
    assert_eq!(v["usage"]["input_tokens"], 38);
    assert_eq!(v["usage"]["cache_read_input_tokens"], 50);
    assert_eq!(v["usage"]["output_tokens"], 4);
}

#[tokio::test]
async fn stream_sends_the_named_events_in_order() {
    let fake = FakeLlm::start().await.unwrap();

    let response = anthropic_request(&fake, &message("yo", true))
        .send()
        .await
        .unwrap();

    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (text, broken) = read_to_end(response).await;
    assert!(!broken);
    let events = parse_sse(&text);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let data: Vec<Value> = events.iter().map(|e| e.json().unwrap()).collect();
    for (event, value) in events.iter().zip(&data) {
        assert_eq!(
            event.event.as_deref(),
            value["type"].as_str(),
            "type matches the event name"
        );
    }
    assert_eq!(data[0]["message"]["usage"]["input_tokens"], 88);
    let text: String = data
        .iter()
        .filter(|d| d["type"] == "content_block_delta")
        .map(|d| {
            assert_eq!(d["delta"]["type"], "text_delta");
            d["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "Hello! You said: yo");
    assert_eq!(data[8]["delta"]["stop_reason"], "end_turn");
    assert_eq!(data[8]["usage"]["output_tokens"], 4);
}

#[tokio::test]
async fn tool_call_is_a_tool_use_block_streamed_as_input_json_delta() {
    let fake = FakeLlm::start().await.unwrap();
    let call = Behaviour::ToolCall {
        name: "get_weather".into(),
        arguments: json!({"city": "Paris"}),
    };
    fake.script("fake-model", [call.clone(), call]);

    let plain: Value = anthropic_request(&fake, &message("x", false))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (text, _) = read_to_end(
        anthropic_request(&fake, &message("x", true))
            .send()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(plain["stop_reason"], "tool_use");
    let block = &plain["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert!(block["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(block["name"], "get_weather");
    assert_eq!(block["input"], json!({"city": "Paris"}));
    let data: Vec<Value> = parse_sse(&text).iter().map(|e| e.json().unwrap()).collect();
    let start = data
        .iter()
        .find(|d| d["type"] == "content_block_start")
        .unwrap();
    assert_eq!(start["content_block"]["type"], "tool_use");
    assert_eq!(start["content_block"]["name"], "get_weather");
    let json_text: String = data
        .iter()
        .filter(|d| d["delta"]["type"] == "input_json_delta")
        .map(|d| d["delta"]["partial_json"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).unwrap(),
        json!({"city": "Paris"})
    );
    let delta = data.iter().find(|d| d["type"] == "message_delta").unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn missing_version_header_or_max_tokens_is_a_400() {
    let fake = FakeLlm::start().await.unwrap();
    let mut no_max = message("x", false);
    no_max.as_object_mut().unwrap().remove("max_tokens");

    let no_version = reqwest::Client::new()
        .post(format!("{}/v1/messages", fake.url()))
        .json(&message("x", false))
        .send()
        .await
        .unwrap();
    let no_max = anthropic_request(&fake, &no_max).send().await.unwrap();

    assert_eq!(no_version.status(), 400);
    assert_eq!(
        no_version.json::<Value>().await.unwrap()["error"]["type"],
        "invalid_request_error"
    );
    assert_eq!(no_max.status(), 400);
    let error: Value = no_max.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "invalid_request_error");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_tokens")
    );
}

#[tokio::test]
async fn errors_use_anthropic_types_including_529_overloaded() {
    let config = FakeConfig {
        required_key: Some("ant-key".into()),
        ..FakeConfig::default()
    };
    let fake = FakeLlm::start_with(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    fake.script(
        "fake-model",
        [Behaviour::Status(529), Behaviour::Status(429)],
    );

    let no_key = anthropic_request(&fake, &message("x", false))
        .send()
        .await
        .unwrap();
    let bearer = anthropic_request(&fake, &message("x", false))
        .bearer_auth("ant-key")
        .send()
        .await
        .unwrap();
    let overloaded = anthropic_request(&fake, &message("x", false))
        .header("x-api-key", "ant-key")
        .send()
        .await
        .unwrap();
    let limited = anthropic_request(&fake, &message("x", false))
        .header("x-api-key", "ant-key")
        .send()
        .await
        .unwrap();
    let mut unknown = message("x", false);
    unknown["model"] = json!("claude-nope");
    let unknown = anthropic_request(&fake, &unknown)
        .header("x-api-key", "ant-key")
        .send()
        .await
        .unwrap();

    assert_eq!(no_key.status(), 401);
    assert_eq!(
        no_key.json::<Value>().await.unwrap()["error"]["type"],
        "authentication_error"
    );
    assert_eq!(bearer.status(), 401);
    assert_eq!(overloaded.status(), 529);
    assert_eq!(
        overloaded.json::<Value>().await.unwrap()["error"]["type"],
        "overloaded_error"
    );
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "0");
    assert_eq!(
        limited.json::<Value>().await.unwrap()["error"]["type"],
        "rate_limit_error"
    );
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["type"],
        "not_found_error"
    );
}

#[tokio::test]
async fn models_with_anthropic_headers_get_anthropic_shape() {
    let fake = FakeLlm::start().await.unwrap();

    let v: Value = reqwest::Client::new()
        .get(format!("{}/v1/models", fake.anthropic_base()))
        .header("anthropic-version", "2023-06-01")
        .header("x-api-key", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(v["has_more"], false);
    assert_eq!(v["data"][0]["type"], "model");
    assert_eq!(v["data"][0]["id"], "fake-model");
    assert!(v["data"][0]["display_name"].is_string());
    assert!(v["data"][0]["created_at"].is_string());
    assert_eq!(fake.requests()[0].format, Format::Anthropic);
}
