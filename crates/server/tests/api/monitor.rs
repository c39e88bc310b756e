//! The monitor for real: the host sampled every second (CPU, memory, the disk holding
//! DATA_DIR), a running engine's process measured, the history and the live feed, a memory
//! alert (threshold 1%) raised into the audit log and the Prometheus gauges, GPUs reported
//! absent with the reason on a machine without NVML, and plain users kept out.

use std::time::Duration;

use llm_engine::tiny::Tiny;
use reqwest::Method;
use serde_json::{Value, json};

use crate::deployments::{call, model, wait_for};
use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases! {
    async fn the_monitor_samples_the_host_and_a_deployment_and_raises_a_memory_alert(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.deployments.engine_program = env!("CARGO_BIN_EXE_llm-manager").into();
            c.monitor.interval = Duration::from_secs(1);
            c.monitor.memory_alert = 1.0;
        })
        .await;
        let admin = app.admin().await;
        let (status, host) = call(&app, &admin, Method::GET, "/api/monitor/host", None).await;
        assert_eq!(status, 200, "{host}");
        assert!(host["cpu_count"].as_u64().unwrap() >= 1 && host["memory_total_bytes"].as_u64().unwrap() > 0, "{host}");
        let disks = host["disks"].as_array().unwrap();
        assert!(disks.iter().any(|d| d["holds"].as_array().unwrap().contains(&json!("data"))), "{host}");
        let alert = &host["alerts"][0];
        assert_eq!((alert["kind"].as_str(), alert["threshold"].as_f64()), (Some("memory"), Some(1.0)), "{host}");

        let (_, log) = call(&app, &admin, Method::GET, "/api/admin/audit-log?action=monitor.alert_raised", None).await;
        assert_eq!(log["items"][0]["details"]["kind"], "memory", "{log}");
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("llm_manager_monitor_alerts{kind=\"memory\",subject=\"memory\"} 1"), "{metrics}");
        assert!(metrics.contains("llm_manager_host_memory_bytes{state=\"total\"}"));

        let (_, gpus) = call(&app, &admin, Method::GET, "/api/monitor/gpus", None).await;
        if gpus["available"] == false {
            assert!(gpus["reason"].as_str().unwrap().contains("NVML") && gpus["gpus"] == json!([]), "{gpus}");
        }

        let tiny = model(&app, &admin, "tiny.gguf", &Tiny::default(), None).await;
        let (_, d) = call(&app, &admin, Method::POST, "/api/deployments", Some(json!({"name": "watched", "model_id": tiny, "backend": "builtin"}))).await;
        let id = d["id"].as_str().unwrap().to_owned();
        let running = wait_for(&app, &admin, &id, |d| d["status"] == "running").await;
        let mut res = app.send_as(&admin.access_token, Method::GET, "/api/monitor/events", None).await;
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        let mut seen = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !seen.contains(&format!("\"pid\":{}", running["pid"])) {
            let chunk = tokio::time::timeout_at(deadline, res.chunk()).await.expect("a sample of the engine within 20 s").unwrap().unwrap();
            seen.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        assert!(seen.starts_with("event: sample\ndata: {"), "{seen}");
        drop(res);

        let (status, m) = call(&app, &admin, Method::GET, &format!("/api/monitor/deployments/{id}"), None).await;
        assert_eq!((status, m["status"].as_str()), (200, Some("running")), "{m}");
        assert!(m["latest"]["rss_bytes"].as_u64().unwrap() > 1 << 20, "the engine holds more than 1 MiB: {m}");
        assert!(!m["history"].as_array().unwrap().is_empty(), "{m}");
        let (_, history) = call(&app, &admin, Method::GET, "/api/monitor/history", None).await;
        assert_eq!(history["interval_seconds"], 1);
        let samples = history["samples"].as_array().unwrap();
        assert!(samples.len() >= 2, "{history}");
        let at = |s: &Value| s["at"].as_str().unwrap().to_owned();
        assert!(samples.windows(2).all(|w| at(&w[0]) < at(&w[1])), "oldest first");
        let (_, alerts) = call(&app, &admin, Method::GET, "/api/monitor/alerts", None).await;
        assert_eq!(alerts["alerts"][0]["subject"], "memory", "{alerts}");

        let (status, _) = call(&app, &admin, Method::POST, &format!("/api/deployments/{id}/stop"), None).await;
        assert_eq!(status, 200);
        let (_, m) = call(&app, &admin, Method::GET, &format!("/api/monitor/deployments/{id}"), None).await;
        assert_eq!(m["latest"], Value::Null, "stopped: {m}");

        let plain = app.user("plain").await;
        for path in ["/api/monitor/host", "/api/monitor/gpus", "/api/monitor/history", "/api/monitor/alerts", "/api/monitor/events", &format!("/api/monitor/deployments/{id}")] {
            let (status, _) = call(&app, &plain, Method::GET, path, None).await;
            assert_eq!(status, 403, "{path}");
        }
    }
}
