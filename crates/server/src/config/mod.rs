//! Typed configuration: defaults, then an optional TOML file, then environment variables, then
//! CLI flags. Everything is validated once here; an error names the key, its source and what is
//! wrong with the value. Secrets are `SecretString` and never printed.

mod build;
mod describe;
mod parse;
pub mod secrets;
pub mod settings;
mod sources;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;

pub use parse::redact_url;
use sources::Raw;
pub use sources::Sources;

/// The effective configuration of one server process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub addr: SocketAddr,
    /// Where users reach the server, if set (else derived from `addr`).
    pub public_url: Option<url::Url>,
    /// Directory for the SQLite file, generated secrets, uploads and logs.
    pub data_dir: PathBuf,
    /// Which database and how to reach it.
    pub database: DatabaseConfig,
    /// Optional Redis connection URL.
    pub redis_url: Option<SecretString>,
    /// Token-signing key from the environment or file; generated into the data dir when `None`.
    pub secret_key: Option<SecretString>,
    /// At-rest encryption key from the environment or file; generated when `None`.
    pub encryption_key: Option<SecretString>,
    /// Outgoing mail.
    pub mail: MailConfig,
    /// Logging.
    pub log: LogConfig,
    /// HTTP server limits and CORS.
    pub http: HttpConfig,
    /// Gateway limits and the outbound allow-list.
    pub gateway: crate::llm::LlmConfig,
    /// Model downloads, hubs and the local registry.
    pub models: crate::models::ModelsConfig,
    /// Local deployments.
    pub deployments: crate::deployments::DeploymentsConfig,
    /// Resource monitoring.
    pub monitor: crate::monitor::MonitorConfig,
    /// Model for conversation titles (`None`: the conversation's model).
    pub chat_title_model: Option<String>,
}

/// Database backend and connection settings.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Connection URL (may hold a password, hence secret).
    pub url: SecretString,
    /// Backend selected by the URL's scheme.
    pub backend: DatabaseBackend,
    /// Pool size limit.
    pub max_connections: u32,
}

/// The two supported databases.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseBackend {
    /// Embedded SQLite file (WAL mode).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl DatabaseBackend {
    /// Lower-case name, as shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Outgoing mail: SMTP when a host is set, else the outbox directory.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// SMTP server; `None`: write mails to `DATA_DIR/outbox`.
    pub smtp_host: Option<String>,
    /// SMTP port.
    pub smtp_port: u16,
    /// Transport security.
    pub smtp_tls: SmtpTls,
    /// SMTP login.
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<SecretString>,
    /// Sender mailbox.
    pub from: String,
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Upgrade with STARTTLS (required).
    StartTls,
    /// TLS from the first byte.
    Tls,
    /// Plain text (local relays and tests only).
    None,
}

/// Log output settings.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// `tracing_subscriber::EnvFilter` directives.
    pub level: String,
    /// Output format on stdout.
    pub format: LogFormat,
    /// Optional directory for daily-rotated JSON log files.
    pub dir: Option<PathBuf>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured when stdout is a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// HTTP server limits.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Time allowed until response headers.
    pub request_timeout: Duration,
    /// Time a client has to send a whole request head.
    pub header_read_timeout: Duration,
    /// Connections open at once, in total.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6 by /64).
    pub max_connections_per_ip: usize,
    /// Grace period for in-flight work at shutdown.
    pub shutdown_timeout: Duration,
    /// CORS policy.
    pub cors: CorsOrigins,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Which cross-origin callers may use the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers: same origin only.
    SameOrigin,
    /// Any origin, without credentials.
    Any,
    /// These exact origins, with credentials.
    List(Vec<String>),
}

/// A configuration problem, naming the key, where it came from and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the value came from: `LLM_MANAGER_ADDR`, `--addr`, `addr in config.toml`, or a file.
    pub origin: String,
    /// The offending value, `None` for secrets or when there is no single value.
    pub value: Option<String>,
    /// What is wrong, and what is expected.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={:?}: {}", self.origin, v, self.problem),
            None => write!(f, "{}: {}", self.origin, self.problem),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The URL users reach the server at: `PUBLIC_URL`, else `http://` + the listen address.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }
}

/// The default database: a SQLite file in the data dir.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("llm-manager.db").display())
}

#[cfg(test)]
mod tests;
