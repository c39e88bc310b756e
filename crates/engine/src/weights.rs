//! The model's weights behind one type, and a pool of instances so that every sequence being
//! generated has its own KV cache: an instance is cloned from a pristine copy (the quantised
//! tensors are shared), or read from the file again for a family whose weights cannot be
//! cloned; a finished sequence's instance is cleared and reused.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2, quantized_qwen3};

use crate::load::{LoadError, read_content};

/// Where the weights are read from: the file, or a requantised copy in memory.
enum Reader {
    File(BufReader<File>),
    Memory(std::io::Cursor<Vec<u8>>),
}

impl std::io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::File(f) => f.read(buf),
            Self::Memory(m) => m.read(buf),
        }
    }
}

impl std::io::Seek for Reader {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        match self {
            Self::File(f) => f.seek(pos),
            Self::Memory(m) => m.seek(pos),
        }
    }
}

/// Files up to this size are requantised (the copy is made in memory while loading).
const REQUANTIZE_UP_TO: u64 = 2 << 30;

fn slow(dtype: candle_core::quantized::GgmlDType) -> bool {
    use candle_core::quantized::GgmlDType;
    matches!(
        dtype,
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1
    )
}

fn convertible(info: &gguf_file::TensorInfo) -> bool {
    slow(info.ggml_dtype) && info.shape.dims().last().is_some_and(|d| d % 32 == 0)
}

/// Whether loading requantises the model (`LLM_ENGINE_REQUANTIZE=0` turns it off): it has
/// Q4_0/Q4_1/Q5_0/Q5_1 tensors and the file is at most 2 GiB. Measured on SmolLM2 Q4_1 (2 cores):
/// generation ×3, prompt ×5, the same greedy output.
pub fn requantizes(content: &gguf_file::Content, file_size: u64) -> bool {
    std::env::var("LLM_ENGINE_REQUANTIZE").map_or(true, |v| v != "0")
        && file_size <= REQUANTIZE_UP_TO
        && content.tensor_infos.values().any(convertible)
}

/// Bytes the weights grow by when loading requantises them (Q8_0: 34 bytes per 32 values).
pub fn requantized_growth(content: &gguf_file::Content, file_size: u64) -> u64 {
    if !requantizes(content, file_size) {
        return 0;
    }
    content
        .tensor_infos
        .values()
        .filter(|i| convertible(i))
        .map(|i| {
            let n = i.shape.elem_count() as u64;
            let now = n / i.ggml_dtype.block_size() as u64 * i.ggml_dtype.type_size() as u64;
            (n / 32 * 34).saturating_sub(now)
        })
        .sum()
}

/// The model with its Q4_0/Q4_1/Q5_0/Q5_1 tensors requantised to Q8_0, whose dot products
/// have SIMD kernels on x86 (the others run the generic loop), written to memory as a GGUF.
fn requantized(
    content: gguf_file::Content,
    reader: &mut BufReader<File>,
) -> candle_core::Result<(gguf_file::Content, std::io::Cursor<Vec<u8>>)> {
    use candle_core::quantized::{GgmlDType, QTensor};
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    for (name, info) in &content.tensor_infos {
        let qt = content.tensor(reader, name, &Device::Cpu)?;
        let qt = if convertible(info) {
            QTensor::quantize(&qt.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?
        } else {
            qt
        };
        tensors.push((name.clone(), qt));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &refs)?;
    out.set_position(0);
    let content = gguf_file::Content::read(&mut out)?;
    Ok((content, out))
}

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
        let mut file = BufReader::new(File::open(path)?);
        let device = Device::Cpu;
        let weights = |e: candle_core::Error| LoadError::Weights(e.to_string());
        let size = std::fs::metadata(path)?.len();
        let (content, mut reader) = if requantizes(&content, size) {
            let (c, r) = requantized(content, &mut file).map_err(weights)?;
            (c, Reader::Memory(r))
        } else {
            (content, Reader::File(file))
        };
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

#[cfg(test)]
mod tests {
    use candle_core::quantized::{GgmlDType, QTensor};

    use super::*;

    #[test]
    fn q4_weights_of_small_files_are_requantised_and_their_growth_is_counted()
    -> candle_core::Result<()> {
        let values = Tensor::arange(0f32, 2048.0, &Device::Cpu)?.reshape((32, 64))?;
        let q4 = QTensor::quantize(&values, GgmlDType::Q4_0)?;
        let f32 = QTensor::quantize(&values, GgmlDType::F32)?;
        let mut buf = std::io::Cursor::new(Vec::new());
        let arch = gguf_file::Value::String("llama".into());
        gguf_file::write(
            &mut buf,
            &[("general.architecture", &arch)],
            &[("a", &q4), ("b", &f32)],
        )?;
        buf.set_position(0);
        let content = gguf_file::Content::read(&mut buf)?;
        assert!(requantizes(&content, 1 << 20));
        assert!(
            !requantizes(&content, 3 << 30),
            "big files are loaded as they are"
        );
        // 2048 values: Q4_0 holds them in 64 blocks of 18 bytes, Q8_0 in 64 of 34.
        assert_eq!(requantized_growth(&content, 1 << 20), 64 * 16);
        assert_eq!(requantized_growth(&content, 3 << 30), 0);
        Ok(())
    }
}
