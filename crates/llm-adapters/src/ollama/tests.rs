//! Tests of the Ollama format against fixtures shaped as Ollama documents them.

use serde_json::json;

use crate::test_support::{
    body_json, city_schema, decode_all_ways, decode_chunks, delta, rich_request, simple_request,
    upstream, weather_schema,
};
use crate::types::{
    ContentPart, EmbeddingRequest, FinishReason, ProviderKind, ResponseFormat, StreamEvent,
    ToolCall, ToolChoice, Usage,
};
use crate::{
    AdapterError, chat_request, embedding_request, models_request, parse_chat_response,
    parse_embedding_response, parse_models_response,
};

const KIND: ProviderKind = ProviderKind::Ollama;

#[test]
fn encodes_a_rich_request_exactly() {
    let req = chat_request(&upstream(KIND, ""), &rich_request()).unwrap();
    assert_eq!(req.url, "http://127.0.0.1:11434/api/chat");
    assert!(req.headers.get("authorization").is_none());
    assert_eq!(
        body_json(&req),
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Where is this? What's the weather there?", "images": ["iVBORw0KGgo="]},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
                ]},
                {"role": "tool", "content": "{\"temp_c\":21}", "tool_name": "get_weather"},
                {"role": "user", "content": "Answer in JSON."}
            ],
            "stream": false,
            "options": {"temperature": 0.5, "top_p": 0.9, "num_predict": 256, "stop": ["END"], "seed": 42},
            "format": weather_schema(),
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": city_schema()}}]
        })
    );
}

#[test]
fn json_mode_bare_requests_and_tool_choice_none() {
    let mut r = simple_request(true);
    r.response_format = Some(ResponseFormat::JsonObject);
    assert_eq!(
        body_json(&chat_request(&upstream(KIND, ""), &r).unwrap()),
        json!({"model": "test-model", "messages": [{"role": "user", "content": "Hi"}], "stream": true, "format": "json"})
    );
    let mut r = rich_request();
    r.tool_choice = Some(ToolChoice::None);
    let body = body_json(&chat_request(&upstream(KIND, ""), &r).unwrap());
    assert!(body.get("tools").is_none());
}

#[test]
fn refuses_remote_images() {
    let mut r = simple_request(false);
    r.messages[0].content.push(ContentPart::Image {
        url: "https://x.test/cat.png".into(),
        detail: None,
    });
    assert_eq!(
        chat_request(&upstream(KIND, ""), &r).unwrap_err(),
        AdapterError::Unsupported("Ollama takes images as data: URLs only".into())
    );
}

#[test]
fn sends_a_bearer_key_only_when_set() {
    let req = chat_request(&upstream(KIND, "proxy-key"), &simple_request(false)).unwrap();
    let auth = req.headers.get("authorization").unwrap();
    assert_eq!(auth, "Bearer proxy-key");
    assert!(auth.is_sensitive());
}

#[test]
fn reads_a_whole_answer() {
    let body = br#"{"model":"llama3.2","created_at":"2023-12-12T14:13:43.416799Z",
      "message":{"role":"assistant","content":"Hello! How are you today?"},
      "done":true,"done_reason":"stop","total_duration":5191566416,"load_duration":2154458,
      "prompt_eval_count":26,"prompt_eval_duration":383809000,"eval_count":298,"eval_duration":4799921000}"#;
    let resp = parse_chat_response(KIND, body).unwrap();
    assert_eq!(resp.id, None);
    assert_eq!(resp.model.as_deref(), Some("llama3.2"));
    assert_eq!(resp.content, "Hello! How are you today?");
    assert_eq!(resp.finish_reason, FinishReason::Stop);
    assert_eq!(
        resp.usage,
        Some(Usage {
            prompt_tokens: 26,
            completion_tokens: 298,
            cached_tokens: 0
        })
    );

    let tools = br#"{"model":"llama3.2","message":{"role":"assistant","content":"",
      "tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Toronto"}}}]},
      "done":true,"done_reason":"stop","prompt_eval_count":80,"eval_count":20}"#;
    let resp = parse_chat_response(KIND, tools).unwrap();
    assert_eq!(
        resp.tool_calls,
        vec![ToolCall {
            id: "call_0".into(),
            name: "get_weather".into(),
            arguments: r#"{"city":"Toronto"}"#.into()
        }]
    );
    assert_eq!(resp.finish_reason, FinishReason::ToolCalls);

    let long = br#"{"model":"m","message":{"role":"assistant","content":"x"},"done":true,"done_reason":"length"}"#;
    assert_eq!(
        parse_chat_response(KIND, long).unwrap().finish_reason,
        FinishReason::Length
    );
    assert_eq!(
        parse_chat_response(KIND, br#"{"error":"model 'llama9' not found"}"#).unwrap_err(),
        AdapterError::Malformed("upstream error: model 'llama9' not found".into())
    );
}

const STREAM: &str = r#"{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"Le ciel "},"done":false}
{"model":"llama3.2","created_at":"2023-08-04T08:52:19.4Z","message":{"role":"assistant","content":"est bleu 💙"},"done":false}
{"model":"llama3.2","created_at":"2023-08-04T08:52:19.5Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Nîmes"}}}]},"done":false}
{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}
"#;

fn expected_stream_events() -> Vec<StreamEvent> {
    vec![
        delta("Le ciel "),
        delta("est bleu 💙"),
        StreamEvent::ToolCallDelta {
            index: 0,
            id: Some("call_0".into()),
            name: Some("get_weather".into()),
            arguments: r#"{"city":"Nîmes"}"#.into(),
        },
        StreamEvent::Finish(FinishReason::ToolCalls),
        StreamEvent::Usage(Usage {
            prompt_tokens: 26,
            completion_tokens: 282,
            cached_tokens: 0,
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
fn a_stream_without_done_is_not_done() {
    let cut = STREAM.rfind("{\"model\"").unwrap();
    let (events, done) = decode_chunks(KIND, &[&STREAM.as_bytes()[..cut]]).unwrap();
    assert_eq!(events.len(), 3);
    assert!(!done);
}

#[test]
fn an_error_line_or_a_malformed_line_fails_the_stream() {
    let error = b"{\"model\":\"m\",\"message\":{\"content\":\"a\"},\"done\":false}\n{\"error\":\"an error was encountered while running the model\"}\n";
    assert_eq!(
        decode_chunks(KIND, &[error]).unwrap_err(),
        AdapterError::Malformed(
            "upstream error: an error was encountered while running the model".into()
        )
    );
    assert!(matches!(
        decode_chunks(KIND, &[b"{\"model\": \"m\", \"message\"\n"]),
        Err(AdapterError::Malformed(_))
    ));
}

#[test]
fn embeds_and_lists_models() {
    let req = EmbeddingRequest {
        model: "all-minilm".into(),
        input: vec!["Why is the sky blue?".into()],
        dimensions: None,
    };
    let wire = embedding_request(&upstream(KIND, ""), &req).unwrap();
    assert_eq!(wire.url, "http://127.0.0.1:11434/api/embed");
    assert_eq!(
        body_json(&wire),
        json!({"model": "all-minilm", "input": ["Why is the sky blue?"]})
    );
    let body = br#"{"model":"all-minilm","embeddings":[[0.010071029,-0.0017594862,0.05007221]],
      "total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}"#;
    let resp = parse_embedding_response(KIND, body).unwrap();
    assert_eq!(
        resp.vectors,
        vec![vec![0.010_071_029, -0.001_759_486_2, 0.050_072_21]]
    );
    assert_eq!(resp.usage.unwrap().prompt_tokens, 8);

    let list = models_request(&upstream(KIND, "")).unwrap();
    assert_eq!(list.url, "http://127.0.0.1:11434/api/tags");
    let tags = br#"{"models":[
        {"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":"2024-10-01T10:00:00Z","size":2019393189,
         "digest":"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
         "details":{"format":"gguf","family":"llama","parameter_size":"3.2B","quantization_level":"Q4_K_M"}},
        {"model":"deepseek-r1:7b"}]}"#;
    assert_eq!(
        parse_models_response(KIND, tags).unwrap(),
        vec!["deepseek-r1:7b".to_string(), "llama3.2:latest".into()]
    );
}
