//! The API-key lookups of `/v1`, cached for [`TTL`]: a key and its owner are read from the
//! database at most once a second per key instead of twice per request. A revocation or a
//! change of a user on this instance clears the cache at once; on another instance the
//! change is seen within [`TTL`] (every instance reads the same database).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::service::KeyContext;

/// Longest a cached lookup is used.
pub const TTL: Duration = Duration::from_secs(1);
/// Keys held at most; past that the cache starts again empty.
const CAPACITY: usize = 10_000;

/// Lookups by keyed hash.
#[derive(Debug, Default)]
pub struct KeyCache {
    map: Mutex<HashMap<String, (Instant, KeyContext)>>,
}

impl KeyCache {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (Instant, KeyContext)>) -> T) -> T {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut map)
    }

    /// A lookup younger than [`TTL`].
    pub fn get(&self, hash: &str) -> Option<KeyContext> {
        self.with(|m| {
            m.get(hash)
                .filter(|(at, _)| at.elapsed() < TTL)
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
