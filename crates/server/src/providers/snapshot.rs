//! The provider snapshot: every enabled provider with its decrypted keys, held in memory for
//! routing. Read again after a provider change and at least every [`SNAPSHOT_TTL`] (so changes
//! made by another instance arrive too). Loads are single-flight: requests that find the
//! snapshot stale wait for one load instead of each reading providers and decrypting every
//! key; a load that began before [`SnapshotCache::invalidate`] serves its own callers but is
//! never kept.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use uuid::Uuid;

use super::keys::decrypt_key;
use super::service::{Parsed, parse};
use super::store::{self, Provider};
use crate::state::AppState;

/// Longest a snapshot is used before it is read again.
pub const SNAPSHOT_TTL: Duration = Duration::from_secs(10);

/// One enabled provider with its usable keys.
pub struct Entry {
    /// The row.
    pub provider: Provider,
    /// Its JSON columns.
    pub parsed: Parsed,
    /// Enabled keys, decrypted.
    pub keys: Vec<(Uuid, SecretString)>,
}

impl Entry {
    /// Whether it has a key, or needs none.
    pub fn callable(&self) -> bool {
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

/// Every enabled provider, as of one moment.
#[derive(Default)]
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
        for e in self.usable(user_id).filter(|e| e.callable()) {
            out.extend(e.parsed.models.iter().cloned());
            out.extend(e.parsed.aliases.keys().cloned());
        }
        out
    }
}

struct Held<T> {
    at: Instant,
    generation: u64,
    value: Arc<T>,
}

/// A value loaded at most once at a time, kept for [`SNAPSHOT_TTL`] or until invalidated.
pub struct SnapshotCache<T = Snapshot> {
    held: RwLock<Option<Held<T>>>,
    generation: AtomicU64,
    loading: tokio::sync::Mutex<()>,
    ttl: Duration,
}

impl<T> std::fmt::Debug for SnapshotCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SnapshotCache")
    }
}

impl<T> Default for SnapshotCache<T> {
    fn default() -> Self {
        Self::new(SNAPSHOT_TTL)
    }
}

impl<T> SnapshotCache<T> {
    /// Empty: the first caller loads.
    pub fn new(ttl: Duration) -> Self {
        Self {
            held: RwLock::new(None),
            generation: AtomicU64::new(0),
            loading: tokio::sync::Mutex::new(()),
            ttl,
        }
    }

    /// Providers changed: the next caller loads again, and a load running now is not kept.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    fn fresh(&self) -> Option<Arc<T>> {
        let held = self
            .held
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = held.as_ref()?;
        (h.at.elapsed() < self.ttl && h.generation == self.generation.load(Ordering::Acquire))
            .then(|| h.value.clone())
    }

    /// The held value, or a new one from `load` (one load at a time; those who waited take
    /// its result).
    pub async fn get_or_load<F, Fut, E>(&self, load: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.fresh() {
            return Ok(v);
        }
        let _one_at_a_time = self.loading.lock().await;
        if let Some(v) = self.fresh() {
            return Ok(v);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let value = Arc::new(load().await?);
        let mut held = self
            .held
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Invalidated while loading: what was read may predate the change.
        if self.generation.load(Ordering::Acquire) == generation {
            *held = Some(Held {
                at: Instant::now(),
                generation,
                value: value.clone(),
            });
        }
        Ok(value)
    }
}

impl SnapshotCache<Snapshot> {
    /// The current provider snapshot.
    pub async fn snapshot(&self, state: &AppState) -> anyhow::Result<Arc<Snapshot>> {
        self.get_or_load(|| load(state)).await
    }
}

/// Reads the enabled providers and decrypts their enabled keys.
#[tracing::instrument(skip_all)]
async fn load(state: &AppState) -> anyhow::Result<Snapshot> {
    let providers = store::enabled_providers(&state.db.conn).await?;
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
                tracing::error!(key_id = %k.id, error = %e, "provider key cannot be decrypted; skipped");
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    #[expect(clippy::disallowed_methods, reason = "a unit test has no tracker")]
    async fn callers_that_find_it_stale_share_one_load() {
        let cache: Arc<SnapshotCache<u32>> = Arc::new(SnapshotCache::new(Duration::from_secs(60)));
        let loads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, loads) = (cache.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_load(|| async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, ()>(7)
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(*t.await.unwrap().unwrap(), 7);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    #[expect(clippy::disallowed_methods, reason = "a unit test has no tracker")]
    async fn a_load_begun_before_invalidate_is_not_kept() {
        let cache: Arc<SnapshotCache<u32>> = Arc::new(SnapshotCache::new(Duration::from_secs(60)));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load(|| async {
                        let _ = started_tx.send(());
                        let _ = go_rx.await;
                        Ok::<_, ()>(1) // read before the change
                    })
                    .await
            })
        };
        started_rx.await.unwrap();
        cache.invalidate();
        go_tx.send(()).unwrap();
        assert_eq!(*slow.await.unwrap().unwrap(), 1);
        let after = cache
            .get_or_load(|| async { Ok::<_, ()>(2) })
            .await
            .unwrap();
        assert_eq!(*after, 2, "the stale load was written back");
    }
}
