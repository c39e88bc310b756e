//! The OpenAI-compatible gateway under `/v1`: API-key authentication, OpenAI's request and
//! response shapes, and the streaming writer. Every model call goes through the pipeline in
//! [`crate::llm`].

pub mod doc;
pub mod error;
pub mod openai;
pub mod relay;
pub mod routes;
pub mod service;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Routes under `/v1` (not part of the platform OpenAPI document: they follow OpenAI's).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chat/completions", post(routes::post_chat_completions))
        .route("/embeddings", post(routes::post_embeddings))
        .route("/models", get(routes::get_models))
        .route("/models/{*id}", get(routes::get_model))
}
