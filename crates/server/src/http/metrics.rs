//! Prometheus metrics owned by one application instance (no global registry, so several apps
//! can live in one test process): HTTP requests by route and status, a latency histogram,
//! build info and database pool occupancy.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::PoolStats;
use crate::state::AppState;

/// The metrics of one app.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
    db_pool: IntGaugeVec,
    /// Connections closed on arrival: over the total or per-address cap.
    pub connections_refused: prometheus::IntCounter,
    /// LLM calls, tokens, cost, latency.
    pub llm: crate::usage::metrics::LlmMetrics,
    /// Host, GPU and deployment gauges.
    pub monitor: crate::monitor::metrics::MonitorMetrics,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    pub fn new(version: &str, backend: &str) -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("llm_manager".to_owned()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time until the response headers, by method and route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0, 30.0, 60.0,
            ]),
            &["method", "route"],
        )?;
        let in_flight = IntGauge::new("http_requests_in_flight", "Requests being handled")?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "build_info",
                "Version and database backend of this instance (value 1)",
            ),
            &["version", "database"],
        )?;
        let db_pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(build_info.clone()))?;
        registry.register(Box::new(db_pool.clone()))?;
        let connections_refused = prometheus::IntCounter::new(
            "http_connections_refused_total",
            "Connections closed on arrival, over MAX_CONNECTIONS or MAX_CONNECTIONS_PER_IP",
        )?;
        registry.register(Box::new(connections_refused.clone()))?;
        build_info.with_label_values(&[version, backend]).set(1);
        let llm = crate::usage::metrics::LlmMetrics::register(&registry)?;
        let monitor = crate::monitor::metrics::MonitorMetrics::register(&registry)?;
        Ok(Self {
            connections_refused,
            monitor,
            llm,
            registry,
            requests,
            duration,
            in_flight,
            db_pool,
        })
    }

    /// Prometheus text exposition of every metric, with pool numbers read now.
    pub fn render(&self, pool: PoolStats) -> anyhow::Result<String> {
        let in_use = pool.size.saturating_sub(pool.idle);
        for (state, value) in [("idle", pool.idle), ("in_use", in_use), ("max", pool.max)] {
            self.db_pool
                .with_label_values(&[state])
                .set(i64::from(value));
        }
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        Ok(String::from_utf8(buf)?)
    }
}

/// Middleware: counts and times every request by its route pattern (never the raw path, so
/// ids in URLs do not explode the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let metrics = &state.metrics;
    metrics.in_flight.inc();
    let start = Instant::now();
    let res = next.run(req).await;
    metrics.in_flight.dec();
    metrics
        .duration
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(start.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[method.as_str(), route.as_str(), res.status().as_str()])
        .inc();
    res
}
