//! The streaming relay. An attempt counts as started once the upstream sent its first event;
//! failures before that go to the next channel. Then a tracked task reads the upstream, turns
//! each event into an OpenAI chunk and sends it on at once through a small channel (back
//! pressure, never buffered to the end). It stops the upstream call when the client goes away,
//! bounds silence and total length, and records the usage event however the stream ends.

use std::convert::Infallible;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use futures::{Stream, StreamExt};
use llm_adapters::StreamDecoder;
use llm_adapters::types::{ChatRequest, StreamEvent, Usage};
use tokio::sync::mpsc;

use super::error::OaiError;
use super::openai::{self, ChunkWriter, ParsedChat};
use super::routing::Channel;
use super::service::{CallInfo, apply_defaults, completion_id, with_failover};
use super::upstream::{self, UpstreamError};
use crate::state::AppState;

/// An upstream response body.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// An upstream stream that has produced its first events.
pub struct Opened {
    /// The rest of the body.
    pub body: ByteStream,
    /// The decoder, fed so far.
    pub decoder: Box<dyn StreamDecoder>,
    /// The first events.
    pub first: Vec<StreamEvent>,
}

/// Sends the request and reads until the first event (or the end marker); failures before
/// that may be retried on another channel.
pub async fn open(
    state: &AppState,
    channel: &Channel,
    request: &ChatRequest,
) -> Result<Opened, UpstreamError> {
    let mut req = apply_defaults(request, channel);
    req.stream = true;
    let wire = llm_adapters::chat_request(&channel.target.upstream, &req)?;
    let res = upstream::send(state, &channel.target, wire).await?;
    let mut body: ByteStream = Box::pin(res.bytes_stream());
    let mut decoder = llm_adapters::stream_decoder(channel.kind);
    let idle = state
        .gateway
        .config
        .stream_idle_timeout
        .min(channel.target.timeout);
    loop {
        let next = tokio::time::timeout(idle, body.next())
            .await
            .map_err(|_| UpstreamError::Timeout(idle.as_secs()))?;
        match next {
            Some(Ok(bytes)) => {
                let events = decoder.feed(&bytes)?;
                if !events.is_empty() || decoder.is_done() {
                    return Ok(Opened {
                        body,
                        decoder,
                        first: events,
                    });
                }
            }
            Some(Err(_)) => return Err(UpstreamError::Connect("the stream broke off".to_owned())),
            None => {
                return Err(UpstreamError::Malformed(
                    "the stream ended before any answer".to_owned(),
                ));
            }
        }
    }
}

/// Starts a streamed completion: returns the SSE body, or the error to answer when no channel
/// produced a first event.
pub async fn chat_stream(
    state: &AppState,
    info: CallInfo,
    parsed: ParsedChat,
    channels: &[Channel],
) -> Result<impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static, OaiError> {
    let outcome = with_failover(state, channels, |ch| {
        let parsed = &parsed;
        async move { open(state, &ch, &parsed.request).await }
    })
    .await;
    let (opened, channel) = match outcome {
        Ok(v) => v,
        Err((e, channel)) => {
            let err = OaiError::from_upstream(&e);
            info.record_failure(state, Some(&channel), &err);
            return Err(err);
        }
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(16);
    let relay = Relay {
        state: state.clone(),
        writer: ChunkWriter::new(
            completion_id(),
            Utc::now().timestamp(),
            parsed.model.clone(),
            parsed.include_usage,
        ),
        info,
        channel,
        parsed,
        tx,
    };
    state.tasks.spawn(relay.run(opened));
    Ok(tokio_stream::wrappers::ReceiverStream::new(rx))
}

struct Relay {
    state: AppState,
    writer: ChunkWriter,
    info: CallInfo,
    channel: Channel,
    parsed: ParsedChat,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
}

/// How a stream ended.
enum End {
    /// The upstream finished.
    Complete,
    /// The client went away.
    ClientGone,
    /// The upstream failed mid-stream.
    Failed(OaiError),
}

#[derive(Default)]
struct Progress {
    usage: Option<Usage>,
    text: String,
    finished: bool,
    saw_tool_call: bool,
    first_token: Option<Duration>,
}

impl Relay {
    async fn send(&self, frame: String) -> bool {
        self.tx.send(Ok(Bytes::from(frame))).await.is_ok()
    }

    /// Forwards events; `false` when the client is gone.
    async fn forward(&self, events: Vec<StreamEvent>, p: &mut Progress) -> bool {
        for ev in events {
            match &ev {
                StreamEvent::Usage(u) => {
                    p.usage = Some(*u);
                    continue;
                }
                StreamEvent::Delta(t) => {
                    if p.first_token.is_none() && !t.is_empty() {
                        p.first_token = Some(self.info.started.elapsed());
                    }
                    p.text.push_str(t);
                }
                StreamEvent::ToolCallDelta { arguments, .. } => {
                    p.saw_tool_call = true;
                    if p.first_token.is_none() {
                        p.first_token = Some(self.info.started.elapsed());
                    }
                    p.text.push_str(arguments);
                }
                StreamEvent::Finish(_) => p.finished = true,
            }
            if let Some(frame) = self.writer.event(&ev)
                && !self.send(frame).await
            {
                return false;
            }
        }
        true
    }

    async fn run(self, opened: Opened) {
        let Opened {
            mut body,
            mut decoder,
            first,
        } = opened;
        let mut p = Progress::default();
        let config = &self.state.gateway.config;
        let deadline = tokio::time::Instant::now() + config.max_stream;
        let end = 'relay: {
            if !self.send(self.writer.start()).await || !self.forward(first, &mut p).await {
                break 'relay End::ClientGone;
            }
            loop {
                if decoder.is_done() {
                    break 'relay End::Complete;
                }
                let next = tokio::select! {
                    r = tokio::time::timeout(config.stream_idle_timeout, body.next()) => r,
                    () = tokio::time::sleep_until(deadline) => {
                        break 'relay End::Failed(OaiError::from_upstream(&UpstreamError::Malformed(
                            format!("the stream exceeded {} s", config.max_stream.as_secs()),
                        )));
                    }
                    () = self.tx.closed() => break 'relay End::ClientGone,
                };
                let events = match next {
                    Err(_) => {
                        break 'relay End::Failed(OaiError::from_upstream(
                            &UpstreamError::Timeout(config.stream_idle_timeout.as_secs()),
                        ));
                    }
                    Ok(None) if decoder.is_done() || p.finished => break 'relay End::Complete,
                    Ok(None) | Ok(Some(Err(_))) => {
                        break 'relay End::Failed(OaiError::from_upstream(
                            &UpstreamError::Connect("the upstream stream broke off".to_owned()),
                        ));
                    }
                    Ok(Some(Ok(bytes))) => match decoder.feed(&bytes) {
                        Ok(events) => events,
                        Err(e) => {
                            break 'relay End::Failed(OaiError::from_upstream(&e.into()));
                        }
                    },
                };
                if !self.forward(events, &mut p).await {
                    break 'relay End::ClientGone;
                }
            }
        };
        // Stop reading the upstream now (closing the connection cancels the generation).
        drop(body);
        let usage = p.usage.unwrap_or_else(|| Usage {
            prompt_tokens: self
                .state
                .gateway
                .tokenizer
                .count_messages(&self.parsed.request.messages),
            completion_tokens: self.state.gateway.tokenizer.count(&p.text),
            cached_tokens: 0,
        });
        let (status, code) = match &end {
            End::Complete => {
                let mut ok = true;
                if !p.finished {
                    let finish = StreamEvent::Finish(openai::default_finish(p.saw_tool_call));
                    if let Some(frame) = self.writer.event(&finish) {
                        ok = self.send(frame).await;
                    }
                }
                if ok && let Some(frame) = self.writer.usage(&usage) {
                    ok = self.send(frame).await;
                }
                if ok {
                    self.send(openai::DONE.to_owned()).await;
                }
                (200, None)
            }
            End::ClientGone => (499, Some("client_closed".to_owned())),
            End::Failed(err) => {
                tracing::warn!(provider = %self.channel.target.provider_name, error = %err.message, "stream failed after it started");
                self.state
                    .gateway
                    .router
                    .record_failure(&self.channel.target);
                self.send(self.writer.error(err)).await;
                (err.status.as_u16(), Some(err.code_name()))
            }
        };
        let ttft = p.first_token;
        self.state.gateway.usage.record(self.info.event(
            Some(&self.channel),
            usage,
            ttft,
            status,
            code,
        ));
    }
}
