//! The `/v1` streaming writer: the pipeline reads the upstream; this turns each event into an
//! OpenAI chunk and sends it on at once through a small channel (back pressure, never
//! buffered to the end), then writes the finish, usage and `[DONE]` frames, or an error chunk.

use std::convert::Infallible;

use bytes::Bytes;
use chrono::Utc;
use futures::Stream;
use llm_adapters::types::StreamEvent;

use super::error::OaiError;
use super::openai::{self, ChunkWriter, ParsedChat};
use super::service::{caller, completion_id};
use crate::keys::service::KeyContext;
use crate::llm::stream::BodySender;
use crate::llm::{self, Call, Channel, LlmError, Outcome, Sink};
use crate::state::AppState;

/// OpenAI chunks into the response body.
struct SseSink {
    writer: ChunkWriter,
    body: BodySender,
}

impl SseSink {
    async fn frame(&self, frame: String) -> bool {
        self.body.send(frame).await
    }
}

impl Sink for SseSink {
    async fn send(&mut self, events: &[StreamEvent]) -> bool {
        for ev in events {
            if let Some(frame) = self.writer.event(ev)
                && !self.frame(frame).await
            {
                return false;
            }
        }
        true
    }

    async fn gone(&self) {
        self.body.gone().await;
    }

    /// The finish chunk (if the upstream sent none), usage and `[DONE]`, or the error chunk;
    /// then the body ends.
    async fn end(&mut self, outcome: &Outcome) {
        self.closing_frames(outcome).await;
        self.body.close();
    }
}

impl SseSink {
    async fn closing_frames(&mut self, outcome: &Outcome) {
        match &outcome.result {
            Ok(()) => {
                if !outcome.finished {
                    let finish = StreamEvent::Finish(openai::default_finish(outcome.saw_tool_call));
                    if let Some(frame) = self.writer.event(&finish)
                        && !self.frame(frame).await
                    {
                        return;
                    }
                }
                if let Some(frame) = self.writer.usage(&outcome.usage)
                    && !self.frame(frame).await
                {
                    return;
                }
                self.frame(openai::DONE.to_owned()).await;
            }
            Err(LlmError::Cancelled) => {}
            Err(e) => {
                let frame = self.writer.error(&OaiError::from(e));
                self.frame(frame).await;
            }
        }
    }
}

/// Starts a streamed completion: the SSE body, or the error to answer when no channel began
/// to answer.
pub async fn chat_stream(
    state: &AppState,
    key: &KeyContext,
    parsed: ParsedChat,
    channels: Vec<Channel>,
) -> Result<impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static, LlmError> {
    let call = Call::new(state, caller(key), &parsed.model, channels, parsed.request);
    let streaming = llm::open(state, call).await?;
    let (body, rx) = BodySender::channel();
    let sink = SseSink {
        writer: ChunkWriter::new(
            completion_id(),
            Utc::now().timestamp(),
            parsed.model,
            parsed.include_usage,
        ),
        body,
    };
    state.tasks.spawn(relay(state.clone(), streaming, sink));
    Ok(rx)
}

#[tracing::instrument(skip_all)]
async fn relay(state: AppState, streaming: llm::Streaming, mut sink: SseSink) {
    // A client gone before the first frame is seen by the reader at once (the call is still
    // settled and accounted).
    sink.frame(sink.writer.start()).await;
    streaming.relay(&state, &mut sink).await;
}
