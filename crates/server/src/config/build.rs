//! Building the typed [`Config`] from its [`Sources`]: each group of settings parsed and
//! checked by its own function; the first problem stops the start with an error that names
//! the key, its origin and what is wrong.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use super::settings;
use super::sources::Raw;
use super::{
    Config, ConfigError, CorsOrigins, DatabaseBackend, DatabaseConfig, HttpConfig, LogConfig,
    MailConfig, Sources, default_sqlite_url, parse,
};

/// Raw values by setting key.
struct Lookup<'a> {
    sources: &'a Sources,
}

impl Lookup<'_> {
    fn get(&self, key: &str) -> Option<Raw<'static>> {
        let setting = settings::by_key(key)?;
        self.sources.lookup(setting).map(|(value, origin)| Raw {
            setting,
            value,
            origin,
        })
    }

    fn required(&self, key: &str) -> Result<Raw<'static>, ConfigError> {
        self.get(key).ok_or_else(|| ConfigError {
            origin: key.to_owned(),
            value: None,
            problem: "has no value and no default".to_owned(),
        })
    }

    fn secs(&self, key: &str, min: u64, max: u64) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(parse::int_in(
            &self.required(key)?,
            min,
            max,
        )?))
    }
}

fn database(l: &Lookup<'_>, data_dir: &std::path::Path) -> Result<DatabaseConfig, ConfigError> {
    let max_connections = parse::int_in(&l.required("database_max_connections")?, 1, 1000)?;
    Ok(match l.get("database_url") {
        Some(raw) => parse::database_url(&raw, max_connections)?,
        None => DatabaseConfig {
            url: SecretString::from(default_sqlite_url(data_dir)),
            backend: DatabaseBackend::Sqlite,
            max_connections,
        },
    })
}

fn mail(l: &Lookup<'_>) -> Result<MailConfig, ConfigError> {
    Ok(MailConfig {
        smtp_host: l.get("smtp_host").map(|r| r.value.trim().to_owned()),
        smtp_port: parse::int_in(&l.required("smtp_port")?, 1, 65535)?,
        smtp_tls: parse::smtp_tls(&l.required("smtp_tls")?)?,
        smtp_username: l.get("smtp_username").map(|r| r.value),
        smtp_password: l.get("smtp_password").map(|r| SecretString::from(r.value)),
        from: parse::mailbox(&l.required("mail_from")?)?,
    })
}

fn log(l: &Lookup<'_>) -> Result<LogConfig, ConfigError> {
    Ok(LogConfig {
        level: parse::log_filter(&l.required("log_level")?)?,
        format: parse::log_format(&l.required("log_format")?)?,
        dir: l
            .get("log_dir")
            .map(|r| parse::non_empty_path(&r))
            .transpose()?,
    })
}

fn http(l: &Lookup<'_>) -> Result<HttpConfig, ConfigError> {
    Ok(HttpConfig {
        max_body_bytes: parse::byte_size(&l.required("max_body_size")?)?,
        request_timeout: l.secs("request_timeout_secs", 1, 3600)?,
        header_read_timeout: l.secs("header_read_timeout_secs", 1, 600)?,
        max_connections: parse::int_in(&l.required("max_connections")?, 1, 1_000_000)?,
        max_connections_per_ip: parse::int_in(
            &l.required("max_connections_per_ip")?,
            1,
            1_000_000,
        )?,
        shutdown_timeout: l.secs("shutdown_timeout_secs", 0, 600)?,
        cors: match l.get("allowed_origins") {
            Some(raw) => parse::cors_origins(&raw)?,
            None => CorsOrigins::SameOrigin,
        },
        trusted_proxies: match l.get("trusted_proxies") {
            Some(raw) => parse::ip_nets(&raw)?,
            None => Vec::new(),
        },
    })
}

fn llm(l: &Lookup<'_>) -> Result<crate::llm::LlmConfig, ConfigError> {
    Ok(crate::llm::LlmConfig {
        outbound_allow: match l.get("outbound_allow") {
            Some(raw) => parse::allow_entries(&raw)?,
            None => Vec::new(),
        },
        retries: parse::int_in(&l.required("gateway_retries")?, 0, 10)?,
        stream_idle_timeout: l.secs("stream_idle_timeout_secs", 1, 3600)?,
        max_stream: l.secs("max_stream_secs", 1, 86_400)?,
    })
}

fn models(
    l: &Lookup<'_>,
    data_dir: &std::path::Path,
) -> Result<crate::models::ModelsConfig, ConfigError> {
    let endpoint =
        |key: &str| -> Result<url::Url, ConfigError> { parse::public_url(&l.required(key)?) };
    Ok(crate::models::ModelsConfig {
        dir: match l.get("models_dir") {
            Some(raw) => parse::non_empty_path(&raw)?,
            None => data_dir.join("models"),
        },
        import_dirs: match l.get("models_import_dirs") {
            Some(raw) => parse::paths(&raw)?,
            None => Vec::new(),
        },
        hf_endpoint: endpoint("hf_endpoint")?,
        hf_token: l.get("hf_token").map(|r| parse::secret(&r)).transpose()?,
        modelscope_endpoint: endpoint("modelscope_endpoint")?,
        ollama_registry: endpoint("ollama_registry")?,
        ollama_host: l
            .get("ollama_host")
            .map(|r| parse::ollama_host(&r))
            .transpose()?,
        concurrency: parse::int_in(&l.required("download_concurrency")?, 1, 16)?,
        segments: parse::int_in(&l.required("download_segments")?, 1, 16)?,
        free_margin: parse::byte_size(&l.required("download_free_margin")?)? as u64,
    })
}

fn deployments(
    l: &Lookup<'_>,
    data_dir: &std::path::Path,
) -> Result<crate::deployments::DeploymentsConfig, ConfigError> {
    let program = |key: &str| parse::command_line(&l.required(key)?);
    Ok(crate::deployments::DeploymentsConfig::new(
        data_dir,
        [
            program("llama_cpp_server")?,
            program("vllm_server")?,
            program("sglang_server")?,
        ],
    ))
}

impl Config {
    /// Builds and validates the configuration from its sources.
    pub fn from_sources(sources: &Sources) -> Result<Self, ConfigError> {
        let l = Lookup { sources };
        let data_dir = parse::non_empty_path(&l.required("data_dir")?)?;
        Ok(Self {
            addr: parse::socket_addr(&l.required("addr")?)?,
            public_url: l
                .get("public_url")
                .map(|r| parse::public_url(&r))
                .transpose()?,
            database: database(&l, &data_dir)?,
            models: models(&l, &data_dir)?,
            deployments: deployments(&l, &data_dir)?,
            monitor: crate::monitor::MonitorConfig {
                interval: l.secs("monitor_interval", 1, 60)?,
                memory_alert: f64::from(parse::int_in::<u8>(
                    &l.required("monitor_memory_alert")?,
                    1,
                    100,
                )?),
                disk_alert: f64::from(parse::int_in::<u8>(
                    &l.required("monitor_disk_alert")?,
                    1,
                    100,
                )?),
            },
            data_dir,
            redis_url: l
                .get("redis_url")
                .map(|r| parse::redis_url(&r))
                .transpose()?,
            secret_key: l.get("secret_key").map(|r| parse::secret(&r)).transpose()?,
            encryption_key: l
                .get("encryption_key")
                .map(|r| parse::secret(&r))
                .transpose()?,
            mail: mail(&l)?,
            log: log(&l)?,
            http: http(&l)?,
            gateway: llm(&l)?,
            chat_title_model: l
                .get("chat_title_model")
                .map(|m| m.value.trim().to_owned())
                .filter(|m| !m.is_empty()),
        })
    }

    /// Defaults only, with the given data dir: the starting point for tests and embedders.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let data_dir: PathBuf = data_dir.into();
        let mut sources = Sources::default();
        sources
            .flags
            .insert("data_dir", data_dir.to_string_lossy().into_owned());
        Self::from_sources(&sources)
    }
}
