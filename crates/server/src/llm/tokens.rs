//! Token counting for upstreams that report no usage: the o200k BPE (tiktoken's encoding for
//! current OpenAI models). It is an estimate for other model families, used only when the
//! provider gives no figures. Building the BPE and counting long texts are CPU work: the
//! server builds it at start on a blocking thread ([`Tokenizer::warm`]) and counts through
//! [`Tokenizer::count_off_thread`], never on a runtime thread.

use std::sync::OnceLock;

use llm_adapters::types::{ContentPart, Message};
use tiktoken_rs::CoreBPE;

/// Tokens an image is counted as when the provider reports nothing (OpenAI's low-detail cost).
const IMAGE_TOKENS: u64 = 85;
/// Prompts up to this many bytes of text are counted on the calling thread.
const INLINE_CHARS: usize = 2_048;
/// Per-message overhead of the chat format.
const MESSAGE_OVERHEAD: u64 = 4;

/// A lazily built tokenizer.
#[derive(Default)]
pub struct Tokenizer {
    bpe: OnceLock<Option<CoreBPE>>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokenizer")
    }
}

impl Tokenizer {
    /// Builds the BPE on a blocking thread, so no request waits for it later.
    pub fn warm(self: &std::sync::Arc<Self>) {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            this.bpe();
        });
    }

    /// Runs `count` with this tokenizer on a blocking thread.
    pub async fn count_off_thread<T, F>(self: &std::sync::Arc<Self>, count: F) -> T
    where
        F: FnOnce(&Self) -> T + Send + 'static,
        T: Send + 'static + Default,
    {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || count(&this)).await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "token counting failed");
                T::default()
            }
        }
    }

    fn bpe(&self) -> Option<&CoreBPE> {
        self.bpe
            .get_or_init(|| match tiktoken_rs::o200k_base() {
                Ok(b) => Some(b),
                Err(e) => {
                    tracing::error!(error = %e, "tokenizer unavailable; counting by characters");
                    None
                }
            })
            .as_ref()
    }

    /// Tokens of a prompt: counted here when it is short (a few microseconds), else on a
    /// blocking thread.
    pub async fn count_messages_soon(self: &std::sync::Arc<Self>, messages: &[Message]) -> u64 {
        let chars: usize = messages
            .iter()
            .flat_map(|m| &m.content)
            .map(|p| match p {
                ContentPart::Text(t) => t.len(),
                ContentPart::Image { .. } => 0,
            })
            .sum();
        // Only once the BPE is built: building it takes a second, never on a runtime thread.
        if chars <= INLINE_CHARS && self.bpe.get().is_some() {
            return self.count_messages(messages);
        }
        let owned = messages.to_vec();
        self.count_off_thread(move |t| t.count_messages(&owned))
            .await
    }

    /// Tokens in a text.
    pub fn count(&self, text: &str) -> u64 {
        match self.bpe() {
            Some(bpe) => bpe.encode_ordinary(text).len() as u64,
            // About four characters a token in English text.
            None => (text.chars().count() as u64).div_ceil(4),
        }
    }

    /// Tokens of a prompt.
    pub fn count_messages(&self, messages: &[Message]) -> u64 {
        let mut total = 3; // the reply's priming
        for m in messages {
            total += MESSAGE_OVERHEAD;
            for part in &m.content {
                total += match part {
                    ContentPart::Text(t) => self.count(t),
                    ContentPart::Image { .. } => IMAGE_TOKENS,
                };
            }
            for call in &m.tool_calls {
                total += self.count(&call.name) + self.count(&call.arguments);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_a_bpe() {
        let t = Tokenizer::default();
        assert_eq!(t.count(""), 0);
        let n = t.count("Hello, world! This is a test of the tokenizer.");
        assert!((8..=14).contains(&n), "{n}");
    }
}
