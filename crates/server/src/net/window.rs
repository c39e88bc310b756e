//! Fixed-window counters keyed by client, bounded in memory, for the login throttle and the
//! guest limiter. Clients are keyed by [`client_key`]: an IPv4 address as it is, an IPv6
//! address by its /64 (one subscriber's allocation: a client rotating addresses inside it is
//! still one client).
//!
//! Memory: two generations of at most `capacity` keys each. When the current one fills, it
//! becomes the previous one and the oldest generation is dropped outside the lock — O(1) per
//! hit, no scan. A key found in the previous generation moves to the current one, so an
//! active client keeps its count; only keys idle through a whole generation are forgotten.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The key a client address is counted under.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

/// [`client_key`] of a textual address; the text itself when it is not an address.
pub fn client_key_str(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(addr) => client_key(addr).to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

#[derive(Debug)]
struct Generations<K> {
    current: HashMap<K, Window>,
    previous: HashMap<K, Window>,
}

/// Counts per key in fixed windows.
#[derive(Debug)]
pub struct WindowCounter<K> {
    inner: Mutex<Generations<K>>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone> WindowCounter<K> {
    /// At most `capacity` keys per generation.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
            }),
            capacity: capacity.max(1),
        }
    }

    /// Runs `f` on the key's window (created if missing, restarted if older than `window`).
    fn with<T>(&self, key: &K, window: Duration, f: impl FnOnce(&mut Window, Instant) -> T) -> T {
        let now = Instant::now();
        let mut dropped = None;
        let out = {
            let mut g = self
                .inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !g.current.contains_key(key) {
                let moved = g.previous.remove(key);
                if g.current.len() >= self.capacity {
                    let full = std::mem::take(&mut g.current);
                    dropped = Some(std::mem::replace(&mut g.previous, full));
                }
                let w = moved.unwrap_or(Window {
                    started: now,
                    count: 0,
                });
                g.current.insert(key.clone(), w);
            }
            match g.current.get_mut(key) {
                Some(w) => {
                    if now.duration_since(w.started) >= window {
                        *w = Window {
                            started: now,
                            count: 0,
                        };
                    }
                    f(w, now)
                }
                None => f(
                    &mut Window {
                        started: now,
                        count: 0,
                    },
                    now,
                ),
            }
        };
        // The old generation is freed outside the lock.
        drop(dropped);
        out
    }

    /// Seconds until the key's window ends when its count reached `limit`, else `None`.
    pub fn blocked(&self, key: &K, limit: u32, window: Duration) -> Option<u64> {
        let g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = g.current.get(key).or_else(|| g.previous.get(key))?;
        let end = w.started + window;
        let now = Instant::now();
        (w.count >= limit && now < end).then(|| end.duration_since(now).as_secs().max(1))
    }

    /// Counts one event.
    pub fn add(&self, key: &K, window: Duration) {
        self.with(key, window, |w, _| w.count = w.count.saturating_add(1));
    }

    /// Counts one event unless the count already reached `limit`; `Err(seconds until the
    /// window ends)` then.
    pub fn hit(&self, key: &K, limit: u32, window: Duration) -> Result<(), u64> {
        self.with(key, window, |w, now| {
            if w.count >= limit {
                let left = window.saturating_sub(now.duration_since(w.started));
                return Err(left.as_secs().max(1));
            }
            w.count += 1;
            Ok(())
        })
    }

    /// Forgets a key.
    pub fn remove(&self, key: &K) {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.current.remove(key);
        g.previous.remove(key);
    }

    /// Keys held (both generations).
    pub fn len(&self) -> usize {
        let g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.current.len() + g.previous.len()
    }

    /// No key held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_key_str("2001:db8:1:2::9"), "2001:db8:1:2::");
    }

    #[test]
    fn limits_in_a_window_and_stays_bounded() {
        let c = WindowCounter::new(100);
        assert!(c.hit(&1u32, 2, HOUR).is_ok());
        assert!(c.hit(&1, 2, HOUR).is_ok());
        assert!(c.hit(&1, 2, HOUR).is_err());
        for k in 2..10_000u32 {
            c.add(&k, HOUR);
        }
        assert!(c.len() <= 200, "{}", c.len());
        // Key 1 was idle for many generations: forgotten; an active key keeps its count.
        c.add(&20_000, HOUR);
        for k in 30_000..30_150u32 {
            c.add(&k, HOUR);
            c.add(&20_000, HOUR);
        }
        assert!(c.blocked(&20_000, 151, HOUR).is_some());
    }

    #[test]
    fn an_expired_window_starts_over() {
        let c = WindowCounter::new(10);
        let short = Duration::from_millis(1);
        c.add(&"k", short);
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.hit(&"k", 1, short).is_ok());
        c.remove(&"k");
        assert!(c.is_empty());
    }
}
