//! Tests of the GGUF header reader: tiny GGUFs written by the fake hub's writer (header,
//! metadata, tensor table and random weights), every truncation, hostile counts and lengths,
//! and random corruption.

use std::io::Cursor;

use fake_hub::TinyGguf;

use super::*;

/// A GGUF string: u64 length, bytes.
fn string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn model() -> Vec<u8> {
    tiny().bytes()
}

fn tiny() -> TinyGguf {
    TinyGguf::new()
        .text("general.architecture", "llama")
        .text("general.name", "Tiny Llama")
        .u32("general.file_type", 15)
        .u32("llama.context_length", 2048)
        .u32("qwen2.context_length", 7)
        .strings("tokenizer.ggml.tokens", &["<s>", "</s>", "hello", "世界"])
        .text(
            "tokenizer.chat_template",
            "{% for m in messages %}{{ m.content }}{% endfor %}",
        )
        .tensor("token_embd.weight", &[16, 4], 0)
        .tensor("blk.0.attn_q.weight", &[16, 16], 0)
}

fn read(bytes: &[u8]) -> Result<GgufInfo, GgufError> {
    read_header(Cursor::new(bytes), bytes.len() as u64)
}

#[test]
fn a_tiny_model_is_summed_up() {
    let info = read(&model()).unwrap();
    assert_eq!(info.version, 3);
    assert_eq!(info.architecture.as_deref(), Some("llama"));
    assert_eq!(info.name.as_deref(), Some("Tiny Llama"));
    assert_eq!(info.parameter_count, 16 * 4 + 16 * 16);
    assert_eq!(info.quantization.as_deref(), Some("Q4_K_M"));
    assert_eq!(
        info.context_length,
        Some(2048),
        "the architecture's own key"
    );
    assert!(info.has_chat_template);
    assert_eq!((info.tensor_count, info.metadata_count), (2, 7));
}

#[test]
fn without_a_file_type_the_most_common_tensor_type_names_the_quantisation() {
    let bytes = TinyGguf::new()
        .text("general.architecture", "qwen2")
        .tensor("a", &[8, 8], 12)
        .tensor("b", &[2], 0)
        .bytes();
    let info = read(&bytes).unwrap();
    assert_eq!(info.quantization.as_deref(), Some("Q4_K"));
    assert_eq!(info.context_length, None);
    assert!(!info.has_chat_template);
}

#[test]
fn every_truncation_is_an_error_and_never_a_panic() {
    let bytes = model();
    let header_end = tiny().header().len();
    assert!(
        read(bytes.get(..header_end).unwrap()).is_ok(),
        "the header alone is enough"
    );
    for cut in 0..header_end {
        let prefix = bytes.get(..cut).unwrap();
        assert!(read(prefix).is_err(), "a file cut at byte {cut} was read");
    }
}

#[test]
fn other_files_and_versions_are_named() {
    assert!(matches!(
        read(b"PK\x03\x04 a zip file"),
        Err(GgufError::NotGguf)
    ));
    assert!(matches!(read(b""), Err(GgufError::NotGguf)));
    let mut v1 = model();
    v1.get_mut(4..8)
        .unwrap()
        .copy_from_slice(&1u32.to_le_bytes());
    assert!(matches!(read(&v1), Err(GgufError::Version(1))));
}

/// A header whose tensor and metadata counts are `tensors` and `metadata`, then `rest`.
fn hostile(tensors: u64, metadata: u64, rest: &[u8]) -> Vec<u8> {
    let mut out = b"GGUF".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&tensors.to_le_bytes());
    out.extend_from_slice(&metadata.to_le_bytes());
    out.extend_from_slice(rest);
    out
}

#[test]
fn absurd_counts_and_lengths_are_refused_before_anything_is_allocated() {
    // Counts the file cannot hold.
    assert!(matches!(
        read(&hostile(u64::MAX, 0, &[])),
        Err(GgufError::Invalid(_))
    ));
    assert!(matches!(
        read(&hostile(0, u64::MAX / 2, &[0; 64])),
        Err(GgufError::Invalid(_))
    ));
    // A key claiming 2^62 bytes.
    let mut rest = (1u64 << 62).to_le_bytes().to_vec();
    rest.extend_from_slice(&[0; 32]);
    assert!(matches!(
        read(&hostile(0, 1, &rest)),
        Err(GgufError::Truncated)
    ));
    // An array of 2^60 u64 values.
    let mut rest = Vec::new();
    string(&mut rest, "k");
    rest.extend_from_slice(&9u32.to_le_bytes());
    rest.extend_from_slice(&10u32.to_le_bytes());
    rest.extend_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(matches!(
        read(&hostile(0, 1, &rest)),
        Err(GgufError::Truncated)
    ));
    // Arrays nested without end.
    let mut rest = Vec::new();
    string(&mut rest, "k");
    rest.extend_from_slice(&9u32.to_le_bytes());
    for _ in 0..8 {
        rest.extend_from_slice(&9u32.to_le_bytes());
        rest.extend_from_slice(&1u64.to_le_bytes());
    }
    rest.extend_from_slice(&[0; 64]);
    assert!(matches!(
        read(&hostile(0, 1, &rest)),
        Err(GgufError::Invalid(_))
    ));
    // A tensor of 2^40 × 2^40 weights overflows the count.
    let mut rest = Vec::new();
    string(&mut rest, "t");
    rest.extend_from_slice(&3u32.to_le_bytes());
    for d in [1u64 << 40, 1 << 40, 1 << 40] {
        rest.extend_from_slice(&d.to_le_bytes());
    }
    rest.extend_from_slice(&[0; 64]);
    assert!(matches!(
        read(&hostile(1, 0, &rest)),
        Err(GgufError::Invalid(_))
    ));
    // An unknown value type.
    let mut rest = Vec::new();
    string(&mut rest, "k");
    rest.extend_from_slice(&99u32.to_le_bytes());
    rest.extend_from_slice(&[0; 64]);
    assert!(matches!(
        read(&hostile(0, 1, &rest)),
        Err(GgufError::Invalid(_))
    ));
}

#[test]
fn random_corruption_never_panics() {
    let original = model();
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    for _ in 0..5_000 {
        let mut bytes = original.clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() as usize) % bytes.len();
            if let Some(b) = bytes.get_mut(at) {
                *b = next() as u8;
            }
        }
        // Either a summary or an error; what matters is that it returns.
        let _outcome = read(&bytes);
    }
}

#[test]
fn quantisations_are_found_in_file_names() {
    for (name, q) in [
        ("qwen2.5-0.5b-instruct-q4_k_m.gguf", Some("Q4_K_M")),
        ("Llama-3.2-1B-Instruct.Q8_0.gguf", Some("Q8_0")),
        ("model-Q5_K_S-00001-of-00003.gguf", Some("Q5_K_S")),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", Some("Q4_1")),
        ("phi-3-mini-f16.gguf", Some("F16")),
        ("README.md", None),
    ] {
        assert_eq!(quantization_in_name(name).as_deref(), q, "{name}");
    }
}

/// SmolLM2-135M-Instruct (Q4_1), the real model `scripts/test.sh` installs from PyPI.
#[test]
fn the_real_smollm2_header_is_read() {
    let path = std::env::var("LLM_MANAGER_TEST_GGUF").expect(
        "LLM_MANAGER_TEST_GGUF names the SmolLM2 GGUF; scripts/test.sh installs it and sets it",
    );
    let file = std::fs::File::open(&path).unwrap();
    let len = file.metadata().unwrap().len();
    let info = read_header(file, len).unwrap();
    assert_eq!(info.version, 3);
    assert_eq!(info.architecture.as_deref(), Some("llama"));
    assert_eq!(info.quantization.as_deref(), Some("Q4_1"));
    assert_eq!(info.context_length, Some(8192));
    assert!(info.has_chat_template);
    assert_eq!(
        info.tensor_count, 272,
        "210 Q4_1, 61 F32 and 1 Q8_0 tensors"
    );
    assert!(
        (130_000_000..140_000_000).contains(&info.parameter_count),
        "{} parameters",
        info.parameter_count
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

    /// Any header cut anywhere and followed by any bytes, and any bytes overwritten: the reader
    /// returns (an answer or an error), and what it answers fits in the file.
    #[test]
    fn any_bytes_are_read_or_refused(
        cut in 0usize..600,
        tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        edits in proptest::collection::vec((0usize..600, proptest::prelude::any::<u8>()), 0..6),
    ) {
        let mut bytes = model();
        bytes.truncate(cut.min(bytes.len()));
        bytes.extend_from_slice(&tail);
        for (at, b) in edits {
            let len = bytes.len();
            if let Some(slot) = bytes.get_mut(at % len.max(1)) {
                *slot = b;
            }
        }
        if let Ok(info) = read(&bytes) {
            proptest::prop_assert!(info.tensor_count.saturating_mul(28) <= bytes.len() as u64);
            proptest::prop_assert!(info.metadata_count.saturating_mul(13) <= bytes.len() as u64);
        }
    }
}
