//! One segment of a file over HTTP: `Range: bytes=a-b` with `If-Range` once the file's strong
//! ETag is known, the answer classified (206 written at its offset; a changed file, a refusal,
//! or a failure worth retrying with back-off), progress recorded as the bytes land.

use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_RANGE, ETAG, IF_RANGE, RANGE};

use super::fetch::{FetchError, Shared};

/// Consecutive failed attempts at a segment (without progress) before the download fails.
const MAX_ATTEMPTS: u32 = 8;
/// Bytes gathered before one positional write.
const WRITE_BATCH: usize = 1 << 20;

/// What one attempt at a segment came to.
enum Attempt {
    /// The segment's missing part is on disk.
    Done,
    /// Worth another try (network error, cut body, 5xx, 429).
    Retry(String),
    /// The remote file is not the one we began with (its new ETag, if any).
    Changed(Option<String>),
    /// Stop the download with this error.
    Fatal(FetchError),
}

/// Fetches segments from the queue until it is empty or the download stops.
pub async fn worker(shared: Arc<Shared>) -> Result<(), FetchError> {
    while let Some(i) = shared.next_segment() {
        segment(&shared, i).await?;
    }
    Ok(())
}

async fn segment(shared: &Shared, i: u32) -> Result<(), FetchError> {
    let mut failures = 0u32;
    loop {
        let before = shared.done_bytes();
        let reason = match attempt(shared, i).await {
            Attempt::Done => return Ok(()),
            Attempt::Changed(etag) => {
                shared.saw_change(etag);
                return Ok(());
            }
            Attempt::Fatal(e) => return Err(e),
            Attempt::Retry(reason) => reason,
        };
        if shared.stop.is_cancelled() {
            return Ok(());
        }
        failures = if shared.done_bytes() > before {
            1
        } else {
            failures + 1
        };
        if failures >= MAX_ATTEMPTS {
            return Err(FetchError::Failed(format!(
                "{reason} ({failures} attempts in a row)"
            )));
        }
        let wait = Duration::from_millis(250 << failures.min(6));
        tokio::select! {
            () = shared.stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(wait) => {}
        }
    }
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A strong ETag (weak ones cannot be used with `If-Range`).
fn strong_etag(response: &reqwest::Response) -> Option<String> {
    header(response, ETAG)
        .filter(|e| !e.starts_with("W/"))
        .map(str::to_owned)
}

async fn attempt(shared: &Shared, i: u32) -> Attempt {
    let start = shared.resume_at(i);
    let end = shared.range(i).1;
    if start >= end {
        return Attempt::Done;
    }
    let known = shared.etag();
    let mut request = shared
        .client
        .get(&shared.url)
        .header(RANGE, format!("bytes={start}-{}", end - 1));
    if let Some(etag) = &known {
        request = request.header(IF_RANGE, etag);
    }
    if let Some(auth) = &shared.auth {
        request = request.header(AUTHORIZATION, auth);
    }
    let response = tokio::select! {
        () = shared.stop.cancelled() => return Attempt::Done,
        sent = request.send() => sent,
    };
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            if let Some(ssrf) = crate::net::client::ssrf_cause(&e) {
                return Attempt::Fatal(FetchError::Failed(format!("refused redirect: {ssrf}")));
            }
            return Attempt::Retry(format!(
                "the file host failed: {}",
                crate::models::source::short(&e)
            ));
        }
    };
    if let Some(outcome) = classify(shared, &response, start, end, known.as_deref()) {
        return outcome;
    }
    body(shared, i, start, response).await
}

/// Checks the answer's status, range and validator; `None` means: write its body.
fn classify(
    shared: &Shared,
    response: &reqwest::Response,
    start: u64,
    end: u64,
    known: Option<&str>,
) -> Option<Attempt> {
    let status = response.status();
    let etag = strong_etag(response);
    match status {
        StatusCode::PARTIAL_CONTENT => {
            if known.is_some() && etag.is_some() && etag.as_deref() != known {
                return Some(Attempt::Changed(etag));
            }
            let expected = format!("bytes {start}-{}/{}", end - 1, shared.size);
            if header(response, CONTENT_RANGE) != Some(expected.as_str()) {
                return Some(Attempt::Changed(etag));
            }
            if known.is_none() {
                shared.set_etag(etag);
            }
            None
        }
        StatusCode::OK if known.is_some() => Some(Attempt::Changed(etag)),
        StatusCode::OK if start == 0 && end == shared.size => {
            shared.set_etag(etag);
            None
        }
        StatusCode::OK => Some(Attempt::Fatal(FetchError::Failed(
            "the file host ignores Range requests (it answered 200), so the file cannot be fetched in segments"
                .into(),
        ))),
        StatusCode::RANGE_NOT_SATISFIABLE => Some(Attempt::Changed(None)),
        StatusCode::TOO_MANY_REQUESTS => Some(Attempt::Retry("the hub asked to slow down (429)".into())),
        s if s.is_server_error() => Some(Attempt::Retry(format!("the file host answered {s}"))),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Some(Attempt::Fatal(FetchError::Failed(format!(
            "the hub refused access ({status}); the repository may be gated: set a token with access"
        )))),
        s => Some(Attempt::Fatal(FetchError::Failed(format!("the hub answered {s} for the file")))),
    }
}

/// Streams a 206/200 body to its offset, recording progress after each write.
async fn body(shared: &Shared, i: u32, start: u64, mut response: reqwest::Response) -> Attempt {
    let mut offset = start;
    let mut buffer = BytesMut::with_capacity(WRITE_BATCH);
    loop {
        let chunk = tokio::select! {
            () = shared.stop.cancelled() => None,
            chunk = response.chunk() => Some(chunk),
        };
        let (finished, failure) = match chunk {
            None => (true, None),
            Some(Ok(Some(bytes))) => {
                buffer.extend_from_slice(&bytes);
                (false, None)
            }
            Some(Ok(None)) => (true, None),
            Some(Err(e)) => (true, Some(crate::models::source::short(&e))),
        };
        if buffer.len() >= WRITE_BATCH || (finished && !buffer.is_empty()) {
            let data = buffer.split().freeze();
            let n = data.len() as u64;
            let file = shared.file.clone();
            let written =
                tokio::task::spawn_blocking(move || file.write_all_at(&data, offset)).await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Attempt::Fatal(FetchError::from_io(&e)),
                Err(e) => {
                    return Attempt::Fatal(FetchError::Failed(format!("write task failed: {e}")));
                }
            }
            offset += n;
            shared.advance(i, n);
        }
        if finished {
            if let Some(reason) = failure {
                return Attempt::Retry(format!("the download broke off: {reason}"));
            }
            if shared.stop.is_cancelled() || offset >= shared.range(i).1 {
                return Attempt::Done;
            }
            return Attempt::Retry("the file host ended the body early".into());
        }
    }
}
