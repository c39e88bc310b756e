//! The two steps every LLM call passes: *before the call* (rate limits, budget reservation:
//! may refuse with [`LlmError::Limited`]) and *after the call* (settle the reservation against
//! what was used, then the usage event goes to the writer). The pipeline calls them exactly
//! once each per call, on every path, success or failure; a call refused by `before` still
//! gets its `after` and its usage event.

use futures::future::BoxFuture;
use llm_adapters::types::Message;
use uuid::Uuid;

use super::error::LlmError;
use super::meter::Caller;
use crate::state::AppState;
use crate::usage::UsageEvent;

/// What the before step knows of a call.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// Who calls.
    pub caller: Caller,
    /// Public model name.
    pub model: &'a str,
    /// Answer tokens asked for at most (`None`: the provider's default).
    pub max_tokens: Option<u32>,
    /// The prompt.
    pub prompt: &'a [Message],
}

/// Whose limits a counter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A user (all their calls).
    User(Uuid),
    /// One API key.
    Key(Uuid),
    /// One model, for every caller ([`Owner::model`] names it).
    Model(Uuid),
}

impl Owner {
    /// The owner of a model's counters: a name-based UUID, the same on every instance.
    pub fn model(name: &str) -> Self {
        Self::Model(Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("llmm-model:{name}").as_bytes(),
        ))
    }
}

/// Cost (nano-units of the currency) and tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amount {
    /// Nano-units.
    pub cost_nanos: i64,
    /// Tokens.
    pub tokens: i64,
}

/// A budget reservation of one call.
#[derive(Debug, Clone, Copy)]
pub struct Reservation {
    /// Whose budget.
    pub owner: Owner,
    /// Reserved.
    pub amount: Amount,
    /// The window's start (Unix seconds; 0 for a total budget).
    pub window_start: i64,
}

/// A rate-limit window entry of one call.
#[derive(Debug, Clone, Copy)]
pub struct RateEntry {
    /// Whose limit.
    pub owner: Owner,
    /// The entry's id (unique per instance).
    pub id: u64,
    /// Tokens counted for it so far.
    pub tokens: u64,
}

/// What the before step granted; handed back to the after step to settle.
#[derive(Debug, Default)]
pub struct Admission {
    /// Budget reservations made for this call.
    pub reservations: Vec<Reservation>,
    /// Rate-limit window entries of this call.
    pub rate_entries: Vec<RateEntry>,
}

/// Limits and budgets around every call.
pub trait Hooks: Send + Sync {
    /// Admits the call, or refuses it.
    fn before<'a>(
        &'a self,
        state: &'a AppState,
        plan: &'a Plan<'a>,
    ) -> BoxFuture<'a, Result<Admission, LlmError>>;

    /// Settles what `before` granted against what the call used.
    fn after<'a>(
        &'a self,
        state: &'a AppState,
        admission: Admission,
        event: &'a UsageEvent,
    ) -> BoxFuture<'a, ()>;

    /// Gives back what `before` granted to a call that was never made.
    fn release<'a>(&'a self, state: &'a AppState, admission: Admission) -> BoxFuture<'a, ()>;
}

/// No limits configured: every call is admitted, nothing is reserved.
#[derive(Debug, Default)]
pub struct Unlimited;

impl Hooks for Unlimited {
    fn before<'a>(
        &'a self,
        _state: &'a AppState,
        _plan: &'a Plan<'a>,
    ) -> BoxFuture<'a, Result<Admission, LlmError>> {
        Box::pin(async { Ok(Admission::default()) })
    }

    fn after<'a>(
        &'a self,
        _state: &'a AppState,
        _admission: Admission,
        _event: &'a UsageEvent,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    fn release<'a>(&'a self, _state: &'a AppState, _admission: Admission) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
