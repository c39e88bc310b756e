//! The Anthropic Messages format (`/v1/messages`), including JSON output, which Anthropic has no
//! mode for: a JSON schema becomes a forced tool named with [`JSON_TOOL_PREFIX`], and its input
//! comes back as answer text.

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::{Decoder, parse_chat_response, parse_models_response};
pub use encode::{chat_request, models_request};

/// Reserved tool-name prefix of the emulated JSON-schema answer; any `tool_use` so named is
/// turned back into text, in whole answers and streams alike.
pub const JSON_TOOL_PREFIX: &str = "json_response__";

/// Added to the system prompt for `ResponseFormat::JsonObject`.
pub const JSON_OBJECT_INSTRUCTION: &str = "Respond with a single JSON object only.";
