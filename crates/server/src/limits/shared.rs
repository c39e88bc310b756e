//! The counters in Redis, when `REDIS_URL` is set, so that every instance enforces one
//! budget and one rate limit: the same arithmetic as in memory, each step one Lua script
//! (atomic in Redis). Budgets live in a hash per owner and window (expiring after the window),
//! rate limits in a sorted set per owner of the last 60 s of calls. Lua numbers are doubles:
//! costs are exact up to 2⁵³ nano-units (9 million in the currency) per window.

use redis::aio::ConnectionManager;

use super::rate::WINDOW;
use crate::llm::hooks::{Amount, Owner};

/// Reserves when there is room; `-1`: the counter does not exist yet (seed it).
const RESERVE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '0' then return -1 end
  redis.call('HSET', KEYS[1], 'sc', ARGV[2], 'st', ARGV[3], 'rc', 0, 'rt', 0)
  if tonumber(ARGV[8]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[8]) end
end
local h = redis.call('HMGET', KEYS[1], 'sc', 'st', 'rc', 'rt')
local sc, st, rc, rt = tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(h[4])
local mc, mt = tonumber(ARGV[4]), tonumber(ARGV[5])
local ac, at = tonumber(ARGV[6]), tonumber(ARGV[7])
if mc >= 0 and sc + rc + ac > mc then return 0 end
if mt >= 0 and st + rt + at > mt then return 0 end
redis.call('HINCRBY', KEYS[1], 'rc', ac)
redis.call('HINCRBY', KEYS[1], 'rt', at)
return 1
";

const SETTLE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'rc', -tonumber(ARGV[1]))
  redis.call('HINCRBY', KEYS[1], 'rt', -tonumber(ARGV[2]))
  redis.call('HINCRBY', KEYS[1], 'sc', ARGV[3])
  redis.call('HINCRBY', KEYS[1], 'st', ARGV[4])
end
return 1
";

/// `{admitted (1) | refused on requests (0) | on tokens (2), count, tokens used, reset ms}`.
const ADMIT: &str = r"
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count, used, oldest = #entries / 2, 0, nil
for i = 1, #entries, 2 do
  used = used + tonumber(string.match(entries[i], ':(%d+)$'))
  if not oldest then oldest = tonumber(entries[i + 1]) end
end
local reset = 0
if oldest then reset = oldest + window - now end
local rpm, tpm, tokens = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if rpm >= 0 and count >= rpm then return {0, count, used, reset} end
if tpm >= 0 and count > 0 and used + tokens > tpm then return {2, count, used, reset} end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('PEXPIRE', KEYS[1], window)
return {1, count, used, reset}
";

const REPLACE: &str = r"
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s then
  redis.call('ZREM', KEYS[1], ARGV[1])
  if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], s, ARGV[2]) end
end
return 1
";

fn owner_key(owner: Owner) -> String {
    match owner {
        Owner::User(id) => format!("user:{id}"),
        Owner::Key(id) => format!("key:{id}"),
        Owner::Model(id) => format!("model:{id}"),
    }
}

/// The budget counter's key for a window (its start, Unix seconds; 0 for a total budget).
pub fn budget_key(owner: Owner, window_start: i64) -> String {
    format!("llmm:budget:{}:{window_start}", owner_key(owner))
}

fn rate_key(owner: Owner) -> String {
    format!("llmm:rate:{}", owner_key(owner))
}

/// A reservation attempt: `None` when the counter must be seeded first.
pub async fn reserve(
    redis: &ConnectionManager,
    key: &str,
    seed: Option<Amount>,
    max: (Option<i64>, Option<i64>),
    amount: Amount,
    ttl_secs: i64,
) -> redis::RedisResult<Option<bool>> {
    let mut conn = redis.clone();
    let seed_v = seed.unwrap_or_default();
    let r: i64 = redis::cmd("EVAL")
        .arg(RESERVE)
        .arg(1)
        .arg(key)
        .arg(if seed.is_some() { 1 } else { 0 })
        .arg(seed_v.cost_nanos)
        .arg(seed_v.tokens)
        .arg(max.0.unwrap_or(-1))
        .arg(max.1.unwrap_or(-1))
        .arg(amount.cost_nanos)
        .arg(amount.tokens)
        .arg(ttl_secs)
        .query_async(&mut conn)
        .await?;
    Ok(match r {
        -1 => None,
        r => Some(r == 1),
    })
}

/// Replaces a reservation with what was used.
pub async fn settle(
    redis: &ConnectionManager,
    key: &str,
    reserved: Amount,
    used: Amount,
) -> redis::RedisResult<()> {
    let mut conn = redis.clone();
    redis::cmd("EVAL")
        .arg(SETTLE)
        .arg(1)
        .arg(key)
        .arg(reserved.cost_nanos)
        .arg(reserved.tokens)
        .arg(used.cost_nanos)
        .arg(used.tokens)
        .query_async::<i64>(&mut conn)
        .await
        .map(|_| ())
}

/// A rate-limit admission: `(outcome, count, tokens used, reset ms)` as in [`ADMIT`].
pub async fn admit(
    redis: &ConnectionManager,
    owner: Owner,
    limits: (Option<u64>, Option<u64>),
    tokens: u64,
    member: &str,
    now_ms: i64,
) -> redis::RedisResult<(i64, u64, u64, i64)> {
    let mut conn = redis.clone();
    let signed = |v: Option<u64>| v.and_then(|n| i64::try_from(n).ok()).unwrap_or(-1);
    let r: Vec<i64> = redis::cmd("EVAL")
        .arg(ADMIT)
        .arg(1)
        .arg(rate_key(owner))
        .arg(now_ms)
        .arg(i64::try_from(WINDOW.as_millis()).unwrap_or(60_000))
        .arg(signed(limits.0))
        .arg(signed(limits.1))
        .arg(tokens)
        .arg(member)
        .query_async(&mut conn)
        .await?;
    let get = |i: usize| r.get(i).copied().unwrap_or(0);
    let unsigned = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok((get(0), unsigned(get(1)), unsigned(get(2)), get(3)))
}

/// Replaces a call's window entry (`new` empty: removes it).
pub async fn replace(
    redis: &ConnectionManager,
    owner: Owner,
    old: &str,
    new: &str,
) -> redis::RedisResult<()> {
    let mut conn = redis.clone();
    redis::cmd("EVAL")
        .arg(REPLACE)
        .arg(1)
        .arg(rate_key(owner))
        .arg(old)
        .arg(new)
        .query_async::<i64>(&mut conn)
        .await
        .map(|_| ())
}
