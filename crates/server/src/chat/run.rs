//! The events of a reply in progress and the registry of runs: each run keeps every event it
//! published until it ends, so any number of clients can follow it and re-attach after a
//! given event id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::types::MessageResponse;

/// One event of a reply, as clients receive it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ChatEvent {
    /// The reply began.
    Start {
        /// Session.
        session_id: Uuid,
        /// The user message answered.
        user_message_id: Uuid,
        /// The assistant message being written.
        assistant_message_id: Uuid,
    },
    /// More text.
    Delta {
        /// The text.
        content: String,
    },
    /// Token counts.
    Usage {
        /// Input tokens.
        prompt_tokens: u64,
        /// Output tokens.
        completion_tokens: u64,
    },
    /// The reply ended; the stored message.
    Done {
        /// The message.
        message: Box<MessageResponse>,
    },
    /// The reply failed or was cut off; the stored message says how.
    Error {
        /// `upstream_error`, `upstream_timeout`, `model_not_found`, `incomplete`…
        code: String,
        /// What happened.
        message: String,
    },
}

impl ChatEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start { .. } => "start",
            Self::Delta { .. } => "delta",
            Self::Usage { .. } => "usage",
            Self::Done { .. } => "done",
            Self::Error { .. } => "error",
        }
    }

    /// Whether this event ends the reply.
    pub fn is_last(&self) -> bool {
        matches!(self, Self::Done { .. } | Self::Error { .. })
    }
}

/// An event with its number (the SSE `id`).
pub type Numbered = (u64, ChatEvent);

#[derive(Default)]
struct Log {
    events: Vec<Numbered>,
    finished: bool,
}

/// One reply in progress.
pub struct Run {
    /// Session.
    pub session_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The assistant message being written.
    pub assistant_id: Uuid,
    /// Cancelled by stop.
    pub cancel: CancellationToken,
    log: Mutex<Log>,
    tx: broadcast::Sender<Numbered>,
}

impl Run {
    /// A new run with an empty log.
    pub(super) fn new(session_id: Uuid, user_id: Uuid, cancel: CancellationToken) -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self {
            session_id,
            user_id,
            assistant_id: Uuid::now_v7(),
            cancel,
            log: Mutex::new(Log::default()),
            tx,
        }
    }

    /// Adds an event to the log and sends it to the followers.
    pub(super) fn publish(&self, event: ChatEvent) {
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = log.events.len() as u64 + 1;
        if event.is_last() {
            log.finished = true;
        }
        log.events.push((id, event.clone()));
        // No receiver is fine: nobody is watching right now.
        let _ = self.tx.send((id, event));
    }

    /// The events after `after`, and a receiver for the live ones unless the run has ended.
    /// Taken under one lock, so nothing falls between the replay and the live events.
    pub fn attach(&self, after: u64) -> (Vec<Numbered>, Option<broadcast::Receiver<Numbered>>) {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let replay = log
            .events
            .iter()
            .filter(|(id, _)| *id > after)
            .cloned()
            .collect();
        let rx = (!log.finished).then(|| self.tx.subscribe());
        (replay, rx)
    }

    /// The events after `after`, then the live ones, ending with the last event (or when the
    /// run goes away). A follower that falls behind the broadcast catches up from the log.
    pub fn follow(self: Arc<Self>, after: u64) -> impl futures::Stream<Item = Numbered> + Send {
        let (replay, rx) = self.attach(after);
        let state = Follow {
            run: self,
            queue: replay.into(),
            rx,
            last: after,
            ended: false,
        };
        futures::stream::unfold(state, |mut st| async move {
            loop {
                if st.ended {
                    return None;
                }
                if let Some((id, ev)) = st.queue.pop_front() {
                    if id <= st.last {
                        continue;
                    }
                    st.last = id;
                    st.ended = ev.is_last();
                    return Some(((id, ev), st));
                }
                let rx = st.rx.as_mut()?;
                match rx.recv().await {
                    Ok(item) => st.queue.push_back(item),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let missed = st.run.attach(st.last).0;
                        st.queue.extend(missed);
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}

/// Where a follower of a run is.
struct Follow {
    run: Arc<Run>,
    queue: std::collections::VecDeque<Numbered>,
    rx: Option<broadcast::Receiver<Numbered>>,
    last: u64,
    ended: bool,
}

/// The replies in progress, by session.
#[derive(Default)]
pub struct Runs {
    map: Mutex<HashMap<Uuid, Arc<Run>>>,
}

impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runs")
    }
}

impl Runs {
    /// The user's reply in progress in a session.
    pub fn get(&self, user_id: Uuid, session_id: Uuid) -> Option<Arc<Run>> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&session_id)
            .filter(|r| r.user_id == user_id)
            .cloned()
    }

    /// Registers a new run; `None` if the session already has one.
    pub(super) fn insert(&self, run: Arc<Run>) -> Option<Arc<Run>> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.contains_key(&run.session_id) {
            return None;
        }
        map.insert(run.session_id, run.clone());
        Some(run)
    }

    /// The run ended.
    pub(super) fn remove(&self, session_id: Uuid) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&session_id);
    }
}
