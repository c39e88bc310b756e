//! The wire format's unit tests: parsing and rendering.

use super::*;
use llm_adapters::types::{ContentPart, ResponseFormat, Role, Usage};
use serde_json::{Value, json};

#[test]
fn a_full_request_parses() {
    let body = json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
        ],
        "temperature": 0.2, "max_completion_tokens": 50, "stop": "END", "seed": 7,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}],
        "tool_choice": "auto", "stream": true, "stream_options": {"include_usage": true},
        "presence_penalty": 0.5
    });
    let p = parse_chat(body.to_string().as_bytes()).unwrap();
    assert_eq!(p.model, "gpt-4o");
    assert!(p.include_usage);
    let r = p.request;
    assert_eq!(r.messages.len(), 4);
    assert_eq!(r.messages[0].role, Role::System);
    assert!(matches!(
        r.messages[1].content[1],
        ContentPart::Image { .. }
    ));
    assert_eq!(r.messages[2].tool_calls[0].name, "look");
    assert_eq!(r.max_tokens, Some(50));
    assert_eq!(r.stop, vec!["END"]);
    assert!(matches!(
        r.response_format,
        Some(ResponseFormat::JsonSchema { .. })
    ));
    assert_eq!(r.extra.get("presence_penalty"), Some(&json!(0.5)));
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        (
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            "model",
        ),
        (json!({"model": "m"}), "messages"),
        (
            json!({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}),
            "messages[0].role",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 5}),
            "temperature",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "api_base": "http://evil"}),
            "api_base",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "api_key": "sk-x"}),
            "api_key",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}),
            "messages[0].content[0]",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "extra_body": {"base_url": "http://evil"}}),
            "extra_body.base_url",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "metadata": {"a": {"api_key": "sk-x"}}}),
            "metadata.a.api_key",
        ),
    ];
    for (body, param) in cases {
        let err = parse_chat(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.param.as_deref(), Some(param), "{body}");
    }
    assert_eq!(parse_chat(b"{not json").unwrap_err().status, 400);
    let nul = br#"{"model": "m", "messages": [{"role": "user", "content": "a\u0000b"}]}"#;
    assert!(parse_chat(nul).unwrap_err().message.contains("NUL"));
    // A JSON schema may well describe a property called `api_key`.
    let schema = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"properties": {"api_key": {"type": "string"}}}}}});
    assert!(parse_chat(schema.to_string().as_bytes()).is_ok());
}

#[test]
fn chunks_have_openais_shape() {
    let w = ChunkWriter::new("chatcmpl-1".into(), 1, "m".into(), true);
    let start = w.start();
    assert!(start.starts_with("data: {") && start.ends_with("\n\n"));
    let v: Value = serde_json::from_str(start.trim_start_matches("data: ").trim()).unwrap();
    assert_eq!(v["object"], "chat.completion.chunk");
    assert_eq!(v["choices"][0]["delta"]["role"], "assistant");
    assert!(v["usage"].is_null());
    let u = w
        .usage(&Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            cached_tokens: 1,
        })
        .unwrap();
    let v: Value = serde_json::from_str(u.trim_start_matches("data: ").trim()).unwrap();
    assert_eq!(v["usage"]["total_tokens"], 7);
    assert_eq!(v["choices"], json!([]));
}
