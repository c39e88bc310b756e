//! The `/v1` wire format as clients speak it: OpenAI Chat Completions and Embeddings requests
//! parsed into the internal model (every problem named by its field), and answers, stream
//! chunks and usage rendered back exactly as OpenAI does.

mod message;
mod parse;
mod render;
#[cfg(test)]
mod tests;

pub use parse::{ParsedChat, ParsedEmbedding, parse_chat, parse_embeddings};
pub use render::{ChunkWriter, DONE, default_finish, render_completion, usage_json};
