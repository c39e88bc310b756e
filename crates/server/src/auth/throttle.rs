//! Login throttling: failed attempts are counted per account *and* client address, and per
//! client address alone, in fixed windows (bounded in memory; IPv6 clients by their /64).
//! Past a limit, logins for that key are refused with a retry time — even with the right
//! password — until the window ends. An account is never locked as a whole: failures from one
//! address do not keep its owner (or the last admin) out from another. In memory, per instance.

use std::time::Duration;

use crate::net::window::{WindowCounter, client_key_str};

/// A limit: this many failures per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed in the window.
    pub max_failures: u32,
    /// Window length.
    pub window: Duration,
}

/// Failures allowed per account from one client address.
pub const PER_ACCOUNT: Limit = Limit {
    max_failures: 5,
    window: Duration::from_secs(15 * 60),
};
/// Failures allowed per client IP (several accounts behind one NAT share it).
pub const PER_IP: Limit = Limit {
    max_failures: 30,
    window: Duration::from_secs(15 * 60),
};

/// Keys held at most per generation (see [`WindowCounter`]).
const CAPACITY: usize = 100_000;

/// Failure counters by key (`account:<name>`, `ip:<client key>`).
#[derive(Debug)]
pub struct LoginThrottle {
    windows: WindowCounter<String>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            windows: WindowCounter::new(CAPACITY),
        }
    }
}

impl LoginThrottle {
    /// Seconds to wait if any key is over its limit, else `None`.
    pub fn blocked(&self, keys: &[(String, Limit)]) -> Option<u64> {
        keys.iter()
            .filter_map(|(key, limit)| self.windows.blocked(key, limit.max_failures, limit.window))
            .max()
    }

    /// Counts a failed attempt against every key.
    pub fn record_failure(&self, keys: &[(String, Limit)]) {
        for (key, limit) in keys {
            self.windows.add(key, limit.window);
        }
    }

    /// Forgets an account's failures after a successful login.
    pub fn clear(&self, key: &str) {
        self.windows.remove(&key.to_owned());
    }
}

/// The throttle key of an account tried from a client address (IPv6 by its /64).
pub fn account_key(account: &str, ip: &str) -> String {
    format!("account:{account}@{}", client_key_str(ip))
}

/// The throttle key of a client address (IPv6 by its /64).
pub fn ip_key(ip: &str) -> String {
    format!("ip:{}", client_key_str(ip))
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
