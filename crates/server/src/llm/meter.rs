//! What a call used, and the one builder of its [`UsageEvent`]: the tokens the provider
//! reported or, when it reported none, the tokens counted (off the runtime thread); time to
//! first token; the status and code the caller got.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use llm_adapters::types::{Message, StreamEvent, Usage};
use uuid::Uuid;

use super::error::LlmError;
use super::route::Channel;
use crate::state::AppState;
use crate::usage::UsageEvent;

/// Where a call comes from (the usage event's `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `/v1` with an API key.
    Api,
    /// The web chat.
    Chat,
    /// Guest chat (no account).
    Guest,
    /// A conversation title.
    Title,
    /// A provider connection test.
    Test,
}

impl Source {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Chat => "chat",
            Self::Guest => "guest",
            Self::Title => "title",
            Self::Test => "test",
        }
    }
}

/// Who calls.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The user (`None`: a guest).
    pub user_id: Option<Uuid>,
    /// The gateway API key, for `/v1`.
    pub api_key_id: Option<Uuid>,
    /// Which front end.
    pub source: Source,
    /// The user's role (`admin`, `user`; `guest` without an account), for role limits.
    pub role: &'static str,
}

/// The role name a limit row uses for a stored role.
pub fn role_name(role: &str) -> &'static str {
    match role {
        "admin" => "admin",
        "guest" => "guest",
        _ => "user",
    }
}

/// The running account of one call.
#[derive(Debug, Clone)]
pub struct Meter {
    caller: Caller,
    model: String,
    stream: bool,
    started: Instant,
    created_at: DateTime<Utc>,
    /// The channel that answered (or failed last).
    pub channel: Option<Channel>,
    reported: Option<Usage>,
    /// The answer's text so far (tool-call arguments included), for counting.
    pub text: String,
    ttft: Option<Duration>,
    /// A finish event arrived.
    pub finished: bool,
    /// The answer is a tool call.
    pub saw_tool_call: bool,
}

impl Meter {
    /// A call by `caller` for public model `model`, starting now.
    pub fn start(caller: Caller, model: &str, stream: bool) -> Self {
        Self {
            caller,
            model: model.to_owned(),
            stream,
            started: Instant::now(),
            created_at: Utc::now(),
            channel: None,
            reported: None,
            text: String::new(),
            ttft: None,
            finished: false,
            saw_tool_call: false,
        }
    }

    /// Since the call began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Takes note of one stream event.
    pub fn observe(&mut self, ev: &StreamEvent) {
        match ev {
            StreamEvent::Delta(t) => {
                if self.ttft.is_none() && !t.is_empty() {
                    self.ttft = Some(self.started.elapsed());
                }
                self.text.push_str(t);
            }
            StreamEvent::ToolCallDelta { arguments, .. } => {
                self.saw_tool_call = true;
                if self.ttft.is_none() {
                    self.ttft = Some(self.started.elapsed());
                }
                self.text.push_str(arguments);
            }
            StreamEvent::Finish(_) => self.finished = true,
            StreamEvent::Usage(u) => self.reported = Some(*u),
        }
    }

    /// A whole (non-streamed) answer arrived.
    pub fn answered(&mut self, text: &str, usage: Option<Usage>) {
        self.ttft = Some(self.started.elapsed());
        self.text.push_str(text);
        self.reported = usage;
        self.finished = true;
    }

    /// The provider's figures, else the prompt and the answer counted.
    pub async fn usage(&self, state: &AppState, prompt: &[Message]) -> Usage {
        if let Some(u) = self.reported {
            return u;
        }
        let (prompt, text) = (prompt.to_vec(), self.text.clone());
        state
            .llm
            .tokenizer
            .count_off_thread(move |t| Usage {
                prompt_tokens: t.count_messages(&prompt),
                completion_tokens: t.count(&text),
                cached_tokens: 0,
            })
            .await
    }

    /// Input texts counted when the provider reported nothing (embeddings).
    pub async fn input_usage(&self, state: &AppState, input: &[String]) -> Usage {
        if let Some(u) = self.reported {
            return u;
        }
        let input = input.to_vec();
        state
            .llm
            .tokenizer
            .count_off_thread(move |t| Usage {
                prompt_tokens: input.iter().map(|s| t.count(s)).sum(),
                ..Usage::default()
            })
            .await
    }

    /// Sets the provider's figures (non-chat calls).
    pub fn report(&mut self, usage: Option<Usage>) {
        self.reported = usage;
    }

    /// The usage event of this call: the only place one is built.
    pub fn event(&self, usage: Usage, outcome: Result<(), &LlmError>) -> UsageEvent {
        let channel = self.channel.as_ref();
        let (status, error_code) = match outcome {
            Ok(()) => (200, None),
            Err(e) => (e.status().as_u16(), Some(e.code().to_owned())),
        };
        UsageEvent {
            user_id: self.caller.user_id,
            api_key_id: self.caller.api_key_id,
            provider_id: channel.map(|c| c.target.provider_id),
            provider_key_id: channel.and_then(|c| c.target.key_id),
            source: self.caller.source.as_str(),
            model: self.model.clone(),
            upstream_model: channel.map(|c| c.upstream_model.clone()),
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            cached_tokens: usage.cached_tokens,
            cost_nanos: 0,
            latency: self.started.elapsed(),
            ttft: self.ttft,
            status,
            error_code,
            stream: self.stream,
            created_at: self.created_at,
        }
    }
}
