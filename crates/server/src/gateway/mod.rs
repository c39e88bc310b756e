//! The OpenAI-compatible gateway under `/v1`: API-key authentication, routing to provider
//! channels with retries, fail-over and a circuit breaker, the streaming relay, and a usage
//! event for every call.

pub mod error;
pub mod openai;
pub mod relay;
pub mod routes;
pub mod routing;
pub mod service;
pub mod tokens;
pub mod upstream;

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::usage::UsageSender;

/// Gateway limits from the configuration.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Ranges user-supplied URLs may reach although not public.
    pub outbound_allow: Vec<ipnet::IpNet>,
    /// Extra attempts after the first (on the next channels).
    pub retries: u32,
    /// Longest silence between two chunks of a stream.
    pub stream_idle_timeout: Duration,
    /// Longest a stream may run.
    pub max_stream: Duration,
}

/// Gateway state shared by all requests.
#[derive(Debug)]
pub struct GatewayState {
    /// Limits.
    pub config: GatewayConfig,
    /// Provider snapshot and circuit breakers.
    pub router: routing::Router,
    /// Usage events out.
    pub usage: UsageSender,
    /// Token counting when upstreams report none.
    pub tokenizer: tokens::Tokenizer,
}

impl GatewayState {
    /// New state.
    pub fn new(config: GatewayConfig, usage: UsageSender) -> Self {
        Self {
            config,
            router: routing::Router::new(),
            usage,
            tokenizer: tokens::Tokenizer::default(),
        }
    }

    /// Providers changed: routing reads them again.
    pub fn invalidate(&self) {
        self.router.invalidate();
    }
}

/// Routes under `/v1` (not part of the platform OpenAPI document: they follow OpenAI's).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(routes::post_chat_completions))
        .route("/embeddings", post(routes::post_embeddings))
        .route("/models", get(routes::get_models))
        .route("/models/{*id}", get(routes::get_model))
}
