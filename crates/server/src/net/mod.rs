//! Outbound HTTP: the SSRF guard for user-supplied URLs and the pooled clients the gateway
//! uses to reach upstreams.

pub mod client;
pub mod ssrf;
pub mod window;

pub use client::OutboundClients;
