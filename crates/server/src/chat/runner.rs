//! Replies in progress. Each reply runs in a tracked server task, not in the request that
//! started it: it streams from the upstream, saves the assistant message as it grows (at most
//! every [`SAVE_EVERY`]), and publishes numbered events that any number of clients can follow
//! and re-attach to (the run keeps every event until it ends). Stopping cancels the upstream
//! call; a client going away does not.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use llm_adapters::types::{ChatRequest, StreamEvent, Usage};
use uuid::Uuid;

pub use super::run::{ChatEvent, Numbered, Run, Runs};
use super::store::{self, Message};
use super::types::MessageResponse;
use crate::llm::{self, Call, Caller, Channel, LlmError, Sink, Source};
use crate::state::AppState;

/// Longest a growing reply goes unsaved.
pub const SAVE_EVERY: Duration = Duration::from_millis(500);

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
    /// The user's role (for role limits).
    pub role: &'static str,
    /// The call's admission (limits checked before the rows were written).
    pub admission: crate::llm::hooks::Admission,
}

/// A session's run slot, reserved before anything is written: a second send to the session
/// is refused at once. Dropped without [`start`], it frees the slot (and ends any follower
/// that attached meanwhile).
pub struct Slot {
    state: AppState,
    run: Arc<Run>,
    started: bool,
}

impl Slot {
    /// The id the assistant message will have.
    pub fn assistant_id(&self) -> Uuid {
        self.run.assistant_id
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.started {
            self.run.publish(ChatEvent::Error {
                code: "not_started".to_owned(),
                message: "the reply could not be started".to_owned(),
            });
            self.state.chat.runs.remove(self.run.session_id);
        }
    }
}

/// Reserves the session's run slot; `None` when a reply is already running there.
pub fn reserve(state: &AppState, user_id: Uuid, session_id: Uuid) -> Option<Slot> {
    let run = Arc::new(Run::new(session_id, user_id, state.shutdown.child_token()));
    let run = state.chat.runs.insert(run)?;
    Some(Slot {
        state: state.clone(),
        run,
        started: false,
    })
}

/// Starts the reply in a reserved slot (its rows are written).
pub fn start(state: &AppState, mut slot: Slot, job: Job) -> Arc<Run> {
    slot.started = true;
    let run = slot.run.clone();
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
    run
}

/// The chat's writer on the pipeline: publishes text as it arrives and saves the growing
/// reply at most every [`SAVE_EVERY`].
struct ChatSink<'a> {
    state: &'a AppState,
    run: &'a Run,
    msg: &'a mut Message,
    last_save: Instant,
}

impl Sink for ChatSink<'_> {
    async fn send(&mut self, events: &[StreamEvent]) -> bool {
        for ev in events {
            if let StreamEvent::Delta(text) = ev
                && !text.is_empty()
            {
                self.msg.content.push_str(text);
                self.run.publish(ChatEvent::Delta {
                    content: text.clone(),
                });
            }
        }
        if self.last_save.elapsed() >= SAVE_EVERY {
            self.msg.updated_at = Utc::now();
            if let Err(e) = store::save_progress(&self.state.db.conn, self.msg).await {
                tracing::warn!(error = %e, "saving a growing reply failed");
            }
            self.last_save = Instant::now();
        }
        // A client going away does not stop a chat reply; only the stop button does.
        true
    }
}

/// The stored status of a reply that ended with `result`.
fn status_of(result: &Result<(), LlmError>) -> &'static str {
    match result {
        Ok(()) => "complete",
        Err(LlmError::Cancelled) => "cancelled",
        Err(LlmError::Broken(_) | LlmError::ShuttingDown) => "incomplete",
        Err(_) => "error",
    }
}

fn emotion_schema(text: &str) -> Result<(), String> {
    super::emotion::validate(text)
        .map_err(|why| format!("the answer does not match the emotion reading schema: {why}"))
}

#[tracing::instrument(skip_all, fields(session_id = %run.session_id, message_id = %run.assistant_id))]
async fn generate(state: &AppState, run: &Run, job: Job) {
    let Job {
        request,
        model,
        channels,
        assistant: mut msg,
        make_title,
        emotion_reading,
        role,
        admission,
        ..
    } = job;
    let caller = Caller {
        user_id: Some(msg.user_id),
        api_key_id: None,
        source: Source::Chat,
        role,
    };
    let mut call = Call::new(state, caller, &model, channels.clone(), request.clone());
    call.admitted = Some(admission);
    call.cancel = run.cancel.clone();
    if emotion_reading {
        call.validate = Some(emotion_schema);
    }
    let (usage, result) = match llm::open(state, call).await {
        Err(e) => (Usage::default(), Err(e)),
        Ok(streaming) => {
            let mut sink = ChatSink {
                state,
                run,
                msg: &mut msg,
                last_save: Instant::now(),
            };
            let outcome = streaming.relay(state, &mut sink).await;
            (outcome.usage, outcome.result)
        }
    };
    msg.prompt_tokens = i64::try_from(usage.prompt_tokens).unwrap_or(i64::MAX);
    msg.completion_tokens = i64::try_from(usage.completion_tokens).unwrap_or(i64::MAX);
    msg.status = status_of(&result).to_owned();
    msg.error = match &result {
        Ok(()) | Err(LlmError::Cancelled) => None,
        Err(e) => Some(e.to_string()),
    };
    msg.updated_at = Utc::now();
    if let Err(e) = store::finish_message(&state.db.conn, &msg).await {
        tracing::error!(error = %e, "saving a finished reply failed");
    }
    run.publish(ChatEvent::Usage {
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
    });
    match &result {
        Ok(()) | Err(LlmError::Cancelled) => run.publish(ChatEvent::Done {
            message: Box::new(MessageResponse::from(&msg)),
        }),
        Err(e) => run.publish(ChatEvent::Error {
            code: e.code().to_owned(),
            message: e.to_string(),
        }),
    }
    if make_title && result.is_ok() {
        super::titles::spawn(
            state,
            Caller {
                source: Source::Title,
                ..caller
            },
            msg.session_id,
            model,
            request,
            msg.content.clone(),
            channels,
        );
    }
}
