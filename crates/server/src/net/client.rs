//! Pooled HTTP clients for upstream calls. One client per upstream (keep-alive, `TCP_NODELAY`,
//! HTTP/2 where the server offers it by ALPN, no redirects). Upstreams a user chose get a
//! *guarded* client: its resolver refuses names that resolve to a forbidden address and hands
//! the checked addresses to the connector, so no second lookup can swap them (DNS rebinding).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use uuid::Uuid;

use super::ssrf::{self, AllowEntry, SsrfError};

/// The clients of every upstream, built on first use.
#[derive(Debug)]
pub struct OutboundClients {
    allow: Arc<Vec<AllowEntry>>,
    /// By upstream, guarded or not, and (guarded) the port its URL names.
    clients: Mutex<HashMap<(Uuid, Option<u16>), reqwest::Client>>,
}

impl OutboundClients {
    /// `allow`: what admins opened for user-supplied URLs (`OUTBOUND_ALLOW`).
    pub fn new(allow: Vec<AllowEntry>) -> Self {
        Self {
            allow: Arc::new(allow),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// What is open to user-supplied URLs.
    pub fn allow_list(&self) -> &[AllowEntry] {
        &self.allow
    }

    /// The client for upstream `id`; `guarded: Some(port)` for URLs a user (not an admin)
    /// supplied, naming that port (the resolver checks each address on it: a name resolving to
    /// an address open on another port only is refused).
    pub fn client(
        &self,
        id: Uuid,
        guarded: Option<u16>,
    ) -> Result<reqwest::Client, reqwest::Error> {
        let mut map = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = map.get(&(id, guarded)) {
            return Ok(c.clone());
        }
        let client = build(guarded.map(|port| (self.allow.clone(), port)))?;
        map.insert((id, guarded), client.clone());
        Ok(client)
    }

    /// Forgets upstream `id`'s clients (after its settings changed or it was deleted).
    pub fn forget(&self, id: Uuid) {
        let mut map = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|(key, _), _| *key != id);
    }
}

fn build(guard: Option<(Arc<Vec<AllowEntry>>, u16)>) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("llm-manager/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(256)
        .redirect(reqwest::redirect::Policy::none());
    if let Some((allow, port)) = guard {
        builder = builder.dns_resolver(Arc::new(GuardedResolver { allow, port }));
    }
    builder.build()
}

/// Resolves once and refuses the whole answer if any address is forbidden.
struct GuardedResolver {
    allow: Arc<Vec<AllowEntry>>,
    port: u16,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (allow, port) = (self.allow.clone(), self.port);
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
                ssrf::check_ip(addr.ip(), port, &allow).map_err(Box::new)?;
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
