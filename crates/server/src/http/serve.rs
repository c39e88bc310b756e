//! The accept loop: HTTP/1 and HTTP/2 (with upgrades for WebSockets) on hyper, with what
//! `axum::serve` lacks against slow or greedy clients:
//! - a **header-read timeout**: a connection that has not sent a whole request head within
//!   `HEADER_READ_TIMEOUT_SECS` (nothing at all after connecting, the first request or the next
//!   one on a kept-alive connection) is closed, so silent or unfinished heads cannot hold
//!   connections open;
//! - a cap on **connections in total** (`MAX_CONNECTIONS`) and **per client address**
//!   (`MAX_CONNECTIONS_PER_IP`, IPv6 by its /64; trusted proxies are exempt, as every client
//!   behind them shares their address): a connection over a cap is closed at once, counted in
//!   `http_connections_refused_total`.
//!
//! On shutdown it stops accepting, asks every connection to finish its requests in flight and
//! resolves once all are closed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::net::window::client_key;

/// Limits on connections.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Longest wait for a request head.
    pub header_read_timeout: Duration,
    /// Connections open at once, in total.
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_per_ip: usize,
    /// Addresses exempt from the per-address cap (reverse proxies).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Open connections per client address.
#[derive(Default)]
struct PerIp(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its address; uncounted when dropped.
struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn enter(table: &Arc<PerIp>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut map = table.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: Arc::clone(table),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// What a connection holds while it is open.
struct Admission {
    _total: OwnedSemaphorePermit,
    _ip: Option<IpSlot>,
}

/// Serves `app` on `listener` until `shutdown`, then waits for open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    refused: prometheus::IntCounter,
    shutdown: CancellationToken,
) {
    let total = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = Arc::new(PerIp::default());
    let connections = TaskTracker::new();
    loop {
        let (tcp, addr) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(admission) = admit(&limits, &total, &per_ip, addr) else {
            refused.inc();
            drop(tcp);
            continue;
        };
        let app = app.clone();
        let timeout = limits.header_read_timeout;
        let stop = shutdown.clone();
        connections.spawn(async move {
            serve_connection(tcp, addr, app, timeout, stop).await;
            drop(admission);
        });
    }
    connections.close();
    connections.wait().await;
}

fn admit(
    limits: &ConnectionLimits,
    total: &Arc<Semaphore>,
    per_ip: &Arc<PerIp>,
    addr: SocketAddr,
) -> Option<Admission> {
    let total = Arc::clone(total).try_acquire_owned().ok()?;
    let ip = addr.ip();
    let exempt = limits.trusted_proxies.iter().any(|net| net.contains(&ip));
    let slot = if exempt {
        None
    } else {
        Some(PerIp::enter(per_ip, client_key(ip), limits.max_per_ip)?)
    };
    Some(Admission {
        _total: total,
        _ip: slot,
    })
}

async fn serve_connection(
    tcp: TcpStream,
    addr: SocketAddr,
    app: Router,
    header_read_timeout: Duration,
    shutdown: CancellationToken,
) {
    // Without TCP_NODELAY a small write (a stream chunk) waits for the client's delayed ACK,
    // up to 40 ms on Linux: every streamed token would be late.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    // hyper times the head from its first byte (and between requests on a kept-alive
    // connection): a client that connects and sends nothing gets the same time for that byte.
    let mut first = [0u8; 1];
    match tokio::time::timeout(header_read_timeout, tcp.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return,
    }
    let service = app.map_request(move |req: axum::http::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(addr));
        req
    });
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol()
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(header_read_timeout.max(Duration::from_secs(10)));
    let conn = builder
        .serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service));
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
    }
    if let Err(e) = conn.await {
        tracing::trace!(error = %e, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_share_and_its_slots_come_back() {
        let table = Arc::new(PerIp::default());
        let ip: IpAddr = [10, 0, 0, 1].into();
        let a = PerIp::enter(&table, ip, 2);
        let b = PerIp::enter(&table, ip, 2);
        assert!(a.is_some() && b.is_some());
        assert!(PerIp::enter(&table, ip, 2).is_none());
        assert!(PerIp::enter(&table, [10, 0, 0, 2].into(), 2).is_some());
        drop(a);
        assert!(PerIp::enter(&table, ip, 2).is_some());
    }
}
