//! Budget counters, in memory: reserve a call's worst case before it runs, settle its real
//! cost after. A reservation succeeds only if `spent + reserved + amount ≤ max` for both the
//! cost and the token budget, checked and added under one lock, so concurrent calls can never
//! overspend. A counter seen for the first time in a window is seeded from `usage_events`, so
//! a restart loses nothing that was logged.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::store;
use super::table::Limits;
pub use crate::llm::hooks::{Amount, Owner};
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

/// The counters of this instance.
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
    ) -> Result<(), sea_orm::DbErr> {
        let current = self.with(|m| m.get(&owner).is_some_and(|c| c.window == window));
        if current {
            return Ok(());
        }
        let (user, key) = match owner {
            Owner::User(id) => (Some(id), None),
            Owner::Key(id) => (None, Some(id)),
        };
        let (cost_nanos, tokens) = store::spent_since(&state.db.conn, user, key, window).await?;
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

    /// Reserves `amount` on `owner`'s budget, or says it is spent.
    pub async fn reserve(
        &self,
        state: &AppState,
        owner: Owner,
        limits: &Limits,
        amount: Amount,
    ) -> Result<Result<(), Spent>, sea_orm::DbErr> {
        let window = limits.period.window(Utc::now());
        let start = window.map(|(s, _)| s);
        self.ensure(state, owner, start).await?;
        Ok(self.with(|m| {
            let c = m.entry(owner).or_default();
            let fits = |max: Option<i64>, spent: i64, reserved: i64, more: i64| {
                max.is_none_or(|max| spent.saturating_add(reserved).saturating_add(more) <= max)
            };
            let ok = fits(
                limits.max_cost_nanos,
                c.spent.cost_nanos,
                c.reserved.cost_nanos,
                amount.cost_nanos,
            ) && fits(
                limits.max_tokens,
                c.spent.tokens,
                c.reserved.tokens,
                amount.tokens,
            );
            if !ok {
                return Err(Spent {
                    resets_at: window.map(|(_, e)| e),
                });
            }
            c.reserved.cost_nanos += amount.cost_nanos;
            c.reserved.tokens += amount.tokens;
            Ok(())
        }))
    }

    /// Replaces a reservation with what the call used.
    pub fn settle(&self, owner: Owner, reserved: Amount, used: Amount) {
        self.with(|m| {
            if let Some(c) = m.get_mut(&owner) {
                c.reserved.cost_nanos = (c.reserved.cost_nanos - reserved.cost_nanos).max(0);
                c.reserved.tokens = (c.reserved.tokens - reserved.tokens).max(0);
                c.spent.cost_nanos = c.spent.cost_nanos.saturating_add(used.cost_nanos);
                c.spent.tokens = c.spent.tokens.saturating_add(used.tokens);
            }
        });
    }

    /// What `owner` spent in the current window, and its window's end (for the user's page).
    pub fn spent(&self, owner: Owner) -> Option<Amount> {
        self.with(|m| m.get(&owner).map(|c| c.spent))
    }
}
