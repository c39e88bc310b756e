//! Fake model hubs (test infrastructure): one loopback HTTP server that speaks the Hugging Face
//! Hub API and its `resolve` downloads, ModelScope's API, the Ollama registry and an Ollama
//! daemon's `/api/tags` and `/api/pull` in front of it, and a file host
//! ("CDN") honouring `Range` and `If-Range`. Knobs make it throttle, cut a body mid-way, answer
//! 503, ignore `Range`, change a file (and its ETag) or report a wrong checksum; counters say how
//! many file bytes it sent, so a test can prove a resume fetched only what was missing.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fake_hub::{FakeHub, TinyGguf};
//! let hub = FakeHub::start().await?;
//! hub.add_repo("acme/tiny-GGUF", 100, &[("tiny.Q4_K_M.gguf", TinyGguf::model("llama", "Tiny", 15).bytes())]);
//! // point HF_ENDPOINT at hub.base() ...
//! hub.stop().await;
//! # Ok(())
//! # }
//! ```

mod daemon;
mod daemon_serve;
mod files;
mod gguf;
mod hf;
mod modelscope;
mod ollama;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::{get, put};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use gguf::TinyGguf;
pub use state::{Hub, HubFile, OllamaModel, Repo};

use state::Shared;

/// `http://{Host}` of a request, for redirects to our own file host.
pub(crate) fn base_of(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Every route; `resolve` paths (`/{owner}/{name}/resolve/…`) are matched in the fallback.
pub fn router(hub: Shared) -> Router {
    Router::new()
        .route("/api/models", get(hf::search))
        .route("/api/models/{owner}/{name}/tree/{rev}", get(hf::tree))
        .route("/api/v1/dolphin/models", put(modelscope::search))
        .route(
            "/api/v1/models/{owner}/{name}/repo/files",
            get(modelscope::files),
        )
        .route(
            "/api/v1/models/{owner}/{name}/repo",
            get(modelscope::download),
        )
        .route("/v2/{ns}/{model}/manifests/{tag}", get(ollama::manifest))
        .route("/v2/{ns}/{model}/blobs/{digest}", get(ollama::blob))
        .route("/api/tags", get(daemon::tags))
        .route("/api/pull", axum::routing::post(daemon::pull))
        .route(
            "/api/blobs/{digest}",
            axum::routing::head(daemon_serve::has_blob)
                .post(daemon_serve::put_blob)
                .layer(axum::extract::DefaultBodyLimit::max(1 << 30)),
        )
        .route("/api/create", axum::routing::post(daemon_serve::create))
        .route("/api/delete", axum::routing::delete(daemon_serve::delete))
        .route("/api/generate", axum::routing::post(daemon_serve::generate))
        .route("/api/version", get(daemon_serve::version))
        .route(
            "/v1/chat/completions",
            axum::routing::post(daemon_serve::chat),
        )
        .route("/cdn/{id}", get(files::serve))
        .route("/_stats", get(stats))
        .fallback(fallback)
        .with_state(hub)
}

/// `GET /_stats`: file bytes sent and file requests answered (for benchmarks).
async fn stats(State(hub): State<Shared>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "bytes_served": hub.knobs.bytes_served.load(Ordering::SeqCst),
        "file_requests": hub.knobs.file_requests.load(Ordering::SeqCst),
    }))
}

async fn fallback(State(hub): State<Shared>, request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    hf::resolve(
        &hub,
        &base_of(request.headers()),
        &segments,
        request.headers(),
    )
}

/// A running fake hub. [`FakeHub::stop`] (or dropping it) shuts it down.
pub struct FakeHub {
    addr: SocketAddr,
    hub: Shared,
    shutdown: CancellationToken,
    handle: Option<JoinHandle<()>>,
}

impl FakeHub {
    /// Starts an empty hub on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts an empty hub on `addr`.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let hub: Shared = Arc::new(Hub::default());
        let shutdown = CancellationToken::new();
        let app = router(hub.clone());
        let token = shutdown.clone();
        let tasks = tokio_util::task::TaskTracker::new();
        let handle = tasks.spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "fake-hub stopped");
            }
        });
        Ok(Self {
            addr,
            hub,
            shutdown,
            handle: Some(handle),
        })
    }

    /// `http://127.0.0.1:PORT`: the endpoint of every hub it fakes.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The hub's contents and knobs.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Adds a repository (Hugging Face and ModelScope alike) with these files.
    pub fn add_repo(&self, id: &str, downloads: u64, files: &[(&str, Vec<u8>)]) {
        let files = files
            .iter()
            .map(|(path, bytes)| {
                (
                    (*path).to_owned(),
                    self.hub.add_file(HubFile::new(bytes.clone())),
                )
            })
            .collect();
        self.hub.put_repo(Repo {
            id: id.to_owned(),
            downloads,
            gated: false,
            files,
        });
    }

    /// Marks a repository gated: it then wants `Authorization: Bearer {token}`.
    pub fn gate(&self, id: &str, token: &str) {
        self.hub.set_token(token);
        if let Some(mut repo) = self.hub.repo(id) {
            repo.gated = true;
            self.hub.put_repo(repo);
        }
    }

    /// Adds an Ollama model `name:tag` (namespace `library` unless `name` has a `/`).
    pub fn add_ollama(&self, name_tag: &str, gguf: Vec<u8>, template: &str, params: &str) {
        let key = if name_tag.contains('/') {
            name_tag.to_owned()
        } else {
            format!("library/{name_tag}")
        };
        let layer = |media: &str, bytes: Vec<u8>| {
            (
                format!("application/vnd.ollama.image.{media}"),
                self.hub.add_file(HubFile::new(bytes)),
            )
        };
        let layers = vec![
            layer("model", gguf),
            layer("template", template.as_bytes().to_vec()),
            layer("params", params.as_bytes().to_vec()),
        ];
        let config = self.hub.add_file(HubFile::new(
            br#"{"model_format":"gguf","model_family":"llama"}"#.to_vec(),
        ));
        self.hub.put_ollama(key, OllamaModel { layers, config });
    }

    /// Makes the fake Ollama daemon hold a model of the registry, as if pulled before.
    pub fn daemon_holds(&self, name_tag: &str) {
        self.hub.mark_daemon_pulled(&daemon::registry_key(name_tag));
    }

    /// The models made with the daemon's `/api/create`: name, its request, whether loaded.
    pub fn daemon_created(&self) -> Vec<(String, serde_json::Value, bool)> {
        state::read(&self.hub.created)
            .1
            .iter()
            .map(|(name, (req, loaded))| (name.clone(), req.clone(), *loaded))
            .collect()
    }

    fn file_id(&self, repo: &str, path: &str) -> Option<usize> {
        self.hub.repo(repo)?.files.get(path).copied()
    }

    /// Replaces a file's bytes (its ETag and checksum change with them).
    pub fn replace_file(&self, repo: &str, path: &str, bytes: Vec<u8>) -> bool {
        self.file_id(repo, path)
            .is_some_and(|id| self.hub.edit_file(id, |f| *f = HubFile::new(bytes)))
    }

    /// Makes the API report a wrong sha256 for a file (the bytes stay as they are).
    pub fn report_wrong_sha(&self, repo: &str, path: &str) -> bool {
        self.file_id(repo, path).is_some_and(|id| {
            self.hub
                .edit_file(id, |f| f.reported_sha256 = "0".repeat(64))
        })
    }

    /// Holds every file response to `bytes_per_second` (0: unlimited).
    pub fn throttle(&self, bytes_per_second: u64) {
        self.hub
            .knobs
            .throttle_bps
            .store(bytes_per_second, Ordering::SeqCst);
    }

    /// Holds all file responses together to `bytes_per_second`, as one link (0: unlimited).
    pub fn link(&self, bytes_per_second: u64) {
        self.hub
            .knobs
            .link_bps
            .store(bytes_per_second, Ordering::SeqCst);
    }

    /// Cuts the next `count` file bodies after `after` bytes.
    pub fn cut_bodies(&self, count: u32, after: u64) {
        self.hub.knobs.cut_after.store(after, Ordering::SeqCst);
        self.hub.knobs.cuts.store(count, Ordering::SeqCst);
    }

    /// Answers the next `count` file requests with 503.
    pub fn fail_next(&self, count: u32) {
        self.hub.knobs.fail_5xx.store(count, Ordering::SeqCst);
    }

    /// Makes the file host ignore `Range` (every answer the whole file, 200).
    pub fn ignore_range(&self, on: bool) {
        self.hub.knobs.ignore_range.store(on, Ordering::SeqCst);
    }

    /// File body bytes sent so far.
    pub fn bytes_served(&self) -> u64 {
        self.hub.knobs.bytes_served.load(Ordering::SeqCst)
    }

    /// File requests answered so far.
    pub fn file_requests(&self) -> u64 {
        self.hub.knobs.file_requests.load(Ordering::SeqCst)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            handle.abort();
            let _ = handle.await;
        }
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            handle.abort();
        }
    }
}
