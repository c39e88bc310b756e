//! The Ollama native format (`/api/chat`, NDJSON streams, `/api/embed`, `/api/tags`).

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::{Decoder, parse_chat_response, parse_embedding_response, parse_models_response};
pub use encode::{chat_request, embedding_request, models_request};
