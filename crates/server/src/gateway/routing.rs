//! Routing: which channels may serve a model for a user, in which order, and the circuit
//! breaker that rests failing channels. Provider rows and decrypted keys are held in an
//! in-memory snapshot, rebuilt after any provider change and at least every
//! [`SNAPSHOT_TTL`] (so changes made by another instance arrive too).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use llm_adapters::types::ProviderKind;
use rand::Rng;
use secrecy::SecretString;
use uuid::Uuid;

use super::upstream::Target;
use crate::providers::service::{Parsed, decrypt_key, parse};
use crate::providers::store::{self, Provider};
use crate::providers::types::DefaultParams;
use crate::state::AppState;

/// Longest a snapshot is used before it is read again.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(10);
/// Consecutive failures that open a channel's circuit.
pub const BREAKER_THRESHOLD: u32 = 3;
/// How long an open circuit rests the channel.
pub const BREAKER_REST: Duration = Duration::from_secs(30);

/// One enabled provider with its usable keys.
pub struct Entry {
    /// The row.
    pub provider: Provider,
    /// Its JSON columns.
    pub parsed: Parsed,
    /// Enabled keys, decrypted.
    pub keys: Vec<(Uuid, SecretString)>,
}

/// Every enabled provider, as of one moment.
pub struct Snapshot {
    entries: Vec<Entry>,
}

impl Snapshot {
    /// Providers user `user_id` may route to.
    pub fn usable(&self, user_id: Uuid) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |e| e.provider.owner_id.is_none_or(|o| o == user_id))
    }

    /// The public model names a user may call (models and aliases), sorted.
    pub fn model_names(&self, user_id: Uuid) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for e in self.usable(user_id) {
            if !e.callable() {
                continue;
            }
            out.extend(e.parsed.models.iter().cloned());
            out.extend(e.parsed.aliases.keys().cloned());
        }
        out
    }
}

impl Entry {
    /// Whether it has a key, or needs none.
    fn callable(&self) -> bool {
        !self.keys.is_empty() || !self.parsed.kind.needs_key()
    }

    /// The upstream name of a public model name, if this provider serves it.
    pub fn upstream_model(&self, model: &str) -> Option<String> {
        if let Some(target) = self.parsed.aliases.get(model) {
            return Some(target.clone());
        }
        self.parsed
            .models
            .iter()
            .any(|m| m == model)
            .then(|| model.to_owned())
    }
}

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

type ChannelId = (Uuid, Option<Uuid>);

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

/// Routing state shared by all requests.
pub struct Router {
    snapshot: RwLock<Option<(Instant, Arc<Snapshot>)>>,
    breakers: Mutex<HashMap<ChannelId, Breaker>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Router")
    }
}

impl Default for Router {
    fn default() -> Self {
        Self::new()
    }
}

impl Router {
    /// Empty: the first request reads the providers.
    pub fn new() -> Self {
        Self {
            snapshot: RwLock::new(None),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// Drops the snapshot so the next request reads providers again.
    pub fn invalidate(&self) {
        *self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The current snapshot, read from the database when stale.
    pub async fn snapshot(&self, state: &AppState) -> anyhow::Result<Arc<Snapshot>> {
        {
            let guard = self
                .snapshot
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((at, snap)) = guard.as_ref()
                && at.elapsed() < SNAPSHOT_TTL
            {
                return Ok(snap.clone());
            }
        }
        let snap = Arc::new(load(state).await?);
        *self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), snap.clone()));
        Ok(snap)
    }

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
            .breakers
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
            .breakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&(target.provider_id, target.key_id));
    }

    /// A call on the channel failed in a way that counts against it; after
    /// [`BREAKER_THRESHOLD`] in a row the channel rests for [`BREAKER_REST`] (after the rest
    /// one failure opens it again, one success closes it).
    pub fn record_failure(&self, target: &Target) {
        let mut map = self
            .breakers
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

async fn load(state: &AppState) -> anyhow::Result<Snapshot> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let providers = store::providers::Entity::find()
        .filter(store::providers::Column::Enabled.eq(true))
        .all(&state.db.conn)
        .await?;
    let ids: Vec<Uuid> = providers.iter().map(|p| p.id).collect();
    let keys = store::list_keys(&state.db.conn, &ids).await?;
    let mut by_provider: HashMap<Uuid, Vec<(Uuid, SecretString)>> = HashMap::new();
    for k in keys.iter().filter(|k| k.enabled) {
        match decrypt_key(state, k) {
            Ok(secret) => by_provider
                .entry(k.provider_id)
                .or_default()
                .push((k.id, secret)),
            Err(e) => {
                tracing::error!(key_id = %k.id, error = %e, "provider key cannot be decrypted; skipped")
            }
        }
    }
    let entries = providers
        .into_iter()
        .map(|p| Entry {
            parsed: parse(&p),
            keys: by_provider.remove(&p.id).unwrap_or_default(),
            provider: p,
        })
        .collect();
    Ok(Snapshot { entries })
}
