//! Tests of the Gemini format against fixtures shaped as Google documents them.

use serde_json::json;

use crate::test_support::{
    body_json, city_schema, decode_all_ways, decode_chunks, delta, rich_request, simple_request,
    upstream, weather_schema,
};
use crate::types::{
    ContentPart, EmbeddingRequest, FinishReason, Message, ProviderKind, Role, StreamEvent,
    ToolCall, ToolChoice, Usage,
};
use crate::{
    AdapterError, chat_request, embedding_request, models_request, parse_chat_response,
    parse_embedding_response, parse_models_response,
};

const KIND: ProviderKind = ProviderKind::Gemini;
const BASE: &str = "https://generativelanguage.googleapis.com/v1beta";

#[test]
fn encodes_a_rich_request_exactly() {
    let req = chat_request(&upstream(KIND, "AIza-test"), &rich_request()).unwrap();
    assert_eq!(req.url, format!("{BASE}/models/test-model:generateContent"));
    assert_eq!(
        body_json(&req),
        json!({
            "contents": [
                {"role": "user", "parts": [
                    {"text": "Where is this? What's the weather there?"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
                ]},
                {"role": "model", "parts": [
                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}
                ]},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}},
                    {"text": "Answer in JSON."}
                ]}
            ],
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
            "generationConfig": {
                "temperature": 0.5,
                "topP": 0.9,
                "maxOutputTokens": 256,
                "stopSequences": ["END"],
                "seed": 42,
                "responseMimeType": "application/json",
                "responseJsonSchema": weather_schema()
            },
            "tools": [{"functionDeclarations": [
                {"name": "get_weather", "description": "Current weather for a city", "parametersJsonSchema": city_schema()}
            ]}],
            "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}}
        })
    );
}

#[test]
fn streams_over_sse_and_omits_an_empty_generation_config() {
    let mut r = simple_request(true);
    r.model = "models/gemini-2.5-flash".into();
    let req = chat_request(&upstream(KIND, "k"), &r).unwrap();
    assert_eq!(
        req.url,
        format!("{BASE}/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    );
    assert_eq!(
        body_json(&req),
        json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})
    );
}

#[test]
fn remote_images_tool_results_and_forced_functions() {
    let mut r = rich_request();
    r.response_format = None;
    r.tool_choice = Some(ToolChoice::Function("get_weather".into()));
    r.messages[1].content = vec![
        ContentPart::Image {
            url: "https://x.test/a/photo.JPG?size=large".into(),
            detail: None,
        },
        ContentPart::Image {
            url: "https://x.test/render".into(),
            detail: None,
        },
        ContentPart::Image {
            url: "http://x.test/i.webp#frag".into(),
            detail: None,
        },
    ];
    r.messages[3].content = vec![ContentPart::Text("21 degrees".into())];
    let body = body_json(&chat_request(&upstream(KIND, "k"), &r).unwrap());
    assert_eq!(
        body["contents"][0]["parts"],
        json!([
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x.test/a/photo.JPG?size=large"}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://x.test/render"}},
            {"fileData": {"mimeType": "image/webp", "fileUri": "http://x.test/i.webp#frag"}}
        ])
    );
    assert_eq!(
        body["contents"][2]["parts"][0],
        json!({"functionResponse": {"name": "get_weather", "response": {"content": "21 degrees"}}})
    );
    assert_eq!(
        body["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
    );
}

#[test]
fn refuses_what_gemini_cannot_take() {
    let mut orphan = simple_request(false);
    orphan.messages.push(Message {
        role: Role::Tool,
        content: vec![ContentPart::Text("x".into())],
        tool_calls: Vec::new(),
        tool_call_id: Some("call_unknown".into()),
        name: None,
    });
    assert!(matches!(
        chat_request(&upstream(KIND, "k"), &orphan),
        Err(AdapterError::Unsupported(_))
    ));
    let mut ftp = simple_request(false);
    ftp.messages[0].content.push(ContentPart::Image {
        url: "ftp://x.test/a.png".into(),
        detail: None,
    });
    assert!(matches!(
        chat_request(&upstream(KIND, "k"), &ftp),
        Err(AdapterError::Unsupported(_))
    ));
}

#[test]
fn sends_the_key_as_x_goog_api_key() {
    let req = chat_request(&upstream(KIND, "AIza-1"), &simple_request(false)).unwrap();
    let key = req.headers.get("x-goog-api-key").unwrap();
    assert_eq!(key, "AIza-1");
    assert!(key.is_sensitive());
    let keyless = chat_request(&upstream(KIND, ""), &simple_request(false)).unwrap();
    assert!(keyless.headers.get("x-goog-api-key").is_none());
}

#[test]
fn reads_text_function_calls_and_usage() {
    let body = br#"{
      "candidates": [{
        "content": {"role": "model", "parts": [
          {"text": "Let me think about units.", "thought": true},
          {"text": "Checking both cities."},
          {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
          {"functionCall": {"name": "get_weather", "args": {"city": "Lyon"}}}
        ]},
        "finishReason": "STOP", "index": 0
      }],
      "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "thoughtsTokenCount": 50,
                        "cachedContentTokenCount": 64, "totalTokenCount": 200},
      "modelVersion": "gemini-2.5-flash", "responseId": "mBqcaJ2nD5KJ1dkP2b-O0Qo"
    }"#;
    let resp = parse_chat_response(KIND, body).unwrap();
    assert_eq!(resp.id.as_deref(), Some("mBqcaJ2nD5KJ1dkP2b-O0Qo"));
    assert_eq!(resp.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(resp.content, "Checking both cities.");
    assert_eq!(
        resp.tool_calls,
        vec![
            ToolCall {
                id: "call_0".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Paris"}"#.into()
            },
            ToolCall {
                id: "call_1".into(),
                name: "get_weather".into(),
                arguments: r#"{"city":"Lyon"}"#.into()
            },
        ]
    );
    assert_eq!(resp.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 120,
            completion_tokens: 80,
            cached_tokens: 64
        })
    );
}

#[test]
fn maps_finish_reasons_and_blocked_prompts() {
    for (wire, ours) in [
        ("STOP", FinishReason::Stop),
        ("MAX_TOKENS", FinishReason::Length),
        ("SAFETY", FinishReason::ContentFilter),
        ("RECITATION", FinishReason::ContentFilter),
        ("BLOCKLIST", FinishReason::ContentFilter),
        ("PROHIBITED_CONTENT", FinishReason::ContentFilter),
        (
            "MALFORMED_FUNCTION_CALL",
            FinishReason::Other("malformed_function_call".into()),
        ),
    ] {
        let body =
            json!({"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": wire}]});
        assert_eq!(
            parse_chat_response(KIND, body.to_string().as_bytes())
                .unwrap()
                .finish_reason,
            ours
        );
    }
    let blocked =
        br#"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":7}}"#;
    let resp = parse_chat_response(KIND, blocked).unwrap();
    assert_eq!(resp.finish_reason, FinishReason::ContentFilter);
    assert_eq!(resp.content, "");
    assert!(matches!(
        parse_chat_response(KIND, br#"{"usageMetadata":{}}"#),
        Err(AdapterError::Malformed(_))
    ));
}

const STREAM: &str = r#"data: {"candidates": [{"content": {"parts": [{"text": "Il fait "}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 12,"candidatesTokenCount": 2,"totalTokenCount": 14},"modelVersion": "gemini-2.5-flash","responseId": "abc"}

data: {"candidates": [{"content": {"parts": [{"text": "**Weighing words**","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 12,"candidatesTokenCount": 2,"totalTokenCount": 14},"modelVersion": "gemini-2.5-flash","responseId": "abc"}

data: {"candidates": [{"content": {"parts": [{"text": "beau à Zürich ☀"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 12,"candidatesTokenCount": 9,"thoughtsTokenCount": 20,"cachedContentTokenCount": 4,"totalTokenCount": 41},"modelVersion": "gemini-2.5-flash","responseId": "abc"}

"#;

#[test]
fn decodes_a_stream_however_it_is_chunked() {
    let (events, done) = decode_all_ways(KIND, STREAM);
    assert_eq!(
        events,
        vec![
            delta("Il fait "),
            delta("beau à Zürich ☀"),
            StreamEvent::Finish(FinishReason::Stop),
            StreamEvent::Usage(Usage {
                prompt_tokens: 12,
                completion_tokens: 29,
                cached_tokens: 4
            }),
        ]
    );
    assert!(done);
    let crlf = STREAM.replace('\n', "\r\n");
    assert_eq!(decode_all_ways(KIND, &crlf), (events, true));
}

#[test]
fn a_stream_without_a_finish_reason_is_not_done() {
    let cut = STREAM.rfind("data:").unwrap();
    let (events, done) = decode_chunks(KIND, &[&STREAM.as_bytes()[..cut]]).unwrap();
    assert_eq!(events, vec![delta("Il fait ")]);
    assert!(!done);
}

#[test]
fn streams_function_calls_and_usage_sent_after_the_finish() {
    let stream = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[\
        {\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},\
        {\"functionCall\":{\"name\":\"get_time\",\"args\":{\"zone\":\"Europe/Paris\"}}}]},\
        \"finishReason\":\"STOP\"}]}\n\n\
        data: {\"usageMetadata\":{\"promptTokenCount\":30,\"candidatesTokenCount\":11}}\n\n";
    let (events, done) = decode_chunks(KIND, &[stream.as_bytes()]).unwrap();
    assert_eq!(
        events,
        vec![
            StreamEvent::ToolCallDelta {
                index: 0,
                id: Some("call_0".into()),
                name: Some("get_weather".into()),
                arguments: r#"{"city":"Paris"}"#.into(),
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                id: Some("call_1".into()),
                name: Some("get_time".into()),
                arguments: r#"{"zone":"Europe/Paris"}"#.into(),
            },
            StreamEvent::Finish(FinishReason::ToolCalls),
            StreamEvent::Usage(Usage {
                prompt_tokens: 30,
                completion_tokens: 11,
                cached_tokens: 0
            }),
        ]
    );
    assert!(done);
}

#[test]
fn an_error_chunk_or_a_malformed_chunk_fails_the_stream() {
    let error = b"data: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded. Please try again later.\", \"status\": \"UNAVAILABLE\"}}\n\n";
    assert_eq!(
        decode_chunks(KIND, &[error]).unwrap_err(),
        AdapterError::Malformed(
            "upstream error: The model is overloaded. Please try again later.".into()
        )
    );
    assert!(matches!(
        decode_chunks(KIND, &[b"data: {\"candidates\": [\n\n"]),
        Err(AdapterError::Malformed(_))
    ));
}

#[test]
fn embeds_in_one_batch() {
    let req = EmbeddingRequest {
        model: "gemini-embedding-001".into(),
        input: vec!["a".into(), "b".into()],
        dimensions: Some(768),
    };
    let wire = embedding_request(&upstream(KIND, "k"), &req).unwrap();
    assert_eq!(
        wire.url,
        format!("{BASE}/models/gemini-embedding-001:batchEmbedContents")
    );
    assert_eq!(
        body_json(&wire),
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}, "outputDimensionality": 768},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 768}
        ]})
    );
    let body = br#"{"embeddings": [{"values": [0.1, 0.2]}, {"values": [-0.3, 0.4]}]}"#;
    let resp = parse_embedding_response(KIND, body).unwrap();
    assert_eq!(resp.vectors, vec![vec![0.1, 0.2], vec![-0.3, 0.4]]);
    assert_eq!(resp.usage, None);
}

#[test]
fn lists_chat_and_embedding_models() {
    let req = models_request(&upstream(KIND, "k")).unwrap();
    assert_eq!(req.url, format!("{BASE}/models?pageSize=1000"));
    let body = br#"{"models": [
        {"name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash",
         "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent"]},
        {"name": "models/gemini-embedding-001", "supportedGenerationMethods": ["embedContent", "countTextTokens"]},
        {"name": "models/imagen-4.0-generate-001", "supportedGenerationMethods": ["predict"]},
        {"name": "models/custom-tuned"}
      ], "nextPageToken": ""}"#;
    assert_eq!(
        parse_models_response(KIND, body).unwrap(),
        vec![
            "custom-tuned".to_string(),
            "gemini-2.5-flash".into(),
            "gemini-embedding-001".into()
        ]
    );
}
