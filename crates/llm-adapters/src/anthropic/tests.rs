//! Tests of the Anthropic format against fixtures shaped as Anthropic documents them.

use serde_json::json;

use crate::test_support::{
    body_json, city_schema, decode_all_ways, decode_chunks, delta, header, rich_request,
    simple_request, upstream, weather_schema,
};
use crate::types::{
    ContentPart, FinishReason, Message, ProviderKind, ResponseFormat, Role, StreamEvent, ToolCall,
    ToolChoice, Usage,
};
use crate::{
    AdapterError, chat_request, models_request, parse_chat_response, parse_models_response,
};

const KIND: ProviderKind = ProviderKind::Anthropic;

#[test]
fn encodes_a_rich_request_with_the_json_schema_as_a_forced_tool() {
    let req = chat_request(&upstream(KIND, "sk-ant"), &rich_request()).unwrap();
    assert_eq!(req.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(
        body_json(&req),
        json!({
            "model": "test-model",
            "system": "You are terse.",
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "Where is this? What's the weather there?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "call_abc", "name": "get_weather", "input": {"city": "Paris"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_abc", "content": "{\"temp_c\":21}"},
                    {"type": "text", "text": "Answer in JSON."}
                ]}
            ],
            "max_tokens": 256,
            "temperature": 0.5,
            "top_p": 0.9,
            "stop_sequences": ["END"],
            "tools": [
                {"name": "get_weather", "description": "Current weather for a city", "input_schema": city_schema()},
                {"name": "json_response__weather", "description": "Respond with a JSON object matching this schema.", "input_schema": weather_schema()}
            ],
            "tool_choice": {"type": "tool", "name": "json_response__weather"},
            "stream": false
        })
    );
}

#[test]
fn merges_turns_joins_system_prompts_and_fills_required_fields() {
    let mut r = simple_request(true);
    r.messages = vec![
        Message::text(Role::System, "Be brief."),
        Message::text(Role::User, "One"),
        Message::text(Role::System, "Use French."),
        Message {
            role: Role::User,
            content: vec![ContentPart::Image {
                url: "https://example.test/cat.png".into(),
                detail: None,
            }],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
        },
        Message::text(Role::Assistant, ""),
        Message::text(Role::User, "Two"),
    ];
    r.temperature = Some(1.7);
    r.seed = Some(7);
    r.response_format = Some(ResponseFormat::JsonObject);
    r.tool_choice = Some(ToolChoice::Required);
    assert_eq!(
        body_json(&chat_request(&upstream(KIND, "k"), &r).unwrap()),
        json!({
            "model": "test-model",
            "system": "Be brief.\n\nUse French.\n\nRespond with a single JSON object only.",
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "One"},
                {"type": "image", "source": {"type": "url", "url": "https://example.test/cat.png"}},
                {"type": "text", "text": "Two"}
            ]}],
            "max_tokens": 4096,
            "temperature": 1.0,
            "stream": true
        })
    );
}

#[test]
fn tool_choice_maps_when_tools_are_offered() {
    let mut r = rich_request();
    r.response_format = None;
    for (choice, wire) in [
        (ToolChoice::Auto, json!({"type": "auto"})),
        (ToolChoice::None, json!({"type": "none"})),
        (ToolChoice::Required, json!({"type": "any"})),
        (
            ToolChoice::Function("get_weather".into()),
            json!({"type": "tool", "name": "get_weather"}),
        ),
    ] {
        r.tool_choice = Some(choice);
        let body = body_json(&chat_request(&upstream(KIND, "k"), &r).unwrap());
        assert_eq!(body["tool_choice"], wire);
    }
}

#[test]
fn refuses_tool_calls_whose_arguments_are_not_json() {
    let mut r = rich_request();
    r.messages[2].tool_calls[0].arguments = "{city: Paris".into();
    assert!(matches!(
        chat_request(&upstream(KIND, "k"), &r),
        Err(AdapterError::Unsupported(m)) if m.contains("get_weather")
    ));
}

#[test]
fn sends_the_key_as_x_api_key_with_the_api_version() {
    let req = chat_request(&upstream(KIND, "sk-ant-1"), &simple_request(false)).unwrap();
    let key = req.headers.get("x-api-key").unwrap();
    assert_eq!(key, "sk-ant-1");
    assert!(key.is_sensitive());
    assert_eq!(header(&req, "anthropic-version"), Some("2023-06-01"));
    assert!(req.headers.get("authorization").is_none());
    let keyless = chat_request(&upstream(KIND, ""), &simple_request(false)).unwrap();
    assert!(keyless.headers.get("x-api-key").is_none());
}

#[test]
fn reads_text_tool_calls_and_cached_usage() {
    let body = br#"{
      "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
      "model": "claude-sonnet-4-20250514",
      "content": [
        {"type": "text", "text": "I'll check the weather."},
        {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA"}}
      ],
      "stop_reason": "tool_use", "stop_sequence": null,
      "usage": {"input_tokens": 472, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 2048, "output_tokens": 91}
    }"#;
    let resp = parse_chat_response(KIND, body).unwrap();
    assert_eq!(resp.id.as_deref(), Some("msg_01XFDUDYJgAACzvnptvVoYEL"));
    assert_eq!(resp.model.as_deref(), Some("claude-sonnet-4-20250514"));
    assert_eq!(resp.content, "I'll check the weather.");
    assert_eq!(
        resp.tool_calls,
        vec![ToolCall {
            id: "toolu_01A09q90qw90lq917835lq9".into(),
            name: "get_weather".into(),
            arguments: r#"{"location":"San Francisco, CA"}"#.into(),
        }]
    );
    assert_eq!(resp.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 2620,
            completion_tokens: 91,
            cached_tokens: 2048
        })
    );
    for (wire, ours) in [
        ("end_turn", FinishReason::Stop),
        ("stop_sequence", FinishReason::Stop),
        ("max_tokens", FinishReason::Length),
        ("refusal", FinishReason::ContentFilter),
        ("pause_turn", FinishReason::Other("pause_turn".into())),
    ] {
        let body = json!({"content": [{"type": "text", "text": "x"}], "stop_reason": wire});
        let resp = parse_chat_response(KIND, body.to_string().as_bytes()).unwrap();
        assert_eq!(resp.finish_reason, ours);
    }
}

#[test]
fn the_emulated_json_tool_comes_back_as_text() {
    let body = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-latest",
      "content":[{"type":"tool_use","id":"toolu_1","name":"json_response__weather","input":{"summary":"Sunny"}}],
      "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}}"#;
    let resp = parse_chat_response(KIND, body).unwrap();
    assert_eq!(resp.content, r#"{"summary":"Sunny"}"#);
    assert!(resp.tool_calls.is_empty());
    assert_eq!(resp.finish_reason, FinishReason::Stop);
}

#[test]
fn an_error_body_is_malformed_with_its_message() {
    let body = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
    assert_eq!(
        parse_chat_response(KIND, body).unwrap_err(),
        AdapterError::Malformed("upstream error: Overloaded".into())
    );
}

const STREAM: &str = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-20250514","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":10,"output_tokens":1}}}

event: ping
data: {"type": "ping"}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Voilà "}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"🌤"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Mün"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"chen\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

"#;

fn expected_stream_events() -> Vec<StreamEvent> {
    vec![
        delta("Voilà "),
        delta("🌤"),
        StreamEvent::ToolCallDelta {
            index: 0,
            id: Some("toolu_01T1x1fJ34qAmk2tNTrN7Up6".into()),
            name: Some("get_weather".into()),
            arguments: String::new(),
        },
        StreamEvent::ToolCallDelta {
            index: 0,
            id: None,
            name: None,
            arguments: r#"{"location": "Mün"#.into(),
        },
        StreamEvent::ToolCallDelta {
            index: 0,
            id: None,
            name: None,
            arguments: r#"chen"}"#.into(),
        },
        StreamEvent::Finish(FinishReason::ToolCalls),
        StreamEvent::Usage(Usage {
            prompt_tokens: 40,
            completion_tokens: 89,
            cached_tokens: 10,
        }),
    ]
}

#[test]
fn decodes_a_stream_however_it_is_chunked() {
    assert_eq!(
        decode_all_ways(KIND, STREAM),
        (expected_stream_events(), true)
    );
}

#[test]
fn a_stream_without_message_stop_is_not_done() {
    let cut = STREAM.find("event: message_stop").unwrap();
    let (events, done) = decode_chunks(KIND, &[&STREAM.as_bytes()[..cut]]).unwrap();
    assert_eq!(events, expected_stream_events());
    assert!(!done);
}

#[test]
fn the_emulated_json_tool_streams_as_text() {
    let stream = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_2","model":"claude-3-5-haiku-latest","usage":{"input_tokens":12,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_2","name":"json_response__weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"summary\": \"Ensoleillé\"}"}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}

event: message_stop
data: {"type":"message_stop"}

"#;
    let (events, done) = decode_all_ways(KIND, stream);
    assert_eq!(
        events,
        vec![
            delta(r#"{"summary": "Ensoleillé"}"#),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage {
                prompt_tokens: 12,
                completion_tokens: 9,
                cached_tokens: 0
            }),
        ]
    );
    assert!(done);
}

#[test]
fn an_error_event_or_a_malformed_event_fails_the_stream() {
    let error = b"event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
    assert_eq!(
        decode_chunks(KIND, &[error]).unwrap_err(),
        AdapterError::Malformed("upstream error: Overloaded".into())
    );
    let bad = b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\n\n";
    assert!(matches!(
        decode_chunks(KIND, &[bad]),
        Err(AdapterError::Malformed(_))
    ));
}

#[test]
fn lists_models() {
    let req = models_request(&upstream(KIND, "sk-ant")).unwrap();
    assert_eq!(req.url, "https://api.anthropic.com/v1/models?limit=1000");
    assert_eq!(header(&req, "anthropic-version"), Some("2023-06-01"));
    assert!(req.headers.get("x-api-key").unwrap().is_sensitive());
    let body = br#"{"data":[
        {"type":"model","id":"claude-sonnet-4-20250514","display_name":"Claude Sonnet 4","created_at":"2025-05-22T00:00:00Z"},
        {"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude Haiku 3.5","created_at":"2024-10-22T00:00:00Z"}],
      "has_more":false,"first_id":"claude-sonnet-4-20250514","last_id":"claude-3-5-haiku-20241022"}"#;
    assert_eq!(
        parse_models_response(KIND, body).unwrap(),
        vec![
            "claude-3-5-haiku-20241022".to_string(),
            "claude-sonnet-4-20250514".to_string()
        ]
    );
}
