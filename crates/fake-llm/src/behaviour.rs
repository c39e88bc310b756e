//! Applies a [`Behaviour`] to an answer: latency, scripted statuses, connection cuts, garbage,
//! endless and stalled bodies, and the paced, truly incremental stream driver shared by all
//! formats.

use std::io;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::config::Behaviour;
use crate::errors;
use crate::exchange::Exchange;
use crate::reply::{Reply, word_count};
use crate::state::AppState;

/// Interval between the chunks of an endless answer.
const ENDLESS_TICK: Duration = Duration::from_millis(50);
/// Time given to the connection to flush what was sent before a cut.
const FLUSH_GRACE: Duration = Duration::from_millis(20);

/// One piece of a streamed answer as written on the wire.
pub(crate) struct Frame {
    pub(crate) bytes: Bytes,
    /// Words carried: 0 for framing events, at least 1 for content chunks.
    pub(crate) words: u64,
}

impl Frame {
    /// A framing event (not a content chunk).
    pub(crate) fn framing(bytes: impl Into<Bytes>) -> Self {
        Self {
            bytes: bytes.into(),
            words: 0,
        }
    }

    /// A content chunk carrying `text` (at least one word for pacing and counting).
    pub(crate) fn content(bytes: impl Into<Bytes>, text: &str) -> Self {
        Self {
            bytes: bytes.into(),
            words: word_count(text).max(1),
        }
    }
}

/// `event: NAME\ndata: JSON\n\n` (or just the data line without a name).
pub(crate) fn sse(event: Option<&str>, data: &Value) -> Bytes {
    match event {
        Some(name) => format!("event: {name}\ndata: {data}\n\n").into(),
        None => format!("data: {data}\n\n").into(),
    }
}

/// How a format writes an answer.
pub(crate) trait Encoder: Send + 'static {
    /// `Content-Type` of the stream.
    fn stream_content_type(&self) -> &'static str;
    /// The whole answer as one JSON body.
    fn complete(&self, reply: &Reply) -> Value;
    /// Events before any content.
    fn preamble(&mut self, reply: &Reply) -> Vec<Frame>;
    /// One content chunk of text.
    fn text(&mut self, reply: &Reply, piece: &str) -> Frame;
    /// The events of a tool call (content chunks and framing).
    fn tool_call(&mut self, reply: &Reply) -> Vec<Frame>;
    /// Events after the content: finish reason, usage, end marker.
    fn finish(&mut self, reply: &Reply) -> Vec<Frame>;
    /// A broken event for `Behaviour::Malformed`.
    fn garbage(&self) -> Bytes;
    /// The format's in-stream error event carrying the error object `error`.
    fn error_event(&self, error: &Value) -> Bytes;
}

/// Latency, scripted status and drop-before-head; `Some` when the answer is decided.
async fn prelude(ex: &Exchange, behaviour: &Behaviour) -> Option<Response> {
    let delay = match behaviour {
        Behaviour::SlowFirstByte(delay) => *delay,
        _ => ex.config.latency,
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match behaviour {
        Behaviour::Status(code) => Some(errors::status(ex.format, *code).into_response()),
        Behaviour::EchoKeyStatus(code) => {
            Some(errors::with_message(ex.format, *code, ex.echo_key_message()).into_response())
        }
        Behaviour::DropBeforeHead => {
            if ex.cut_connection() {
                // The connection task drops this future together with the connection.
                std::future::pending::<()>().await;
            }
            Some(errors::status(ex.format, 500).into_response())
        }
        _ => None,
    }
}

/// Answers with a JSON body, under the behaviour.
pub(crate) async fn respond_json(ex: Exchange, behaviour: Behaviour, body: Value) -> Response {
    if let Some(response) = prelude(&ex, &behaviour).await {
        return response;
    }
    let bytes = Bytes::from(body.to_string());
    match behaviour {
        Behaviour::Malformed => json_response(Body::from(r#"{"id": "broken", "choices": [{"#)),
        Behaviour::EchoKey { .. } => {
            let error = errors::body(ex.format, 401, &ex.echo_key_message(), None);
            json_response(Body::from(error.to_string()))
        }
        Behaviour::DropMidStream { .. } => {
            let full = bytes.len();
            let half = bytes.slice(..full / 2);
            let body = spawn_body(&ex.state, |out| async move {
                if out.send(half).await {
                    out.cut().await;
                }
            });
            let mut response = json_response(body);
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
            response
        }
        Behaviour::Endless => json_response(spawn_body(&ex.state, |out| async move {
            // Whitespace is valid JSON padding: the body just never completes.
            while out.pause(ENDLESS_TICK).await && out.send(Bytes::from_static(b" ")).await {}
        })),
        Behaviour::Stall { .. } => json_response(spawn_body(&ex.state, |out| async move {
            out.closed().await;
        })),
        _ => json_response(Body::from(bytes)),
    }
}

/// Answers a chat request, streamed or not, under the behaviour.
pub(crate) async fn respond_chat(
    ex: Exchange,
    behaviour: Behaviour,
    stream: bool,
    reply: Reply,
    encoder: Box<dyn Encoder>,
) -> Response {
    if !stream {
        let body = encoder.complete(&reply);
        return respond_json(ex, behaviour, body).await;
    }
    if let Some(response) = prelude(&ex, &behaviour).await {
        return response;
    }
    let content_type = encoder.stream_content_type();
    let tps = ex
        .config
        .tokens_per_second
        .filter(|t| t.is_finite() && *t > 0.0);
    let echo = match behaviour {
        Behaviour::EchoKey { .. } => {
            Some(errors::body(ex.format, 401, &ex.echo_key_message(), None))
        }
        _ => None,
    };
    let body = spawn_body(&ex.state, move |out| {
        pump(out, encoder, reply, behaviour, tps, echo)
    });
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn json_response(body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Writes a stream: preamble, paced content (with the behaviour's garbage, cut or stall), end.
async fn pump(
    out: Out,
    mut encoder: Box<dyn Encoder>,
    reply: Reply,
    behaviour: Behaviour,
    tps: Option<f64>,
    echo: Option<Value>,
) {
    let echo = echo.map(|error| encoder.error_event(&error));
    for frame in encoder.preamble(&reply) {
        if !out.send(frame.bytes).await {
            return;
        }
    }
    if behaviour == Behaviour::Endless {
        for piece in reply.endless_pieces().iter().cycle() {
            let frame = encoder.text(&reply, piece);
            if !(out.pause(ENDLESS_TICK).await && out.send(frame.bytes).await) {
                return;
            }
        }
        return;
    }
    let halt_after = match behaviour {
        Behaviour::DropMidStream { after_chunks }
        | Behaviour::Stall { after_chunks }
        | Behaviour::EchoKey { after_chunks } => Some(after_chunks),
        _ => None,
    };
    let content = match reply.tool_call {
        Some(_) => encoder.tool_call(&reply),
        None => reply
            .chunks
            .iter()
            .map(|piece| encoder.text(&reply, piece))
            .collect(),
    };
    let mut sent = 0usize;
    let mut garbage_due = behaviour == Behaviour::Malformed;
    for frame in content {
        if frame.words > 0 {
            if halt_after == Some(sent) {
                return halt(&out, &behaviour, echo).await;
            }
            if let Some(tps) = tps
                && sent > 0
                && !out
                    .pause(Duration::from_secs_f64(frame.words as f64 / tps))
                    .await
            {
                return;
            }
            sent += 1;
        }
        if !out.send(frame.bytes).await {
            return;
        }
        if garbage_due && sent == 1 {
            garbage_due = false;
            if !out.send(encoder.garbage()).await {
                return;
            }
        }
    }
    if halt_after.is_some() {
        // Fewer content chunks than asked for: still no end marker.
        return halt(&out, &behaviour, echo).await;
    }
    if garbage_due && !out.send(encoder.garbage()).await {
        return;
    }
    let mut finish = encoder.finish(&reply);
    if behaviour == Behaviour::NoEndMarker && finish.len() > 1 {
        finish.pop();
    }
    for frame in finish {
        if !out.send(frame.bytes).await {
            return;
        }
    }
}

/// Ends a stream early: a cut for `DropMidStream`, silence for `Stall`, the error event and
/// the end of the body for `EchoKey`.
async fn halt(out: &Out, behaviour: &Behaviour, echo: Option<Bytes>) {
    match behaviour {
        Behaviour::Stall { .. } => out.closed().await,
        Behaviour::EchoKey { .. } => {
            if let Some(event) = echo {
                out.send(event).await;
            }
        }
        _ => out.cut().await,
    }
}

/// Spawns a body generator; the body ends when it returns, and it stops when the body is dropped.
fn spawn_body<F, Fut>(state: &AppState, generate: F) -> Body
where
    F: FnOnce(Out) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Capacity 1: every chunk reaches the connection before the next one is made.
    let (tx, rx) = mpsc::channel(1);
    let guard = state.body_guard();
    state.tasks.spawn(async move {
        let _guard = guard;
        generate(Out { tx }).await;
    });
    Body::from_stream(ReceiverStream::new(rx))
}

/// The sending end of a response body.
struct Out {
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl Out {
    /// Sends a chunk; false once the client has gone.
    async fn send(&self, bytes: Bytes) -> bool {
        self.tx.send(Ok(bytes)).await.is_ok()
    }

    /// Waits; false if the client went away meanwhile.
    async fn pause(&self, duration: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            () = self.tx.closed() => false,
        }
    }

    /// Waits until the client goes away.
    async fn closed(&self) {
        self.tx.closed().await;
    }

    /// Breaks the body once what was sent has been written: the connection closes without the
    /// body's proper end, so the client sees an error rather than a clean end.
    async fn cut(&self) {
        let Ok(permit) = self.tx.reserve().await else {
            return;
        };
        if !self.pause(FLUSH_GRACE).await {
            return;
        }
        permit.send(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fake-llm: connection cut",
        )));
    }
}
