//! Alerts: memory or a disk holding our data passing its threshold. An alert is raised when
//! use reaches the threshold and cleared when it falls two points below it (so a value
//! wavering at the line does not raise it over and over).

use chrono::{DateTime, Utc};

use super::types::{Alert, HostSample};

/// Points below the threshold at which an alert clears.
const HYSTERESIS: f64 = 2.0;

/// A change in the alerts.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Newly passed.
    Raised(Alert),
    /// Back under.
    Cleared(Alert),
}

/// Thresholds in percent (above 100: never).
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Memory in use (total minus available).
    pub memory: f64,
    /// A disk's space in use.
    pub disk: f64,
}

fn percent(used: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| used as f64 * 100.0 / total as f64)
}

/// What `host` measures against the thresholds: (kind, subject, percent, threshold).
fn readings(host: &HostSample, t: Thresholds) -> Vec<(&'static str, String, f64, f64)> {
    let mut out = Vec::new();
    let used = host
        .memory_total_bytes
        .saturating_sub(host.memory_available_bytes);
    if let Some(p) = percent(used, host.memory_total_bytes) {
        out.push(("memory", "memory".to_owned(), p, t.memory));
    }
    for d in host.disks.iter().filter(|d| !d.holds.is_empty()) {
        let used = d.total_bytes.saturating_sub(d.available_bytes);
        if let Some(p) = percent(used, d.total_bytes) {
            out.push(("disk", d.mount.clone(), p, t.disk));
        }
    }
    out
}

/// The alerts after `host`, given those in force, and what changed.
pub fn evaluate(
    current: &[Alert],
    host: &HostSample,
    t: Thresholds,
    now: DateTime<Utc>,
) -> (Vec<Alert>, Vec<Change>) {
    let mut next = Vec::new();
    let mut changes = Vec::new();
    let readings = readings(host, t);
    for (kind, subject, pct, threshold) in &readings {
        let pct = (pct * 10.0).round() / 10.0;
        let held = current
            .iter()
            .find(|a| a.kind == *kind && a.subject == *subject);
        match held {
            Some(a) if pct >= threshold - HYSTERESIS => next.push(Alert {
                percent: pct,
                ..a.clone()
            }),
            Some(a) => changes.push(Change::Cleared(Alert {
                percent: pct,
                ..a.clone()
            })),
            None if pct >= *threshold => {
                let alert = Alert {
                    kind: (*kind).to_owned(),
                    subject: subject.clone(),
                    percent: pct,
                    threshold: *threshold,
                    since: now,
                };
                changes.push(Change::Raised(alert.clone()));
                next.push(alert);
            }
            None => {}
        }
    }
    // A disk no longer measured clears its alert.
    for a in current {
        if !readings
            .iter()
            .any(|(k, s, _, _)| *k == a.kind && *s == a.subject)
        {
            changes.push(Change::Cleared(a.clone()));
        }
    }
    (next, changes)
}

#[cfg(test)]
mod tests {
    use super::super::types::DiskSample;
    use super::*;

    fn host(mem_available: u64, disk_available: u64) -> HostSample {
        HostSample {
            at: Utc::now(),
            cpu_percent: 0.0,
            cpu_count: 2,
            load_average: [0.0; 3],
            memory_total_bytes: 100,
            memory_used_bytes: 100 - mem_available,
            memory_available_bytes: mem_available,
            swap_total_bytes: 0,
            swap_used_bytes: 0,
            disks: vec![
                DiskSample {
                    mount: "/data".into(),
                    total_bytes: 1000,
                    available_bytes: disk_available,
                    holds: vec!["data".into()],
                },
                DiskSample {
                    mount: "/other".into(),
                    total_bytes: 1000,
                    available_bytes: 0,
                    holds: vec![],
                },
            ],
            network_rx_bytes_per_second: 0.0,
            network_tx_bytes_per_second: 0.0,
        }
    }

    const T: Thresholds = Thresholds {
        memory: 90.0,
        disk: 95.0,
    };

    #[test]
    fn alerts_rise_at_the_threshold_and_clear_below_it_with_hysteresis() {
        let now = Utc::now();
        let (alerts, changes) = evaluate(&[], &host(50, 500), T, now);
        assert!(alerts.is_empty() && changes.is_empty());

        let (alerts, changes) = evaluate(&[], &host(9, 40), T, now);
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        assert!(
            matches!(&changes[0], Change::Raised(a) if a.kind == "memory" && a.percent == 91.0)
        );
        assert!(
            matches!(&changes[1], Change::Raised(a) if a.subject == "/data" && a.percent == 96.0)
        );

        // 89% memory: still within the hysteresis, kept without a change; the disk clears.
        let (kept, changes) = evaluate(&alerts, &host(11, 100), T, now);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].percent, 89.0);
        assert_eq!(kept[0].since, now);
        assert!(matches!(&changes[..], [Change::Cleared(a)] if a.subject == "/data"));

        let (none, changes) = evaluate(&kept, &host(20, 100), T, now);
        assert!(none.is_empty());
        assert!(matches!(&changes[..], [Change::Cleared(a)] if a.kind == "memory"));
    }

    #[test]
    fn a_disk_that_holds_nothing_of_ours_raises_nothing() {
        let (alerts, _) = evaluate(&[], &host(50, 500), T, Utc::now());
        assert!(alerts.iter().all(|a| a.subject != "/other"));
    }
}
