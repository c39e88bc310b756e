//! A bounded reader of GGUF headers (the model files llama.cpp, Ollama and our engine load):
//! version, metadata and tensor table, summed up as architecture, parameter count,
//! quantisation, context length and whether a chat template is present. Files come from hubs
//! and users, so every count and length is checked against the bytes the file can still hold
//! before anything is read or allocated; a truncated, corrupt or hostile header is an
//! [`GgufError`], never a panic or a large allocation. Strings we do not keep are skipped.

use std::io::{self, BufReader, Read, Seek};

/// The file's first four bytes.
const MAGIC: &[u8; 4] = b"GGUF";
/// Tensors in a header at most (the largest models have tens of thousands).
const MAX_TENSORS: u64 = 1_000_000;
/// Metadata entries at most.
const MAX_METADATA: u64 = 1_000_000;
/// Longest key.
const MAX_KEY: u64 = 64 * 1024;
/// Longest string value kept (longer ones, such as a huge chat template, are skipped).
const MAX_KEPT_STRING: u64 = 64 * 1024;
/// Arrays inside arrays, at most this deep.
const MAX_DEPTH: u32 = 3;
/// Dimensions of a tensor at most (GGML has 4).
const MAX_DIMS: u32 = 8;

/// What a GGUF header says about its model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufInfo {
    /// Format version (2 or 3).
    pub version: u32,
    /// `general.architecture`, e.g. `llama`, `qwen2`.
    pub architecture: Option<String>,
    /// `general.name`.
    pub name: Option<String>,
    /// Weights in all tensors.
    pub parameter_count: u64,
    /// `general.file_type` as llama.cpp names it (`Q4_K_M`), else the most common tensor type.
    pub quantization: Option<String>,
    /// `{architecture}.context_length`.
    pub context_length: Option<u64>,
    /// Whether `tokenizer.chat_template` is set.
    pub has_chat_template: bool,
    /// Tensors.
    pub tensor_count: u64,
    /// Metadata entries.
    pub metadata_count: u64,
}

/// Why a header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// No `GGUF` magic.
    #[error("not a GGUF file")]
    NotGguf,
    /// A version this reader does not know.
    #[error("GGUF version {0} is not supported (2 and 3 are)")]
    Version(u32),
    /// The file ends inside its header.
    #[error("the GGUF header is truncated")]
    Truncated,
    /// A count, length or shape the file cannot hold, or that no model has.
    #[error("invalid GGUF header: {0}")]
    Invalid(String),
    /// Reading failed.
    #[error(transparent)]
    Io(io::Error),
}

fn invalid(what: impl Into<String>) -> GgufError {
    GgufError::Invalid(what.into())
}

/// A metadata value, as far as the summary needs it.
#[derive(Debug)]
enum Value {
    Uint(u64),
    Int(i64),
    Text(String),
    /// A string too long to keep, or an array, a float or a bool.
    Other,
}

/// A reader that knows how many bytes the file still has.
struct Cursor<R> {
    inner: BufReader<R>,
    left: u64,
}

impl<R: Read + Seek> Cursor<R> {
    fn take(&mut self, n: u64) -> Result<(), GgufError> {
        if n > self.left {
            return Err(GgufError::Truncated);
        }
        self.left -= n;
        Ok(())
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], GgufError> {
        self.take(N as u64)?;
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => GgufError::Truncated,
                _ => GgufError::Io(e),
            })?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn skip(&mut self, n: u64) -> Result<(), GgufError> {
        self.take(n)?;
        let n = i64::try_from(n).map_err(|_| GgufError::Truncated)?;
        self.inner.seek_relative(n).map_err(GgufError::Io)
    }

    /// A length-prefixed string: read if at most `keep` bytes, else skipped (`None`).
    fn string(&mut self, keep: u64) -> Result<Option<String>, GgufError> {
        let len = self.u64()?;
        if len > self.left {
            return Err(GgufError::Truncated);
        }
        if len > keep {
            self.skip(len)?;
            return Ok(None);
        }
        self.take(len)?;
        let mut buf = vec![0u8; usize::try_from(len).map_err(|_| GgufError::Truncated)?];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => GgufError::Truncated,
                _ => GgufError::Io(e),
            })?;
        String::from_utf8(buf)
            .map(Some)
            .map_err(|_| invalid("a string is not UTF-8"))
    }
}

/// Bytes a value of this type takes at least (for bounding arrays), `None` for unknown types.
fn min_size(kind: u32) -> Option<u64> {
    match kind {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        8 | 10..=12 => Some(8),
        9 => Some(12),
        _ => None,
    }
}

fn value<R: Read + Seek>(c: &mut Cursor<R>, kind: u32, depth: u32) -> Result<Value, GgufError> {
    Ok(match kind {
        0 => Value::Uint(u64::from(c.bytes::<1>()?[0])),
        1 => Value::Int(i64::from(i8::from_le_bytes(c.bytes()?))),
        2 => Value::Uint(u64::from(u16::from_le_bytes(c.bytes()?))),
        3 => Value::Int(i64::from(i16::from_le_bytes(c.bytes()?))),
        4 => Value::Uint(u64::from(c.u32()?)),
        5 => Value::Int(i64::from(i32::from_le_bytes(c.bytes()?))),
        10 => Value::Uint(c.u64()?),
        11 => Value::Int(i64::from_le_bytes(c.bytes()?)),
        6 => c.skip(4).map(|()| Value::Other)?,
        7 => c.skip(1).map(|()| Value::Other)?,
        12 => c.skip(8).map(|()| Value::Other)?,
        8 => c.string(MAX_KEPT_STRING)?.map_or(Value::Other, Value::Text),
        9 => {
            if depth >= MAX_DEPTH {
                return Err(invalid("arrays nested too deep"));
            }
            let inner = c.u32()?;
            let count = c.u64()?;
            let size =
                min_size(inner).ok_or_else(|| invalid(format!("unknown value type {inner}")))?;
            if count.checked_mul(size).is_none_or(|n| n > c.left) {
                return Err(GgufError::Truncated);
            }
            match inner {
                // Fixed-size elements: skipped in one step.
                0..=7 | 10..=12 => c.skip(count * size)?,
                // Strings of an array (a vocabulary) are skipped, never allocated.
                8 => {
                    for _ in 0..count {
                        let len = c.u64()?;
                        c.skip(len)?;
                    }
                }
                _ => {
                    for _ in 0..count {
                        value(c, inner, depth + 1)?;
                    }
                }
            }
            Value::Other
        }
        other => return Err(invalid(format!("unknown value type {other}"))),
    })
}

/// The metadata entries: fills in `info`, returns `general.file_type`.
fn read_metadata<R: Read + Seek>(
    c: &mut Cursor<R>,
    info: &mut GgufInfo,
) -> Result<Option<u64>, GgufError> {
    let mut contexts: Vec<(String, u64)> = Vec::new();
    let mut file_type = None;
    for _ in 0..info.metadata_count {
        let key = c
            .string(MAX_KEY)?
            .ok_or_else(|| invalid("a metadata key is too long"))?;
        let kind = c.u32()?;
        let v = value(c, kind, 0)?;
        match (key.as_str(), v) {
            ("general.architecture", Value::Text(s)) => info.architecture = Some(s),
            ("general.name", Value::Text(s)) => info.name = Some(s),
            ("general.file_type", Value::Uint(n)) => file_type = Some(n),
            ("tokenizer.chat_template", _) => info.has_chat_template = true,
            (k, Value::Uint(n)) if k.ends_with(".context_length") => {
                contexts.push((k.to_owned(), n))
            }
            (k, Value::Int(n)) if k.ends_with(".context_length") => {
                contexts.push((k.to_owned(), u64::try_from(n).unwrap_or(0)));
            }
            _ => {}
        }
    }
    if let Some(arch) = &info.architecture {
        let want = format!("{arch}.context_length");
        info.context_length = contexts.iter().find(|(k, _)| *k == want).map(|(_, n)| *n);
    }
    Ok(file_type)
}

/// The tensor table: sums the weights into `info`; returns the weights per tensor type.
fn read_tensors<R: Read + Seek>(
    c: &mut Cursor<R>,
    info: &mut GgufInfo,
) -> Result<Vec<(u32, u64)>, GgufError> {
    let mut by_type: Vec<(u32, u64)> = Vec::new();
    for _ in 0..info.tensor_count {
        // The tensor's name: not needed.
        let name_len = c.u64()?;
        c.skip(name_len)?;
        let dims = c.u32()?;
        if dims == 0 || dims > MAX_DIMS {
            return Err(invalid(format!("a tensor with {dims} dimensions")));
        }
        let mut weights: u64 = 1;
        for _ in 0..dims {
            weights = weights
                .checked_mul(c.u64()?)
                .ok_or_else(|| invalid("a tensor shape overflows"))?;
        }
        let kind = c.u32()?;
        c.skip(8)?;
        info.parameter_count = info
            .parameter_count
            .checked_add(weights)
            .ok_or_else(|| invalid("the parameter count overflows"))?;
        match by_type.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += weights,
            None => by_type.push((kind, weights)),
        }
    }
    Ok(by_type)
}

/// Reads the header of a GGUF file of `len` bytes.
pub fn read_header<R: Read + Seek>(reader: R, len: u64) -> Result<GgufInfo, GgufError> {
    let mut c = Cursor {
        inner: BufReader::with_capacity(64 * 1024, reader),
        left: len,
    };
    if &c.bytes::<4>().map_err(|_| GgufError::NotGguf)? != MAGIC {
        return Err(GgufError::NotGguf);
    }
    let version = c.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::Version(version));
    }
    let tensor_count = c.u64()?;
    let metadata_count = c.u64()?;
    // A tensor entry takes at least 28 bytes, a metadata entry 13.
    if tensor_count > MAX_TENSORS || tensor_count.saturating_mul(28) > c.left {
        return Err(invalid(format!("{tensor_count} tensors")));
    }
    if metadata_count > MAX_METADATA || metadata_count.saturating_mul(13) > c.left {
        return Err(invalid(format!("{metadata_count} metadata entries")));
    }
    let mut info = GgufInfo {
        version,
        architecture: None,
        name: None,
        parameter_count: 0,
        quantization: None,
        context_length: None,
        has_chat_template: false,
        tensor_count,
        metadata_count,
    };
    let file_type = read_metadata(&mut c, &mut info)?;
    let by_type = read_tensors(&mut c, &mut info)?;
    info.quantization = file_type
        .and_then(file_type_name)
        .or_else(|| {
            by_type
                .iter()
                .max_by_key(|(_, n)| *n)
                .and_then(|(k, _)| tensor_type_name(*k))
        })
        .map(str::to_owned);
    Ok(info)
}

/// The quantisation a GGUF file name states (`model.Q4_K_M.gguf`, `model-q8_0-00001-of-00002.gguf`),
/// upper-cased, if any.
pub fn quantization_in_name(name: &str) -> Option<String> {
    let stem = name
        .strip_suffix(".gguf")
        .unwrap_or(name)
        .to_ascii_uppercase();
    let parts: Vec<&str> = stem.split(['.', '-', '_']).collect();
    // Names such as Q4_K_M contain the separator `_`: join neighbours back and try the longest.
    for width in (1..=3).rev() {
        for window in parts.windows(width) {
            let candidate = window.join("_");
            if (0..=37).filter_map(file_type_name).any(|q| q == candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

pub use super::gguf_names::{file_type_name, tensor_type_name};

#[cfg(test)]
#[path = "gguf_tests.rs"]
mod tests;
