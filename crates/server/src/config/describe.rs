//! The effective configuration as `KEY = value` lines (`llm-manager config`), secrets
//! redacted, every unset value saying what happens without it.

use secrecy::{ExposeSecret, SecretString};

use super::{Config, CorsOrigins, LogFormat, SmtpTls, redact_url};

type Lines = Vec<(&'static str, String)>;

fn secret_state(s: &Option<SecretString>, what: &str) -> String {
    match s {
        Some(_) => "<set, redacted>".to_owned(),
        None => format!("<unset: {what}>"),
    }
}

fn list_or<T: ToString>(items: &[T], unset: &str) -> String {
    if items.is_empty() {
        unset.to_owned()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl Config {
    /// The effective configuration as `KEY = value` lines, secrets redacted.
    pub fn describe(&self) -> Lines {
        let mut lines = self.describe_server();
        lines.extend(self.describe_mail());
        lines.extend(self.describe_http());
        lines.extend(self.describe_llm());
        lines
    }

    fn describe_server(&self) -> Lines {
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
                list_or(
                    &self.http.trusted_proxies,
                    "<unset: X-Forwarded-For is ignored>",
                ),
            ),
        ]
    }

    fn describe_mail(&self) -> Lines {
        let m = &self.mail;
        vec![
            (
                "SMTP_HOST",
                m.smtp_host
                    .clone()
                    .unwrap_or_else(|| "<unset: mails go to DATA_DIR/outbox>".to_owned()),
            ),
            ("SMTP_PORT", m.smtp_port.to_string()),
            (
                "SMTP_TLS",
                match m.smtp_tls {
                    SmtpTls::StartTls => "starttls",
                    SmtpTls::Tls => "tls",
                    SmtpTls::None => "none",
                }
                .to_owned(),
            ),
            (
                "SMTP_USERNAME",
                m.smtp_username
                    .clone()
                    .unwrap_or_else(|| "<unset>".to_owned()),
            ),
            (
                "SMTP_PASSWORD",
                secret_state(&m.smtp_password, "no SMTP login"),
            ),
            ("MAIL_FROM", m.from.clone()),
        ]
    }

    fn describe_http(&self) -> Lines {
        vec![
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
                "HEADER_READ_TIMEOUT_SECS",
                self.http.header_read_timeout.as_secs().to_string(),
            ),
            ("MAX_CONNECTIONS", self.http.max_connections.to_string()),
            (
                "MAX_CONNECTIONS_PER_IP",
                self.http.max_connections_per_ip.to_string(),
            ),
            (
                "SHUTDOWN_TIMEOUT_SECS",
                self.http.shutdown_timeout.as_secs().to_string(),
            ),
        ]
    }

    fn describe_llm(&self) -> Lines {
        let cors = match &self.http.cors {
            CorsOrigins::SameOrigin => "<unset: same origin only>".to_owned(),
            CorsOrigins::Any => "*".to_owned(),
            CorsOrigins::List(list) => list.join(","),
        };
        let mut lines = vec![
            (
                "OUTBOUND_ALLOW",
                list_or(
                    &self.gateway.outbound_allow,
                    "<unset: user-supplied URLs reach public addresses only>",
                ),
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
        ];
        lines.extend(self.describe_models());
        lines.push(("ALLOWED_ORIGINS", cors));
        lines
    }

    fn describe_models(&self) -> Lines {
        let m = &self.models;
        let dirs: Vec<String> = m
            .import_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        vec![
            ("MODELS_DIR", m.dir.display().to_string()),
            (
                "MODELS_IMPORT_DIRS",
                list_or(&dirs, "<unset: imports only from MODELS_DIR>"),
            ),
            ("HF_ENDPOINT", m.hf_endpoint.to_string()),
            (
                "HF_TOKEN",
                secret_state(&m.hf_token, "public repositories only"),
            ),
            ("MODELSCOPE_ENDPOINT", m.modelscope_endpoint.to_string()),
            ("OLLAMA_REGISTRY", m.ollama_registry.to_string()),
            (
                "OLLAMA_HOST",
                m.ollama_host.as_ref().map_or_else(
                    || "<unset: no Ollama daemon>".to_owned(),
                    url::Url::to_string,
                ),
            ),
            (
                "LLAMA_CPP_SERVER",
                self.deployments.llama_cpp_server.join(" "),
            ),
            ("VLLM_SERVER", self.deployments.vllm_server.join(" ")),
            ("SGLANG_SERVER", self.deployments.sglang_server.join(" ")),
            ("DOWNLOAD_CONCURRENCY", m.concurrency.to_string()),
            ("DOWNLOAD_SEGMENTS", m.segments.to_string()),
            ("DOWNLOAD_FREE_MARGIN", format!("{} bytes", m.free_margin)),
            (
                "MONITOR_INTERVAL",
                self.monitor.interval.as_secs().to_string(),
            ),
            (
                "MONITOR_MEMORY_ALERT",
                format!("{}%", self.monitor.memory_alert),
            ),
            (
                "MONITOR_DISK_ALERT",
                format!("{}%", self.monitor.disk_alert),
            ),
        ]
    }
}
