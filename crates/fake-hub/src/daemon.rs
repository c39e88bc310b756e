//! An Ollama daemon (`OLLAMA_HOST`) in front of the fake registry: `GET /api/tags` lists the
//! models it has pulled, `POST /api/pull` streams newline-delimited JSON progress
//! (`pulling manifest`, then `total`/`completed` per layer digest, then `success`) as the real
//! daemon does, and remembers how far each layer got so a pull broken off resumes there. The
//! shared throttle knob sets how fast progress moves.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::state::Shared;

/// `library/name:tag` of a name as the daemon accepts it (`name`, `name:tag`, `ns/name:tag`).
pub fn registry_key(name: &str) -> String {
    let name = name.trim();
    let with_tag = if name.rsplit('/').next().is_some_and(|n| n.contains(':')) {
        name.to_owned()
    } else {
        format!("{name}:latest")
    };
    if with_tag.contains('/') {
        with_tag
    } else {
        format!("library/{with_tag}")
    }
}

fn shown_name(key: &str) -> &str {
    key.strip_prefix("library/").unwrap_or(key)
}

/// `GET /api/tags`.
pub async fn tags(State(hub): State<Shared>) -> Json<Value> {
    let models: Vec<Value> = hub
        .daemon_pulled()
        .into_iter()
        .filter_map(|key| {
            let model = hub.ollama_model(&key)?;
            let gguf = hub.file(model.layers.first()?.1)?;
            let size: usize = model
                .layers
                .iter()
                .filter_map(|(_, id)| hub.file(*id).map(|f| f.bytes.len()))
                .sum();
            Some(json!({
                "name": shown_name(&key),
                "model": shown_name(&key),
                "modified_at": "2026-12-01T00:00:00Z",
                "size": size,
                "digest": gguf.sha256,
                "details": {
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "135M",
                    "quantization_level": "Q4_1",
                },
            }))
        })
        .collect();
    let mut models = models;
    for (name, (req, _)) in &crate::state::read(&hub.created).1 {
        let digest = req
            .pointer("/files")
            .and_then(Value::as_object)
            .and_then(|f| f.values().next())
            .cloned();
        models.push(json!({ "name": name, "model": name, "modified_at": "2026-12-01T00:00:00Z", "size": 0, "digest": digest, "details": { "format": "gguf" } }));
    }
    Json(json!({ "models": models }))
}

/// `POST /api/pull` with `{"model": "name:tag"}` (or the older `"name"`).
pub async fn pull(State(hub): State<Shared>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(name) = request
        .get("model")
        .or_else(|| request.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "model is required" })),
        )
            .into_response();
    };
    let key = registry_key(name);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    #[expect(
        clippy::disallowed_methods,
        reason = "test infrastructure: the pull ends when its client goes"
    )]
    tokio::spawn(async move { progress(&hub, &key, &tx).await });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response()
}

type Lines = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Sends one line; `false` once the client has gone (the pull then stops, as the daemon's does).
async fn send(tx: &Lines, value: Value) -> bool {
    let mut text = value.to_string();
    text.push('\n');
    tx.send(Ok(Bytes::from(text))).await.is_ok()
}

/// Streams one pull's progress; each layer advances in twenty steps paced by the throttle.
async fn progress(hub: &Shared, key: &str, tx: &Lines) {
    if !send(tx, json!({ "status": "pulling manifest" })).await {
        return;
    }
    let Some(model) = hub.ollama_model(key) else {
        send(
            tx,
            json!({ "error": "pull model manifest: file does not exist" }),
        )
        .await;
        return;
    };
    for (_, id) in &model.layers {
        let Some(file) = hub.file(*id) else { continue };
        let total = file.bytes.len() as u64;
        let digest = format!("sha256:{}", file.sha256);
        let step = (total / 20).max(1);
        let mut done = hub.daemon_progress(&digest).min(total);
        loop {
            let status = format!("pulling {}", &file.sha256[..12]);
            let line =
                json!({ "status": status, "digest": digest, "total": total, "completed": done });
            if !send(tx, line).await {
                return;
            }
            if done >= total {
                break;
            }
            pace(hub, step).await;
            done = (done + step).min(total);
            hub.set_daemon_progress(&digest, done);
        }
    }
    hub.mark_daemon_pulled(key);
    for status in ["verifying sha256 digest", "writing manifest", "success"] {
        if !send(tx, json!({ "status": status })).await {
            return;
        }
    }
}

async fn pace(hub: &Shared, bytes: u64) {
    let bps = hub
        .knobs
        .throttle_bps
        .load(std::sync::atomic::Ordering::SeqCst);
    let wait = if bps == 0 {
        Duration::from_millis(5)
    } else {
        Duration::from_secs_f64(bytes as f64 / bps as f64)
    };
    tokio::time::sleep(wait).await;
}
