//! Shared test fixtures: upstreams, a rich chat request every format encodes, and a stream
//! harness that checks a decoder gives the same events however the bytes are chunked.

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::types::{
    ChatRequest, ContentPart, Message, ProviderKind, ResponseFormat, Role, StreamEvent, Tool,
    ToolCall, ToolChoice, Upstream,
};
use crate::{AdapterError, WireRequest, stream_decoder};

/// An upstream of `kind` with `key`; base URLs carry a trailing slash to check it is stripped.
pub(crate) fn upstream(kind: ProviderKind, key: &str) -> Upstream {
    let base = match kind {
        ProviderKind::AzureOpenai => "https://res.openai.azure.com/",
        ProviderKind::OpenaiCompatible => "http://vllm.internal:8000/v1/",
        ProviderKind::Local => "http://127.0.0.1:40000/v1/",
        k => k.default_base_url().unwrap_or_default(),
    };
    Upstream {
        kind,
        base_url: base.to_owned(),
        api_key: SecretString::from(key),
        api_version: (kind == ProviderKind::AzureOpenai).then(|| "2024-10-21".to_owned()),
    }
}

/// The request body as JSON.
pub(crate) fn body_json(req: &WireRequest) -> Value {
    serde_json::from_slice(req.body.as_deref().unwrap()).unwrap()
}

/// The value of a header, as text.
pub(crate) fn header<'a>(req: &'a WireRequest, name: &str) -> Option<&'a str> {
    req.headers.get(name).map(|v| v.to_str().unwrap())
}

/// A request that exercises every feature: system prompt, a user text + image, an assistant
/// tool call, its result, a follow-up user turn, tools, a JSON schema and stop sequences.
pub(crate) fn rich_request() -> ChatRequest {
    let mut extra = serde_json::Map::new();
    extra.insert("presence_penalty".into(), json!(0.5));
    extra.insert("temperature".into(), json!(1.9));
    ChatRequest {
        model: "test-model".into(),
        messages: vec![
            Message::text(Role::System, "You are terse."),
            Message {
                role: Role::User,
                content: vec![
                    ContentPart::Text("Where is this? What's the weather there?".into()),
                    ContentPart::Image {
                        url: "data:image/png;base64,iVBORw0KGgo=".into(),
                        detail: Some("low".into()),
                    },
                ],
                tool_calls: Vec::new(),
                tool_call_id: None,
                name: Some("ana".into()),
            },
            Message {
                role: Role::Assistant,
                content: Vec::new(),
                tool_calls: vec![ToolCall {
                    id: "call_abc".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"city":"Paris"}"#.into(),
                }],
                tool_call_id: None,
                name: None,
            },
            Message {
                role: Role::Tool,
                content: vec![ContentPart::Text(r#"{"temp_c":21}"#.into())],
                tool_calls: Vec::new(),
                tool_call_id: Some("call_abc".into()),
                name: None,
            },
            Message::text(Role::User, "Answer in JSON."),
        ],
        temperature: Some(0.5),
        top_p: Some(0.9),
        max_tokens: Some(256),
        stop: vec!["END".into()],
        seed: Some(42),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "weather".into(),
            schema: weather_schema(),
            strict: true,
        }),
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Current weather for a city".into()),
            parameters: city_schema(),
        }],
        tool_choice: Some(ToolChoice::Auto),
        stream: false,
        extra,
    }
}

/// The JSON schema of [`rich_request`]'s answer.
pub(crate) fn weather_schema() -> Value {
    json!({"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]})
}

/// The parameters of [`rich_request`]'s tool.
pub(crate) fn city_schema() -> Value {
    json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
}

/// A plain one-question request.
pub(crate) fn simple_request(stream: bool) -> ChatRequest {
    ChatRequest {
        model: "test-model".into(),
        messages: vec![Message::text(Role::User, "Hi")],
        stream,
        ..ChatRequest::default()
    }
}

/// Feeds `chunks` to a fresh decoder of `kind`: all events (or the first error) and `is_done`.
pub(crate) fn decode_chunks(
    kind: ProviderKind,
    chunks: &[&[u8]],
) -> Result<(Vec<StreamEvent>, bool), AdapterError> {
    let mut decoder = stream_decoder(kind);
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(decoder.feed(chunk)?);
    }
    Ok((events, decoder.is_done()))
}

/// Decodes `fixture` whole, one byte at a time, and cut inside each multi-byte character, and
/// checks all give the same events and end state. Returns them.
pub(crate) fn decode_all_ways(kind: ProviderKind, fixture: &str) -> (Vec<StreamEvent>, bool) {
    let bytes = fixture.as_bytes();
    let whole = decode_chunks(kind, &[bytes]).unwrap();
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        decode_chunks(kind, &bytewise).unwrap(),
        whole,
        "byte at a time"
    );
    let cuts: Vec<usize> = fixture
        .char_indices()
        .filter(|(_, c)| c.len_utf8() > 1)
        .map(|(i, _)| i + 1)
        .collect();
    assert!(!cuts.is_empty(), "the fixture needs a multi-byte character");
    for cut in cuts {
        let (a, b) = bytes.split_at(cut);
        assert_eq!(decode_chunks(kind, &[a, b]).unwrap(), whole, "cut at {cut}");
    }
    whole
}

/// Shorthand for a text delta.
pub(crate) fn delta(text: &str) -> StreamEvent {
    StreamEvent::Delta(text.to_owned())
}
