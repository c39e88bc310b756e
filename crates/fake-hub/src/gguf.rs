//! A writer of small, valid GGUF files for tests: metadata entries and tensors of
//! pseudo-random F32 weights, so a download can be checked for what its header says.

/// Writes GGUF files for tests: metadata entries and tensors of random F32 weights.
#[derive(Debug, Clone)]
pub struct TinyGguf {
    version: u32,
    metadata: Vec<(String, Vec<u8>)>,
    tensors: Vec<(String, Vec<u64>, u32)>,
}

impl Default for TinyGguf {
    fn default() -> Self {
        Self::new()
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl TinyGguf {
    /// An empty GGUF v3.
    pub fn new() -> Self {
        Self {
            version: 3,
            metadata: Vec::new(),
            tensors: Vec::new(),
        }
    }

    /// A small llama-like model: architecture, name, file type (llama.cpp's number, e.g. 15 =
    /// Q4_K_M), context length, a chat template and two tensors.
    pub fn model(architecture: &str, name: &str, file_type: u32) -> Self {
        Self::new()
            .text("general.architecture", architecture)
            .text("general.name", name)
            .u32("general.file_type", file_type)
            .u32(&format!("{architecture}.context_length"), 2048)
            .text(
                "tokenizer.chat_template",
                "{% for m in messages %}{{ m.content }}{% endfor %}",
            )
            .tensor("token_embd.weight", &[16, 4], 0)
            .tensor("blk.0.attn_q.weight", &[16, 16], 0)
    }

    /// Adds a string entry.
    pub fn text(mut self, key: &str, value: &str) -> Self {
        let mut v = 8u32.to_le_bytes().to_vec();
        string(&mut v, value);
        self.metadata.push((key.to_owned(), v));
        self
    }

    /// Adds a u32 entry.
    pub fn u32(mut self, key: &str, value: u32) -> Self {
        let mut v = 4u32.to_le_bytes().to_vec();
        v.extend_from_slice(&value.to_le_bytes());
        self.metadata.push((key.to_owned(), v));
        self
    }

    /// Adds an array-of-strings entry.
    pub fn strings(mut self, key: &str, values: &[&str]) -> Self {
        let mut v = 9u32.to_le_bytes().to_vec();
        v.extend_from_slice(&8u32.to_le_bytes());
        v.extend_from_slice(&(values.len() as u64).to_le_bytes());
        for s in values {
            string(&mut v, s);
        }
        self.metadata.push((key.to_owned(), v));
        self
    }

    /// Adds a tensor of the given dimensions and type (its data is written as F32).
    pub fn tensor(mut self, name: &str, dims: &[u64], kind: u32) -> Self {
        self.tensors.push((name.to_owned(), dims.to_vec(), kind));
        self
    }

    /// The header alone: magic, counts, metadata and the tensor table.
    pub fn header(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            string(&mut out, k);
            out.extend_from_slice(v);
        }
        let mut offset = 0u64;
        for (name, dims, kind) in &self.tensors {
            string(&mut out, name);
            out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
            for d in dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            offset += dims.iter().product::<u64>() * 4;
        }
        out
    }

    fn weights(&self) -> u64 {
        self.tensors
            .iter()
            .map(|(_, dims, _)| dims.iter().product::<u64>())
            .sum()
    }

    /// The whole file: the header, padding to 32 bytes, random F32 weights.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        let offset = self.weights() * 4;
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        // Random F32 weights (a small LCG: the values do not matter, their bytes do).
        let mut seed = 0x2545_f491_u64;
        for _ in 0..offset / 4 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            out.extend_from_slice(&((seed >> 40) as f32 / 16_777_216.0 - 0.5).to_le_bytes());
        }
        out
    }

    /// The whole file followed by pseudo-random filler up to `size` bytes (at least the file),
    /// for downloads large enough to have several segments.
    pub fn padded(&self, size: usize) -> Vec<u8> {
        let mut out = self.bytes();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ size as u64;
        while out.len() < size {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let take = (size - out.len()).min(8);
            out.extend_from_slice(&seed.to_le_bytes()[..take]);
        }
        out
    }
}
