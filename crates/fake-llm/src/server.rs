//! The accept loop: counts connections, serves each with hyper (HTTP/1.1) on the router, and
//! lets a handler cut its own connection or the handle stop them all.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::config::Format;
use crate::errors;
use crate::exchange::Captured;
use crate::state::{AppState, ConnControl};
use crate::{anthropic, gemini, ollama, openai};

/// Every route of every format, with a recording fallback for unknown paths.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .merge(openai::routes())
        .merge(anthropic::routes())
        .merge(gemini::routes())
        .merge(ollama::routes())
        .fallback(unknown_path)
        .with_state(state)
}

/// Records a request to an unknown path and answers 404 in the format its path suggests.
async fn unknown_path(captured: Captured) -> Response {
    let path = captured.path_only();
    let format = if path.starts_with("/v1beta") {
        Format::Gemini
    } else if path.starts_with("/api/") {
        Format::Ollama
    } else if path.starts_with("/openai/") {
        Format::Azure
    } else if captured.has_header("anthropic-version") {
        Format::Anthropic
    } else {
        Format::OpenAi
    };
    let ex = captured.record(format, None);
    ex.reject(errors::unknown_route(format)).await
}

/// Accepts connections until `shutdown` is cancelled.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) {
    let router = router(AppState::clone(&state));
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                state.connections.fetch_add(1, Ordering::SeqCst);
                let token = shutdown.child_token();
                state
                    .tasks
                    .spawn(serve_connection(stream, router.clone(), token));
            }
            Err(error) => {
                // E.g. too many open files: back off instead of spinning.
                tracing::warn!(%error, "fake-llm: accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Serves one connection until it ends, a handler cuts it, or the server stops.
async fn serve_connection(stream: TcpStream, router: Router, token: CancellationToken) {
    // Small stream chunks must leave at once, not wait for Nagle.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "fake-llm: set_nodelay failed");
    }
    let control = ConnControl(token.clone());
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(control.clone());
        let router = router.clone();
        async move {
            let response: Result<Response, Infallible> =
                router.oneshot(request.map(Body::new)).await;
            response
        }
    });
    let connection = http1::Builder::new()
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "fake-llm: connection ended with an error");
            }
        }
        // Dropping the connection closes the socket with no further bytes.
        () = token.cancelled() => {}
    }
}
