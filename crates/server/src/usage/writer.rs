//! The asynchronous batched usage writer: requests hand events to a bounded channel without
//! waiting; one task inserts them in batches (up to [`BATCH`] events, or whatever arrived
//! within [`FLUSH_EVERY`]) and, at shutdown, writes what is left before it stops.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use super::store::{self, daily, events};
use crate::db::Database;

/// Largest batch written in one statement.
pub const BATCH: usize = 500;
/// Longest an event waits in memory while traffic is light.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// Events that may wait for the writer before new ones are dropped (and counted).
const CAPACITY: usize = 20_000;

/// What one call used.
#[derive(Debug, Clone)]
pub struct UsageEvent {
    /// Caller.
    pub user_id: Option<Uuid>,
    /// Gateway API key.
    pub api_key_id: Option<Uuid>,
    /// Provider that answered.
    pub provider_id: Option<Uuid>,
    /// Channel that answered.
    pub provider_key_id: Option<Uuid>,
    /// `api` or `chat`.
    pub source: &'static str,
    /// Requested model.
    pub model: String,
    /// Upstream model.
    pub upstream_model: Option<String>,
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
    /// Cached input tokens.
    pub cached_tokens: u64,
    /// Cost in nano-units of the price table's currency (0: no price).
    pub cost_nanos: i64,
    /// Whole call.
    pub latency: Duration,
    /// Time to first token.
    pub ttft: Option<Duration>,
    /// Status given to the caller.
    pub status: u16,
    /// Error code, if it failed.
    pub error_code: Option<String>,
    /// Streamed.
    pub stream: bool,
    /// Start of the call.
    pub created_at: DateTime<Utc>,
}

/// The stored form of a model name (the columns hold 128 characters).
fn model_name(m: &str) -> String {
    m.chars().take(128).collect()
}

/// The events summed per UTC day, user, key, provider, model and source (nil UUID: none).
fn daily_sums(events: &[UsageEvent]) -> Vec<daily::Model> {
    let mut sums: HashMap<(String, Uuid, Uuid, Uuid, String, &str), daily::Model> = HashMap::new();
    for e in events {
        let id = |v: Option<Uuid>| v.unwrap_or(Uuid::nil());
        let key = (
            e.created_at.format("%Y-%m-%d").to_string(),
            id(e.user_id),
            id(e.api_key_id),
            id(e.provider_id),
            model_name(&e.model),
            e.source,
        );
        let s = sums.entry(key.clone()).or_insert_with(|| daily::Model {
            day: key.0,
            user_id: key.1,
            api_key_id: key.2,
            provider_id: key.3,
            model: key.4,
            source: key.5.to_owned(),
            requests: 0,
            errors: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            cached_tokens: 0,
            cost_nanos: 0,
            latency_ms_sum: 0,
        });
        s.requests += 1;
        s.errors += i64::from(e.status >= 400);
        s.prompt_tokens += tokens(e.prompt_tokens);
        s.completion_tokens += tokens(e.completion_tokens);
        s.cached_tokens += tokens(e.cached_tokens);
        s.cost_nanos += e.cost_nanos;
        s.latency_ms_sum += ms(e.latency);
    }
    sums.into_values().collect()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn tokens(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl From<UsageEvent> for events::ActiveModel {
    fn from(e: UsageEvent) -> Self {
        Self {
            id: NotSet,
            user_id: Set(e.user_id),
            api_key_id: Set(e.api_key_id),
            provider_id: Set(e.provider_id),
            provider_key_id: Set(e.provider_key_id),
            source: Set(e.source.to_owned()),
            model: Set(model_name(&e.model)),
            upstream_model: Set(e.upstream_model.map(|m| m.chars().take(128).collect())),
            prompt_tokens: Set(tokens(e.prompt_tokens)),
            completion_tokens: Set(tokens(e.completion_tokens)),
            cached_tokens: Set(tokens(e.cached_tokens)),
            cost_nanos: Set(e.cost_nanos),
            latency_ms: Set(ms(e.latency)),
            ttft_ms: Set(e.ttft.map(ms)),
            status: Set(i32::from(e.status)),
            error_code: Set(e.error_code),
            stream: Set(e.stream),
            created_at: Set(e.created_at),
        }
    }
}

/// The sending side, kept in the app state.
#[derive(Debug, Clone)]
pub struct UsageSender {
    tx: mpsc::Sender<UsageEvent>,
    dropped: prometheus::IntCounter,
}

impl UsageSender {
    /// A sender and the receiver for [`spawn_writer`].
    /// Events dropped are counted in `dropped` (`usage_events_dropped_total`).
    pub fn channel(dropped: prometheus::IntCounter) -> (Self, mpsc::Receiver<UsageEvent>) {
        let (tx, rx) = mpsc::channel(CAPACITY);
        (Self { tx, dropped }, rx)
    }

    /// Hands an event to the writer without waiting; `false` if the writer is too far behind
    /// (the event is dropped and logged).
    pub fn record(&self, event: UsageEvent) -> bool {
        match self.tx.try_send(event) {
            Ok(()) => true,
            Err(e) => {
                self.dropped.inc();
                tracing::warn!(error = %e, "usage event dropped: the writer is behind or stopped");
                false
            }
        }
    }
}

/// Starts the writer. It stops after shutdown begins, once no other tracked task is left
/// (streams still relaying may produce events) and every event is written.
pub fn spawn_writer(
    db: Database,
    mut rx: mpsc::Receiver<UsageEvent>,
    tasks: &TaskTracker,
    shutdown: CancellationToken,
) {
    let tracker = tasks.clone();
    tasks.spawn(async move {
        let mut buf: Vec<UsageEvent> = Vec::with_capacity(BATCH);
        loop {
            let stopping = shutdown.is_cancelled();
            let wait = if stopping {
                Duration::from_millis(100)
            } else {
                FLUSH_EVERY
            };
            tokio::select! {
                n = rx.recv_many(&mut buf, BATCH) => {
                    if n == 0 {
                        break; // every sender is gone
                    }
                    // Let a burst gather into one statement.
                    while buf.len() < BATCH {
                        match rx.try_recv() {
                            Ok(e) => buf.push(e),
                            Err(_) => break,
                        }
                    }
                    write(&db, &mut buf).await;
                }
                () = tokio::time::sleep(wait) => {
                    if stopping && tracker.len() <= 1 && rx.is_empty() {
                        break;
                    }
                }
                () = shutdown.cancelled(), if !stopping => {}
            }
        }
        write(&db, &mut buf).await;
    });
}

async fn write(db: &Database, buf: &mut Vec<UsageEvent>) {
    if buf.is_empty() {
        return;
    }
    let sums = daily_sums(buf);
    let rows: Vec<events::ActiveModel> = buf.drain(..).map(Into::into).collect();
    let n = rows.len();
    // One retry covers a momentary lock or connection blip; after that the batch is logged
    // and dropped rather than blocking every later event.
    for attempt in 0..2 {
        match store::insert_batch(&db.conn, rows.clone(), sums.clone()).await {
            Ok(()) => return,
            Err(e) if attempt == 0 => {
                tracing::warn!(error = %e, events = n, "writing usage events failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => tracing::error!(error = %e, events = n, "usage events lost"),
        }
    }
}
