//! Replies in progress. Each reply runs in a tracked server task, not in the request that
//! started it: it streams from the upstream, saves the assistant message as it grows (at most
//! every [`SAVE_EVERY`]), and publishes numbered events that any number of clients can follow
//! and re-attach to (the run keeps every event until it ends). Stopping cancels the upstream
//! call; a client going away does not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use llm_adapters::types::{ChatRequest, StreamEvent, Usage};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::store::{self, Message};
use super::types::MessageResponse;
use crate::gateway::error::OaiError;
use crate::gateway::relay;
use crate::gateway::routing::Channel;
use crate::gateway::service::with_failover;
use crate::gateway::upstream::UpstreamError;
use crate::state::AppState;
use crate::usage::UsageEvent;

/// Longest a growing reply goes unsaved.
pub const SAVE_EVERY: Duration = Duration::from_millis(500);

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
    fn publish(&self, event: ChatEvent) {
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
    fn insert(&self, run: Arc<Run>) -> Option<Arc<Run>> {
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

    fn remove(&self, session_id: Uuid) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&session_id);
    }
}

/// Everything a reply needs.
pub struct Job {
    /// The request (system prompt, trimmed history), model still the public name.
    pub request: ChatRequest,
    /// Public model name.
    pub model: String,
    /// Channels in order.
    pub channels: Vec<Channel>,
    /// The user message answered.
    pub user_message_id: Uuid,
    /// The assistant message to write (inserted, status `streaming`).
    pub assistant: Message,
    /// After the reply: make a title for the session.
    pub make_title: bool,
    /// Check the answer against the emotion reading schema.
    pub emotion_reading: bool,
}

/// Starts a reply; `None` when the session already has one running.
pub fn start(state: &AppState, job: Job) -> Option<Arc<Run>> {
    let (tx, _) = broadcast::channel(1024);
    let run = Arc::new(Run {
        session_id: job.assistant.session_id,
        user_id: job.assistant.user_id,
        assistant_id: job.assistant.id,
        cancel: state.shutdown.child_token(),
        log: Mutex::new(Log::default()),
        tx,
    });
    let run = state.chat.runs.insert(run)?;
    run.publish(ChatEvent::Start {
        session_id: job.assistant.session_id,
        user_message_id: job.user_message_id,
        assistant_message_id: job.assistant.id,
    });
    let task_state = state.clone();
    let task_run = run.clone();
    state.tasks.spawn(async move {
        let session_id = task_run.session_id;
        generate(&task_state, &task_run, job).await;
        task_state.chat.runs.remove(session_id);
    });
    Some(run)
}

enum End {
    Complete,
    Cancelled,
    Failed(OaiError),
    Broken(String),
}

async fn generate(state: &AppState, run: &Run, job: Job) {
    let started = Instant::now();
    let created_at = Utc::now();
    let Job {
        request,
        model,
        channels,
        assistant: mut msg,
        make_title,
        emotion_reading,
        ..
    } = job;
    let mut usage: Option<Usage> = None;
    let mut first_token: Option<Duration> = None;
    let mut used: Option<Channel> = None;
    let opened = tokio::select! {
        r = with_failover(state, &channels, |ch| {
            let request = &request;
            async move { relay::open(state, &ch, request).await }
        }) => Some(r),
        () = run.cancel.cancelled() => None,
    };
    let end = match opened {
        None => End::Cancelled,
        Some(Err((e, ch))) => {
            used = Some(ch);
            End::Failed(OaiError::from_upstream(&e))
        }
        Some(Ok((opened, ch))) => {
            used = Some(ch);
            let relay::Opened {
                mut body,
                mut decoder,
                first,
            } = opened;
            let idle = state.gateway.config.stream_idle_timeout;
            let deadline = tokio::time::Instant::now() + state.gateway.config.max_stream;
            let mut last_save = Instant::now();
            let mut pending = first;
            'read: loop {
                for ev in pending.drain(..) {
                    match ev {
                        StreamEvent::Delta(text) if !text.is_empty() => {
                            if first_token.is_none() {
                                first_token = Some(started.elapsed());
                            }
                            msg.content.push_str(&text);
                            run.publish(ChatEvent::Delta { content: text });
                        }
                        StreamEvent::Usage(u) => usage = Some(u),
                        _ => {}
                    }
                }
                if last_save.elapsed() >= SAVE_EVERY {
                    msg.updated_at = Utc::now();
                    if let Err(e) = store::save_message(&state.db.conn, &msg).await {
                        tracing::warn!(error = %e, "saving a growing reply failed");
                    }
                    last_save = Instant::now();
                }
                if decoder.is_done() {
                    break 'read End::Complete;
                }
                let next = tokio::select! {
                    r = tokio::time::timeout(idle, body.next()) => r,
                    () = tokio::time::sleep_until(deadline) => break 'read End::Broken("the reply exceeded the longest stream time".to_owned()),
                    () = run.cancel.cancelled() => break 'read End::Cancelled,
                };
                match next {
                    Err(_) => break 'read End::Broken("the upstream went silent".to_owned()),
                    Ok(None) => {
                        break 'read End::Broken("the upstream stream broke off".to_owned());
                    }
                    Ok(Some(Err(_))) => {
                        break 'read End::Broken("the upstream stream broke off".to_owned());
                    }
                    Ok(Some(Ok(bytes))) => match decoder.feed(&bytes) {
                        Ok(events) => pending = events,
                        Err(e) => break 'read End::Broken(UpstreamError::from(e).to_string()),
                    },
                }
            }
        }
    };
    // A structured answer must match its schema to count as complete.
    let end = match end {
        End::Complete if emotion_reading => match super::emotion::validate(&msg.content) {
            Ok(()) => End::Complete,
            Err(why) => End::Failed(OaiError {
                status: axum::http::StatusCode::BAD_GATEWAY,
                message: format!("the answer does not match the emotion reading schema: {why}"),
                kind: "server_error",
                code: Some("invalid_structured_output"),
                param: None,
                retry_after: None,
            }),
        },
        other => other,
    };
    // Cancelled by a server shutdown rather than by the user: the reply was cut off.
    let end = match end {
        End::Cancelled if state.shutdown.is_cancelled() => {
            End::Broken("the server stopped while this reply was being written".to_owned())
        }
        other => other,
    };
    let counted = usage.unwrap_or_else(|| Usage {
        prompt_tokens: state.gateway.tokenizer.count_messages(&request.messages),
        completion_tokens: state.gateway.tokenizer.count(&msg.content),
        cached_tokens: 0,
    });
    msg.prompt_tokens = i64::try_from(counted.prompt_tokens).unwrap_or(i64::MAX);
    msg.completion_tokens = i64::try_from(counted.completion_tokens).unwrap_or(i64::MAX);
    let (status, error, http_status, code) = match &end {
        End::Complete => ("complete", None, 200u16, None),
        End::Cancelled => ("cancelled", None, 499, Some("cancelled".to_owned())),
        End::Failed(e) => (
            "error",
            Some(e.message.clone()),
            e.status.as_u16(),
            Some(e.code_name()),
        ),
        End::Broken(why) => (
            "incomplete",
            Some(why.clone()),
            502,
            Some("incomplete".to_owned()),
        ),
    };
    msg.status = status.to_owned();
    msg.error = error;
    msg.updated_at = Utc::now();
    if let Err(e) = store::save_message(&state.db.conn, &msg).await {
        tracing::error!(error = %e, message_id = %msg.id, "saving a finished reply failed");
    }
    let _ = store::touch_session(&state.db.conn, msg.session_id, msg.updated_at).await;
    state.gateway.usage.record(UsageEvent {
        user_id: Some(msg.user_id),
        api_key_id: None,
        provider_id: used.as_ref().map(|c| c.target.provider_id),
        provider_key_id: used.as_ref().and_then(|c| c.target.key_id),
        source: "chat",
        model: model.clone(),
        upstream_model: used.as_ref().map(|c| c.upstream_model.clone()),
        prompt_tokens: counted.prompt_tokens,
        completion_tokens: counted.completion_tokens,
        cached_tokens: counted.cached_tokens,
        latency: started.elapsed(),
        ttft: first_token,
        status: http_status,
        error_code: code.clone(),
        stream: true,
        created_at,
    });
    run.publish(ChatEvent::Usage {
        prompt_tokens: counted.prompt_tokens,
        completion_tokens: counted.completion_tokens,
    });
    match &end {
        End::Complete | End::Cancelled => run.publish(ChatEvent::Done {
            message: Box::new(MessageResponse::from(&msg)),
        }),
        End::Failed(_) | End::Broken(_) => run.publish(ChatEvent::Error {
            code: code.unwrap_or_default(),
            message: msg.error.clone().unwrap_or_default(),
        }),
    }
    if make_title && matches!(end, End::Complete) {
        super::titles::spawn(
            state,
            msg.user_id,
            msg.session_id,
            request,
            msg.content.clone(),
            channels,
        );
    }
}
