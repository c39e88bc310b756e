//! The model's weights behind one type, and a pool of instances so that every sequence being
//! generated has its own KV cache: an instance is cloned from a pristine copy (the quantised
//! tensors are shared), or read from the file again for a family whose weights cannot be
//! cloned; a finished sequence's instance is cleared and reused.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2, quantized_qwen3};

use crate::load::{LoadError, read_content};

/// One instance of the weights with its KV cache.
pub enum Weights {
    /// Llama, Mistral, SmolLM, …
    Llama(quantized_llama::ModelWeights),
    /// Qwen 2 / 2.5 (not clonable: read again per instance).
    Qwen2(quantized_qwen2::ModelWeights),
    /// Qwen 3.
    Qwen3(quantized_qwen3::ModelWeights),
}

impl Weights {
    /// Loads `architecture`'s weights from `path`.
    pub fn load(architecture: &str, path: &Path) -> Result<Self, LoadError> {
        let content = read_content(path)?;
        let mut reader = BufReader::new(File::open(path)?);
        let device = Device::Cpu;
        let weights = |e: candle_core::Error| LoadError::Weights(e.to_string());
        Ok(match architecture {
            "llama" => Self::Llama(
                quantized_llama::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map_err(weights)?,
            ),
            "qwen2" => Self::Qwen2(
                quantized_qwen2::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map_err(weights)?,
            ),
            "qwen3" => Self::Qwen3(
                quantized_qwen3::ModelWeights::from_gguf(content, &mut reader, &device)
                    .map_err(weights)?,
            ),
            other => {
                return Err(LoadError::Unsupported(format!("architecture `{other}`")));
            }
        })
    }

    /// Logits of the last position for `tokens` placed at `position`.
    pub fn forward(&mut self, tokens: &[u32], position: usize) -> candle_core::Result<Tensor> {
        let input = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
        let logits = match self {
            Self::Llama(m) => m.forward(&input, position)?,
            Self::Qwen2(m) => m.forward(&input, position)?,
            Self::Qwen3(m) => m.forward(&input, position)?,
        };
        logits.squeeze(0)
    }

    /// Forgets the KV cache.
    pub fn clear(&mut self) {
        match self {
            Self::Llama(m) => m.clear_kv_cache(),
            Self::Qwen2(m) => m.clear_kv_cache(),
            Self::Qwen3(m) => m.clear_kv_cache(),
        }
    }

    /// A copy with an empty cache sharing the tensors, where the family allows it.
    fn fresh_copy(&self) -> Option<Self> {
        match self {
            Self::Llama(m) => {
                let mut copy = m.clone();
                copy.clear_kv_cache();
                Some(Self::Llama(copy))
            }
            Self::Qwen3(m) => {
                let mut copy = m.clone();
                copy.clear_kv_cache();
                Some(Self::Qwen3(copy))
            }
            Self::Qwen2(_) => None,
        }
    }
}

/// Instances of the weights, one per sequence in flight.
pub struct Pool {
    architecture: String,
    path: PathBuf,
    free: Vec<Weights>,
}

impl Pool {
    /// A pool holding the first instance.
    pub fn new(architecture: &str, path: &Path, first: Weights) -> Self {
        Self {
            architecture: architecture.to_owned(),
            path: path.to_path_buf(),
            free: vec![first],
        }
    }

    /// An instance with an empty cache.
    pub fn take(&mut self) -> Result<Weights, LoadError> {
        if self.free.len() > 1
            && let Some(w) = self.free.pop()
        {
            return Ok(w);
        }
        if let Some(copy) = self.free.first().and_then(Weights::fresh_copy) {
            return Ok(copy);
        }
        match self.free.pop() {
            Some(w) => Ok(w),
            None => Weights::load(&self.architecture, &self.path),
        }
    }

    /// Gives an instance back, its cache cleared.
    pub fn give(&mut self, mut weights: Weights) {
        weights.clear();
        self.free.push(weights);
    }
}
