//! Pooled HTTP clients for upstream calls. One client per upstream (keep-alive, `TCP_NODELAY`,
//! HTTP/2 where the server offers it by ALPN, no redirects). Upstreams a user chose get a
//! *guarded* client: its resolver refuses names that resolve to a forbidden address and hands
//! the checked addresses to the connector, so no second lookup can swap them (DNS rebinding).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use uuid::Uuid;

use super::ssrf::{self, SsrfError};

/// The clients of every upstream, built on first use.
#[derive(Debug)]
pub struct OutboundClients {
    allow: Arc<Vec<IpNet>>,
    clients: Mutex<HashMap<(Uuid, bool), reqwest::Client>>,
}

impl OutboundClients {
    /// `allow`: ranges admins opened for user-supplied URLs (`OUTBOUND_ALLOW`).
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self {
            allow: Arc::new(allow),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Ranges open to user-supplied URLs.
    pub fn allow_list(&self) -> &[IpNet] {
        &self.allow
    }

    /// The client for upstream `id`; `guarded` for URLs a user (not an admin) supplied.
    pub fn client(&self, id: Uuid, guarded: bool) -> Result<reqwest::Client, reqwest::Error> {
        let mut map = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = map.get(&(id, guarded)) {
            return Ok(c.clone());
        }
        let client = build(guarded.then(|| self.allow.clone()))?;
        map.insert((id, guarded), client.clone());
        Ok(client)
    }

    /// Forgets upstream `id`'s clients (after its settings changed or it was deleted).
    pub fn forget(&self, id: Uuid) {
        let mut map = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&(id, true));
        map.remove(&(id, false));
    }
}

fn build(guard: Option<Arc<Vec<IpNet>>>) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("llm-manager/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(256)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(allow) = guard {
        builder = builder.dns_resolver(Arc::new(GuardedResolver { allow }));
    }
    builder.build()
}

/// Resolves once and refuses the whole answer if any address is forbidden.
struct GuardedResolver {
    allow: Arc<Vec<IpNet>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
            if host == "localhost" || host.ends_with(".localhost") {
                return Err(Box::new(SsrfError::LocalName(host)) as _);
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Box::new(SsrfError::Unresolvable(host.clone())))?
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(SsrfError::Unresolvable(host)) as _);
            }
            for addr in &addrs {
                ssrf::check_ip(addr.ip(), &allow).map_err(Box::new)?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The SSRF refusal inside a client error, if that is what it was.
pub fn ssrf_cause(err: &reqwest::Error) -> Option<SsrfError> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(s) = e.downcast_ref::<SsrfError>() {
            return Some(s.clone());
        }
        source = e.source();
    }
    None
}
