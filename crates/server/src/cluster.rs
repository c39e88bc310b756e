//! Changes one instance makes to what every instance caches (API-key lookups, limits, prices,
//! providers), told to the others through Redis pub/sub when `REDIS_URL` is set: a revoked
//! key stops on every instance as soon as the message arrives, not when a cache expires.
//! Without Redis each instance re-reads within its caches' short TTLs. A listener that loses
//! its connection forgets every cached entry (it may have missed a message) and reconnects.

use std::time::Duration;

use futures::StreamExt;

use crate::state::AppState;

/// The channel every instance listens on.
pub const CHANNEL: &str = "llmm:invalidate";
/// How long a cache may be used on an instance that hears changes through Redis.
pub const TTL_WITH_REDIS: Duration = Duration::from_secs(10);
/// How long without (instances then see each other's changes only by re-reading).
pub const TTL_ALONE: Duration = Duration::from_secs(1);

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// API keys or their owners (revoked, edited, a user disabled or removed).
    Keys,
    /// Limits of a role, user, key or model.
    Limits,
    /// The price table.
    Prices,
    /// Providers, their keys or models.
    Providers,
}

impl Topic {
    const ALL: [Self; 4] = [Self::Keys, Self::Limits, Self::Prices, Self::Providers];

    fn as_str(self) -> &'static str {
        match self {
            Self::Keys => "keys",
            Self::Limits => "limits",
            Self::Prices => "prices",
            Self::Providers => "providers",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The TTL of the caches that [`changed`] invalidates.
pub fn cache_ttl(redis: bool) -> Duration {
    if redis { TTL_WITH_REDIS } else { TTL_ALONE }
}

fn forget_here(state: &AppState, topic: Topic) {
    match topic {
        Topic::Keys => state.key_cache.clear(),
        Topic::Limits => state.limits.table.invalidate(),
        Topic::Prices => state.llm.prices.invalidate(),
        Topic::Providers => state.llm.invalidate(),
    }
}

/// `topic` changed (the change is committed): forget it here at once, and tell the others.
pub fn changed(state: &AppState, topic: Topic) {
    forget_here(state, topic);
    let Some(redis) = &state.redis else {
        return;
    };
    let mut conn = redis.clone();
    state.tasks.spawn(async move {
        let sent = redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(topic.as_str())
            .query_async::<i64>(&mut conn)
            .await;
        if let Err(e) = sent {
            // The others still re-read within TTL_WITH_REDIS.
            tracing::warn!(error = %e, topic = topic.as_str(), "could not tell other instances of a change");
        }
    });
}

async fn listen(state: &AppState, client: &redis::Client) -> redis::RedisResult<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let payload: String = msg.get_payload()?;
        match Topic::parse(&payload) {
            Some(topic) => forget_here(state, topic),
            None => tracing::warn!(%payload, "unknown invalidation message ignored"),
        }
    }
    Ok(())
}

/// Listens for other instances' changes until shutdown.
pub fn spawn_listener(state: &AppState, client: redis::Client) {
    let state = state.clone();
    let tasks = state.tasks.clone();
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                res = listen(&state, &client) => {
                    if let Err(e) = res {
                        tracing::warn!(error = %e, "lost the Redis invalidation channel; reconnecting");
                    }
                }
            }
            // Messages may have been missed while the channel was down.
            for topic in Topic::ALL {
                forget_here(&state, topic);
            }
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("other"), None);
        assert!(cache_ttl(true) > cache_ttl(false));
    }
}
