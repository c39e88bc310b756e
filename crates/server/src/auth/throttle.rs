//! Login throttling: failed attempts are counted per account and per client IP in fixed
//! windows; past the limit, logins for that key are refused with a retry time — even with the
//! right password — until the window ends. In memory, per instance (Redis-backed counters for
//! several instances come with the usage/quotas feature).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A limit: this many failures per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed in the window.
    pub max_failures: u32,
    /// Window length.
    pub window: Duration,
}

/// Failures allowed per account.
pub const PER_ACCOUNT: Limit = Limit {
    max_failures: 5,
    window: Duration::from_secs(15 * 60),
};
/// Failures allowed per client IP (several accounts behind one NAT share it).
pub const PER_IP: Limit = Limit {
    max_failures: 30,
    window: Duration::from_secs(15 * 60),
};

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Failure counters by key (`account:<name>`, `ip:<addr>`).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    windows: Mutex<HashMap<String, Window>>,
}

impl LoginThrottle {
    /// Seconds to wait if any key is over its limit, else `None`.
    pub fn blocked(&self, keys: &[(String, Limit)]) -> Option<u64> {
        let now = Instant::now();
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter()
            .filter_map(|(key, limit)| {
                let w = windows.get(key)?;
                let end = w.started + limit.window;
                (w.failures >= limit.max_failures && now < end)
                    .then(|| end.duration_since(now).as_secs().max(1))
            })
            .max()
    }

    /// Counts a failed attempt against every key.
    pub fn record_failure(&self, keys: &[(String, Limit)]) {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 100_000 {
            let longest = PER_ACCOUNT.window.max(PER_IP.window);
            windows.retain(|_, w| now.duration_since(w.started) < longest);
        }
        for (key, limit) in keys {
            let w = windows.entry(key.clone()).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now.duration_since(w.started) >= limit.window {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
    }

    /// Forgets an account's failures after a successful login.
    pub fn clear(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let t = LoginThrottle::default();
        let limit = Limit {
            max_failures: 2,
            window: Duration::from_secs(60),
        };
        let keys = vec![("account:bob".to_owned(), limit)];
        assert!(t.blocked(&keys).is_none());
        t.record_failure(&keys);
        assert!(t.blocked(&keys).is_none());
        t.record_failure(&keys);
        let wait = t.blocked(&keys).unwrap();
        assert!((1..=60).contains(&wait));
        t.clear("account:bob");
        assert!(t.blocked(&keys).is_none());
    }

    #[test]
    fn an_expired_window_starts_over() {
        let t = LoginThrottle::default();
        let limit = Limit {
            max_failures: 1,
            window: Duration::from_millis(1),
        };
        let keys = vec![("ip:1.2.3.4".to_owned(), limit)];
        t.record_failure(&keys);
        std::thread::sleep(Duration::from_millis(5));
        assert!(t.blocked(&keys).is_none());
    }
}
