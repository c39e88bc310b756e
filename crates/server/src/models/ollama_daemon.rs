//! An Ollama daemon that admins run already (`OLLAMA_HOST`): its models (`GET /api/tags`) are
//! listed beside ours, and a pull through it (`POST /api/pull`, newline-delimited JSON
//! progress) runs as one of our download tasks with progress, pause, resume and cancel. The
//! daemon keeps the files: a pause drops the stream (the daemon stops and keeps its partial
//! blobs, so the next pull resumes them); a cancel cannot remove what the daemon keeps.

use serde::Serialize;
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use url::Url;
use utoipa::ToSchema;

use super::names;
use super::source::{self, SourceError};

/// Lines longer than this end the pull (the daemon's are a few hundred bytes).
const MAX_LINE: usize = 64 << 10;

/// A model the daemon holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DaemonModel {
    /// `name:tag`.
    pub name: String,
    /// Bytes on the daemon's disk.
    pub size_bytes: u64,
    /// The daemon's digest of it.
    pub digest: String,
    /// `gguf`, …
    pub format: Option<String>,
    /// Model family (`llama`, `qwen2`, …).
    pub family: Option<String>,
    /// Parameter count as the daemon writes it (`494.03M`).
    pub parameters: Option<String>,
    /// Quantisation (`Q4_K_M`).
    pub quantization: Option<String>,
    /// Last change, as the daemon reports it.
    pub modified_at: Option<String>,
}

/// The daemon at `OLLAMA_HOST`.
pub struct OllamaDaemon {
    base: Url,
    client: reqwest::Client,
}

const NULL: Value = Value::Null;

/// `value[key]`, `null` when absent.
fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&NULL)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value[key]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl OllamaDaemon {
    /// The daemon at `base`; `client` must not time out whole requests (a pull takes long).
    pub fn new(base: Url, client: reqwest::Client) -> Self {
        Self { base, client }
    }

    /// Where it is.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Its models.
    pub async fn models(&self) -> Result<Vec<DaemonModel>, SourceError> {
        let request = self
            .client
            .get(source::endpoint(&self.base, &["api", "tags"]))
            .timeout(std::time::Duration::from_secs(30));
        let tags = source::json(request, "the Ollama daemon's model list").await?;
        let models = field(&tags, "models")
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(models
            .iter()
            .filter_map(|m| {
                let details = field(m, "details");
                Some(DaemonModel {
                    name: text(m, "name").or_else(|| text(m, "model"))?,
                    size_bytes: field(m, "size").as_u64().unwrap_or(0),
                    digest: text(m, "digest").unwrap_or_default(),
                    format: text(details, "format"),
                    family: text(details, "family"),
                    parameters: text(details, "parameter_size"),
                    quantization: text(details, "quantization_level"),
                    modified_at: text(m, "modified_at"),
                })
            })
            .collect())
    }

    /// Pulls `name` through the daemon, calling `progress(completed, total)` (bytes of all
    /// layers seen so far) as it moves; returns when the daemon says `success`, the stream
    /// ends (an error), or `stop` is cancelled (`Ok(false)`).
    pub async fn pull(
        &self,
        name: &str,
        stop: &CancellationToken,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<bool, SourceError> {
        names::ollama_name(name)?;
        let url = source::endpoint(&self.base, &["api", "pull"]);
        let request = self
            .client
            .post(url)
            .json(&serde_json::json!({ "model": name, "name": name, "stream": true }));
        let mut response = tokio::select! {
            () = stop.cancelled() => return Ok(false),
            sent = request.send() => sent.map_err(|e| {
                SourceError::Upstream(format!("cannot reach the Ollama daemon: {}", source::short(&e)))
            })?,
        };
        if !response.status().is_success() {
            return Err(SourceError::Upstream(format!(
                "the Ollama daemon answered {} to the pull",
                response.status()
            )));
        }
        let mut layers = std::collections::BTreeMap::<String, (u64, u64)>::new();
        let mut pending = Vec::new();
        loop {
            let chunk = tokio::select! {
                () = stop.cancelled() => return Ok(false),
                chunk = response.chunk() => chunk.map_err(|e| {
                    SourceError::Upstream(format!("the Ollama daemon's progress broke off: {}", source::short(&e)))
                })?,
            };
            let Some(chunk) = chunk else {
                return Err(SourceError::Upstream(
                    "the Ollama daemon ended the pull without success".into(),
                ));
            };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                if step(&line, &mut layers)? {
                    return Ok(true);
                }
                let (done, total) = layers
                    .values()
                    .fold((0, 0), |(d, t), (ld, lt)| (d + ld, t + lt));
                progress(done, total);
            }
            if pending.len() > MAX_LINE {
                return Err(SourceError::Upstream(
                    "the Ollama daemon sent a line too long".into(),
                ));
            }
        }
    }
}

/// Reads one progress line into the layers' figures; `true` on `success`.
fn step(
    line: &[u8],
    layers: &mut std::collections::BTreeMap<String, (u64, u64)>,
) -> Result<bool, SourceError> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Ok(false);
    }
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        SourceError::Upstream(format!(
            "the Ollama daemon sent a line that is not JSON: {e}"
        ))
    })?;
    if let Some(error) = field(&value, "error").as_str() {
        let message = format!("the Ollama daemon refused the pull: {error}");
        return Err(if error.contains("does not exist") {
            SourceError::NotFound(message)
        } else {
            SourceError::Upstream(message)
        });
    }
    if let (Some(digest), Some(total)) = (
        field(&value, "digest").as_str(),
        field(&value, "total").as_u64(),
    ) {
        let completed = field(&value, "completed").as_u64().unwrap_or(0).min(total);
        layers.insert(digest.to_owned(), (completed, total));
    }
    Ok(field(&value, "status").as_str() == Some("success"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_add_up_per_layer_and_errors_name_the_cause() {
        let mut layers = Default::default();
        let lines = [
            r#"{"status":"pulling manifest"}"#,
            r#"{"status":"pulling aa","digest":"sha256:aa","total":100,"completed":40}"#,
            r#"{"status":"pulling aa","digest":"sha256:aa","total":100,"completed":100}"#,
            r#"{"status":"pulling bb","digest":"sha256:bb","total":10}"#,
        ];
        for line in lines {
            assert!(!step(line.as_bytes(), &mut layers).unwrap());
        }
        assert_eq!(layers.values().map(|v| v.0).sum::<u64>(), 100);
        assert_eq!(layers.values().map(|v| v.1).sum::<u64>(), 110);
        assert!(step(br#"{"status":"success"}"#, &mut layers).unwrap());
        let missing = step(
            br#"{"error":"pull model manifest: file does not exist"}"#,
            &mut layers,
        );
        assert!(matches!(missing, Err(SourceError::NotFound(m)) if m.contains("does not exist")));
        assert!(step(b"not json", &mut layers).is_err());
    }
}
