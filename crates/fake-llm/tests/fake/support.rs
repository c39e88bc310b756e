//! Helpers: requests, SSE and NDJSON parsing, incremental reading and polling with a deadline.

use std::time::{Duration, Instant};

use fake_llm::FakeLlm;
use serde_json::{Value, json};

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Event {
    pub event: Option<String>,
    pub data: String,
}

impl Event {
    /// The data parsed as JSON (`None` for `[DONE]` or garbage).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }
}

/// Parses an SSE body (LF or CRLF line ends); an unterminated last event is dropped.
pub fn parse_sse(text: &str) -> Vec<Event> {
    let text = text.replace("\r\n", "\n");
    let mut events = Vec::new();
    let mut blocks: Vec<&str> = text.split("\n\n").collect();
    blocks.pop(); // after the last separator: empty or incomplete
    for block in blocks {
        let mut event = None;
        let mut data = Vec::new();
        for line in block.lines() {
            if let Some(name) = line.strip_prefix("event: ") {
                event = Some(name.to_owned());
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push(d);
            }
        }
        events.push(Event {
            event,
            data: data.join("\n"),
        });
    }
    events
}

/// Parses complete NDJSON lines; garbage lines become `Value::Null`.
pub fn parse_ndjson(text: &str) -> Vec<Value> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines.pop();
    lines
        .into_iter()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect()
}

/// POSTs JSON to the fake.
pub async fn post(fake: &FakeLlm, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", fake.url()))
        .json(body)
        .send()
        .await
        .expect("request reaches the fake")
}

/// A request builder with Anthropic's required header.
pub fn anthropic_request(fake: &FakeLlm, body: &Value) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}/v1/messages", fake.anthropic_base()))
        .header("anthropic-version", "2023-06-01")
        .json(body)
}

/// An OpenAI chat body for `fake-model` saying `text`.
pub fn openai_chat(text: &str, stream: bool) -> Value {
    json!({"model": "fake-model", "stream": stream, "messages": [{"role": "user", "content": text}]})
}

/// Reads the body chunk by chunk until it ends; returns the text and whether it broke.
pub async fn read_to_end(mut response: reqwest::Response) -> (String, bool) {
    let mut text = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(None) => return (text, false),
            Err(_) => return (text, true),
        }
    }
}

/// Reads until `done(text so far)` holds; panics if the body ends or breaks first.
pub async fn read_until(response: &mut reqwest::Response, done: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    while !done(&text) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("a chunk within the deadline")
            .expect("body not broken")
            .expect("body not ended");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

/// Polls `condition` until it holds, failing after a deadline.
pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
