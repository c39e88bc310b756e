//! Text in and out: the tokenizer built from the GGUF's own vocabulary, and the incremental
//! decoder that turns sampled tokens into text pieces (whole UTF-8 characters only), holding
//! back what might be the start of a stop string.

use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use tokenizers::Tokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;

use crate::load::LoadError;

/// Pre-tokenizers that candle sets up as their `tokenizer.json` does.
const KNOWN_PRE: &[&str] = &["qwen2", "smaug-bpe", "lfm2", "llama3"];

/// Builds the tokenizer from the file's metadata. For plain GPT-2-style vocabularies (SmolLM,
/// StarCoder, …) candle's default adds a space before the text, which their own tokenizers
/// (and llama.cpp) do not: that is switched off, so token counts match theirs.
pub fn tokenizer(content: &Content) -> Result<Tokenizer, LoadError> {
    let mut tokenizer = Tokenizer::from_gguf(content)
        .map_err(|e| LoadError::Unsupported(format!("its tokenizer: {e}")))?;
    let pre = content
        .metadata
        .get("tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .map_or("gpt2", String::as_str);
    if !KNOWN_PRE.contains(&pre) {
        tokenizer.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
    }
    Ok(tokenizer)
}

/// Token ids of `text` (special tokens such as `<|im_start|>` recognised).
pub fn encode(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>, String> {
    tokenizer
        .encode(text, false)
        .map(|e| e.get_ids().to_vec())
        .map_err(|e| format!("cannot tokenize the prompt: {e}"))
}

/// Why a sequence ended, as OpenAI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// An end-of-turn token or a stop string.
    Stop,
    /// `max_tokens` or the context filled.
    Length,
}

impl Finish {
    /// `stop` or `length`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
        }
    }
}

/// Decodes generated tokens into text as they come.
pub struct Decoder {
    ids: Vec<u32>,
    /// Text of `ids` already decoded (emitted or held back).
    decoded: String,
    /// Bytes of `decoded` already handed out.
    emitted: usize,
    stops: Vec<String>,
}

impl Decoder {
    /// A decoder that ends the text at the first of `stops`.
    pub fn new(stops: Vec<String>) -> Self {
        Self {
            ids: Vec::new(),
            decoded: String::new(),
            emitted: 0,
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
        }
    }

    /// Adds a token; returns the text that is now certain, and whether a stop string ended it.
    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> (String, bool) {
        self.ids.push(id);
        let Ok(text) = tokenizer.decode(&self.ids, true) else {
            return (String::new(), false);
        };
        // A token that ends inside a character decodes to U+FFFD: wait for the rest.
        if text.ends_with('\u{FFFD}') {
            return (String::new(), false);
        }
        self.decoded = text;
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.decoded.find(s.as_str()))
            .min()
        {
            let piece = self
                .decoded
                .get(self.emitted..at)
                .unwrap_or_default()
                .to_owned();
            self.emitted = at.max(self.emitted);
            return (piece, true);
        }
        // Hold back a tail that could still become a stop string.
        let hold = self
            .stops
            .iter()
            .map(|s| longest_prefix_at_end(&self.decoded, s))
            .max()
            .unwrap_or(0);
        let safe = self.decoded.len() - hold;
        if safe <= self.emitted {
            return (String::new(), false);
        }
        let piece = self
            .decoded
            .get(self.emitted..safe)
            .unwrap_or_default()
            .to_owned();
        self.emitted = safe;
        (piece, false)
    }

    /// What was held back, at the end of a sequence that did not stop on a stop string.
    pub fn flush(&mut self) -> String {
        let rest = self
            .decoded
            .get(self.emitted..)
            .unwrap_or_default()
            .to_owned();
        self.emitted = self.decoded.len();
        rest
    }
}

/// Bytes at the end of `text` that are a proper prefix of `stop` (on character boundaries).
fn longest_prefix_at_end(text: &str, stop: &str) -> usize {
    let mut best = 0;
    for (i, _) in stop.char_indices().skip(1) {
        if text.ends_with(&stop[..i]) {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_string_prefix_is_held_back_until_it_is_known() {
        assert_eq!(longest_prefix_at_end("Hello wo", "world"), 2);
        assert_eq!(longest_prefix_at_end("Hello", "world"), 0);
        assert_eq!(longest_prefix_at_end("ab<|", "<|end|>"), 2);
        assert_eq!(longest_prefix_at_end("日本", "本当"), 3);
    }
}
