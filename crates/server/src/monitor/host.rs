//! Reads the host (`sysinfo`): CPU, memory, file systems, network, and the process trees of
//! the deployments. One `HostProbe` lives as long as the sampler, since CPU and network
//! figures are differences between two reads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use sysinfo::{Disks, Networks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use uuid::Uuid;

use super::types::{DiskSample, HostSample, ProcessSample};

/// A process to measure: deployment id, name, pid.
pub type Watched = (Uuid, String, u32);

/// The state kept between reads.
pub struct HostProbe {
    system: System,
    disks: Disks,
    networks: Networks,
    last_network: Instant,
    /// Our directories and what they hold (`data`, `models`).
    ours: Vec<(PathBuf, &'static str)>,
}

impl HostProbe {
    /// A probe that marks the file systems holding `data_dir` and `models_dir`.
    pub fn new(data_dir: &Path, models_dir: &Path) -> Self {
        let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let mut system = System::new();
        system.refresh_cpu_usage();
        Self {
            system,
            disks: Disks::new_with_refreshed_list(),
            networks: Networks::new_with_refreshed_list(),
            last_network: Instant::now(),
            ours: vec![
                (canonical(data_dir), "data"),
                (canonical(models_dir), "models"),
            ],
        }
    }

    /// Reads the host and the watched processes.
    pub fn sample(&mut self, watched: &[Watched]) -> (HostSample, Vec<ProcessSample>) {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.disks.refresh(true);
        self.networks.refresh(true);
        let elapsed = self.last_network.elapsed().as_secs_f64().max(0.001);
        self.last_network = Instant::now();
        let (rx, tx) = self
            .networks
            .iter()
            .filter(|(name, _)| name.as_str() != "lo")
            .fold((0u64, 0u64), |(rx, tx), (_, n)| {
                (rx + n.received(), tx + n.transmitted())
            });
        let load = System::load_average();
        let host = HostSample {
            at: Utc::now(),
            cpu_percent: self.system.global_cpu_usage(),
            cpu_count: self.system.cpus().len(),
            load_average: [load.one, load.five, load.fifteen],
            memory_total_bytes: self.system.total_memory(),
            memory_used_bytes: self.system.used_memory(),
            memory_available_bytes: self.system.available_memory(),
            swap_total_bytes: self.system.total_swap(),
            swap_used_bytes: self.system.used_swap(),
            disks: self.disks(),
            network_rx_bytes_per_second: rx as f64 / elapsed,
            network_tx_bytes_per_second: tx as f64 / elapsed,
        };
        (host, self.processes(watched))
    }

    /// The file systems holding our directories (the longest mount point that contains each),
    /// or every one listed when none of them is found.
    fn disks(&self) -> Vec<DiskSample> {
        let mut found: Vec<DiskSample> = Vec::new();
        for (dir, what) in &self.ours {
            let best = self
                .disks
                .iter()
                .filter(|d| dir.starts_with(d.mount_point()))
                .max_by_key(|d| d.mount_point().as_os_str().len());
            let Some(disk) = best else { continue };
            let mount = disk.mount_point().display().to_string();
            match found.iter_mut().find(|d| d.mount == mount) {
                Some(d) => d.holds.push((*what).to_owned()),
                None => found.push(DiskSample {
                    mount,
                    total_bytes: disk.total_space(),
                    available_bytes: disk.available_space(),
                    holds: vec![(*what).to_owned()],
                }),
            }
        }
        if found.is_empty() {
            found = self
                .disks
                .iter()
                .map(|d| DiskSample {
                    mount: d.mount_point().display().to_string(),
                    total_bytes: d.total_space(),
                    available_bytes: d.available_space(),
                    holds: Vec::new(),
                })
                .collect();
        }
        found
    }

    /// CPU and resident memory of each watched process with its descendants.
    fn processes(&mut self, watched: &[Watched]) -> Vec<ProcessSample> {
        if watched.is_empty() {
            return Vec::new();
        }
        // Without tasks: a thread is listed as a "process" with its whole process's memory,
        // so counting threads would count the memory once per thread.
        let kind = ProcessRefreshKind::nothing().with_memory().with_cpu();
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        let mut children: HashMap<Pid, Vec<Pid>> = HashMap::new();
        for (pid, p) in self.system.processes() {
            if p.thread_kind().is_some() {
                continue;
            }
            if let Some(parent) = p.parent() {
                children.entry(parent).or_default().push(*pid);
            }
        }
        watched
            .iter()
            .filter_map(|(id, name, pid)| {
                let root = Pid::from_u32(*pid);
                self.system.process(root)?;
                let (mut cpu, mut rss) = (0f32, 0u64);
                let mut stack = vec![root];
                while let Some(p) = stack.pop() {
                    if let Some(proc_) = self.system.process(p) {
                        cpu += proc_.cpu_usage();
                        rss += proc_.memory();
                    }
                    stack.extend(children.get(&p).into_iter().flatten().copied());
                }
                Some(ProcessSample {
                    id: *id,
                    name: name.clone(),
                    pid: *pid,
                    cpu_percent: cpu,
                    rss_bytes: rss,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_host_and_a_process_tree() {
        let dir = std::env::temp_dir();
        let mut probe = HostProbe::new(&dir, &dir);
        let me = std::process::id();
        let watched = vec![(Uuid::nil(), "me".to_owned(), me)];
        let (host, procs) = probe.sample(&watched);
        assert!(host.cpu_count >= 1);
        assert!(host.memory_total_bytes > 0);
        assert!(host.memory_available_bytes <= host.memory_total_bytes);
        assert!(!host.disks.is_empty());
        let mine = procs.first().expect("this process is measured");
        assert_eq!(mine.pid, me);
        assert!(mine.rss_bytes > 0, "{mine:?}");
        // Threads are not children: the tree's memory is this process's own resident size.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap();
        assert!(
            mine.rss_bytes < kib * 1024 * 3 / 2,
            "{} vs {kib} KiB",
            mine.rss_bytes
        );
        let gone = vec![(Uuid::nil(), "gone".to_owned(), u32::MAX - 1)];
        assert!(probe.sample(&gone).1.is_empty());
    }
}
