//! Shared state of one fake server: the current defaults, the per-model scripts, the request log
//! and the counters the tests read.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Behaviour, FakeConfig, RecordedRequest};

/// The state every handler sees.
pub(crate) type AppState = Arc<Shared>;

/// Everything the handle and the handlers share.
#[derive(Default)]
pub(crate) struct Shared {
    /// Defaults for requests without a scripted behaviour.
    config: Mutex<FakeConfig>,
    /// Queued behaviours per model name.
    scripts: Mutex<HashMap<String, VecDeque<Behaviour>>>,
    /// Requests received, oldest first (only while `recording`).
    requests: Mutex<Vec<RecordedRequest>>,
    /// Requests received since the last clear, recorded or not.
    request_count: AtomicUsize,
    /// Whether request bodies are kept (the binary turns this off for long benchmarks).
    recording: std::sync::atomic::AtomicBool,
    /// TCP connections accepted.
    pub(crate) connections: AtomicUsize,
    /// Response bodies still being generated.
    pub(crate) active_bodies: AtomicUsize,
    /// Sequence for response ids.
    next_id: AtomicU64,
    /// Connection and body tasks, awaited by `stop`.
    pub(crate) tasks: TaskTracker,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the data half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Fresh state with these defaults, recording on.
    pub(crate) fn new(config: FakeConfig) -> Self {
        let shared = Self::default();
        *lock(&shared.config) = config;
        shared.recording.store(true, Ordering::SeqCst);
        shared
    }

    pub(crate) fn config(&self) -> FakeConfig {
        lock(&self.config).clone()
    }

    pub(crate) fn set_config(&self, config: FakeConfig) {
        *lock(&self.config) = config;
    }

    pub(crate) fn script(&self, model: &str, steps: impl IntoIterator<Item = Behaviour>) {
        lock(&self.scripts)
            .entry(model.to_owned())
            .or_default()
            .extend(steps);
    }

    /// Pops the next scripted behaviour for `model`, or `Ok`.
    pub(crate) fn next_behaviour(&self, model: Option<&str>) -> Behaviour {
        let Some(model) = model else {
            return Behaviour::Ok;
        };
        lock(&self.scripts)
            .get_mut(model)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Behaviour::Ok)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        self.request_count.fetch_add(1, Ordering::SeqCst);
        if self.recording.load(Ordering::SeqCst) {
            lock(&self.requests).push(request);
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub(crate) fn request_count(&self) -> usize {
        self.request_count.load(Ordering::SeqCst)
    }

    pub(crate) fn clear_requests(&self) {
        let mut requests = lock(&self.requests);
        requests.clear();
        self.request_count.store(0, Ordering::SeqCst);
    }

    pub(crate) fn set_recording(&self, on: bool) {
        self.recording.store(on, Ordering::SeqCst);
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Counts a body generator as active until the guard is dropped.
    pub(crate) fn body_guard(self: &Arc<Self>) -> BodyGuard {
        self.active_bodies.fetch_add(1, Ordering::SeqCst);
        BodyGuard(Arc::clone(self))
    }
}

/// Marks one response body as being generated; dropping it ends that.
pub(crate) struct BodyGuard(Arc<Shared>);

impl Drop for BodyGuard {
    fn drop(&mut self) {
        self.0.active_bodies.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Lets a handler cut the TCP connection its request came on (put in each request's extensions).
#[derive(Clone)]
pub(crate) struct ConnControl(pub(crate) CancellationToken);

impl ConnControl {
    /// Closes the connection without writing anything more.
    pub(crate) fn cut(&self) {
        self.0.cancel();
    }
}
