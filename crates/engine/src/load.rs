//! What a GGUF file holds and whether this engine can serve it: the architecture, the
//! tokenizer kind, the tensor types, the context length, the chat template and the special
//! tokens. A model it cannot serve is refused with the reason and the way out (the llama.cpp
//! backend), never a crash.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};

/// The architectures the engine runs (`general.architecture`).
pub const ARCHITECTURES: &[&str] = &["llama", "qwen2", "qwen3"];

/// The most context the llama loader has room for (its rotary tables are this long).
const LLAMA_MAX_CONTEXT: usize = 4096;

/// Why a model cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file cannot be read.
    #[error("cannot read the model file: {0}")]
    Io(#[from] std::io::Error),
    /// Not a GGUF file this engine can parse (includes quantisation types it lacks).
    #[error("not a GGUF file the built-in engine can read ({0}); the llama.cpp backend reads more")]
    Format(String),
    /// A GGUF it can read but not serve.
    #[error(
        "the built-in engine cannot serve this model: {0}; deploy it with the llama.cpp backend"
    )]
    Unsupported(String),
    /// The weights failed to load.
    #[error("cannot load the weights: {0}")]
    Weights(String),
}

/// What the engine needs to know of a model before loading its weights.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// `general.architecture`.
    pub architecture: String,
    /// `general.name`, or the file's stem.
    pub name: String,
    /// Tokens of context the engine allows (the model's, bounded by the loader's).
    pub context_length: usize,
    /// The Jinja chat template, if the file has one.
    pub chat_template: Option<String>,
    /// Token ids that end a reply.
    pub eos_ids: Vec<u32>,
    /// The BOS token's text, for templates that want it.
    pub bos_token: String,
    /// The EOS token's text.
    pub eos_token: String,
}

fn text(md: &HashMap<String, Value>, key: &str) -> Option<String> {
    md.get(key).and_then(|v| v.to_string().ok()).cloned()
}

fn number(md: &HashMap<String, Value>, key: &str) -> Option<u64> {
    let v = md.get(key)?;
    v.to_u64().ok().or_else(|| v.to_u32().ok().map(u64::from))
}

/// The shape of a model's KV cache, from its GGUF metadata (any architecture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvShape {
    /// Transformer blocks.
    pub layers: u64,
    /// Key/value heads (fewer than query heads with grouped-query attention).
    pub kv_heads: u64,
    /// Width of one head.
    pub head_dim: u64,
    /// The context the model was trained for.
    pub trained_context: u64,
    /// Values in the token-embedding table (vocabulary × embedding width), which the
    /// built-in engine holds dequantised in f32.
    pub embedding_values: u64,
}

impl KvShape {
    /// Bytes of keys and values per token at `element_bytes` per value (4: f32, 2: f16).
    pub fn bytes_per_token(&self, element_bytes: u64) -> u64 {
        2 * self.layers * self.kv_heads * self.head_dim * element_bytes
    }
}

/// Reads the KV cache's shape from GGUF metadata, if it is all there.
pub fn kv_shape(content: &Content) -> Option<KvShape> {
    let md = &content.metadata;
    let arch = text(md, "general.architecture")?;
    let key = |k: &str| number(md, &format!("{arch}.{k}"));
    let heads = key("attention.head_count")?;
    let head_dim =
        key("attention.key_length").or_else(|| Some(key("embedding_length")? / heads.max(1)))?;
    Some(KvShape {
        layers: key("block_count")?,
        kv_heads: key("attention.head_count_kv").unwrap_or(heads),
        head_dim,
        trained_context: key("context_length").unwrap_or(2048),
        embedding_values: key("embedding_length").unwrap_or(0)
            * match md.get("tokenizer.ggml.tokens") {
                Some(Value::Array(tokens)) => tokens.len() as u64,
                _ => 0,
            },
    })
}

/// Reads the header of `path` (weights untouched).
pub fn read_content(path: &Path) -> Result<Content, LoadError> {
    let mut reader = BufReader::new(File::open(path)?);
    Content::read(&mut reader).map_err(|e| LoadError::Format(e.to_string()))
}

/// Checks that the engine can serve the model and gathers what it needs.
pub fn inspect(path: &Path, content: &Content) -> Result<ModelInfo, LoadError> {
    let md = &content.metadata;
    let architecture = text(md, "general.architecture")
        .ok_or_else(|| LoadError::Format("no general.architecture".into()))?;
    if !ARCHITECTURES.contains(&architecture.as_str()) {
        return Err(LoadError::Unsupported(format!(
            "architecture `{architecture}` (it runs {})",
            ARCHITECTURES.join(", ")
        )));
    }
    let tokenizer = text(md, "tokenizer.ggml.model").unwrap_or_default();
    if tokenizer != "gpt2" {
        return Err(LoadError::Unsupported(format!(
            "tokenizer `{tokenizer}` (it reads GPT-2-style BPE vocabularies only; SentencePiece \
             `llama` vocabularies are not supported)"
        )));
    }
    let tokens = match md.get("tokenizer.ggml.tokens") {
        Some(Value::Array(tokens)) => tokens.len(),
        _ => return Err(LoadError::Format("no tokenizer.ggml.tokens".into())),
    };
    let trained = number(md, &format!("{architecture}.context_length")).unwrap_or(2048) as usize;
    let context_length = if architecture == "llama" {
        trained.min(LLAMA_MAX_CONTEXT)
    } else {
        trained
    };
    let token_text = |id: Option<u64>| -> String {
        let Some(id) = id else { return String::new() };
        match md.get("tokenizer.ggml.tokens") {
            Some(Value::Array(all)) => all
                .get(id as usize)
                .and_then(|v| v.to_string().ok())
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        }
    };
    let eos = number(md, "tokenizer.ggml.eos_token_id");
    let mut eos_ids: Vec<u32> = eos.into_iter().map(|id| id as u32).collect();
    // Chat models end a turn with their own marker, often not the file's EOS.
    if let Some(Value::Array(all)) = md.get("tokenizer.ggml.tokens") {
        for (i, t) in all.iter().enumerate() {
            if let Ok(t) = t.to_string()
                && [
                    "<|im_end|>",
                    "<|eot_id|>",
                    "<|endoftext|>",
                    "<|end|>",
                    "<end_of_turn>",
                ]
                .contains(&t.as_str())
                && !eos_ids.contains(&(i as u32))
            {
                eos_ids.push(i as u32);
            }
        }
    }
    if eos_ids.iter().any(|id| *id as usize >= tokens) {
        return Err(LoadError::Format(
            "the EOS token id is outside the vocabulary".into(),
        ));
    }
    Ok(ModelInfo {
        name: text(md, "general.name").unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "model".into())
        }),
        chat_template: text(md, "tokenizer.chat_template"),
        bos_token: token_text(number(md, "tokenizer.ggml.bos_token_id")),
        eos_token: token_text(eos),
        eos_ids,
        context_length,
        architecture,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kv_shape_is_read_from_the_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        crate::tiny::Tiny::default().write_file(&path).unwrap();
        let content = read_content(&path).unwrap();
        let shape = kv_shape(&content).unwrap();
        let vocab = match content.metadata.get("tokenizer.ggml.tokens") {
            Some(Value::Array(t)) => t.len() as u64,
            _ => 0,
        };
        // Two blocks, two KV heads of 64 / 4 = 16 values: 2 × 2 × 2 × 16 × 4 bytes per token.
        assert_eq!((shape.layers, shape.kv_heads, shape.head_dim), (2, 2, 16));
        assert_eq!(shape.bytes_per_token(4), 512);
        assert_eq!(shape.embedding_values, 64 * vocab);
    }
}
