//! Guest chat (seed 000): when an admin turns it on, visitors without an account chat with one
//! admin-chosen model through the shared providers. Nothing is stored: the page keeps the
//! history and sends it with each message. Limited per client IP (requests per hour) and in
//! message size; every reply is still a usage event (source `guest`, no user).

pub mod routes;
mod service;

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::net::window::{WindowCounter, client_key};

const WINDOW: Duration = Duration::from_secs(3600);
/// Client keys held at most per generation (see [`WindowCounter`]).
const CAPACITY: usize = 100_000;

/// Guest chat settings (admin).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestSettings {
    /// Guests may chat.
    pub enabled: bool,
    /// The model guests talk to (served by a shared provider).
    pub model: Option<String>,
    /// Replies per client IP per hour (1–10000).
    #[schema(minimum = 1, maximum = 10000)]
    pub requests_per_hour: u32,
    /// Longest guest message, in characters (1–20000).
    #[schema(minimum = 1, maximum = 20000)]
    pub max_message_chars: u32,
}

impl Default for GuestSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            model: None,
            requests_per_hour: 20,
            max_message_chars: 2000,
        }
    }
}

/// What the chat page needs to know.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GuestInfo {
    /// Guests may chat.
    pub enabled: bool,
    /// The model.
    pub model: Option<String>,
    /// Longest message.
    pub max_message_chars: u32,
}

/// One earlier turn kept by the page.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestTurn {
    /// `user` or `assistant`.
    pub role: String,
    /// Text.
    pub content: String,
}

/// `POST /api/llm/guest/chat`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestChatBody {
    /// The new message.
    pub message: String,
    /// Earlier turns (at most 20 are used).
    pub history: Option<Vec<GuestTurn>>,
    /// Built-in persona (`fox`, `dog`, `snake`).
    pub persona_id: Option<String>,
}

/// Per-client counters of guest replies in the current hour (IPv6 clients by their /64;
/// bounded in memory).
#[derive(Debug)]
pub struct GuestLimiter {
    counts: WindowCounter<IpAddr>,
}

impl Default for GuestLimiter {
    fn default() -> Self {
        Self {
            counts: WindowCounter::new(CAPACITY),
        }
    }
}

impl GuestLimiter {
    /// Counts one request; `Err(seconds until reset)` over the limit.
    fn hit(&self, ip: IpAddr, limit: u32) -> Result<(), u64> {
        self.counts.hit(&client_key(ip), limit, WINDOW)
    }
}
