//! The one upstream stream reader. Opening counts as done once the upstream sent its first
//! event (failures before that may go to another channel). Reading then follows one rule
//! each:
//! - **idle**: more than `stream_idle_timeout` without a chunk breaks the stream (`Silent`);
//! - **deadline**: a stream longer than `max_stream` breaks (`Deadline`);
//! - **cancel**: the caller's token (stop button) or its receiver going away ends it as
//!   `Cancelled`;
//! - **shutdown**: the server stopping ends it as `ShuttingDown`;
//! - **end**: the upstream's end marker, or the body ending after a finish event, is a complete
//!   answer; the body ending or failing without either is `Broken`.
//!
//! Dropping the body when reading stops closes the connection, which cancels the generation.

use std::future::Future;

use futures::StreamExt;
use llm_adapters::StreamDecoder;
use llm_adapters::types::{ChatRequest, StreamEvent};
use tokio_util::sync::CancellationToken;

use super::error::LlmError;
use super::meter::Meter;
use super::route::Channel;
use super::upstream::{self, ByteStream, UpstreamError};
use crate::state::AppState;

/// Where the events of a stream go: the front end's own wire format.
pub trait Sink: Send {
    /// Passes events on as they arrive; `false` when the receiver went away.
    fn send(&mut self, events: &[StreamEvent]) -> impl Future<Output = bool> + Send;

    /// Resolves when the receiver went away while the upstream is quiet (never, by default).
    fn gone(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }

    /// Writes the closing frames once the outcome is known, before the call is settled and
    /// accounted (so the caller never waits for the bookkeeping). Nothing, by default.
    fn end(&mut self, outcome: &super::call::Outcome) -> impl Future<Output = ()> + Send {
        let _ = outcome;
        std::future::ready(())
    }
}

/// An upstream stream that has produced its first events.
pub struct Opened {
    body: ByteStream,
    /// The channel, whose secrets are scrubbed from any error the stream carries.
    target: upstream::Target,
    decoder: Box<dyn StreamDecoder>,
    first: Vec<StreamEvent>,
}

/// Sends the request and reads until the first event (or the end marker).
pub(super) async fn open(
    state: &AppState,
    channel: &Channel,
    request: &ChatRequest,
) -> Result<Opened, UpstreamError> {
    let mut req = channel.prepare(request);
    req.stream = true;
    let target = &channel.target;
    let wire = llm_adapters::chat_request(&target.upstream, &req).map_err(|e| target.fail(e))?;
    let res = upstream::send(state, &channel.target, wire).await?;
    let mut body: ByteStream = Box::pin(res.bytes_stream());
    let mut decoder = llm_adapters::stream_decoder(channel.kind);
    let idle = state
        .config
        .gateway
        .stream_idle_timeout
        .min(channel.target.timeout);
    loop {
        let next = tokio::time::timeout(idle, body.next())
            .await
            .map_err(|_| UpstreamError::Timeout(idle.as_secs()))?;
        match next {
            Some(Ok(bytes)) => {
                let first = decoder.feed(&bytes).map_err(|e| target.fail(e))?;
                if !first.is_empty() || decoder.is_done() {
                    return Ok(Opened {
                        body,
                        target: target.clone(),
                        decoder,
                        first,
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

/// Why the cancel token fired.
pub(super) fn cancelled(state: &AppState) -> LlmError {
    if state.shutdown.is_cancelled() {
        LlmError::ShuttingDown
    } else {
        LlmError::Cancelled
    }
}

/// Reads the stream to its end, passing every event to `sink` and to `meter`.
pub(super) async fn read<S: Sink>(
    state: &AppState,
    opened: Opened,
    meter: &mut Meter,
    cancel: &CancellationToken,
    sink: &mut S,
) -> Result<(), LlmError> {
    let Opened {
        mut body,
        target,
        mut decoder,
        first,
    } = opened;
    let config = &state.config.gateway;
    // One timer for the whole stream, not one per chunk.
    let deadline = tokio::time::sleep(config.max_stream);
    tokio::pin!(deadline);
    let mut pending = first;
    loop {
        for ev in &pending {
            meter.observe(ev);
        }
        if !pending.is_empty() && !sink.send(&pending).await {
            return Err(LlmError::Cancelled);
        }
        if decoder.is_done() {
            return Ok(());
        }
        let next = tokio::select! {
            () = cancel.cancelled() => return Err(cancelled(state)),
            () = sink.gone() => return Err(LlmError::Cancelled),
            () = &mut deadline => {
                return Err(LlmError::Broken(UpstreamError::Deadline(config.max_stream.as_secs())));
            }
            r = tokio::time::timeout(config.stream_idle_timeout, body.next()) => r,
        };
        pending = match next {
            Err(_) => {
                return Err(LlmError::Broken(UpstreamError::Silent(
                    config.stream_idle_timeout.as_secs(),
                )));
            }
            // No end marker, but the answer said it was finished: complete.
            Ok(None) if meter.finished => return Ok(()),
            Ok(None) | Ok(Some(Err(_))) => {
                return Err(LlmError::Broken(UpstreamError::Connect(
                    "the upstream stream broke off".to_owned(),
                )));
            }
            Ok(Some(Ok(bytes))) => decoder
                .feed(&bytes)
                .map_err(|e| LlmError::Broken(target.fail(e)))?,
        };
    }
}

/// The sending half of a streamed response body, for a [`Sink`] to write its frames into: a
/// small channel (back pressure, never buffered to the end). [`Self::close`] ends the body at
/// once, so the caller has its last frame before the call is settled and accounted.
pub struct BodySender(
    Option<tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::convert::Infallible>>>,
);

/// The body a [`BodySender`] feeds.
pub type Body =
    tokio_stream::wrappers::ReceiverStream<Result<bytes::Bytes, std::convert::Infallible>>;

impl BodySender {
    /// A sender and the body it feeds.
    pub fn channel() -> (Self, Body) {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        (
            Self(Some(tx)),
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )
    }

    /// Sends a frame; `false` when the receiver went away or the body was closed.
    pub async fn send(&self, frame: impl Into<bytes::Bytes>) -> bool {
        match &self.0 {
            Some(tx) => tx.send(Ok(frame.into())).await.is_ok(),
            None => false,
        }
    }

    /// Resolves when the receiver went away (never once closed: there is nothing to watch).
    pub async fn gone(&self) {
        match &self.0 {
            Some(tx) => tx.closed().await,
            None => std::future::pending().await,
        }
    }

    /// Ends the body.
    pub fn close(&mut self) {
        self.0 = None;
    }
}
