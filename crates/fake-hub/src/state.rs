//! The hub's contents (repositories, Ollama models, the files behind them) and the knobs tests
//! turn: throttling, cut bodies, 5xx answers, a host that ignores `Range`, counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// One file the hub serves: its bytes (which a test may replace), ETag and checksums.
#[derive(Debug, Clone)]
pub struct HubFile {
    /// The bytes.
    pub bytes: Bytes,
    /// sha256 of the bytes, lower-case hex.
    pub sha256: String,
    /// The sha256 the hub's API reports (differs when a test asks for a wrong checksum).
    pub reported_sha256: String,
    /// The strong ETag the file host sends (changes with the bytes).
    pub etag: String,
}

impl HubFile {
    /// A file of these bytes, with its true checksum.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Self {
            etag: format!("\"{sha256}\""),
            reported_sha256: sha256.clone(),
            sha256,
            bytes,
        }
    }
}

/// A repository of Hugging Face and ModelScope: its files by path (ids into the file table).
#[derive(Debug, Clone, Default)]
pub struct Repo {
    /// `owner/name`.
    pub id: String,
    /// Downloads shown in search results.
    pub downloads: u64,
    /// Needs `Authorization: Bearer <token>`.
    pub gated: bool,
    /// Path in the repo → file id.
    pub files: BTreeMap<String, usize>,
}

/// An Ollama model (`name:tag`): its layers as (media type, file id).
#[derive(Debug, Clone, Default)]
pub struct OllamaModel {
    /// Layers, the GGUF first.
    pub layers: Vec<(String, usize)>,
    /// The config blob.
    pub config: usize,
}

/// Knobs and counters shared by every route.
#[derive(Debug, Default)]
pub struct Knobs {
    /// Bytes per second each file response is held to (0: unlimited).
    pub throttle_bps: AtomicU64,
    /// Bytes per second all file responses share, as one link would (0: unlimited).
    pub link_bps: AtomicU64,
    /// When the shared link is free again.
    pub link_free_at: std::sync::Mutex<Option<std::time::Instant>>,
    /// Cut the next `cuts` file bodies after this many bytes.
    pub cut_after: AtomicU64,
    /// How many file bodies still get cut.
    pub cuts: AtomicU32,
    /// How many file requests still get a 503.
    pub fail_5xx: AtomicU32,
    /// Answer every file request with the whole file (200), ignoring `Range`.
    pub ignore_range: AtomicBool,
    /// File bytes sent so far (bodies only).
    pub bytes_served: AtomicU64,
    /// File requests answered so far.
    pub file_requests: AtomicU64,
}

/// Uploaded blobs (digest → size) and created models (name → request, loaded).
pub type Created = (
    BTreeMap<String, u64>,
    BTreeMap<String, (serde_json::Value, bool)>,
);

/// Everything the hub holds.
#[derive(Debug, Default)]
pub struct Hub {
    /// The file table.
    pub files: RwLock<Vec<HubFile>>,
    /// Repositories by id.
    pub repos: RwLock<BTreeMap<String, Repo>>,
    /// Ollama models by `name:tag` (the namespace included unless it is `library`).
    pub ollama: RwLock<BTreeMap<String, OllamaModel>>,
    /// The token gated repositories want.
    pub token: RwLock<Option<String>>,
    /// The fake Ollama daemon: bytes pulled per layer digest, and the models it holds.
    pub daemon: RwLock<(BTreeMap<String, u64>, std::collections::BTreeSet<String>)>,
    /// The fake daemon's uploaded blobs (digest → size) and the models made from them with
    /// `/api/create` (name → its request), and whether each is loaded.
    pub created: RwLock<Created>,
    /// Knobs and counters.
    pub knobs: Knobs,
}

/// The hub as handlers see it.
pub type Shared = Arc<Hub>;

pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    /// Adds a file and returns its id.
    pub fn add_file(&self, file: HubFile) -> usize {
        let mut files = write(&self.files);
        files.push(file);
        files.len() - 1
    }

    /// The file with this id.
    pub fn file(&self, id: usize) -> Option<HubFile> {
        read(&self.files).get(id).cloned()
    }

    /// Runs `f` on the file with this id.
    pub fn edit_file(&self, id: usize, f: impl FnOnce(&mut HubFile)) -> bool {
        match write(&self.files).get_mut(id) {
            Some(file) => {
                f(file);
                true
            }
            None => false,
        }
    }

    /// The repository with this id.
    pub fn repo(&self, id: &str) -> Option<Repo> {
        read(&self.repos).get(id).cloned()
    }

    /// Every repository.
    pub fn repos(&self) -> Vec<Repo> {
        read(&self.repos).values().cloned().collect()
    }

    /// Adds or replaces a repository.
    pub fn put_repo(&self, repo: Repo) {
        write(&self.repos).insert(repo.id.clone(), repo);
    }

    /// The Ollama model `name:tag`.
    pub fn ollama_model(&self, key: &str) -> Option<OllamaModel> {
        read(&self.ollama).get(key).cloned()
    }

    /// Adds or replaces an Ollama model.
    pub fn put_ollama(&self, key: String, model: OllamaModel) {
        write(&self.ollama).insert(key, model);
    }

    /// Bytes of a layer the daemon has pulled so far.
    pub fn daemon_progress(&self, digest: &str) -> u64 {
        read(&self.daemon).0.get(digest).copied().unwrap_or(0)
    }

    /// Records how far the daemon got with a layer.
    pub fn set_daemon_progress(&self, digest: &str, bytes: u64) {
        write(&self.daemon).0.insert(digest.to_owned(), bytes);
    }

    /// Records that the daemon holds a model (`library/name:tag`).
    pub fn mark_daemon_pulled(&self, key: &str) {
        write(&self.daemon).1.insert(key.to_owned());
    }

    /// The models the daemon holds.
    pub fn daemon_pulled(&self) -> Vec<String> {
        read(&self.daemon).1.iter().cloned().collect()
    }

    /// Whether a request with this `Authorization` header may read a gated repository.
    pub fn authorized(&self, header: Option<&str>) -> bool {
        match read(&self.token).as_deref() {
            Some(token) => header == Some(format!("Bearer {token}").as_str()),
            None => false,
        }
    }

    /// Sets the token gated repositories want.
    pub fn set_token(&self, token: &str) {
        *write(&self.token) = Some(token.to_owned());
    }

    /// Takes one from a counter if it is above zero.
    pub fn take(counter: &AtomicU32) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}
