//! Calling one upstream channel: build the wire request with the adapter, guard user-chosen
//! URLs, send with the provider's head timeout, and turn failures into [`UpstreamError`]s that
//! say whether a retry on another channel may help. Error text from upstreams is trimmed and
//! scrubbed of keys and URLs ([`super::scrub`]) where the error is made, before anyone sees it.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use llm_adapters::types::{
    ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, ProviderKind, Upstream,
};
use llm_adapters::{AdapterError, WireRequest};
use secrecy::SecretString;
use uuid::Uuid;

use crate::net::client::ssrf_cause;
use crate::net::ssrf;
use crate::providers::store::Provider;
use crate::state::AppState;

/// Largest non-streamed answer read from an upstream.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Longest a non-streamed answer's body may take to arrive after its head.
pub const BODY_DEADLINE: Duration = Duration::from_secs(600);

/// An upstream response body.
pub type ByteStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// One channel, ready to call.
#[derive(Clone, Debug)]
pub struct Target {
    /// Provider.
    pub provider_id: Uuid,
    /// Provider name (for logs).
    pub provider_name: String,
    /// The key used (`None`: keyless).
    pub key_id: Option<Uuid>,
    /// Wire format, URL, key.
    pub upstream: Upstream,
    /// A user chose the URL: SSRF rules apply to every connection.
    pub guarded: bool,
    /// Wait for the response head.
    pub timeout: Duration,
}

impl Target {
    /// The channel of provider `p` with one of its keys.
    pub fn new(p: &Provider, key: SecretString, key_id: Option<Uuid>) -> Self {
        Self {
            provider_id: p.id,
            provider_name: p.name.clone(),
            key_id,
            upstream: Upstream {
                kind: ProviderKind::parse(&p.kind).unwrap_or(ProviderKind::OpenaiCompatible),
                base_url: p.base_url.clone(),
                api_key: key,
                api_version: p.api_version.clone(),
            },
            guarded: p.owner_id.is_some(),
            timeout: Duration::from_secs(u64::try_from(p.timeout_secs.max(1)).unwrap_or(60)),
        }
    }
}

/// Why an upstream call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// No connection (refused, reset, DNS, TLS) or the body broke off.
    #[error("could not reach the upstream: {0}")]
    Connect(String),
    /// No response head within the provider's timeout.
    #[error("the upstream did not answer within {0} s")]
    Timeout(u64),
    /// The upstream answered with an error status.
    #[error("the upstream answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The upstream's message, scrubbed.
        message: String,
        /// `Retry-After` in seconds, if given.
        retry_after: Option<u64>,
    },
    /// The stream went silent for longer than the idle limit.
    #[error("the upstream went silent for {0} s")]
    Silent(u64),
    /// The stream ran longer than the longest stream time.
    #[error("the answer exceeded the longest stream time of {0} s")]
    Deadline(u64),
    /// The answer could not be read.
    #[error("the upstream sent an unreadable answer: {0}")]
    Malformed(String),
    /// The request cannot be expressed for this upstream.
    #[error("{0}")]
    Unsupported(String),
    /// The SSRF guard refused the address.
    #[error("blocked: {0}")]
    Blocked(String),
}

impl UpstreamError {
    /// Whether another attempt (on this or another channel) may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Timeout(_) | Self::Silent(_) | Self::Malformed(_) => true,
            Self::Deadline(_) => false,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Unsupported(_) | Self::Blocked(_) => false,
        }
    }
}

impl Target {
    /// An adapter's error as an upstream error, its text scrubbed: a malformed answer quotes
    /// what the upstream sent, which may echo the channel's key.
    pub fn fail(&self, e: AdapterError) -> UpstreamError {
        match e {
            AdapterError::Unsupported(m) => UpstreamError::Unsupported(self.scrub(&m)),
            AdapterError::Malformed(m) => UpstreamError::Malformed(self.scrub(&m)),
        }
    }
}

fn from_reqwest(e: &reqwest::Error, timeout: Duration) -> UpstreamError {
    if let Some(s) = ssrf_cause(e) {
        return UpstreamError::Blocked(s.to_string());
    }
    if e.is_timeout() {
        return UpstreamError::Timeout(timeout.as_secs());
    }
    let what = if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    UpstreamError::Connect(what.to_owned())
}

/// Sends a request to the channel and returns the response once its head says success.
pub async fn send(
    state: &AppState,
    target: &Target,
    wire: WireRequest,
) -> Result<reqwest::Response, UpstreamError> {
    let guarded = if target.guarded {
        let url = ssrf::check_url(&wire.url, state.outbound.allow_list())
            .map_err(|e| UpstreamError::Blocked(e.to_string()))?;
        Some(url.port_or_known_default().unwrap_or(80))
    } else {
        None
    };
    let client = state
        .outbound
        .client(target.provider_id, guarded)
        .map_err(|e| UpstreamError::Connect(format!("client: {e}")))?;
    let mut builder = client.request(wire.method, &wire.url).headers(wire.headers);
    if let Some(body) = wire.body {
        builder = builder.body(body);
    }
    let res = tokio::time::timeout(target.timeout, builder.send())
        .await
        .map_err(|_| UpstreamError::Timeout(target.timeout.as_secs()))?
        .map_err(|e| from_reqwest(&e, target.timeout))?;
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = tokio::time::timeout(Duration::from_secs(10), read_capped(res, 64 * 1024))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let message = llm_adapters::upstream_error_message(target.upstream.kind, &body);
    Err(UpstreamError::Status {
        status: status.as_u16(),
        message: target.scrub(&message),
        retry_after,
    })
}

/// Reads a body up to `cap` bytes (more is an error).
pub async fn read_capped(res: reqwest::Response, cap: usize) -> Result<Bytes, UpstreamError> {
    let mut stream = res.bytes_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| from_reqwest(&e, Duration::ZERO))?;
        if buf.len() + chunk.len() > cap {
            return Err(UpstreamError::Malformed(format!(
                "answer larger than {} MiB",
                cap / (1024 * 1024)
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Sends the request and reads the whole answer, bounded in size and in time
/// ([`BODY_DEADLINE`] after the head, which has the provider's own timeout).
async fn read_answer(
    state: &AppState,
    target: &Target,
    wire: WireRequest,
) -> Result<Bytes, UpstreamError> {
    let res = send(state, target, wire).await?;
    tokio::time::timeout(BODY_DEADLINE, read_capped(res, MAX_RESPONSE_BYTES))
        .await
        .map_err(|_| UpstreamError::Timeout(BODY_DEADLINE.as_secs()))?
}

/// A complete (non-streamed) chat call.
pub async fn chat_once(
    state: &AppState,
    target: &Target,
    req: &ChatRequest,
) -> Result<ChatResponse, UpstreamError> {
    let mut req = req.clone();
    req.stream = false;
    let wire = llm_adapters::chat_request(&target.upstream, &req).map_err(|e| target.fail(e))?;
    let body = read_answer(state, target, wire).await?;
    llm_adapters::parse_chat_response(target.upstream.kind, &body).map_err(|e| target.fail(e))
}

/// An embedding call.
pub async fn embed(
    state: &AppState,
    target: &Target,
    req: &EmbeddingRequest,
) -> Result<EmbeddingResponse, UpstreamError> {
    let wire =
        llm_adapters::embedding_request(&target.upstream, req).map_err(|e| target.fail(e))?;
    let body = read_answer(state, target, wire).await?;
    llm_adapters::parse_embedding_response(target.upstream.kind, &body).map_err(|e| target.fail(e))
}

/// The model names the upstream lists.
pub async fn list_models(state: &AppState, target: &Target) -> Result<Vec<String>, UpstreamError> {
    let wire = llm_adapters::models_request(&target.upstream).map_err(|e| target.fail(e))?;
    let body = read_answer(state, target, wire).await?;
    llm_adapters::parse_models_response(target.upstream.kind, &body).map_err(|e| target.fail(e))
}
