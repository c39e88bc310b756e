//! HTTP plumbing shared by every feature: the middleware stack (request id, tracing, metrics,
//! CORS, compression, timeouts, body limit, panic catching) and the rewriting of framework
//! errors under `/api` into the JSON error envelope.

pub mod metrics;
pub mod openapi;
pub mod openapi_strings;
pub mod serve;

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::CorsOrigins;
use crate::error::{InternalErrorDetail, envelope};
use crate::state::AppState;

/// The request id header, accepted from clients and always returned.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the router in the middleware stack, outermost first.
pub fn apply_middleware(router: Router, state: &AppState) -> Router {
    let http = &state.config.http;
    let stack = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("api-key"),
        ]))
        .layer(middleware::from_fn(drop_unusable_request_id))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or_default();
                    // The path only: query strings may carry tokens.
                    tracing::info_span!(
                        "request",
                        request_id = %id,
                        method = %req.method(),
                        path = %req.uri().path(),
                    )
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_secs_f64() * 1000.0,
                        "response"
                    );
                })
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // No answer is ever read as another type than it says (an avatar, an upload, JSON).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn(log_internal_errors))
        .layer(cors_layer(&http.cors))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(api_error_envelope))
        .layer(middleware::from_fn_with_state(
            http.request_timeout,
            request_timeout,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            http.max_body_bytes,
            limit_body,
        ))
        .layer(DefaultBodyLimit::max(http.max_body_bytes));
    router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(stack)
}

/// Whether a request waits on an LLM call, which the call pipeline bounds itself
/// (per-provider head timeouts, the stream idle and length limits): `/v1`, and the chat's
/// replies (a non-streamed reply waits for the whole answer).
fn bounded_by_the_pipeline(req: &Request) -> bool {
    let path = req.uri().path();
    if path.starts_with("/v1/") {
        return true;
    }
    let Some(chat) = path.strip_prefix("/api/llm/") else {
        return false;
    };
    let method = req.method();
    (method == axum::http::Method::POST && (chat == "chat" || chat == "guest/chat"))
        || (method == axum::http::Method::POST
            && chat.starts_with("sessions/")
            && chat.ends_with("/regenerate"))
        || (method == axum::http::Method::PUT && chat.starts_with("messages/"))
}

/// 408 when a response head takes longer than `REQUEST_TIMEOUT_SECS`, except for requests
/// that wait on an LLM call: a long completion is normal there, and bounded elsewhere.
async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: Request,
    next: Next,
) -> Response {
    if bounded_by_the_pipeline(&req) {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// 413 for bodies over `MAX_BODY_SIZE` (at once when `Content-Length` says so), except file
/// uploads: `POST /api/files` may carry up to `files::MAX_UPLOAD_BODY` (a 10 MiB file plus
/// multipart framing), and bounds itself with its own `DefaultBodyLimit`.
async fn limit_body(
    axum::extract::State(max): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let limit = if req.method() == Method::POST && req.uri().path() == crate::files::UPLOAD_PATH {
        max.max(crate::files::MAX_UPLOAD_BODY)
    } else {
        max
    };
    let limited = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(limit))
        .map_request(|req: axum::http::Request<_>| req.map(axum::body::Body::new))
        .service(next);
    match limited.oneshot(req).await {
        Ok(res) => res.into_response(),
        Err(never) => match never {},
    }
}

/// A client-sent request id is kept only if it is short and plain; otherwise a new one is made.
async fn drop_unusable_request_id(mut req: Request, next: Next) -> Response {
    let usable = req.headers().get(&REQUEST_ID).is_some_and(|v| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 128
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
    });
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

fn cors_layer(origins: &CorsOrigins) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            REQUEST_ID,
            HeaderName::from_static("x-csrf-token"),
        ])
        .expose_headers([REQUEST_ID, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    match origins {
        // No Access-Control-Allow-Origin at all: browsers keep to the same origin.
        CorsOrigins::SameOrigin => base.allow_origin(AllowOrigin::list(Vec::<HeaderValue>::new())),
        CorsOrigins::Any => base.allow_origin(AllowOrigin::any()),
        CorsOrigins::List(list) => base
            .allow_origin(AllowOrigin::list(
                list.iter().filter_map(|o| HeaderValue::from_str(o).ok()),
            ))
            .allow_credentials(true),
    }
}

/// Logs the hidden detail of a 500 once, inside the request span.
async fn log_internal_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if let Some(detail) = res.extensions().get::<InternalErrorDetail>() {
        tracing::error!(error = %detail.0, "internal error");
    }
    res
}

/// Under `/api`, any error response that is not already JSON (405 from the router, 408 from
/// the timeout, 413 from the body limit…) is rewritten into the envelope.
async fn api_error_envelope(req: Request, next: Next) -> Response {
    let is_api = req.uri().path() == "/api" || req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this method is not allowed on this path",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "request_timeout",
            "the request took too long (REQUEST_TIMEOUT_SECS)",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "request body is larger than the configured limit (MAX_BODY_SIZE)",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "unsupported content type")
        }
        s if s.is_server_error() => ("internal_error", "internal server error"),
        _ => ("bad_request", "bad request"),
    };
    let (mut parts, _) = res.into_parts();
    let mut fixed = envelope(status, code, message, None);
    // Keep headers such as Allow and Retry-After, but not the old body's type and length.
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &parts.headers {
        fixed.headers_mut().insert(name, value.clone());
    }
    fixed
}

/// A panic in a handler becomes a bare JSON 500; the panic message is logged, never sent.
fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("<non-string panic payload>");
    tracing::error!(panic = %message, "handler panicked");
    envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "internal server error",
        None,
    )
    .into_response()
}
