//! The Gemini API format (`generateContent` under `/v1beta`, key in `x-goog-api-key`).

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::{Decoder, parse_chat_response, parse_embedding_response, parse_models_response};
pub use encode::{chat_request, embedding_request, models_request};
