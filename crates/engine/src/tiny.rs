//! Tiny random-weight GGUF models for tests (of this crate and of the server's deployments):
//! a llama-architecture model of a few hundred kilobytes with a GPT-2 byte-level vocabulary,
//! written with candle's own GGUF writer, so loading, tokenizing, templating and serving run
//! for real in milliseconds. Its answers are noise; their shape and counts are what tests check.

use std::io::{Seek, Write};

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

/// How the tiny model is built.
#[derive(Debug, Clone)]
pub struct Tiny {
    /// `general.architecture` (only `llama` loads; others test refusals).
    pub architecture: String,
    /// `tokenizer.ggml.model` (`gpt2` loads).
    pub tokenizer: String,
    /// Trained context length.
    pub context_length: u32,
    /// Whether the vocabulary has ChatML's `<|im_start|>` / `<|im_end|>` (an end-of-turn
    /// token the model may sample, which ends a reply early).
    pub chatml_tokens: bool,
}

impl Default for Tiny {
    fn default() -> Self {
        Self {
            architecture: "llama".into(),
            tokenizer: "gpt2".into(),
            context_length: 256,
            chatml_tokens: true,
        }
    }
}

const EMBD: usize = 64;
const FF: usize = 128;
const HEADS: u32 = 4;
const KV_HEADS: u32 = 2;
const BLOCKS: usize = 2;

/// GPT-2's byte-level alphabet: every byte as one printable character.
fn byte_symbols() -> Vec<String> {
    let direct: Vec<u32> = (33..=126).chain(161..=172).chain(174..=255).collect();
    let mut out = vec![String::new(); 256];
    let mut extra = 0;
    for b in 0..256u32 {
        let c = if direct.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        out[b as usize] = char::from_u32(c).map(String::from).unwrap_or_default();
    }
    out
}

fn random(rows: usize, cols: usize) -> candle_core::Result<QTensor> {
    let t = Tensor::randn(0f32, 0.3, (rows, cols), &Device::Cpu)?;
    QTensor::quantize(&t, GgmlDType::F32)
}

fn ones(n: usize) -> candle_core::Result<QTensor> {
    QTensor::quantize(
        &Tensor::ones(n, candle_core::DType::F32, &Device::Cpu)?,
        GgmlDType::F32,
    )
}

impl Tiny {
    /// Writes the model to `w`.
    pub fn write<W: Write + Seek>(&self, w: &mut W) -> candle_core::Result<()> {
        let mut tokens = byte_symbols();
        let mut types = vec![1u32; tokens.len()];
        if self.chatml_tokens {
            tokens.extend(["<|im_start|>".to_owned(), "<|im_end|>".to_owned()]);
            types.extend([3, 3]);
        }
        let vocab = tokens.len();
        let arch = self.architecture.as_str();
        let key = |k: &str| format!("{arch}.{k}");
        let text = |s: &str| Value::String(s.to_owned());
        let metadata: Vec<(String, Value)> = vec![
            ("general.architecture".into(), text(arch)),
            ("general.name".into(), text("Tiny Random")),
            (key("block_count"), Value::U32(BLOCKS as u32)),
            (key("embedding_length"), Value::U32(EMBD as u32)),
            (key("feed_forward_length"), Value::U32(FF as u32)),
            (key("attention.head_count"), Value::U32(HEADS)),
            (key("attention.head_count_kv"), Value::U32(KV_HEADS)),
            (key("rope.dimension_count"), Value::U32(EMBD as u32 / HEADS)),
            (key("attention.layer_norm_rms_epsilon"), Value::F32(1e-5)),
            (key("context_length"), Value::U32(self.context_length)),
            ("tokenizer.ggml.model".into(), text(&self.tokenizer)),
            ("tokenizer.ggml.pre".into(), text("gpt2")),
            (
                "tokenizer.ggml.tokens".into(),
                Value::Array(tokens.into_iter().map(Value::String).collect()),
            ),
            (
                "tokenizer.ggml.token_type".into(),
                Value::Array(types.into_iter().map(Value::U32).collect()),
            ),
            ("tokenizer.ggml.merges".into(), Value::Array(Vec::new())),
        ];
        let kv = EMBD / HEADS as usize * KV_HEADS as usize;
        let mut tensors: Vec<(String, QTensor)> = vec![
            ("token_embd.weight".into(), random(vocab, EMBD)?),
            ("output_norm.weight".into(), ones(EMBD)?),
        ];
        for i in 0..BLOCKS {
            let p = |n: &str| format!("blk.{i}.{n}.weight");
            tensors.extend([
                (p("attn_norm"), ones(EMBD)?),
                (p("attn_q"), random(EMBD, EMBD)?),
                (p("attn_k"), random(kv, EMBD)?),
                (p("attn_v"), random(kv, EMBD)?),
                (p("attn_output"), random(EMBD, EMBD)?),
                (p("ffn_norm"), ones(EMBD)?),
                (p("ffn_gate"), random(FF, EMBD)?),
                (p("ffn_up"), random(FF, EMBD)?),
                (p("ffn_down"), random(EMBD, FF)?),
            ]);
        }
        let md: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, t)| (k.as_str(), t)).collect();
        gguf_file::write(w, &md, &ts)
    }

    /// Writes the model to a file.
    pub fn write_file(&self, path: &std::path::Path) -> candle_core::Result<()> {
        let mut file = std::fs::File::create(path)?;
        self.write(&mut file)
    }
}
