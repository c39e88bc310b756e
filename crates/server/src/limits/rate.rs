//! Rate limits, in memory: requests and tokens per minute per user and per key, over an exact
//! sliding 60-second window. A call is admitted if the window holds fewer than `rpm` calls
//! and at most `tpm` tokens with the call's estimate counted in; after the call its entry
//! takes the real token count.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::llm::error::RateHeaders;
use crate::llm::hooks::Owner;

/// The window.
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Entry {
    at: Instant,
    id: u64,
    tokens: u64,
}

/// A refused call: when to try again, and the headers to send.
#[derive(Debug, Clone)]
pub struct Refused {
    /// Seconds until the window has room.
    pub retry_after_secs: u64,
    /// Which limit: `requests` or `tokens`.
    pub what: &'static str,
    /// Headers.
    pub headers: RateHeaders,
}

/// The windows of this instance.
#[derive(Debug, Default)]
pub struct Rates {
    map: Mutex<HashMap<Owner, VecDeque<Entry>>>,
    next_id: AtomicU64,
}

fn secs_until(at: Instant, now: Instant) -> u64 {
    (at + WINDOW)
        .saturating_duration_since(now)
        .as_secs()
        .max(1)
}

impl Rates {
    /// Admits a call of about `tokens` tokens, or refuses it; the id settles it later.
    pub fn admit(
        &self,
        owner: Owner,
        rpm: Option<u64>,
        tpm: Option<u64>,
        tokens: u64,
    ) -> Result<u64, Refused> {
        let now = Instant::now();
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let q = map.entry(owner).or_default();
        while q
            .front()
            .is_some_and(|e| now.duration_since(e.at) >= WINDOW)
        {
            q.pop_front();
        }
        let count = q.len() as u64;
        let used: u64 = q.iter().map(|e| e.tokens).sum();
        let reset = q.front().map_or(0, |e| secs_until(e.at, now));
        let headers = RateHeaders {
            requests: rpm.map(|l| (l, l.saturating_sub(count + 1), reset)),
            tokens: tpm.map(|l| (l, l.saturating_sub(used + tokens), reset)),
        };
        if let Some(limit) = rpm
            && count >= limit
        {
            return Err(Refused {
                retry_after_secs: reset,
                what: "requests",
                headers,
            });
        }
        if let Some(limit) = tpm
            && count > 0
            && used + tokens > limit
        {
            return Err(Refused {
                retry_after_secs: reset,
                what: "tokens",
                headers,
            });
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        q.push_back(Entry {
            at: now,
            id,
            tokens,
        });
        Ok(id)
    }

    /// The call `id` did not run after all (another limit refused it).
    pub fn forget(&self, owner: Owner, id: u64) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(q) = map.get_mut(&owner) {
            q.retain(|e| e.id != id);
        }
    }

    /// The call `id` used `tokens` in the end.
    pub fn settle(&self, owner: Owner, id: u64, tokens: u64) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = map
            .get_mut(&owner)
            .and_then(|q| q.iter_mut().find(|e| e.id == id))
        {
            e.tokens = tokens;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_request_in_a_minute_is_refused() {
        let rates = Rates::default();
        let who = Owner::Key(uuid::Uuid::nil());
        for _ in 0..5 {
            rates.admit(who, Some(5), None, 10).unwrap();
        }
        let refused = rates.admit(who, Some(5), None, 10).unwrap_err();
        assert_eq!(refused.what, "requests");
        assert!((1..=60).contains(&refused.retry_after_secs));
        assert_eq!(refused.headers.requests.unwrap().1, 0);
        // Another key is not affected.
        rates
            .admit(Owner::Key(uuid::Uuid::max()), Some(5), None, 10)
            .unwrap();
    }

    #[test]
    fn tokens_per_minute_count_the_estimate_then_the_real_use() {
        let rates = Rates::default();
        let who = Owner::User(uuid::Uuid::nil());
        let id = rates.admit(who, None, Some(100), 90).unwrap();
        assert_eq!(
            rates.admit(who, None, Some(100), 20).unwrap_err().what,
            "tokens"
        );
        rates.settle(who, id, 30);
        rates.admit(who, None, Some(100), 20).unwrap();
    }
}
