//! Fail-over: try the channels in order with back-off until one answers, an error that
//! retrying cannot fix comes back, or the attempts run out. Each outcome feeds the channel's
//! circuit breaker. Only the pipeline calls this, and only before anything reached the caller.

use std::future::Future;
use std::time::Duration;

use super::route::Channel;
use super::upstream::UpstreamError;
use crate::state::AppState;

/// Pause before retry `n` (1-based): 100 ms, 200 ms, 400 ms… capped at 2 s, or the upstream's
/// short `Retry-After`.
fn backoff(n: u32, err: &UpstreamError) -> Duration {
    if let UpstreamError::Status {
        retry_after: Some(secs),
        ..
    } = err
        && *secs <= 2
    {
        return Duration::from_secs(*secs).max(Duration::from_millis(50));
    }
    Duration::from_millis(100u64.saturating_mul(1 << n.min(5))).min(Duration::from_secs(2))
}

/// Runs `attempt` on the channels (wrapping around when there are fewer channels than
/// attempts). The error comes with the channel that failed last (`None`: no channel at all).
pub async fn run<T, F, Fut>(
    state: &AppState,
    channels: &[Channel],
    attempts: usize,
    mut attempt: F,
) -> Result<(T, Channel), (UpstreamError, Option<Channel>)>
where
    F: FnMut(Channel) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let mut last: Option<(UpstreamError, Channel)> = None;
    for i in 0..attempts {
        let Some(channel) = channels.get(i % channels.len().max(1)).cloned() else {
            break;
        };
        if let Some((err, _)) = &last {
            tokio::time::sleep(backoff(u32::try_from(i).unwrap_or(u32::MAX), err)).await;
        }
        match attempt(channel.clone()).await {
            Ok(v) => {
                state.llm.breakers.record_success(&channel.target);
                return Ok((v, channel));
            }
            Err(e) => {
                let retry = e.retryable();
                if retry {
                    state.llm.breakers.record_failure(&channel.target);
                }
                tracing::warn!(
                    provider = %channel.target.provider_name,
                    attempt = i + 1,
                    error = %e,
                    will_retry = retry && i + 1 < attempts,
                    "upstream attempt failed"
                );
                if !retry {
                    return Err((e, Some(channel)));
                }
                last = Some((e, channel));
            }
        }
    }
    Err(match last {
        Some((e, ch)) => (e, Some(ch)),
        None => (
            UpstreamError::Connect("no channel to call".to_owned()),
            None,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_honours_a_short_retry_after() {
        let connect = UpstreamError::Connect("x".to_owned());
        assert_eq!(backoff(1, &connect), Duration::from_millis(200));
        assert_eq!(backoff(9, &connect), Duration::from_secs(2));
        let told = UpstreamError::Status {
            status: 429,
            message: String::new(),
            retry_after: Some(1),
        };
        assert_eq!(backoff(3, &told), Duration::from_secs(1));
    }
}
