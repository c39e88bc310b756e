//! Scripted behaviours: statuses, connection cuts, garbage, endless and stalled streams, slow
//! heads, tool calls, the per-model queue and pacing.

use std::time::{Duration, Instant};

use fake_llm::{Behaviour, FakeConfig, FakeLlm};
use serde_json::{Value, json};

use crate::support::{
    eventually, openai_chat, parse_ndjson, parse_sse, post, read_to_end, read_until,
};

fn content_chunks(text: &str) -> Vec<String> {
    parse_sse(text)
        .iter()
        .filter_map(|e| e.json())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .filter(|c| !c.is_empty())
        .collect()
}

#[tokio::test]
async fn status_uses_the_error_body_and_429_says_retry_after_zero() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script(
        "fake-model",
        [Behaviour::Status(500), Behaviour::Status(429)],
    );

    let server_error = post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await;
    let limited = post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await;
    let fine = post(&fake, "/v1/chat/completions", &openai_chat("x", false)).await;

    assert_eq!(server_error.status(), 500);
    assert!(server_error.headers().get("retry-after").is_none());
    assert_eq!(
        server_error.json::<Value>().await.unwrap()["error"]["type"],
        "server_error"
    );
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "0");
    assert_eq!(
        limited.json::<Value>().await.unwrap()["error"]["code"],
        "rate_limit_exceeded"
    );
    assert_eq!(fine.status(), 200);
}

#[tokio::test]
async fn script_queues_are_per_model_and_popped_in_order() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        models: vec![],
        ..FakeConfig::default()
    });
    fake.script("a", [Behaviour::Status(500), Behaviour::Status(502)]);
    fake.script("b", [Behaviour::Status(503)]);
    fake.script("a", [Behaviour::Status(504)]);
    let call = |model: &'static str| {
        let fake = &fake;
        async move {
            let body = json!({"model": model, "messages": [{"role": "user", "content": "x"}]});
            post(fake, "/v1/chat/completions", &body)
                .await
                .status()
                .as_u16()
        }
    };

    let statuses = [
        call("a").await,
        call("b").await,
        call("a").await,
        call("b").await,
        call("a").await,
        call("a").await,
    ];

    assert_eq!(statuses, [500, 503, 502, 200, 504, 200]);
}

#[tokio::test]
async fn drop_before_head_closes_the_connection_without_a_response() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script("fake-model", [Behaviour::DropBeforeHead]);

    let result = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.openai_base()))
        .json(&openai_chat("x", false))
        .send()
        .await;

    assert!(result.is_err(), "no response: {result:?}");
    assert_eq!(fake.request_count(), 1, "the request was read and recorded");
}

#[tokio::test]
async fn drop_mid_stream_breaks_the_body_after_n_chunks() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script("fake-model", [Behaviour::DropMidStream { after_chunks: 2 }]);

    let response = post(&fake, "/v1/chat/completions", &openai_chat("a b c d", true)).await;

    assert_eq!(response.status(), 200);
    let (text, broken) = read_to_end(response).await;
    assert!(broken, "the body must end in an error, not cleanly");
    assert_eq!(content_chunks(&text), ["Hello!", " You"]);
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn drop_mid_stream_counts_content_chunks_in_every_format() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script(
        "fake-model",
        [
            Behaviour::DropMidStream { after_chunks: 1 },
            Behaviour::DropMidStream { after_chunks: 3 },
        ],
    );
    let anthropic = crate::support::anthropic_request(
        &fake,
        &json!({"model": "fake-model", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "x"}]}),
    );

    let (anthropic_text, anthropic_broken) = read_to_end(anthropic.send().await.unwrap()).await;
    let ollama = post(
        &fake,
        "/api/chat",
        &json!({"model": "fake-model", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    let (ollama_text, ollama_broken) = read_to_end(ollama).await;

    assert!(anthropic_broken && ollama_broken);
    let deltas = parse_sse(&anthropic_text)
        .iter()
        .filter(|e| e.event.as_deref() == Some("content_block_delta"))
        .count();
    assert_eq!(deltas, 1);
    assert!(!anthropic_text.contains("message_stop"));
    let lines = parse_ndjson(&ollama_text);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["done"] == false));
}

#[tokio::test]
async fn drop_mid_stream_on_a_plain_answer_sends_half_the_body() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script("fake-model", [Behaviour::DropMidStream { after_chunks: 0 }]);

    let response = post(&fake, "/v1/chat/completions", &openai_chat("x", false)).await;

    assert_eq!(response.status(), 200);
    let (text, broken) = read_to_end(response).await;
    assert!(broken);
    assert!(text.starts_with("{\""));
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn malformed_inserts_one_garbage_event_or_an_invalid_body() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script("fake-model", [Behaviour::Malformed, Behaviour::Malformed]);

    let (stream_text, broken) =
        read_to_end(post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await).await;
    let plain = post(&fake, "/v1/chat/completions", &openai_chat("x", false)).await;

    assert!(!broken);
    let events = parse_sse(&stream_text);
    let bad: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].json().is_none() && events[i].data != "[DONE]")
        .collect();
    assert_eq!(
        bad,
        [2],
        "garbage right after the first content chunk (after the role chunk)"
    );
    assert_eq!(events.last().unwrap().data, "[DONE]");
    assert_eq!(plain.status(), 200);
    assert!(serde_json::from_str::<Value>(&plain.text().await.unwrap()).is_err());
}

#[tokio::test]
async fn endless_stream_stops_when_the_client_goes_away() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script("fake-model", [Behaviour::Endless]);

    let mut response = post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await;
    let text = read_until(&mut response, |t| content_chunks(t).len() >= 8).await;
    assert_eq!(fake.active_streams(), 1);
    drop(response);

    assert!(!text.contains("[DONE]"));
    eventually("the endless generator ends", || fake.active_streams() == 0).await;
    assert_eq!(fake.connections(), 1);
}

#[tokio::test]
async fn stall_goes_silent_after_n_chunks_and_ends_with_the_client() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script("fake-model", [Behaviour::Stall { after_chunks: 2 }]);

    let mut response = post(&fake, "/v1/chat/completions", &openai_chat("a b c", true)).await;
    let text = read_until(&mut response, |t| content_chunks(t).len() >= 2).await;
    let silence = tokio::time::timeout(Duration::from_millis(300), response.chunk()).await;

    assert_eq!(content_chunks(&text), ["Hello!", " You"]);
    assert!(silence.is_err(), "nothing more arrives: {silence:?}");
    drop(response);
    eventually("the stalled body is dropped", || fake.active_streams() == 0).await;
}

#[tokio::test]
async fn slow_first_byte_delays_the_head_then_answers() {
    let fake = FakeLlm::start().await.unwrap();
    fake.script(
        "fake-model",
        [Behaviour::SlowFirstByte(Duration::from_millis(150))],
    );
    let started = Instant::now();

    let response = post(&fake, "/v1/chat/completions", &openai_chat("x", false)).await;

    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn tool_call_is_an_openai_tool_calls_message_and_stream() {
    let fake = FakeLlm::start().await.unwrap();
    let call = Behaviour::ToolCall {
        name: "search".into(),
        arguments: json!({"q": "fake"}),
    };
    fake.script("fake-model", [call.clone(), call]);

    let plain: Value = post(&fake, "/v1/chat/completions", &openai_chat("x", false))
        .await
        .json()
        .await
        .unwrap();
    let (text, _) =
        read_to_end(post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await).await;

    let choice = &plain["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert!(choice["message"]["content"].is_null());
    let tool = &choice["message"]["tool_calls"][0];
    assert_eq!(tool["type"], "function");
    assert!(tool["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(tool["function"]["name"], "search");
    assert_eq!(
        serde_json::from_str::<Value>(tool["function"]["arguments"].as_str().unwrap()).unwrap(),
        json!({"q": "fake"})
    );
    let chunks: Vec<Value> = parse_sse(&text).iter().filter_map(|e| e.json()).collect();
    let calls: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .collect();
    assert_eq!(calls[0]["function"]["name"], "search");
    let args: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"q": "fake"})
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn pacing_keeps_chunks_in_order_grouped_by_chunk_words() {
    let fake = FakeLlm::start().await.unwrap();
    fake.set_config(FakeConfig {
        tokens_per_second: Some(2000.0),
        chunk_words: 2,
        reply: Some("one two three four five".into()),
        ..FakeConfig::default()
    });

    let (text, _) =
        read_to_end(post(&fake, "/v1/chat/completions", &openai_chat("x", true)).await).await;

    assert_eq!(content_chunks(&text), ["one two", " three four", " five"]);
}
