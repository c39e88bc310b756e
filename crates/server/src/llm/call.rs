//! The call pipeline. Every LLM call of the product — `/v1`, chat, guest chat, titles,
//! provider tests — is a [`Call`] run by [`complete`], [`open`] + [`Streaming::relay`] or
//! [`embed`]. Each does the same steps in the same order: the *before* hook (limits,
//! reservation), fail-over over the channels, the upstream call (one stream reader for
//! streams), usage from the provider or counted, the *after* hook and exactly one usage event.

use llm_adapters::types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Message, Usage,
};
use tokio_util::sync::CancellationToken;

use super::error::LlmError;
use super::hooks::{Admission, Plan};
use super::meter::{Caller, Meter};
use super::route::Channel;
use super::stream::{self, Opened, Sink};
use super::{failover, upstream};
use crate::state::AppState;

/// Checks a complete answer's text (a structured output's schema).
pub type Validator = fn(&str) -> Result<(), String>;

/// One LLM call, ready to run.
pub struct Call {
    /// Who calls.
    pub caller: Caller,
    /// Public model name.
    pub model: String,
    /// Channels in the order to try.
    pub channels: Vec<Channel>,
    /// The request (model still the public name; each channel sets its own).
    pub request: ChatRequest,
    /// Cancels the call; a child of the server's shutdown token.
    pub cancel: CancellationToken,
    /// Checks the complete answer.
    pub validate: Option<Validator>,
    /// Attempts at most (`None`: one plus the configured retries).
    pub attempts: Option<usize>,
    /// Admitted already by [`admit`] (the chat admits before it writes anything).
    pub admitted: Option<Admission>,
}

impl Call {
    /// A call cancelled only by the server's shutdown.
    pub fn new(
        state: &AppState,
        caller: Caller,
        model: &str,
        channels: Vec<Channel>,
        request: ChatRequest,
    ) -> Self {
        Self {
            caller,
            model: model.to_owned(),
            channels,
            request,
            cancel: state.shutdown.child_token(),
            validate: None,
            attempts: None,
            admitted: None,
        }
    }

    fn plan(&self) -> Plan<'_> {
        Plan {
            caller: self.caller,
            model: &self.model,
            max_tokens: self.request.max_tokens,
            prompt: &self.request.messages,
        }
    }
}

/// How a streamed call ended.
#[derive(Debug)]
pub struct Outcome {
    /// Tokens used (reported or counted).
    pub usage: Usage,
    /// `Ok`: a complete answer.
    pub result: Result<(), LlmError>,
    /// The answer's text.
    pub text: String,
    /// A finish event arrived.
    pub finished: bool,
    /// The answer is a tool call.
    pub saw_tool_call: bool,
}

/// A complete non-streamed answer.
#[derive(Debug)]
pub struct Completion {
    /// The answer.
    pub response: ChatResponse,
    /// Tokens used (reported or counted).
    pub usage: Usage,
    /// The channel that answered.
    pub channel: Channel,
}

/// Gives back an admission from [`admit`] whose call will not be made (the front end failed
/// before it): its reservations and rate-window entries are undone.
pub async fn release(state: &AppState, admission: Admission) {
    state.llm.hooks.release(state, admission).await;
}

/// The before step on its own, for a front end that must know the answer before it writes
/// anything: a refusal is accounted here; an admission goes into
/// [`Call::admitted`].
pub async fn admit(
    state: &AppState,
    caller: Caller,
    model: &str,
    request: &ChatRequest,
    stream: bool,
) -> Result<Admission, LlmError> {
    let plan = Plan {
        caller,
        model,
        max_tokens: request.max_tokens,
        prompt: &request.messages,
    };
    match state.llm.hooks.before(state, &plan).await {
        Ok(a) => Ok(a),
        Err(e) => {
            let meter = Meter::start(caller, model, stream);
            settle(
                state,
                Admission::default(),
                &meter,
                Usage::default(),
                Err(&e),
            )
            .await;
            Err(e)
        }
    }
}

/// The after step: settle, then the usage event.
async fn settle(
    state: &AppState,
    admission: Admission,
    meter: &Meter,
    usage: Usage,
    result: Result<(), &LlmError>,
) {
    let mut event = meter.event(usage, result);
    event.cost_nanos = state
        .llm
        .prices
        .prices(state)
        .await
        .of(&event.model, event.upstream_model.as_deref())
        .map_or(0, |p| p.cost_nanos(&usage));
    state.metrics.llm.observe(&event);
    state.llm.hooks.after(state, admission, &event).await;
    state.llm.usage.record(event);
}

/// Accounts a call refused before it could run (unknown model, key not allowed).
pub async fn refuse(state: &AppState, caller: Caller, model: &str, stream: bool, err: &LlmError) {
    let meter = Meter::start(caller, model, stream);
    settle(
        state,
        Admission::default(),
        &meter,
        Usage::default(),
        Err(err),
    )
    .await;
}

/// Runs the before step and fail-over with `attempt`, or settles the failure.
async fn attempt<T, F, Fut>(
    state: &AppState,
    call: &Call,
    admitted: Option<Admission>,
    meter: &mut Meter,
    attempt: F,
) -> Result<(T, Channel, Admission), LlmError>
where
    F: FnMut(Channel) -> Fut,
    Fut: std::future::Future<Output = Result<T, upstream::UpstreamError>>,
{
    let before = match admitted {
        Some(a) => Ok(a),
        None => state.llm.hooks.before(state, &call.plan()).await,
    };
    let admission = match before {
        Ok(a) => a,
        Err(e) => {
            settle(
                state,
                Admission::default(),
                meter,
                Usage::default(),
                Err(&e),
            )
            .await;
            return Err(e);
        }
    };
    let attempts = call
        .attempts
        .unwrap_or(state.config.gateway.retries as usize + 1);
    let outcome = tokio::select! {
        r = failover::run(state, &call.channels, attempts, attempt) => r.map_err(Some),
        () = call.cancel.cancelled() => Err(None),
    };
    match outcome {
        Ok((v, channel)) => {
            meter.channel = Some(channel.clone());
            Ok((v, channel, admission))
        }
        Err(failed) => {
            let err = match failed {
                Some((e, channel)) => {
                    meter.channel = channel;
                    LlmError::Upstream(e)
                }
                None => stream::cancelled(state),
            };
            settle(state, admission, meter, Usage::default(), Err(&err)).await;
            Err(err)
        }
    }
}

/// A non-streamed chat completion.
#[tracing::instrument(skip_all, fields(model = %call.model, source = call.caller.source.as_str()))]
pub async fn complete(state: &AppState, mut call: Call) -> Result<Completion, LlmError> {
    let mut meter = Meter::start(call.caller, &call.model, false);
    let admitted = call.admitted.take();
    let (response, channel, admission) = attempt(state, &call, admitted, &mut meter, |ch| {
        let req = ch.prepare(&call.request);
        async move { upstream::chat_once(state, &ch.target, &req).await }
    })
    .await?;
    meter.answered(&response.content, response.usage);
    let usage = meter.usage(state, &call.request.messages).await;
    let result = check(&call, &meter.text);
    settle(state, admission, &meter, usage, result.as_ref().copied()).await;
    result?;
    Ok(Completion {
        response,
        usage,
        channel,
    })
}

fn check(call: &Call, text: &str) -> Result<(), LlmError> {
    match call.validate {
        Some(v) => v(text).map_err(LlmError::InvalidOutput),
        None => Ok(()),
    }
}

/// A streamed call whose upstream has begun to answer.
pub struct Streaming {
    call: Call,
    meter: Meter,
    admission: Admission,
    opened: Opened,
}

/// Opens a streamed call: fail-over until one channel sends its first event.
#[tracing::instrument(skip_all, fields(model = %call.model, source = call.caller.source.as_str()))]
pub async fn open(state: &AppState, mut call: Call) -> Result<Streaming, LlmError> {
    let mut meter = Meter::start(call.caller, &call.model, true);
    let admitted = call.admitted.take();
    let (opened, _, admission) = attempt(state, &call, admitted, &mut meter, |ch| {
        let req = &call.request;
        async move { stream::open(state, &ch, req).await }
    })
    .await?;
    Ok(Streaming {
        call,
        meter,
        admission,
        opened,
    })
}

impl Streaming {
    /// The channel answering.
    pub fn channel(&self) -> Option<&Channel> {
        self.meter.channel.as_ref()
    }

    /// The prompt sent.
    pub fn messages(&self) -> &[Message] {
        &self.call.request.messages
    }

    /// Reads the stream into `sink` to its end, then settles and accounts the call.
    pub async fn relay<S: Sink>(self, state: &AppState, sink: &mut S) -> Outcome {
        let Self {
            call,
            mut meter,
            admission,
            opened,
        } = self;
        let mut result = stream::read(state, opened, &mut meter, &call.cancel, sink).await;
        if result.is_ok() {
            result = check(&call, &meter.text);
        }
        if let (Err(e @ LlmError::Broken(_)), Some(ch)) = (&result, &meter.channel) {
            tracing::warn!(provider = %ch.target.provider_name, error = %e, "stream failed after it started");
            state.llm.breakers.record_failure(&ch.target);
        }
        let usage = meter.usage(state, &call.request.messages).await;
        let outcome = Outcome {
            usage,
            result,
            finished: meter.finished,
            saw_tool_call: meter.saw_tool_call,
            // The usage event does not need the text.
            text: std::mem::take(&mut meter.text),
        };
        sink.end(&outcome).await;
        settle(
            state,
            admission,
            &meter,
            usage,
            outcome.result.as_ref().copied(),
        )
        .await;
        outcome
    }
}

/// An embedding call (`call.request` carries no messages; `input` is what is embedded).
#[tracing::instrument(skip_all, fields(model = %call.model))]
pub async fn embed(
    state: &AppState,
    mut call: Call,
    input: EmbeddingRequest,
) -> Result<(EmbeddingResponse, Usage), LlmError> {
    let mut meter = Meter::start(call.caller, &call.model, false);
    let admitted = call.admitted.take();
    let (res, _, admission) = attempt(state, &call, admitted, &mut meter, |ch| {
        let mut req = input.clone();
        req.model = ch.upstream_model.clone();
        async move { upstream::embed(state, &ch.target, &req).await }
    })
    .await?;
    meter.report(res.usage);
    let usage = meter.input_usage(state, &input.input).await;
    settle(state, admission, &meter, usage, Ok(())).await;
    Ok((res, usage))
}
