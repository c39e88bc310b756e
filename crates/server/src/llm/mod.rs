//! The LLM call pipeline: every call to a model, whoever makes it, passes here. It owns
//! channel resolution ([`route`]), fail-over and retries ([`failover`]), the circuit breakers,
//! the upstream calls ([`upstream`]), the one stream reader ([`stream`]), usage from the
//! provider or counted ([`meter`], [`tokens`]), the before and after steps ([`hooks`]) and the
//! one error ([`error`]). Front ends (`/v1`, chat, guest chat, titles, provider tests) only
//! write their own wire formats on top of [`call`].

pub mod call;
pub mod error;
pub mod failover;
pub mod hooks;
pub mod meter;
pub mod route;
pub mod scrub;
pub mod stream;
pub mod tokens;
pub mod upstream;

use std::sync::Arc;
use std::time::Duration;

pub use call::{
    Call, Completion, Outcome, Streaming, admit, complete, embed, open, refuse, release,
};
pub use error::LlmError;
pub use meter::{Caller, Source};
pub use route::Channel;
pub use stream::Sink;

use crate::providers::snapshot::SnapshotCache;
use crate::usage::UsageSender;

/// Call limits from the configuration.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// Ranges and address:ports user-supplied URLs may reach although not public.
    pub outbound_allow: Vec<crate::net::ssrf::AllowEntry>,
    /// Extra attempts after the first (on the next channels).
    pub retries: u32,
    /// Longest silence between two chunks of a stream.
    pub stream_idle_timeout: Duration,
    /// Longest a stream may run.
    pub max_stream: Duration,
}

/// Pipeline state shared by all calls (per instance: the snapshot and the breakers).
pub struct LlmState {
    /// Providers with decrypted keys.
    pub snapshots: SnapshotCache,
    /// The price table.
    pub prices: SnapshotCache<crate::usage::prices::Prices>,
    /// Circuit breakers.
    pub breakers: route::Breakers,
    /// Usage events out.
    pub usage: UsageSender,
    /// Token counting when upstreams report none.
    pub tokenizer: Arc<tokens::Tokenizer>,
    /// The before and after steps.
    pub hooks: Box<dyn hooks::Hooks>,
}

impl std::fmt::Debug for LlmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LlmState")
    }
}

impl LlmState {
    /// New state; call [`tokens::Tokenizer::warm`] once a runtime runs.
    pub fn new(usage: UsageSender) -> Self {
        Self {
            snapshots: SnapshotCache::default(),
            prices: SnapshotCache::default(),
            breakers: route::Breakers::default(),
            usage,
            tokenizer: Arc::new(tokens::Tokenizer::default()),
            hooks: Box::new(hooks::Unlimited),
        }
    }

    /// Providers changed: routing reads them again.
    pub fn invalidate(&self) {
        self.snapshots.invalidate();
    }
}
