//! The table of every configuration setting: its TOML key, environment variable, CLI flag,
//! default and meaning. The loader, `config check` and the README table all follow this list.

/// One configuration setting and where it may come from.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Key in the TOML file (flat: `addr = "..."`).
    pub key: &'static str,
    /// Environment variable that overrides the file.
    pub env: &'static str,
    /// Long CLI flag that overrides the environment, if there is one.
    pub flag: Option<&'static str>,
    /// Default used when no source sets it (`None`: unset).
    pub default: Option<&'static str>,
    /// Whether the value is secret and must never be printed.
    pub secret: bool,
    /// One-line meaning, shown by `config check` and in the README.
    pub help: &'static str,
}

macro_rules! setting {
    ($key:literal, $env:literal, $flag:expr, $default:expr, $secret:literal, $help:literal) => {
        Setting {
            key: $key,
            env: $env,
            flag: $flag,
            default: $default,
            secret: $secret,
            help: $help,
        }
    };
}

/// Every setting the server understands, in the order `config check` prints them.
pub const SETTINGS: &[Setting] = &[
    setting!(
        "addr",
        "LLM_MANAGER_ADDR",
        Some("--addr"),
        Some("127.0.0.1:8080"),
        false,
        "Listen address (host:port)."
    ),
    setting!(
        "public_url",
        "PUBLIC_URL",
        None,
        None,
        false,
        "Base URL users reach the server at (e.g. `https://llm.example.com`): links in mails and logs; `https` marks cookies Secure."
    ),
    setting!(
        "data_dir",
        "LLM_MANAGER_DATA_DIR",
        Some("--data-dir"),
        Some("./data"),
        false,
        "Directory for the SQLite database, generated secrets, uploads and logs."
    ),
    setting!(
        "database_url",
        "DATABASE_URL",
        Some("--database-url"),
        None,
        true,
        "Database: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: SQLite file `llm-manager.db` in the data dir."
    ),
    setting!(
        "database_max_connections",
        "DATABASE_MAX_CONNECTIONS",
        None,
        Some("10"),
        false,
        "Maximum connections in the database pool (1-1000)."
    ),
    setting!(
        "redis_url",
        "REDIS_URL",
        None,
        None,
        true,
        "Optional Redis (`redis://HOST:PORT/DB`) for counters shared by several instances."
    ),
    setting!(
        "secret_key",
        "SECRET_KEY",
        None,
        None,
        true,
        "Key for signing tokens; at least 32 bytes. Generated into `DATA_DIR/secrets.toml` when unset."
    ),
    setting!(
        "encryption_key",
        "ENCRYPTION_KEY",
        None,
        None,
        true,
        "Key for encrypting provider keys at rest; at least 32 bytes. Generated into `DATA_DIR/secrets.toml` when unset."
    ),
    setting!(
        "trusted_proxies",
        "TRUSTED_PROXIES",
        None,
        None,
        false,
        "Comma-separated IPs or CIDRs of reverse proxies whose `X-Forwarded-For` is believed (for client IPs in throttling, sessions and the audit log)."
    ),
    setting!(
        "smtp_host",
        "SMTP_HOST",
        None,
        None,
        false,
        "SMTP server for outgoing mail. Unset: mails are written to `DATA_DIR/outbox/*.eml` and their links logged."
    ),
    setting!(
        "smtp_port",
        "SMTP_PORT",
        None,
        Some("587"),
        false,
        "SMTP port."
    ),
    setting!(
        "smtp_tls",
        "SMTP_TLS",
        None,
        Some("starttls"),
        false,
        "`starttls` (port 587), `tls` (implicit TLS, port 465) or `none` (local relays only)."
    ),
    setting!(
        "smtp_username",
        "SMTP_USERNAME",
        None,
        None,
        false,
        "SMTP login, if the server requires one."
    ),
    setting!(
        "smtp_password",
        "SMTP_PASSWORD",
        None,
        None,
        true,
        "SMTP password."
    ),
    setting!(
        "mail_from",
        "MAIL_FROM",
        None,
        Some("LLM Manager <noreply@localhost>"),
        false,
        "Sender of outgoing mail (`Name <address>`)."
    ),
    setting!(
        "log_level",
        "LOG_LEVEL",
        Some("--log-level"),
        Some("info"),
        false,
        "Log filter: a level (`error`..`trace`) or tracing directives such as `info,sqlx=warn`."
    ),
    setting!(
        "log_format",
        "LOG_FORMAT",
        None,
        Some("pretty"),
        false,
        "Log output format: `pretty` or `json`."
    ),
    setting!(
        "log_dir",
        "LOG_DIR",
        None,
        None,
        false,
        "Optional directory for daily-rotated JSON log files (in addition to stdout)."
    ),
    setting!(
        "max_body_size",
        "MAX_BODY_SIZE",
        None,
        Some("10MiB"),
        false,
        "Largest accepted request body, in bytes or with a unit (`512KiB`, `10MiB`); larger bodies get 413."
    ),
    setting!(
        "request_timeout_secs",
        "REQUEST_TIMEOUT_SECS",
        None,
        Some("60"),
        false,
        "Seconds a request may take to produce its response headers before it gets 408."
    ),
    setting!(
        "header_read_timeout_secs",
        "HEADER_READ_TIMEOUT_SECS",
        None,
        Some("10"),
        false,
        "Seconds a client has to send a whole request head (also between requests on a kept-alive connection) before the connection is closed."
    ),
    setting!(
        "max_connections",
        "MAX_CONNECTIONS",
        None,
        Some("10000"),
        false,
        "Connections open at once; more are closed on arrival."
    ),
    setting!(
        "max_connections_per_ip",
        "MAX_CONNECTIONS_PER_IP",
        None,
        Some("256"),
        false,
        "Connections open at once from one client address (IPv6 by /64; `TRUSTED_PROXIES` exempt); more are closed on arrival."
    ),
    setting!(
        "shutdown_timeout_secs",
        "SHUTDOWN_TIMEOUT_SECS",
        None,
        Some("20"),
        false,
        "On SIGTERM/SIGINT, seconds in-flight requests and background tasks get to finish."
    ),
    setting!(
        "outbound_allow",
        "OUTBOUND_ALLOW",
        None,
        None,
        false,
        "Comma-separated CIDR ranges (any port) or address:port entries that user-supplied outbound URLs (personal provider base URLs) may reach although private or loopback, e.g. `10.0.0.0/8,127.0.0.1:8000`. Prefer address:port: `127.0.0.1/32` opens every loopback port (Redis, PostgreSQL, this server). Admin-made providers are not restricted."
    ),
    setting!(
        "gateway_retries",
        "GATEWAY_RETRIES",
        None,
        Some("2"),
        false,
        "Extra attempts, on the next channels, after an upstream connect error, timeout, 429 or 5xx before the first byte (0–10)."
    ),
    setting!(
        "stream_idle_timeout_secs",
        "STREAM_IDLE_TIMEOUT_SECS",
        None,
        Some("60"),
        false,
        "Longest silence between two chunks of an upstream stream before it is ended with an error."
    ),
    setting!(
        "max_stream_secs",
        "MAX_STREAM_SECS",
        None,
        Some("600"),
        false,
        "Longest an upstream stream may run."
    ),
    setting!(
        "chat_title_model",
        "CHAT_TITLE_MODEL",
        None,
        None,
        false,
        "Model that writes conversation titles after the first exchange (a cheap one is best). Unset: the conversation's own model."
    ),
    setting!(
        "models_dir",
        "MODELS_DIR",
        None,
        None,
        false,
        "Where downloaded models are kept. Default: `models` in the data dir."
    ),
    setting!(
        "models_import_dirs",
        "MODELS_IMPORT_DIRS",
        None,
        None,
        false,
        "Comma-separated directories from which admins may register model files in place (`POST /api/models/import`)."
    ),
    setting!(
        "hf_endpoint",
        "HF_ENDPOINT",
        None,
        Some("https://huggingface.co"),
        false,
        "Hugging Face Hub (or a mirror of it) for model search and downloads."
    ),
    setting!(
        "hf_token",
        "HF_TOKEN",
        None,
        None,
        true,
        "Hugging Face access token, for gated repositories."
    ),
    setting!(
        "modelscope_endpoint",
        "MODELSCOPE_ENDPOINT",
        None,
        Some("https://modelscope.cn"),
        false,
        "ModelScope hub for model search and downloads."
    ),
    setting!(
        "ollama_registry",
        "OLLAMA_REGISTRY",
        None,
        Some("https://registry.ollama.ai"),
        false,
        "Ollama registry that `ollama` model downloads pull from."
    ),
    setting!(
        "ollama_host",
        "OLLAMA_HOST",
        None,
        None,
        false,
        "An Ollama daemon already running (host:port or URL): its models are listed and can be pulled through it."
    ),
    setting!(
        "llama_cpp_server",
        "LLAMA_CPP_SERVER",
        None,
        Some("llama-server"),
        false,
        "Program (and leading arguments) of the llama.cpp deployment backend."
    ),
    setting!(
        "vllm_server",
        "VLLM_SERVER",
        None,
        Some("vllm serve"),
        false,
        "Program (and leading arguments) of the vLLM deployment backend."
    ),
    setting!(
        "sglang_server",
        "SGLANG_SERVER",
        None,
        Some("python3 -m sglang.launch_server"),
        false,
        "Program (and leading arguments) of the SGLang deployment backend."
    ),
    setting!(
        "download_concurrency",
        "DOWNLOAD_CONCURRENCY",
        None,
        Some("2"),
        false,
        "Model downloads that run at once (1-16); the rest wait as `pending`."
    ),
    setting!(
        "download_segments",
        "DOWNLOAD_SEGMENTS",
        None,
        Some("4"),
        false,
        "Parallel ranges per file of a download (1-16)."
    ),
    setting!(
        "download_free_margin",
        "DOWNLOAD_FREE_MARGIN",
        None,
        Some("256MiB"),
        false,
        "Free disk space a download must leave beyond its own size, or it is refused."
    ),
    setting!(
        "monitor_interval",
        "MONITOR_INTERVAL",
        None,
        Some("5"),
        false,
        "Seconds between samples of the host, GPUs and deployments (1-60); the last hour is kept."
    ),
    setting!(
        "monitor_memory_alert",
        "MONITOR_MEMORY_ALERT",
        None,
        Some("90"),
        false,
        "Memory use, in percent, that raises an alert (1-100)."
    ),
    setting!(
        "monitor_disk_alert",
        "MONITOR_DISK_ALERT",
        None,
        Some("90"),
        false,
        "Use of a disk holding DATA_DIR or MODELS_DIR, in percent, that raises an alert (1-100)."
    ),
    setting!(
        "allowed_origins",
        "ALLOWED_ORIGINS",
        None,
        None,
        false,
        "CORS: comma-separated origins (`https://a.example,https://b.example`) or `*`. Unset: same origin only."
    ),
];

/// Looks a setting up by its TOML key.
pub fn by_key(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_env_names_and_flags_are_unique() {
        for (i, a) in SETTINGS.iter().enumerate() {
            for b in &SETTINGS[i + 1..] {
                assert_ne!(a.key, b.key);
                assert_ne!(a.env, b.env);
                if a.flag.is_some() {
                    assert_ne!(a.flag, b.flag);
                }
            }
        }
    }

    #[test]
    fn secrets_have_no_default() {
        for s in SETTINGS.iter().filter(|s| s.secret) {
            assert!(s.default.is_none(), "{} must not ship a default", s.key);
        }
    }
}
