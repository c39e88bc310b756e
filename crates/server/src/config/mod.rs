//! Typed configuration: defaults, then an optional TOML file, then environment variables, then
//! CLI flags. Everything is validated once here; an error names the key, its source and what is
//! wrong with the value. Secrets are `SecretString` and never printed.

mod parse;
pub mod secrets;
pub mod settings;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use parse::redact_url;
use settings::{SETTINGS, Setting};

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

/// Where raw setting values come from, lowest precedence first: file, environment, flags.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// Path and contents of the TOML file, if one was given.
    pub file: Option<(PathBuf, HashMap<String, String>)>,
    /// Environment variables (only the ones named in the settings table matter).
    pub env: HashMap<String, String>,
    /// CLI flags by setting key.
    pub flags: HashMap<&'static str, String>,
}

impl Sources {
    /// Reads the TOML file (if any) and this process's environment.
    pub fn gather(
        config_file: Option<&Path>,
        flags: HashMap<&'static str, String>,
    ) -> Result<Self, ConfigError> {
        let file = config_file.map(read_toml_file).transpose()?;
        let env = SETTINGS
            .iter()
            .filter_map(|s| std::env::var(s.env).ok().map(|v| (s.env.to_owned(), v)))
            .collect();
        Ok(Self { file, env, flags })
    }

    /// The winning raw value of a setting and a label of its origin.
    fn lookup(&self, s: &Setting) -> Option<(String, String)> {
        if let Some(v) = self.flags.get(s.key).filter(|v| !v.is_empty()) {
            return Some((v.clone(), s.flag.unwrap_or(s.key).to_owned()));
        }
        if let Some(v) = self.env.get(s.env).filter(|v| !v.is_empty()) {
            return Some((v.clone(), s.env.to_owned()));
        }
        if let Some((path, table)) = &self.file
            && let Some(v) = table.get(s.key)
        {
            return Some((v.clone(), format!("{} in {}", s.key, path.display())));
        }
        s.default
            .map(|d| (d.to_owned(), format!("{} (default)", s.env)))
    }
}

fn read_toml_file(path: &Path) -> Result<(PathBuf, HashMap<String, String>), ConfigError> {
    let file_err = |problem: String| ConfigError {
        origin: format!("config file {}", path.display()),
        value: None,
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(format!("invalid TOML: {}", e.message())))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        if settings::by_key(&key).is_none() {
            return Err(file_err(format!(
                "unknown key `{key}` (known keys: {})",
                SETTINGS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Array(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(s) => parts.push(s),
                        other => {
                            return Err(file_err(format!(
                                "`{key}`: expected a list of strings, found {}",
                                other.type_str()
                            )));
                        }
                    }
                }
                parts.join(",")
            }
            other => {
                return Err(file_err(format!(
                    "`{key}`: expected a string or number, found {}",
                    other.type_str()
                )));
            }
        };
        values.insert(key, text);
    }
    Ok((path.to_path_buf(), values))
}

/// A resolved raw value with its origin, ready to be parsed.
struct Raw<'a> {
    setting: &'a Setting,
    value: String,
    origin: String,
}

impl Raw<'_> {
    fn error(&self, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            origin: self.origin.clone(),
            value: (!self.setting.secret).then(|| self.value.clone()),
            problem: problem.into(),
        }
    }
}

impl Config {
    /// Builds and validates the configuration from its sources.
    pub fn from_sources(sources: &Sources) -> Result<Self, ConfigError> {
        let get = |key: &str| -> Option<Raw<'static>> {
            let setting = settings::by_key(key)?;
            sources.lookup(setting).map(|(value, origin)| Raw {
                setting,
                value,
                origin,
            })
        };
        let required = |key: &str| -> Result<Raw<'static>, ConfigError> {
            get(key).ok_or_else(|| ConfigError {
                origin: key.to_owned(),
                value: None,
                problem: "has no value and no default".to_owned(),
            })
        };

        let addr = parse::socket_addr(&required("addr")?)?;
        let public_url = get("public_url")
            .map(|r| parse::public_url(&r))
            .transpose()?;
        let data_dir = parse::non_empty_path(&required("data_dir")?)?;
        let max_connections = parse::int_in(&required("database_max_connections")?, 1, 1000)?;
        let database = match get("database_url") {
            Some(raw) => parse::database_url(&raw, max_connections)?,
            None => DatabaseConfig {
                url: SecretString::from(default_sqlite_url(&data_dir)),
                backend: DatabaseBackend::Sqlite,
                max_connections,
            },
        };
        let redis_url = get("redis_url").map(|r| parse::redis_url(&r)).transpose()?;
        let secret_key = get("secret_key").map(|r| parse::secret(&r)).transpose()?;
        let encryption_key = get("encryption_key")
            .map(|r| parse::secret(&r))
            .transpose()?;
        let mail = MailConfig {
            smtp_host: get("smtp_host").map(|r| r.value.trim().to_owned()),
            smtp_port: parse::int_in(&required("smtp_port")?, 1, 65535)?,
            smtp_tls: parse::smtp_tls(&required("smtp_tls")?)?,
            smtp_username: get("smtp_username").map(|r| r.value),
            smtp_password: get("smtp_password").map(|r| SecretString::from(r.value)),
            from: parse::mailbox(&required("mail_from")?)?,
        };
        let log = LogConfig {
            level: parse::log_filter(&required("log_level")?)?,
            format: parse::log_format(&required("log_format")?)?,
            dir: get("log_dir")
                .map(|r| parse::non_empty_path(&r))
                .transpose()?,
        };
        let http = HttpConfig {
            max_body_bytes: parse::byte_size(&required("max_body_size")?)?,
            request_timeout: Duration::from_secs(parse::int_in(
                &required("request_timeout_secs")?,
                1,
                3600,
            )?),
            shutdown_timeout: Duration::from_secs(parse::int_in(
                &required("shutdown_timeout_secs")?,
                0,
                600,
            )?),
            cors: match get("allowed_origins") {
                Some(raw) => parse::cors_origins(&raw)?,
                None => CorsOrigins::SameOrigin,
            },
            trusted_proxies: match get("trusted_proxies") {
                Some(raw) => parse::ip_nets(&raw)?,
                None => Vec::new(),
            },
        };
        let gateway = crate::llm::LlmConfig {
            outbound_allow: match get("outbound_allow") {
                Some(raw) => parse::ip_nets(&raw)?,
                None => Vec::new(),
            },
            retries: parse::int_in(&required("gateway_retries")?, 0, 10)?,
            stream_idle_timeout: Duration::from_secs(parse::int_in(
                &required("stream_idle_timeout_secs")?,
                1,
                3600,
            )?),
            max_stream: Duration::from_secs(parse::int_in(
                &required("max_stream_secs")?,
                1,
                86_400,
            )?),
        };
        Ok(Self {
            addr,
            public_url,
            data_dir,
            database,
            redis_url,
            secret_key,
            encryption_key,
            mail,
            log,
            http,
            gateway,
            chat_title_model: get("chat_title_model")
                .map(|m| m.value.trim().to_owned())
                .filter(|m| !m.is_empty()),
        })
    }

    /// Defaults only, with the given data dir: the starting point for tests and embedders.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let data_dir = data_dir.into();
        let mut sources = Sources::default();
        sources
            .flags
            .insert("data_dir", data_dir.to_string_lossy().into_owned());
        Self::from_sources(&sources)
    }

    /// The URL users reach the server at: `PUBLIC_URL`, else `http://` + the listen address.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }

    /// The effective configuration as `KEY = value` lines, secrets redacted.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let secret_state = |s: &Option<SecretString>, what: &str| match s {
            Some(_) => "<set, redacted>".to_owned(),
            None => format!("<unset: {what}>"),
        };
        let cors = match &self.http.cors {
            CorsOrigins::SameOrigin => "<unset: same origin only>".to_owned(),
            CorsOrigins::Any => "*".to_owned(),
            CorsOrigins::List(list) => list.join(","),
        };
        vec![
            ("LLM_MANAGER_ADDR", self.addr.to_string()),
            ("PUBLIC_URL", self.base_url()),
            ("LLM_MANAGER_DATA_DIR", self.data_dir.display().to_string()),
            (
                "DATABASE_URL",
                format!(
                    "{} ({})",
                    redact_url(self.database.url.expose_secret()),
                    self.database.backend.as_str()
                ),
            ),
            (
                "DATABASE_MAX_CONNECTIONS",
                self.database.max_connections.to_string(),
            ),
            (
                "REDIS_URL",
                match &self.redis_url {
                    Some(u) => redact_url(u.expose_secret()),
                    None => "<unset: in-memory counters>".to_owned(),
                },
            ),
            (
                "SECRET_KEY",
                secret_state(&self.secret_key, "generated in the data dir"),
            ),
            (
                "ENCRYPTION_KEY",
                secret_state(&self.encryption_key, "generated in the data dir"),
            ),
            (
                "TRUSTED_PROXIES",
                if self.http.trusted_proxies.is_empty() {
                    "<unset: X-Forwarded-For is ignored>".to_owned()
                } else {
                    self.http
                        .trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                },
            ),
            (
                "SMTP_HOST",
                self.mail
                    .smtp_host
                    .clone()
                    .unwrap_or_else(|| "<unset: mails go to DATA_DIR/outbox>".to_owned()),
            ),
            ("SMTP_PORT", self.mail.smtp_port.to_string()),
            (
                "SMTP_TLS",
                match self.mail.smtp_tls {
                    SmtpTls::StartTls => "starttls",
                    SmtpTls::Tls => "tls",
                    SmtpTls::None => "none",
                }
                .to_owned(),
            ),
            (
                "SMTP_USERNAME",
                self.mail
                    .smtp_username
                    .clone()
                    .unwrap_or_else(|| "<unset>".to_owned()),
            ),
            (
                "SMTP_PASSWORD",
                secret_state(&self.mail.smtp_password, "no SMTP login"),
            ),
            ("MAIL_FROM", self.mail.from.clone()),
            ("LOG_LEVEL", self.log.level.clone()),
            (
                "LOG_FORMAT",
                match self.log.format {
                    LogFormat::Pretty => "pretty",
                    LogFormat::Json => "json",
                }
                .to_owned(),
            ),
            (
                "LOG_DIR",
                self.log
                    .dir
                    .as_ref()
                    .map_or("<unset: stdout only>".to_owned(), |d| {
                        d.display().to_string()
                    }),
            ),
            (
                "MAX_BODY_SIZE",
                format!("{} bytes", self.http.max_body_bytes),
            ),
            (
                "REQUEST_TIMEOUT_SECS",
                self.http.request_timeout.as_secs().to_string(),
            ),
            (
                "SHUTDOWN_TIMEOUT_SECS",
                self.http.shutdown_timeout.as_secs().to_string(),
            ),
            (
                "OUTBOUND_ALLOW",
                if self.gateway.outbound_allow.is_empty() {
                    "<unset: user-supplied URLs reach public addresses only>".to_owned()
                } else {
                    self.gateway
                        .outbound_allow
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                },
            ),
            ("GATEWAY_RETRIES", self.gateway.retries.to_string()),
            (
                "STREAM_IDLE_TIMEOUT_SECS",
                self.gateway.stream_idle_timeout.as_secs().to_string(),
            ),
            (
                "MAX_STREAM_SECS",
                self.gateway.max_stream.as_secs().to_string(),
            ),
            (
                "CHAT_TITLE_MODEL",
                self.chat_title_model
                    .clone()
                    .unwrap_or_else(|| "<unset: the conversation's model>".to_owned()),
            ),
            ("ALLOWED_ORIGINS", cors),
        ]
    }
}

/// The default database: a SQLite file in the data dir.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("llm-manager.db").display())
}

#[cfg(test)]
mod tests;
