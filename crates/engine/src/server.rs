//! The engine's small OpenAI server: `/v1/chat/completions` and `/v1/completions` (streamed or
//! not, exact usage), `/v1/models`, `/health`; a bearer key when one is set (the manager gives
//! each deployment its own), and a request whose client goes away is cancelled.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::Engine;
use crate::api::{ApiError, ChatRequest, CompletionRequest, Sampling, Usage};
use crate::scheduler::{Event, Job};

/// The routes, behind the key check.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/completions", post(completions))
        .route("/v1/models", get(models))
        .layer(middleware::from_fn_with_state(engine.clone(), require_key))
        .route("/health", get(health))
        .with_state(engine)
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn require_key(State(engine): State<Arc<Engine>>, request: Request, next: Next) -> Response {
    if let Some(key) = &engine.api_key {
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same(given.as_bytes(), key.as_bytes()) {
            return ApiError {
                status: axum::http::StatusCode::UNAUTHORIZED,
                kind: "invalid_request_error",
                code: "invalid_api_key",
                message: "a valid API key is required".into(),
            }
            .into_response();
        }
    }
    next.run(request).await
}

async fn health(State(engine): State<Arc<Engine>>) -> axum::Json<Value> {
    axum::Json(json!({ "status": "ok", "model": engine.model_id }))
}

async fn models(State(engine): State<Arc<Engine>>) -> axum::Json<Value> {
    axum::Json(json!({ "object": "list", "data": [{
        "id": engine.model_id, "object": "model", "created": 0, "owned_by": "llm-manager",
        "context_length": engine.info.context_length,
    }]}))
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "invalid_request",
            format!("the request body is not valid: {e}"),
        )
    })
}

async fn chat(State(engine): State<Arc<Engine>>, body: Bytes) -> Result<Response, ApiError> {
    let request: ChatRequest = parse(&body)?;
    let messages = crate::prompt::messages(&request.messages)?;
    let prompt = engine
        .template
        .render(&messages)
        .map_err(|m| ApiError::bad("invalid_messages", m))?;
    run(&engine, &prompt, &request.sampling, Kind::Chat).await
}

async fn completions(State(engine): State<Arc<Engine>>, body: Bytes) -> Result<Response, ApiError> {
    let request: CompletionRequest = parse(&body)?;
    run(&engine, &request.prompt, &request.sampling, Kind::Text).await
}

#[derive(Clone, Copy)]
enum Kind {
    Chat,
    Text,
}

struct Reply {
    id: String,
    created: u64,
    model: String,
    kind: Kind,
}

impl Reply {
    fn object(&self, chunk: bool) -> &'static str {
        match (self.kind, chunk) {
            (Kind::Chat, false) => "chat.completion",
            (Kind::Chat, true) => "chat.completion.chunk",
            (Kind::Text, _) => "text_completion",
        }
    }

    fn choice(&self, text: Option<&str>, finish: Option<&str>, chunk: bool) -> Value {
        match (self.kind, chunk) {
            (Kind::Chat, true) => {
                let delta = text.map_or_else(|| json!({}), |t| json!({ "content": t }));
                json!({ "index": 0, "delta": delta, "finish_reason": finish })
            }
            (Kind::Chat, false) => json!({ "index": 0, "finish_reason": finish,
                "message": { "role": "assistant", "content": text.unwrap_or_default() } }),
            (Kind::Text, _) => {
                json!({ "index": 0, "text": text.unwrap_or_default(), "finish_reason": finish })
            }
        }
    }

    fn body(&self, choices: Vec<Value>, usage: Option<Usage>, chunk: bool) -> Value {
        let mut v = json!({ "id": self.id, "object": self.object(chunk), "created": self.created,
            "model": self.model, "choices": choices });
        if let Some(u) = usage {
            v["usage"] = json!(u);
        }
        v
    }
}

async fn run(
    engine: &Engine,
    prompt: &str,
    s: &Sampling,
    kind: Kind,
) -> Result<Response, ApiError> {
    let tokens = crate::text::encode(&engine.tokenizer, prompt).map_err(ApiError::engine)?;
    let params = crate::prompt::params(s, tokens.len(), engine.info.context_length)?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    engine
        .scheduler
        .submit(Job {
            prompt: tokens,
            params,
            events: tx,
        })
        .map_err(ApiError::engine)?;
    let reply = Reply {
        id: format!(
            "{}-{}",
            if matches!(kind, Kind::Chat) {
                "chatcmpl"
            } else {
                "cmpl"
            },
            uuid::Uuid::new_v4().simple()
        ),
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        model: engine.model_id.clone(),
        kind,
    };
    if s.stream {
        let usage = s.stream_options.as_ref().is_some_and(|o| o.include_usage);
        return Ok(stream(reply, rx, usage));
    }
    let mut rx = rx;
    let mut text = String::new();
    while let Some(event) = rx.recv().await {
        match event {
            Event::Text(t) => text.push_str(&t),
            Event::Failed(m) => return Err(ApiError::engine(m)),
            Event::Done {
                finish,
                prompt_tokens,
                completion_tokens,
            } => {
                let usage = Usage {
                    prompt_tokens,
                    completion_tokens,
                    total_tokens: prompt_tokens + completion_tokens,
                };
                let choice = reply.choice(Some(&text), Some(finish.as_str()), false);
                return Ok(axum::Json(reply.body(vec![choice], Some(usage), false)).into_response());
            }
        }
    }
    Err(ApiError::engine(
        "the engine ended the reply without finishing it",
    ))
}

fn stream(
    reply: Reply,
    rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
    include_usage: bool,
) -> Response {
    let reply = Arc::new(reply);
    let first = matches!(reply.kind, Kind::Chat).then(|| {
        let choice = json!({ "index": 0, "delta": { "role": "assistant", "content": "" }, "finish_reason": null });
        reply.body(vec![choice], None, true)
    });
    let head = futures::stream::iter(first);
    let events = UnboundedReceiverStream::new(rx).flat_map(move |event| {
        let out: Vec<Value> = match event {
            Event::Text(t) => {
                vec![reply.body(vec![reply.choice(Some(&t), None, true)], None, true)]
            }
            Event::Failed(m) => vec![ApiError::engine(m).body()],
            Event::Done {
                finish,
                prompt_tokens,
                completion_tokens,
            } => {
                let mut out = vec![reply.body(
                    vec![reply.choice(None, Some(finish.as_str()), true)],
                    None,
                    true,
                )];
                if include_usage {
                    let usage = Usage {
                        prompt_tokens,
                        completion_tokens,
                        total_tokens: prompt_tokens + completion_tokens,
                    };
                    out.push(reply.body(Vec::new(), Some(usage), true));
                }
                out
            }
        };
        futures::stream::iter(out)
    });
    let data = head
        .chain(events)
        .map(|v| SseEvent::default().data(v.to_string()))
        .chain(futures::stream::once(async {
            SseEvent::default().data("[DONE]")
        }))
        .map(Ok::<_, Infallible>);
    Sse::new(data).into_response()
}
