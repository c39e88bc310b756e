//! Prometheus gauges of the monitor, set at each sample.

use prometheus::{Gauge, GaugeVec, Opts, Registry};

use super::types::Sample;

/// The gauges.
#[derive(Clone)]
pub struct MonitorMetrics {
    cpu: Gauge,
    memory: GaugeVec,
    disk: GaugeVec,
    network: GaugeVec,
    gpu_util: GaugeVec,
    gpu_memory: GaugeVec,
    gpu_temp: GaugeVec,
    gpu_power: GaugeVec,
    process_cpu: GaugeVec,
    process_rss: GaugeVec,
    alerts: GaugeVec,
}

fn vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> anyhow::Result<GaugeVec> {
    let g = GaugeVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(g.clone()))?;
    Ok(g)
}

impl MonitorMetrics {
    /// Registers the gauges in `registry`.
    pub fn register(registry: &Registry) -> anyhow::Result<Self> {
        let cpu = Gauge::new("host_cpu_usage_percent", "Busy share of all cores, 0-100")?;
        registry.register(Box::new(cpu.clone()))?;
        Ok(Self {
            cpu,
            memory: vec(
                registry,
                "host_memory_bytes",
                "Host memory by state (total, used, available, swap_total, swap_used)",
                &["state"],
            )?,
            disk: vec(
                registry,
                "host_disk_bytes",
                "File systems holding our data, by mount and state (total, available)",
                &["mount", "state"],
            )?,
            network: vec(
                registry,
                "host_network_bytes_per_second",
                "Traffic over every interface but loopback, by direction",
                &["direction"],
            )?,
            gpu_util: vec(
                registry,
                "gpu_utilization_percent",
                "GPU busy share, 0-100",
                &["gpu", "name"],
            )?,
            gpu_memory: vec(
                registry,
                "gpu_memory_bytes",
                "GPU memory by state (total, used)",
                &["gpu", "state"],
            )?,
            gpu_temp: vec(
                registry,
                "gpu_temperature_celsius",
                "GPU core temperature",
                &["gpu"],
            )?,
            gpu_power: vec(registry, "gpu_power_watts", "GPU power draw", &["gpu"])?,
            process_cpu: vec(
                registry,
                "deployment_cpu_percent",
                "A deployment's process tree's CPU, percent of one core",
                &["deployment"],
            )?,
            process_rss: vec(
                registry,
                "deployment_memory_rss_bytes",
                "A deployment's process tree's resident memory",
                &["deployment"],
            )?,
            alerts: vec(
                registry,
                "monitor_alerts",
                "Alerts in force (1) by kind and subject",
                &["kind", "subject"],
            )?,
        })
    }

    /// Sets every gauge from `s`; series of what is gone are removed.
    pub fn set(&self, s: &Sample, alerts: &[super::types::Alert]) {
        let h = &s.host;
        self.cpu.set(f64::from(h.cpu_percent));
        for (state, v) in [
            ("total", h.memory_total_bytes),
            ("used", h.memory_used_bytes),
            ("available", h.memory_available_bytes),
            ("swap_total", h.swap_total_bytes),
            ("swap_used", h.swap_used_bytes),
        ] {
            self.memory.with_label_values(&[state]).set(v as f64);
        }
        self.disk.reset();
        for d in &h.disks {
            let m = d.mount.as_str();
            self.disk
                .with_label_values(&[m, "total"])
                .set(d.total_bytes as f64);
            self.disk
                .with_label_values(&[m, "available"])
                .set(d.available_bytes as f64);
        }
        self.network
            .with_label_values(&["rx"])
            .set(h.network_rx_bytes_per_second);
        self.network
            .with_label_values(&["tx"])
            .set(h.network_tx_bytes_per_second);
        for g in [
            &self.gpu_util,
            &self.gpu_memory,
            &self.gpu_temp,
            &self.gpu_power,
        ] {
            g.reset();
        }
        for g in &s.gpus {
            let i = g.index.to_string();
            self.gpu_util
                .with_label_values(&[i.as_str(), g.name.as_str()])
                .set(f64::from(g.utilization_percent));
            self.gpu_memory
                .with_label_values(&[i.as_str(), "total"])
                .set(g.memory_total_bytes as f64);
            self.gpu_memory
                .with_label_values(&[i.as_str(), "used"])
                .set(g.memory_used_bytes as f64);
            if let Some(t) = g.temperature_celsius {
                self.gpu_temp
                    .with_label_values(&[i.as_str()])
                    .set(f64::from(t));
            }
            if let Some(w) = g.power_watts {
                self.gpu_power.with_label_values(&[i.as_str()]).set(w);
            }
        }
        self.process_cpu.reset();
        self.process_rss.reset();
        for p in &s.deployments {
            self.process_cpu
                .with_label_values(&[p.name.as_str()])
                .set(f64::from(p.cpu_percent));
            self.process_rss
                .with_label_values(&[p.name.as_str()])
                .set(p.rss_bytes as f64);
        }
        self.alerts.reset();
        for a in alerts {
            self.alerts
                .with_label_values(&[a.kind.as_str(), a.subject.as_str()])
                .set(1.0);
        }
    }
}
