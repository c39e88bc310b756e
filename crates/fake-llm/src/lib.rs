//! Fake LLM upstream (test infrastructure): a real HTTP server on loopback that speaks the OpenAI
//! Chat Completions, Azure OpenAI, Anthropic Messages, Google Gemini and Ollama wire formats,
//! with scripted latency, throughput, usage figures and failures.
//!
//! Rules worth knowing when writing tests against it:
//! - A request is recorded first, then checked in its format's order (key, required headers and
//!   fields, model); a request failing a check gets the format's error and does **not** pop the
//!   model's script. Only requests that pass pop one [`Behaviour`].
//! - Keys are looked for only in the format's own place: OpenAI and Ollama
//!   `Authorization: Bearer`, Azure `api-key`, Anthropic `x-api-key`, Gemini `x-goog-api-key` or
//!   `?key=`.
//! - "Chunks" in [`Behaviour::DropMidStream`] and [`Behaviour::Stall`] are content chunks (text
//!   deltas, tool-call pieces); framing events (OpenAI's role chunk, Anthropic's
//!   `message_start`/`content_block_start`/`ping`) always go first, and the end events
//!   (finish reason, usage, `[DONE]`, `message_stop`, `done: true`) never follow a cut or stall.
//! - Anthropic reports `input_tokens` without the cached part (`cache_read_input_tokens`), as
//!   the real API does; OpenAI and Gemini include cached tokens in the prompt count.
//! - Gemini streams are SSE with CRLF line ends, as Google sends them (with or without
//!   `alt=sse`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fake_llm::{Behaviour, FakeLlm};
//! let fake = FakeLlm::start().await?;
//! fake.script("fake-model", [Behaviour::Status(429), Behaviour::Ok]);
//! // point a provider at fake.openai_base() ...
//! assert_eq!(fake.request_count(), 0);
//! fake.stop().await;
//! # Ok(())
//! # }
//! ```

mod anthropic;
mod behaviour;
mod config;
mod embed;
mod errors;
mod exchange;
mod gemini;
mod ollama;
mod openai;
mod reply;
mod server;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::{Behaviour, FakeConfig, Format, RecordedRequest};

use state::{AppState, Shared};

/// A running fake upstream. Dropping it (or [`FakeLlm::stop`]) shuts the server down.
pub struct FakeLlm {
    addr: SocketAddr,
    state: AppState,
    shutdown: CancellationToken,
    accept: Option<JoinHandle<()>>,
}

impl FakeLlm {
    /// Starts with the default configuration on `127.0.0.1` and a free port.
    pub async fn start() -> std::io::Result<FakeLlm> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        Self::start_with(FakeConfig::default(), addr).await
    }

    /// Starts with this configuration on this address (port 0 picks a free one). The server is
    /// accepting connections when this returns.
    pub async fn start_with(config: FakeConfig, addr: SocketAddr) -> std::io::Result<FakeLlm> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Shared::new(config));
        let shutdown = CancellationToken::new();
        #[expect(
            clippy::disallowed_methods,
            reason = "the fake is test infrastructure with no task tracker"
        )]
        let accept = tokio::spawn(server::accept_loop(
            listener,
            AppState::clone(&state),
            shutdown.clone(),
        ));
        Ok(FakeLlm {
            addr,
            state,
            shutdown,
            accept: Some(accept),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL of an OpenAI (or OpenAI-compatible) provider: `url()/v1`.
    pub fn openai_base(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// Base URL of an Anthropic provider (the client appends `/v1/messages`).
    pub fn anthropic_base(&self) -> String {
        self.url()
    }

    /// Base URL of a Gemini provider (the client appends `/v1beta/models/...`).
    pub fn gemini_base(&self) -> String {
        self.url()
    }

    /// Base URL of an Ollama provider (the client appends `/api/...`).
    pub fn ollama_base(&self) -> String {
        self.url()
    }

    /// Base URL of an Azure OpenAI resource (the client appends `/openai/deployments/...`).
    pub fn azure_base(&self) -> String {
        self.url()
    }

    /// The defaults in force.
    pub fn config(&self) -> FakeConfig {
        self.state.config()
    }

    /// Replaces the defaults; applies to requests arriving from now on.
    pub fn set_config(&self, config: FakeConfig) {
        self.state.set_config(config);
    }

    /// Queues behaviours for the next requests naming `model` (any format). Each request that
    /// passes the key, shape and model checks pops one; an empty queue means [`Behaviour::Ok`].
    pub fn script(&self, model: &str, steps: impl IntoIterator<Item = Behaviour>) {
        self.state.script(model, steps);
    }

    /// Every request received so far (failed ones too), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Number of requests received since the start or the last [`FakeLlm::clear_requests`].
    pub fn request_count(&self) -> usize {
        self.state.request_count()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.state.clear_requests();
    }

    /// Keeps (default) or stops keeping request records; counting goes on either way. For long
    /// benchmark runs, where the records would only grow.
    pub fn set_recording(&self, on: bool) {
        self.state.set_recording(on);
    }

    /// TCP connections accepted so far, including ones that never sent a complete request.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Response bodies still being generated (streams, endless or stalled bodies). Falls back to
    /// 0 once clients that went away have been noticed, so tests can poll it.
    pub fn active_streams(&self) -> usize {
        self.state.active_bodies.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes every connection and waits for all tasks to end.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(accept) = self.accept.take()
            && let Err(error) = accept.await
        {
            tracing::warn!(%error, "fake-llm: accept loop failed");
        }
        self.state.tasks.close();
        self.state.tasks.wait().await;
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
