//! The limits in effect, held in memory: every row of `limits` by scope and subject, read
//! again after a change (and at least every second, for changes made by another instance).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use uuid::Uuid;

use super::store::{self, LimitRow};
use crate::providers::snapshot::SnapshotCache;
use crate::state::AppState;

/// A budget's window (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Midnight to midnight.
    Day,
    /// The first of the month to the next.
    Month,
    /// Never resets.
    Total,
}

impl Period {
    /// From its stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "month" => Some(Self::Month),
            "total" => Some(Self::Total),
            _ => None,
        }
    }

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Total => "total",
        }
    }

    /// The window containing `now`: its start and end (`None` for a total budget).
    pub fn window(self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let day = now.date_naive();
        let (start, end) = match self {
            Self::Total => return None,
            Self::Day => (day, day.succ_opt()?),
            Self::Month => {
                let first = day.with_day(1)?;
                let next = if first.month() == 12 {
                    first.with_year(first.year() + 1)?.with_month(1)?
                } else {
                    first.with_month(first.month() + 1)?
                };
                (first, next)
            }
        };
        Some((
            Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0)?),
            Utc.from_utc_datetime(&end.and_hms_opt(0, 0, 0)?),
        ))
    }
}

/// One subject's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Budget window.
    pub period: Period,
    /// Budget in nano-units.
    pub max_cost_nanos: Option<i64>,
    /// Budget in tokens.
    pub max_tokens: Option<i64>,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
}

impl Limits {
    /// Whether a budget is set.
    pub fn has_budget(&self) -> bool {
        self.max_cost_nanos.is_some() || self.max_tokens.is_some()
    }

    fn of(row: &LimitRow) -> Option<Self> {
        let positive = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
        Some(Self {
            period: Period::parse(&row.period)?,
            max_cost_nanos: row.max_cost_nanos,
            max_tokens: row.max_tokens,
            rpm: positive(row.rpm),
            tpm: positive(row.tpm),
        })
    }
}

/// Every limit, by subject.
#[derive(Debug, Default)]
pub struct LimitTable {
    roles: HashMap<String, Limits>,
    users: HashMap<Uuid, Limits>,
    keys: HashMap<Uuid, Limits>,
    models: HashMap<String, Limits>,
}

impl LimitTable {
    /// Whether any limit is set at all (none: calls skip the limit steps).
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
            && self.users.is_empty()
            && self.keys.is_empty()
            && self.models.is_empty()
    }

    /// A user's limits: their own, else their role's.
    pub fn for_user(&self, user_id: Uuid, role: &str) -> Option<&Limits> {
        self.users.get(&user_id).or_else(|| self.roles.get(role))
    }

    /// An API key's own limits.
    pub fn for_key(&self, key_id: Uuid) -> Option<&Limits> {
        self.keys.get(&key_id)
    }

    /// A model's limits (shared by every caller of it).
    pub fn for_model(&self, model: &str) -> Option<&Limits> {
        self.models.get(model)
    }
}

async fn load(state: &AppState) -> anyhow::Result<LimitTable> {
    let mut table = LimitTable::default();
    for row in store::list_limits(&state.db.conn).await? {
        let Some(limits) = Limits::of(&row) else {
            tracing::error!(scope = %row.scope, subject = %row.subject, "stored limit does not parse; ignored");
            continue;
        };
        match (row.scope.as_str(), Uuid::parse_str(&row.subject)) {
            ("role", _) => {
                table.roles.insert(row.subject.clone(), limits);
            }
            ("user", Ok(id)) => {
                table.users.insert(id, limits);
            }
            ("key", Ok(id)) => {
                table.keys.insert(id, limits);
            }
            ("model", _) => {
                table.models.insert(row.subject.clone(), limits);
            }
            _ => {
                tracing::error!(scope = %row.scope, subject = %row.subject, "stored limit has a bad subject; ignored")
            }
        }
    }
    Ok(table)
}

impl SnapshotCache<LimitTable> {
    /// The limits in effect.
    pub async fn limits(&self, state: &AppState) -> anyhow::Result<Arc<LimitTable>> {
        self.get_or_load(|| load(state)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_utc_days_and_months() {
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let (s, e) = Period::Day.window(now).unwrap();
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        let (s, e) = Period::Month.window(now).unwrap();
        assert_eq!(s, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(e, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
        assert!(Period::Total.window(now).is_none());
    }
}
