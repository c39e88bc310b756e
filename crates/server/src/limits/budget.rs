//! Budget counters, in memory: reserve a call's worst case before it runs, settle its real
//! cost after. A reservation succeeds only if `spent + reserved + amount ≤ max` for both the
//! cost and the token budget, checked and added under one lock, so concurrent calls can never
//! overspend. A counter seen for the first time in a window is seeded from `usage_events`, so
//! a restart loses nothing that was logged. With `REDIS_URL` the counters are in Redis
//! ([`super::shared`]) instead, shared by every instance.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::shared;
use super::store;
use super::table::Limits;
pub use crate::llm::hooks::{Amount, Owner, Reservation};
use crate::state::AppState;

#[derive(Debug, Default)]
struct Counter {
    window: Option<DateTime<Utc>>,
    spent: Amount,
    reserved: Amount,
}

/// A budget that has no room: when it resets (`None`: never).
#[derive(Debug, Clone, Copy)]
pub struct Spent {
    /// End of the window.
    pub resets_at: Option<DateTime<Utc>>,
}

/// The counters could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The database (seeding from the usage log).
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    /// Redis.
    #[error("Redis: {0}")]
    Redis(String),
}

impl From<redis::RedisError> for LimitError {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e.to_string())
    }
}

/// What the usage log says `owner` spent since `since`.
async fn logged(
    state: &AppState,
    owner: Owner,
    since: Option<DateTime<Utc>>,
) -> Result<Amount, sea_orm::DbErr> {
    let (user, key) = match owner {
        Owner::User(id) => (Some(id), None),
        Owner::Key(id) => (None, Some(id)),
        // Models carry rate limits only (the service refuses a budget on one).
        Owner::Model(_) => return Ok(Amount::default()),
    };
    let (cost_nanos, tokens) = store::spent_since(&state.db.conn, user, key, since).await?;
    Ok(Amount { cost_nanos, tokens })
}

/// The counters of this instance (in memory), or the way to Redis's.
#[derive(Debug, Default)]
pub struct Budgets {
    map: Mutex<HashMap<Owner, Counter>>,
}

impl Budgets {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<Owner, Counter>) -> T) -> T {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut map)
    }

    /// Seeds `owner`'s counter for the window starting at `window` unless it is current.
    async fn ensure(
        &self,
        state: &AppState,
        owner: Owner,
        window: Option<DateTime<Utc>>,
    ) -> Result<(), LimitError> {
        let current = self.with(|m| m.get(&owner).is_some_and(|c| c.window == window));
        if current {
            return Ok(());
        }
        let Amount { cost_nanos, tokens } = logged(state, owner, window).await?;
        self.with(|m| {
            let c = m.entry(owner).or_default();
            // Another call may have seeded it meanwhile: keep what it counted.
            if c.window != window {
                *c = Counter {
                    window,
                    spent: Amount { cost_nanos, tokens },
                    reserved: Amount::default(),
                };
            }
        });
        Ok(())
    }

    /// Reserves `amount` on `owner`'s budget, or says it is spent. In Redis when configured
    /// (one budget for every instance), else in this instance's memory.
    pub async fn reserve(
        &self,
        state: &AppState,
        owner: Owner,
        limits: &Limits,
        amount: Amount,
    ) -> Result<Result<Reservation, Spent>, LimitError> {
        let now = Utc::now();
        let window = limits.period.window(now);
        let start = window.map(|(s, _)| s);
        let reservation = Reservation {
            owner,
            amount,
            window_start: start.map_or(0, |s| s.timestamp()),
        };
        let spent = Spent {
            resets_at: window.map(|(_, e)| e),
        };
        let max = (limits.max_cost_nanos, limits.max_tokens);
        if let Some(redis) = &state.redis {
            let key = shared::budget_key(owner, reservation.window_start);
            // Kept an hour past the window's end, so a late settle still finds it.
            let ttl = window.map_or(0, |(_, e)| (e - now).num_seconds() + 3600);
            let mut seeded = None;
            loop {
                match shared::reserve(redis, &key, seeded, max, amount, ttl).await? {
                    Some(true) => return Ok(Ok(reservation)),
                    Some(false) => return Ok(Err(spent)),
                    None if seeded.is_none() => {
                        seeded = Some(logged(state, owner, start).await?);
                    }
                    None => return Err(LimitError::Redis("the counter vanished".to_owned())),
                }
            }
        }
        self.ensure(state, owner, start).await?;
        Ok(self.with(|m| {
            let c = m.entry(owner).or_default();
            let fits = |max: Option<i64>, spent: i64, reserved: i64, more: i64| {
                max.is_none_or(|max| spent.saturating_add(reserved).saturating_add(more) <= max)
            };
            let ok = fits(
                max.0,
                c.spent.cost_nanos,
                c.reserved.cost_nanos,
                amount.cost_nanos,
            ) && fits(max.1, c.spent.tokens, c.reserved.tokens, amount.tokens);
            if !ok {
                return Err(spent);
            }
            c.reserved.cost_nanos += amount.cost_nanos;
            c.reserved.tokens += amount.tokens;
            Ok(reservation)
        }))
    }

    /// Replaces a reservation with what the call used.
    pub async fn settle(&self, state: &AppState, r: &Reservation, used: Amount) {
        if let Some(redis) = &state.redis {
            let key = shared::budget_key(r.owner, r.window_start);
            if let Err(e) = shared::settle(redis, &key, r.amount, used).await {
                tracing::error!(error = %e, "settling a budget in Redis failed");
            }
            return;
        }
        self.with(|m| {
            if let Some(c) = m.get_mut(&r.owner) {
                c.reserved.cost_nanos = (c.reserved.cost_nanos - r.amount.cost_nanos).max(0);
                c.reserved.tokens = (c.reserved.tokens - r.amount.tokens).max(0);
                c.spent.cost_nanos = c.spent.cost_nanos.saturating_add(used.cost_nanos);
                c.spent.tokens = c.spent.tokens.saturating_add(used.tokens);
            }
        });
    }
}
