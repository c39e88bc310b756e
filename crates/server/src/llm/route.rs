//! Routing: which channels may serve a model for a caller, in which order, and the circuit
//! breakers that rest failing channels. The providers themselves come from the snapshot in
//! [`crate::providers::snapshot`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use llm_adapters::types::{ChatRequest, ProviderKind};
use rand::Rng;
use secrecy::SecretString;
use uuid::Uuid;

use super::error::LlmError;
use super::upstream::Target;
use crate::providers::snapshot::{Entry, Snapshot};
use crate::providers::types::DefaultParams;
use crate::state::AppState;

/// Consecutive failures that open a channel's circuit.
pub const BREAKER_THRESHOLD: u32 = 3;
/// How long an open circuit rests the channel.
pub const BREAKER_REST: Duration = Duration::from_secs(30);

/// One way to serve a request: a provider, one key, the upstream model name.
#[derive(Clone, Debug)]
pub struct Channel {
    /// Where and how to call.
    pub target: Target,
    /// Upstream model name.
    pub upstream_model: String,
    /// The provider's default parameters.
    pub defaults: DefaultParams,
    /// Wire format.
    pub kind: ProviderKind,
}

impl Channel {
    /// Provider `p` with one of its keys, calling `model` (a provider test).
    pub fn direct(
        p: &crate::providers::store::Provider,
        parsed: &crate::providers::service::Parsed,
        key: SecretString,
        key_id: Option<Uuid>,
        model: &str,
    ) -> Self {
        Self {
            target: Target::new(p, key, key_id),
            upstream_model: model.to_owned(),
            defaults: parsed.defaults.clone(),
            kind: parsed.kind,
        }
    }

    /// The request for this channel: its upstream model, and the provider's defaults for
    /// parameters the request left unset.
    pub fn prepare(&self, req: &ChatRequest) -> ChatRequest {
        let mut req = req.clone();
        req.model = self.upstream_model.clone();
        req.temperature = req.temperature.or(self.defaults.temperature);
        req.top_p = req.top_p.or(self.defaults.top_p);
        req.max_tokens = req.max_tokens.or(self.defaults.max_tokens);
        req
    }
}

type ChannelId = (Uuid, Option<Uuid>);

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

/// The circuit breakers of every channel (per instance).
#[derive(Default)]
pub struct Breakers {
    map: Mutex<HashMap<ChannelId, Breaker>>,
}

impl std::fmt::Debug for Breakers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Breakers")
    }
}

impl Breakers {
    /// The channels that may serve `model` for `user_id`, best first: personal providers
    /// before shared, higher priority first, equal priority shuffled by weight, each
    /// provider's keys shuffled. Channels resting after failures are left out.
    pub fn candidates(&self, snap: &Snapshot, user_id: Uuid, model: &str) -> Vec<Channel> {
        let mut rng = rand::rng();
        let mut ranked: Vec<(bool, i32, f64, &Entry, String)> = snap
            .usable(user_id)
            .filter(|e| e.callable())
            .filter_map(|e| {
                let upstream = e.upstream_model(model)?;
                // Weighted random order (Efraimidis–Spirakis): larger key goes first.
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                let key = u.powf(1.0 / f64::from(e.provider.weight.max(1)));
                Some((
                    e.provider.owner_id.is_some(),
                    e.provider.priority,
                    key,
                    e,
                    upstream,
                ))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(b.2.total_cmp(&a.2)));
        let now = Instant::now();
        let breakers = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = Vec::new();
        for (_, _, _, e, upstream) in ranked {
            let mut keys: Vec<(Option<Uuid>, SecretString)> = if e.keys.is_empty() {
                vec![(None, SecretString::from(String::new()))]
            } else {
                e.keys
                    .iter()
                    .map(|(id, k)| (Some(*id), k.clone()))
                    .collect()
            };
            // Shuffle keys so load spreads over them.
            for i in (1..keys.len()).rev() {
                keys.swap(i, rng.random_range(0..=i));
            }
            for (key_id, key) in keys {
                let resting = breakers
                    .get(&(e.provider.id, key_id))
                    .and_then(|b| b.open_until)
                    .is_some_and(|until| until > now);
                if resting {
                    continue;
                }
                out.push(Channel {
                    target: Target::new(&e.provider, key, key_id),
                    upstream_model: upstream.clone(),
                    defaults: e.parsed.defaults.clone(),
                    kind: e.parsed.kind,
                });
            }
        }
        out
    }

    /// Whether some channel for `model` exists but rests (to answer 503 rather than 404).
    pub fn all_resting(&self, snap: &Snapshot, user_id: Uuid, model: &str) -> bool {
        snap.usable(user_id)
            .any(|e| e.callable() && e.upstream_model(model).is_some())
    }

    /// A call on the channel succeeded: its failure count starts again.
    pub fn record_success(&self, target: &Target) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&(target.provider_id, target.key_id));
    }

    /// Every channel of a provider starts afresh (a local deployment that came back after a
    /// crash is not left resting for what its previous process did).
    pub fn forget_provider(&self, provider_id: Uuid) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|(p, _), _| *p != provider_id);
    }

    /// A call on the channel failed in a way that counts against it; after
    /// [`BREAKER_THRESHOLD`] in a row the channel rests for [`BREAKER_REST`] (after the rest
    /// one failure opens it again, one success closes it).
    pub fn record_failure(&self, target: &Target) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = map.entry((target.provider_id, target.key_id)).or_default();
        b.failures += 1;
        if b.failures >= BREAKER_THRESHOLD {
            b.open_until = Some(Instant::now() + BREAKER_REST);
            tracing::warn!(
                provider = %target.provider_name,
                failures = b.failures,
                "channel failing; resting it"
            );
        }
    }
}

/// The channels that may serve `model` for `user_id`, best first; the error says whether
/// the model is unknown or only resting.
pub async fn channels(
    state: &AppState,
    user_id: Uuid,
    model: &str,
) -> Result<Vec<Channel>, LlmError> {
    let snap = snapshot(state).await?;
    let channels = state.llm.breakers.candidates(&snap, user_id, model);
    if channels.is_empty() {
        if state.llm.breakers.all_resting(&snap, user_id, model) {
            return Err(LlmError::Resting(model.to_owned()));
        }
        return Err(LlmError::ModelNotFound(model.to_owned()));
    }
    Ok(channels)
}

/// The public model names a user may call, sorted.
pub async fn model_names(state: &AppState, user_id: Uuid) -> Result<Vec<String>, LlmError> {
    Ok(snapshot(state)
        .await?
        .model_names(user_id)
        .into_iter()
        .collect())
}

async fn snapshot(state: &AppState) -> Result<std::sync::Arc<Snapshot>, LlmError> {
    state.llm.snapshots.snapshot(state).await.map_err(|e| {
        tracing::error!(error = %e, "reading providers failed");
        LlmError::Internal
    })
}
