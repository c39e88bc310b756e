//! The pipeline's before and after steps with limits: rate limits first (nothing to undo
//! beyond the window entry), then a reservation of the call's worst case on each budget that
//! applies (the user's own or their role's, and the API key's); after the call, the real cost
//! replaces the reservations. Calls of subjects without limits pass straight through.

use chrono::Utc;
use futures::future::BoxFuture;

use super::table::Limits;
use crate::llm::LlmError;
use crate::llm::hooks::{Admission, Amount, Hooks, Owner, Plan};
use crate::state::AppState;
use crate::usage::UsageEvent;

/// Output tokens reserved when neither the call nor the price table bounds the answer.
pub const DEFAULT_OUTPUT_CAP: u64 = 4_096;
/// Tokens added to a prompt's estimate (and a quarter of it) when reserving.
const PROMPT_MARGIN: u64 = 16;

/// Limits and budgets on every call.
#[derive(Debug, Default)]
pub struct Metered;

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn owners<'a>(table: &'a super::table::LimitTable, plan: &Plan<'_>) -> Vec<(Owner, &'a Limits)> {
    let mut out = Vec::new();
    if let Some(user) = plan.caller.user_id
        && let Some(l) = table.for_user(user, plan.caller.role)
    {
        out.push((Owner::User(user), l));
    }
    if let Some(key) = plan.caller.api_key_id
        && let Some(l) = table.for_key(key)
    {
        out.push((Owner::Key(key), l));
    }
    if let Some(l) = table.for_model(plan.model) {
        out.push((Owner::model(plan.model), l));
    }
    out
}

/// The call's worst case: its prompt and the longest answer it may get, priced.
async fn worst_case(state: &AppState, plan: &Plan<'_>) -> Amount {
    let prompt_tokens = state.llm.tokenizer.count_messages_soon(plan.prompt).await;
    let prices = state.llm.prices.prices(state).await;
    let price = prices.of(plan.model, None);
    let output = plan.max_tokens.map(u64::from).unwrap_or_else(|| {
        price
            .and_then(|p| p.max_output_tokens)
            .unwrap_or(DEFAULT_OUTPUT_CAP)
    });
    // A provider's tokenizer may count the prompt differently from o200k: reserve a margin,
    // so a budget is not overspent by what the estimate missed.
    let prompt_tokens = prompt_tokens + prompt_tokens / 4 + PROMPT_MARGIN;
    let usage = llm_adapters::types::Usage {
        prompt_tokens,
        completion_tokens: output,
        cached_tokens: 0,
    };
    Amount {
        cost_nanos: price.map_or(0, |p| p.cost_nanos(&usage)),
        tokens: i64_of(prompt_tokens.saturating_add(output)),
    }
}

async fn undo(state: &AppState, admission: &Admission) {
    for r in &admission.reservations {
        state
            .limits
            .budgets
            .settle(state, r, Amount::default())
            .await;
    }
    for e in &admission.rate_entries {
        state.limits.rates.forget(state, e).await;
    }
}

fn who(owner: Owner, model: &str) -> String {
    match owner {
        Owner::User(_) => "your account".to_owned(),
        Owner::Key(_) => "this API key".to_owned(),
        Owner::Model(_) => format!("the model {model}"),
    }
}

async fn admit(state: &AppState, plan: &Plan<'_>) -> Result<Admission, LlmError> {
    let table = state.limits.table.limits(state).await.map_err(|e| {
        tracing::error!(error = %e, "reading limits failed; refusing the call");
        LlmError::Internal
    })?;
    let owners = owners(&table, plan);
    if owners.is_empty() {
        return Ok(Admission::default());
    }
    let amount = worst_case(state, plan).await;
    let mut admission = Admission::default();
    let tokens = u64::try_from(amount.tokens).unwrap_or(0);
    for (owner, l) in &owners {
        if l.rpm.is_none() && l.tpm.is_none() {
            continue;
        }
        match state
            .limits
            .rates
            .admit(state, *owner, l.rpm, l.tpm, tokens)
            .await
        {
            Ok(entry) => admission.rate_entries.push(entry),
            Err(r) => {
                undo(state, &admission).await;
                return Err(LlmError::Limited {
                    message: format!(
                        "Rate limit reached for {}: too many {} per minute; try again in {} s",
                        who(*owner, plan.model),
                        r.what,
                        r.retry_after_secs
                    ),
                    retry_after_secs: r.retry_after_secs,
                    budget: false,
                    rate: Some(r.headers),
                });
            }
        }
    }
    for (owner, l) in owners.iter().filter(|(_, l)| l.has_budget()) {
        let reserved = match state.limits.budgets.reserve(state, *owner, l, amount).await {
            Ok(r) => r,
            Err(e) => {
                // Spending without a ledger is how budgets get bypassed: refuse.
                tracing::error!(error = %e, "budget store unavailable; refusing the call");
                undo(state, &admission).await;
                return Err(LlmError::LimitsUnavailable);
            }
        };
        let reservation = match reserved {
            Ok(r) => r,
            Err(spent) => {
                undo(state, &admission).await;
                let (when, secs) = match spent.resets_at {
                    Some(t) => (
                        format!("it resets at {}", t.to_rfc3339()),
                        u64::try_from((t - Utc::now()).num_seconds())
                            .unwrap_or(0)
                            .max(1),
                    ),
                    None => ("it does not reset".to_owned(), 0),
                };
                return Err(LlmError::Limited {
                    message: format!(
                        "The {} budget of {} is spent (this call could cost more than what is left); {when}",
                        l.period.as_str(),
                        who(*owner, plan.model)
                    ),
                    retry_after_secs: secs,
                    budget: true,
                    rate: None,
                });
            }
        };
        admission.reservations.push(reservation);
    }
    Ok(admission)
}

impl Hooks for Metered {
    fn before<'a>(
        &'a self,
        state: &'a AppState,
        plan: &'a Plan<'a>,
    ) -> BoxFuture<'a, Result<Admission, LlmError>> {
        Box::pin(admit(state, plan))
    }

    fn after<'a>(
        &'a self,
        state: &'a AppState,
        admission: Admission,
        event: &'a UsageEvent,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let tokens = event.prompt_tokens.saturating_add(event.completion_tokens);
            let used = Amount {
                cost_nanos: event.cost_nanos,
                tokens: i64_of(tokens),
            };
            for r in &admission.reservations {
                state.limits.budgets.settle(state, r, used).await;
            }
            for e in &admission.rate_entries {
                state.limits.rates.settle(state, e, tokens).await;
            }
        })
    }

    fn release<'a>(&'a self, state: &'a AppState, admission: Admission) -> BoxFuture<'a, ()> {
        Box::pin(async move { undo(state, &admission).await })
    }
}
