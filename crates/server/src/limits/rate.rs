//! Rate limits, in memory: requests and tokens per minute per user and per key, over an exact
//! sliding 60-second window. A call is admitted if the window holds fewer than `rpm` calls
//! and at most `tpm` tokens with the call's estimate counted in; after the call its entry
//! takes the real token count.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::shared;
use crate::llm::error::RateHeaders;
use crate::llm::hooks::{Owner, RateEntry};
use crate::state::AppState;

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

/// One owner's last minute: its calls in order (ids increasing) and their tokens summed, so
/// a check costs O(1) however many calls the window holds.
#[derive(Debug, Default)]
struct Window {
    entries: VecDeque<Entry>,
    tokens: u64,
}

impl Window {
    fn find(&mut self, id: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |e| e.id).ok()
    }
}

/// The windows of this instance (in memory), or the way to Redis's.
#[derive(Debug)]
pub struct Rates {
    map: Mutex<HashMap<Owner, Window>>,
    next_id: AtomicU64,
    /// Makes this instance's entries unique in a shared window.
    instance: String,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            map: Mutex::default(),
            next_id: AtomicU64::new(0),
            instance: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

fn secs_until(at: Instant, now: Instant) -> u64 {
    (at + WINDOW)
        .saturating_duration_since(now)
        .as_secs()
        .max(1)
}

fn refused(
    outcome: i64,
    (rpm, tpm): (Option<u64>, Option<u64>),
    (count, used, tokens): (u64, u64, u64),
    reset: u64,
) -> Refused {
    Refused {
        retry_after_secs: reset.max(1),
        what: if outcome == 2 { "tokens" } else { "requests" },
        headers: RateHeaders {
            requests: rpm.map(|l| (l, l.saturating_sub(count + 1), reset)),
            tokens: tpm.map(|l| (l, l.saturating_sub(used + tokens), reset)),
        },
    }
}

impl Rates {
    fn member(&self, e: &RateEntry) -> String {
        format!("{}-{}:{}", self.instance, e.id, e.tokens)
    }

    /// Admits a call of about `tokens` tokens, or refuses it. In Redis when configured (one
    /// limit for every instance; Redis failing lets the call through, logged and counted),
    /// else in this instance's memory.
    pub async fn admit(
        &self,
        state: &AppState,
        owner: Owner,
        rpm: Option<u64>,
        tpm: Option<u64>,
        tokens: u64,
    ) -> Result<RateEntry, Refused> {
        let Some(redis) = &state.redis else {
            return self
                .admit_here(owner, rpm, tpm, tokens)
                .map(|id| RateEntry { owner, id, tokens });
        };
        let entry = RateEntry {
            owner,
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            tokens,
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        match shared::admit(
            redis,
            owner,
            (rpm, tpm),
            tokens,
            &self.member(&entry),
            now_ms,
        )
        .await
        {
            Ok((1, ..)) => Ok(entry),
            Ok((outcome, count, used, reset_ms)) => {
                let reset = u64::try_from(reset_ms).unwrap_or(0).div_ceil(1000);
                Err(refused(outcome, (rpm, tpm), (count, used, tokens), reset))
            }
            Err(e) => {
                state.metrics.llm.limit_store_errors.inc();
                tracing::warn!(error = %e, "rate limits in Redis unavailable; letting the call through");
                Ok(entry)
            }
        }
    }

    /// The call did not run after all (another limit refused it).
    pub async fn forget(&self, state: &AppState, e: &RateEntry) {
        match &state.redis {
            Some(redis) => {
                if let Err(err) = shared::replace(redis, e.owner, &self.member(e), "").await {
                    tracing::warn!(error = %err, "rate-limit entry not removed from Redis");
                }
            }
            None => self.forget_here(e.owner, e.id),
        }
    }

    /// The call used `tokens` in the end.
    pub async fn settle(&self, state: &AppState, e: &RateEntry, tokens: u64) {
        match &state.redis {
            Some(redis) => {
                let new = self.member(&RateEntry { tokens, ..*e });
                if let Err(err) = shared::replace(redis, e.owner, &self.member(e), &new).await {
                    tracing::warn!(error = %err, "rate-limit entry not settled in Redis");
                }
            }
            None => self.settle_here(e.owner, e.id, tokens),
        }
    }

    /// [`Self::admit`] in memory; the id settles it later.
    pub fn admit_here(
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
        let w = map.entry(owner).or_default();
        while let Some(e) = w
            .entries
            .front()
            .filter(|e| now.duration_since(e.at) >= WINDOW)
        {
            w.tokens = w.tokens.saturating_sub(e.tokens);
            w.entries.pop_front();
        }
        let count = w.entries.len() as u64;
        let used = w.tokens;
        let reset = w.entries.front().map_or(0, |e| secs_until(e.at, now));
        if rpm.is_some_and(|limit| count >= limit) {
            return Err(refused(0, (rpm, tpm), (count, used, tokens), reset));
        }
        if tpm.is_some_and(|limit| count > 0 && used + tokens > limit) {
            return Err(refused(2, (rpm, tpm), (count, used, tokens), reset));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        w.entries.push_back(Entry {
            at: now,
            id,
            tokens,
        });
        w.tokens = w.tokens.saturating_add(tokens);
        Ok(id)
    }

    /// [`Self::forget`] in memory.
    pub fn forget_here(&self, owner: Owner, id: u64) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(w) = map.get_mut(&owner)
            && let Some(i) = w.find(id)
            && let Some(e) = w.entries.remove(i)
        {
            w.tokens = w.tokens.saturating_sub(e.tokens);
        }
    }

    /// [`Self::settle`] in memory.
    pub fn settle_here(&self, owner: Owner, id: u64, tokens: u64) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(w) = map.get_mut(&owner)
            && let Some(i) = w.find(id)
            && let Some(e) = w.entries.get_mut(i)
        {
            w.tokens = w.tokens.saturating_sub(e.tokens).saturating_add(tokens);
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
            rates.admit_here(who, Some(5), None, 10).unwrap();
        }
        let refused = rates.admit_here(who, Some(5), None, 10).unwrap_err();
        assert_eq!(refused.what, "requests");
        assert!((1..=60).contains(&refused.retry_after_secs));
        assert_eq!(refused.headers.requests.unwrap().1, 0);
        // Another key is not affected.
        rates
            .admit_here(Owner::Key(uuid::Uuid::max()), Some(5), None, 10)
            .unwrap();
    }

    #[test]
    fn tokens_per_minute_count_the_estimate_then_the_real_use() {
        let rates = Rates::default();
        let who = Owner::User(uuid::Uuid::nil());
        let id = rates.admit_here(who, None, Some(100), 90).unwrap();
        assert_eq!(
            rates.admit_here(who, None, Some(100), 20).unwrap_err().what,
            "tokens"
        );
        rates.settle_here(who, id, 30);
        rates.admit_here(who, None, Some(100), 20).unwrap();
    }
}
