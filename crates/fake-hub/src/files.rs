//! The file host ("CDN"): serves a file by id with `ETag`, `Accept-Ranges`, single
//! `Range: bytes=a-b` requests (206 / 416) and `If-Range` (a stale validator gets the whole
//! file, 200), under the knobs: throttling, a body cut after N bytes, 503s, `Range` ignored.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::state::{Hub, HubFile, Shared};

const CHUNK: usize = 64 * 1024;

/// `GET|HEAD /cdn/{id}`.
pub async fn serve(
    State(hub): State<Shared>,
    Path(id): Path<usize>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match hub.file(id) {
        Some(file) => send(&hub, &file, &method, &headers),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// Answers a request for `file`: whole, a range of it, or an error the knobs ask for.
pub fn send(hub: &Shared, file: &HubFile, method: &Method, headers: &HeaderMap) -> Response {
    let knobs = &hub.knobs;
    knobs.file_requests.fetch_add(1, Ordering::SeqCst);
    if Hub::take(&knobs.fail_5xx) {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response();
    }
    let size = file.bytes.len() as u64;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| !knobs.ignore_range.load(Ordering::SeqCst))
        .filter(|_| if_range_holds(headers, file));
    let (status, start, end) = match range.map(|r| parse_range(r, size)) {
        None => (StatusCode::OK, 0, size),
        Some(Some((a, b))) => (StatusCode::PARTIAL_CONTENT, a, b),
        Some(None) => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty())
                .unwrap_or_default();
        }
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::ETAG, &file.etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, end - start);
    if status == StatusCode::PARTIAL_CONTENT {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{size}", end.saturating_sub(1)),
        );
    }
    if method == Method::HEAD {
        return builder.body(Body::empty()).unwrap_or_default();
    }
    let body = file.bytes.slice(start as usize..end as usize);
    builder.body(stream(hub.clone(), body)).unwrap_or_default()
}

/// `If-Range` with a strong ETag: the range is served only if it still names this file.
fn if_range_holds(headers: &HeaderMap, file: &HubFile) -> bool {
    match headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        Some(validator) => validator == file.etag,
        None => true,
    }
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` → the half-open range, `None` if unsatisfiable.
fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (size.saturating_sub(n), size)
        }
        (a, "") => (a.parse().ok()?, size),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.saturating_add(1).min(size),
        ),
    };
    (start < end && start < size).then_some((start, end))
}

/// The body in chunks, throttled and cut as the knobs say; a cut ends the body with an error,
/// so the client sees a connection that broke mid-body.
fn stream(hub: Shared, body: Bytes) -> Body {
    let cut = Hub::take(&hub.knobs.cuts).then(|| hub.knobs.cut_after.load(Ordering::SeqCst));
    let began = Instant::now();
    let chunks = futures::stream::unfold(0usize, move |sent| {
        let hub = hub.clone();
        let body = body.clone();
        async move {
            if sent >= body.len() {
                return None;
            }
            if let Some(limit) = cut
                && sent as u64 >= limit
            {
                return Some((
                    Err(std::io::Error::other("cut by the fake hub")),
                    usize::MAX,
                ));
            }
            let mut end = (sent + CHUNK).min(body.len());
            if let Some(limit) = cut {
                end = end.min((limit as usize).max(sent + 1));
            }
            let bps = hub.knobs.throttle_bps.load(Ordering::SeqCst);
            if bps > 0 {
                let due = Duration::from_secs_f64(end as f64 / bps as f64);
                if let Some(wait) = due.checked_sub(began.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
            if let Some(wait) = link_wait(&hub, (end - sent) as u64) {
                tokio::time::sleep(wait).await;
            }
            hub.knobs
                .bytes_served
                .fetch_add((end - sent) as u64, Ordering::SeqCst);
            Some((Ok(body.slice(sent..end)), end))
        }
    });
    Body::from_stream(chunks)
}

/// Reserves the shared link for `bytes`; how long to wait until they have gone through it.
fn link_wait(hub: &Shared, bytes: u64) -> Option<Duration> {
    let bps = hub.knobs.link_bps.load(Ordering::SeqCst);
    if bps == 0 {
        return None;
    }
    let mut free_at = hub
        .knobs
        .link_free_at
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = Instant::now();
    let start = free_at.filter(|t| *t > now).unwrap_or(now);
    let done = start + Duration::from_secs_f64(bytes as f64 / bps as f64);
    *free_at = Some(done);
    // Timers tick in milliseconds: shorter waits are carried in the reservation instead, so
    // the link's rate holds without every chunk sleeping a whole tick.
    Some(done - now).filter(|wait| *wait >= Duration::from_millis(2))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_http_says() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 10)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 100)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
