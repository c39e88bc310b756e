//! The API-key lookups of `/v1`, cached: a key and its owner are read from the database at
//! most once per TTL per key instead of twice per request. A revocation or a change of a user
//! clears the cache at once, on every instance when they share Redis (`crate::cluster`);
//! without Redis the TTL is a second, so another instance sees the change within it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::service::KeyContext;

/// Keys held at most; past that the cache starts again empty.
const CAPACITY: usize = 10_000;

/// Lookups by keyed hash.
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    map: Mutex<HashMap<String, (Instant, KeyContext)>>,
}

impl KeyCache {
    /// Lookups kept for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            map: Mutex::default(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (Instant, KeyContext)>) -> T) -> T {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut map)
    }

    /// A lookup younger than the TTL.
    pub fn get(&self, hash: &str) -> Option<KeyContext> {
        let ttl = self.ttl;
        self.with(|m| {
            m.get(hash)
                .filter(|(at, _)| at.elapsed() < ttl)
                .map(|(_, ctx)| ctx.clone())
        })
    }

    /// Keeps a lookup.
    pub fn put(&self, hash: String, ctx: KeyContext) {
        self.with(|m| {
            if m.len() >= CAPACITY {
                m.clear();
            }
            m.insert(hash, (Instant::now(), ctx));
        });
    }

    /// Forgets every lookup (a key was revoked or changed, a user changed).
    pub fn clear(&self) {
        self.with(HashMap::clear);
    }
}
