//! What a deployment needs before it starts: the model's weights plus its KV cache for the
//! context asked for (from the GGUF's shape: layers × KV heads × head width, f32 for the
//! built-in engine, which keeps one cache per parallel sequence, f16 for the others), plus
//! working memory — set against the memory free now (`MemAvailable`), or a GPU's when one is
//! used. GPUs are chosen by free memory when none is named.

use std::path::Path;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::models::store::ModelRow;
use crate::monitor::gpu;
use crate::monitor::types::GpuSample;

/// `POST /api/deployments/estimate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// A model of the local registry.
    pub model_id: Uuid,
    /// The backend (as for a deployment).
    #[schema(pattern = "^(builtin|llama_cpp|vllm|sglang|custom|ollama)$")]
    pub backend: String,
    /// Context length (default: the model's, at most 4096 for the built-in engine).
    #[schema(minimum = 16, maximum = 1048576)]
    pub context_length: Option<u32>,
    /// Requests decoded at once (built-in engine; default 4).
    #[schema(minimum = 1, maximum = 32)]
    pub parallel: Option<u32>,
    /// A GPU (default: the one with most free memory that fits).
    pub gpu: Option<u32>,
    /// Processes (default 1); each needs the memory of one.
    #[schema(minimum = 1, maximum = 8)]
    pub replicas: Option<u32>,
}

/// A GPU as the estimate sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GpuFit {
    /// Its index.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// Its free memory.
    pub memory_free_bytes: u64,
    /// Whether the model fits in it.
    pub fits: bool,
}

/// What a deployment would need and whether it fits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Estimate {
    /// The weights (the model's files).
    pub model_bytes: u64,
    /// KV cache and working memory for the context.
    pub context_bytes: u64,
    /// Both, times the replicas.
    pub required_bytes: u64,
    /// Memory free now (`None`: unknown).
    pub memory_available_bytes: Option<u64>,
    /// The GPU it would use (`None`: CPU).
    pub gpu: Option<u32>,
    /// Every GPU and whether the model fits in it.
    pub gpus: Vec<GpuFit>,
    /// Whether it fits where it would run.
    pub fits: bool,
    /// Why not, with the numbers.
    pub message: Option<String>,
}

/// Free memory as the kernel counts it (`MemAvailable`), if it says.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Bytes as GiB with two decimals.
pub fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// The context bytes: the KV cache from the GGUF's shape when it can be read, else a share
/// of the weights plus 64 KiB per token; plus working memory: a tenth of the weights and
/// 64 MiB, and for the built-in engine its f32 copy of the token embeddings. (SmolLM2-135M
/// Q4_1 measured: 268 MB resident after loading, 378 MB at the peak of a 1,500-token reply;
/// estimated 280 MB + 46 KB per token.)
pub fn context_bytes(
    path: &Path,
    weights: u64,
    backend: &str,
    ctx: Option<u32>,
    parallel: u32,
) -> u64 {
    let content = llm_engine::load::read_content(path).ok();
    let shape = content.as_ref().and_then(llm_engine::load::kv_shape);
    let working = weights / 10 + (64 << 20);
    let Some(shape) = shape else {
        return working + u64::from(ctx.unwrap_or(4096)) * (1 << 16);
    };
    let builtin = backend == "builtin";
    // The built-in engine holds the token embeddings dequantised (f32).
    // …and requantises the Q4/Q5 weights of small models to Q8_0 (ENGINE.md).
    let growth = content
        .as_ref()
        .map_or(0, |c| llm_engine::weights::requantized_growth(c, weights));
    let working = working
        + if builtin {
            shape.embedding_values * 4 + growth
        } else {
            0
        };
    let default_ctx = if builtin {
        shape.trained_context.min(4096)
    } else {
        shape.trained_context
    };
    let tokens = ctx.map_or(default_ctx, u64::from);
    let (element, caches) = if builtin {
        (4, u64::from(parallel.max(1)))
    } else {
        (2, 1)
    };
    working + tokens * caches * shape.bytes_per_token(element)
}

/// Sets `weights + context` against free memory or the GPUs.
pub fn fit(
    model: &ModelRow,
    context: u64,
    replicas: u64,
    wanted_gpu: Option<u32>,
    gpus: &[GpuSample],
    backend: &str,
) -> Result<Estimate, ApiError> {
    let weights = model.size_bytes.max(0) as u64;
    let needed = (weights + context) * replicas;
    let each = if replicas > 1 {
        format!(" for {replicas} replicas")
    } else {
        String::new()
    };
    if backend == "builtin" && wanted_gpu.is_some() {
        return Err(ApiError::field(
            "gpu",
            "the built-in engine runs on the CPU only; leave `gpu` empty or use another backend",
        ));
    }
    let chosen = if backend == "builtin" {
        None
    } else {
        gpu::choose(gpus, wanted_gpu, needed).map_err(|e| ApiError::field("gpu", e))?
    };
    let fits_list = gpus
        .iter()
        .map(|g| GpuFit {
            index: g.index,
            name: g.name.clone(),
            memory_free_bytes: gpu::free_bytes(g),
            fits: gpu::free_bytes(g) >= needed,
        })
        .collect::<Vec<_>>();
    let free = available_memory();
    let (fits, message) = match chosen.and_then(|i| fits_list.iter().find(|g| g.index == i)) {
        Some(g) if !g.fits => (
            false,
            Some(format!(
                "the model needs about {}{each} ({} of weights and {} for the context each), GPU {} has {} free",
                gib(needed),
                gib(weights),
                gib(context),
                g.index,
                gib(g.memory_free_bytes)
            )),
        ),
        Some(_) => (true, None),
        None => match free {
            Some(free) if needed > free => (
                false,
                Some(format!(
                    "the model needs about {}{each} ({} of weights and {} for the context each), {} of memory is free",
                    gib(needed),
                    gib(weights),
                    gib(context),
                    gib(free)
                )),
            ),
            _ => (true, None),
        },
    };
    Ok(Estimate {
        model_bytes: weights,
        context_bytes: context,
        required_bytes: needed,
        memory_available_bytes: free,
        gpu: chosen,
        gpus: fits_list,
        fits,
        message,
    })
}
