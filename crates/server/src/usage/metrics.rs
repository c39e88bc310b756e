//! Prometheus metrics of LLM calls: calls, tokens, cost, latency and time to first token by
//! model and provider (never by user or key), and the usage events the writer had to drop.

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

use super::UsageEvent;

/// The LLM-call metrics.
#[derive(Debug, Clone)]
pub struct LlmMetrics {
    calls: IntCounterVec,
    tokens: IntCounterVec,
    cost: IntCounterVec,
    latency: HistogramVec,
    ttft: HistogramVec,
    /// Usage events dropped because the writer was too far behind.
    pub dropped_events: IntCounter,
    /// Rate-limit checks that Redis could not answer (the calls were let through).
    pub limit_store_errors: IntCounter,
}

const BUCKETS: &[f64] = &[
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
];

impl LlmMetrics {
    /// Registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let labels = &["model", "provider"];
        let calls = IntCounterVec::new(
            Opts::new(
                "llm_calls_total",
                "LLM calls by model, provider, source and status",
            ),
            &["model", "provider", "source", "status"],
        )?;
        let tokens = IntCounterVec::new(
            Opts::new(
                "llm_tokens_total",
                "Tokens by model, provider and kind (prompt, completion, cached)",
            ),
            &["model", "provider", "kind"],
        )?;
        let cost = IntCounterVec::new(
            Opts::new(
                "llm_cost_nanos_total",
                "Cost in nano-units of the price table's currency",
            ),
            labels,
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("llm_call_duration_seconds", "Whole LLM calls")
                .buckets(BUCKETS.to_vec()),
            labels,
        )?;
        let ttft = HistogramVec::new(
            HistogramOpts::new("llm_time_to_first_token_seconds", "Time to the first token")
                .buckets(BUCKETS.to_vec()),
            labels,
        )?;
        let dropped_events = IntCounter::new(
            "usage_events_dropped_total",
            "Usage events dropped because the writer's queue was full",
        )?;
        registry.register(Box::new(calls.clone()))?;
        registry.register(Box::new(tokens.clone()))?;
        registry.register(Box::new(cost.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(ttft.clone()))?;
        let limit_store_errors = IntCounter::new(
            "rate_limit_store_errors_total",
            "Rate-limit checks Redis could not answer (calls let through)",
        )?;
        registry.register(Box::new(dropped_events.clone()))?;
        registry.register(Box::new(limit_store_errors.clone()))?;
        Ok(Self {
            calls,
            tokens,
            cost,
            latency,
            ttft,
            dropped_events,
            limit_store_errors,
        })
    }

    /// Counts one call. Calls no provider took (an unknown model, a refusal) are labelled
    /// `-`, so made-up model names cannot grow the label set.
    pub fn observe(&self, e: &UsageEvent) {
        let provider = e.provider_id.map(|p| p.to_string());
        let (model, provider) = match &provider {
            Some(p) => (e.model.as_str(), p.as_str()),
            None => ("-", "-"),
        };
        let status = e.status.to_string();
        self.calls
            .with_label_values(&[model, provider, e.source, status.as_str()])
            .inc();
        for (kind, n) in [
            ("prompt", e.prompt_tokens),
            ("completion", e.completion_tokens),
            ("cached", e.cached_tokens),
        ] {
            if n > 0 {
                self.tokens
                    .with_label_values(&[model, provider, kind])
                    .inc_by(n);
            }
        }
        if let Ok(nanos) = u64::try_from(e.cost_nanos)
            && nanos > 0
        {
            self.cost
                .with_label_values(&[model, provider])
                .inc_by(nanos);
        }
        self.latency
            .with_label_values(&[model, provider])
            .observe(e.latency.as_secs_f64());
        if let Some(t) = e.ttft {
            self.ttft
                .with_label_values(&[model, provider])
                .observe(t.as_secs_f64());
        }
    }
}
