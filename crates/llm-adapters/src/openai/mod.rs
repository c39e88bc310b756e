//! The OpenAI Chat Completions format, spoken by OpenAI, OpenRouter, OpenAI-compatible servers
//! and Azure OpenAI (which differs only in URL, auth header and the model living in the URL).

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::{Decoder, parse_chat_response, parse_embedding_response, parse_models_response};
pub use encode::{chat_request, embedding_request, models_request};
