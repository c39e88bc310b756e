//! Tests of the OpenAI format against fixtures shaped as OpenAI documents them.

use serde_json::json;

use crate::test_support::{
    body_json, city_schema, decode_all_ways, decode_chunks, delta, header, rich_request,
    simple_request, upstream, weather_schema,
};
use crate::types::{
    EmbeddingRequest, FinishReason, ProviderKind, StreamEvent, ToolCall, ToolChoice, Usage,
};
use crate::{
    AdapterError, chat_request, embedding_request, models_request, parse_chat_response,
    parse_embedding_response, parse_models_response,
};

const KIND: ProviderKind = ProviderKind::Openai;

#[test]
fn encodes_a_rich_request_exactly() {
    let req = chat_request(&upstream(KIND, "sk-test"), &rich_request()).unwrap();
    assert_eq!(req.method, http::Method::POST);
    assert_eq!(req.url, "https://api.openai.com/v1/chat/completions");
    assert_eq!(header(&req, "content-type"), Some("application/json"));
    assert_eq!(
        body_json(&req),
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "name": "ana", "content": [
                    {"type": "text", "text": "Where is this? What's the weather there?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
                ]},
                {"role": "tool", "content": "{\"temp_c\":21}", "tool_call_id": "call_abc"},
                {"role": "user", "content": "Answer in JSON."}
            ],
            "temperature": 0.5,
            "top_p": 0.9,
            "max_tokens": 256,
            "stop": ["END"],
            "seed": 42,
            "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "schema": weather_schema(), "strict": true}},
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": city_schema()}}],
            "tool_choice": "auto",
            "stream": false,
            // From `extra`; its `temperature` lost to the request's own.
            "presence_penalty": 0.5
        })
    );
}

#[test]
fn streaming_asks_for_usage_and_omits_unset_fields() {
    let mut r = simple_request(true);
    r.tool_choice = Some(ToolChoice::Function("f".into()));
    let req = chat_request(&upstream(ProviderKind::Openrouter, "sk-or"), &r).unwrap();
    assert_eq!(req.url, "https://openrouter.ai/api/v1/chat/completions");
    assert_eq!(
        body_json(&req),
        json!({
            "model": "test-model",
            "messages": [{"role": "user", "content": "Hi"}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "stream": true,
            "stream_options": {"include_usage": true}
        })
    );
}

#[test]
fn bearer_key_is_sensitive_and_an_empty_key_sends_none() {
    let req = chat_request(&upstream(KIND, "sk-test"), &simple_request(false)).unwrap();
    let auth = req.headers.get("authorization").unwrap();
    assert_eq!(auth, "Bearer sk-test");
    assert!(auth.is_sensitive());

    let up = upstream(ProviderKind::OpenaiCompatible, "");
    let req = chat_request(&up, &simple_request(false)).unwrap();
    assert_eq!(req.url, "http://vllm.internal:8000/v1/chat/completions");
    assert!(req.headers.get("authorization").is_none());
}

#[test]
fn azure_addresses_the_deployment_with_an_api_key_header() {
    let up = upstream(ProviderKind::AzureOpenai, "azure-key");
    let req = chat_request(&up, &simple_request(false)).unwrap();
    assert_eq!(
        req.url,
        "https://res.openai.azure.com/openai/deployments/test-model/chat/completions?api-version=2024-10-21"
    );
    assert!(req.headers.get("authorization").is_none());
    let key = req.headers.get("api-key").unwrap();
    assert_eq!(key, "azure-key");
    assert!(key.is_sensitive());
    assert!(body_json(&req).get("model").is_none());

    let mut no_version = up.clone();
    no_version.api_version = None;
    assert!(matches!(
        chat_request(&no_version, &simple_request(false)),
        Err(AdapterError::Unsupported(m)) if m.contains("api_version")
    ));
}

#[test]
fn reads_a_text_answer_with_cached_usage() {
    let body = br#"{
      "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      "object": "chat.completion",
      "created": 1741569952,
      "model": "gpt-4.1-2025-04-14",
      "choices": [{
        "index": 0,
        "message": {"role": "assistant", "content": "Hello! How can I assist you today?", "refusal": null, "annotations": []},
        "logprobs": null,
        "finish_reason": "stop"
      }],
      "usage": {
        "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 8, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}
      },
      "service_tier": "default"
    }"#;
    let resp = parse_chat_response(KIND, body).unwrap();
    assert_eq!(
        resp.id.as_deref(),
        Some("chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
    );
    assert_eq!(resp.model.as_deref(), Some("gpt-4.1-2025-04-14"));
    assert_eq!(resp.content, "Hello! How can I assist you today?");
    assert!(resp.tool_calls.is_empty());
    assert_eq!(resp.finish_reason, FinishReason::Stop);
    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 19,
            completion_tokens: 10,
            cached_tokens: 8
        })
    );
}

#[test]
fn reads_tool_calls_and_finish_reasons() {
    let body = br#"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,
      "message":{"role":"assistant","content":null,"tool_calls":[
        {"id":"call_12345xyz","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris, France\"}"}}]},
      "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99}}"#;
    let resp = parse_chat_response(KIND, body).unwrap();
    assert_eq!(resp.content, "");
    assert_eq!(
        resp.tool_calls,
        vec![ToolCall {
            id: "call_12345xyz".into(),
            name: "get_weather".into(),
            arguments: r#"{"location":"Paris, France"}"#.into(),
        }]
    );
    assert_eq!(resp.finish_reason, FinishReason::ToolCalls);
    assert_eq!(resp.usage.unwrap().cached_tokens, 0);

    for (wire, ours) in [
        ("length", FinishReason::Length),
        ("content_filter", FinishReason::ContentFilter),
        ("eos", FinishReason::Other("eos".into())),
    ] {
        let body =
            json!({"choices": [{"index": 0, "message": {"content": "x"}, "finish_reason": wire}]});
        let resp = parse_chat_response(KIND, body.to_string().as_bytes()).unwrap();
        assert_eq!(resp.finish_reason, ours);
        assert_eq!(resp.usage, None);
    }
}

#[test]
fn unreadable_answers_are_malformed() {
    for body in [
        &b"not json"[..],
        br#"{"choices": []}"#,
        br#"{"choices": [{"message": {"content": 5}}], "usage": "x"}"#,
        br#"{"error": {"message": "Provider returned error", "code": 502}}"#,
    ] {
        assert!(matches!(
            parse_chat_response(KIND, body),
            Err(AdapterError::Malformed(_))
        ));
    }
}

const STREAM: &str = "\
: OPENROUTER PROCESSING\n\
\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\
\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Café \u{2615}\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\
\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_DdmO9pD3xa9XTPNJ32zg2hcA\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\
\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"location\\\":\\\"Zürich\\\"}\"}}]},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\
\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\
\n\
data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":60,\"completion_tokens\":18,\"total_tokens\":78,\"prompt_tokens_details\":{\"cached_tokens\":32}}}\n\
\n\
data: [DONE]\n\
\n";

fn expected_stream_events() -> Vec<StreamEvent> {
    vec![
        delta("Café \u{2615}"),
        StreamEvent::ToolCallDelta {
            index: 0,
            id: Some("call_DdmO9pD3xa9XTPNJ32zg2hcA".into()),
            name: Some("get_weather".into()),
            arguments: String::new(),
        },
        StreamEvent::ToolCallDelta {
            index: 0,
            id: None,
            name: None,
            arguments: r#"{"location":"Zürich"}"#.into(),
        },
        StreamEvent::Finish(FinishReason::ToolCalls),
        StreamEvent::Usage(Usage {
            prompt_tokens: 60,
            completion_tokens: 18,
            cached_tokens: 32,
        }),
    ]
}

#[test]
fn decodes_a_stream_however_it_is_chunked() {
    let (events, done) = decode_all_ways(KIND, STREAM);
    assert_eq!(events, expected_stream_events());
    assert!(done);
    let crlf = STREAM.replace('\n', "\r\n");
    assert_eq!(
        decode_all_ways(KIND, &crlf),
        (expected_stream_events(), true)
    );
}

#[test]
fn a_stream_without_done_is_not_done() {
    let cut = STREAM.find("data: [DONE]").unwrap();
    let (events, done) = decode_chunks(KIND, &[&STREAM.as_bytes()[..cut]]).unwrap();
    assert_eq!(events, expected_stream_events());
    assert!(!done);
}

#[test]
fn a_malformed_chunk_or_an_error_object_fails_the_stream() {
    let bad = b"data: {\"choices\": [{\"delta\": {\"content\": \"a\"}\n\n";
    assert!(matches!(
        decode_chunks(KIND, &[bad]),
        Err(AdapterError::Malformed(_))
    ));
    let error = b"data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n";
    assert_eq!(
        decode_chunks(KIND, &[error]).unwrap_err(),
        AdapterError::Malformed(
            "upstream error: The server had an error while processing your request.".into()
        )
    );
}

#[test]
fn encodes_embedding_requests() {
    let req = EmbeddingRequest {
        model: "text-embedding-3-small".into(),
        input: vec!["a".into(), "b".into()],
        dimensions: Some(256),
    };
    let wire = embedding_request(&upstream(KIND, "sk"), &req).unwrap();
    assert_eq!(wire.url, "https://api.openai.com/v1/embeddings");
    assert_eq!(
        body_json(&wire),
        json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 256, "encoding_format": "float"})
    );
    let azure = embedding_request(&upstream(ProviderKind::AzureOpenai, "k"), &req).unwrap();
    assert_eq!(
        azure.url,
        "https://res.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"
    );
    assert!(body_json(&azure).get("model").is_none());
}

#[test]
fn reads_embeddings_in_index_order() {
    let body = br#"{"object":"list","data":[
        {"object":"embedding","index":1,"embedding":[0.5,-1.0]},
        {"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292]}],
      "model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
    let resp = parse_embedding_response(KIND, body).unwrap();
    assert_eq!(
        resp.vectors,
        vec![vec![0.002_306_425_5, -0.009_327_292], vec![0.5, -1.0]]
    );
    assert_eq!(resp.usage.unwrap().prompt_tokens, 8);
}

#[test]
fn lists_models() {
    let req = models_request(&upstream(KIND, "sk")).unwrap();
    assert_eq!(req.method, http::Method::GET);
    assert_eq!(req.url, "https://api.openai.com/v1/models");
    assert!(req.body.is_none());
    let body = br#"{"object":"list","data":[
        {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
        {"id":"dall-e-3","object":"model","created":1698785189,"owned_by":"system"}]}"#;
    assert_eq!(
        parse_models_response(KIND, body).unwrap(),
        vec!["dall-e-3".to_string(), "gpt-4o-mini".to_string()]
    );
}
