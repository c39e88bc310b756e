//! Parsers from raw setting text to typed values, each failing with a `ConfigError` that says
//! what was expected.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;

use super::{ConfigError, CorsOrigins, DatabaseBackend, DatabaseConfig, LogFormat, Raw};

pub(super) fn socket_addr(raw: &Raw) -> Result<SocketAddr, ConfigError> {
    raw.value.trim().parse().map_err(|_| {
        raw.error("not a listen address; expected IP:PORT such as 127.0.0.1:8080 or [::]:8080")
    })
}

pub(super) fn public_url(raw: &Raw) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(raw.value.trim()).map_err(|e| {
        raw.error(format!(
            "not a URL: {e}; expected e.g. https://llm.example.com"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(raw.error("expected an http:// or https:// URL with a host"));
    }
    Ok(url)
}

/// A program and its leading arguments, split at whitespace (no shell).
pub(super) fn command_line(raw: &Raw) -> Result<Vec<String>, ConfigError> {
    let parts: Vec<String> = raw.value.split_whitespace().map(str::to_owned).collect();
    if parts.is_empty() {
        return Err(raw.error("name the program, e.g. llama-server"));
    }
    Ok(parts)
}

/// An Ollama daemon's address as `OLLAMA_HOST` is written for Ollama itself: `host`,
/// `host:port` or a URL; the scheme defaults to `http`, the port to 11434.
pub(super) fn ollama_host(raw: &Raw) -> Result<url::Url, ConfigError> {
    let value = raw.value.trim();
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let mut url = url::Url::parse(&with_scheme).map_err(|e| {
        raw.error(format!(
            "not an address: {e}; expected e.g. 127.0.0.1:11434"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(raw.error("expected host:port or an http:// or https:// URL"));
    }
    if !value.contains("://") && url.port().is_none() {
        let _ = url.set_port(Some(11434));
    }
    Ok(url)
}

/// `10.0.0.1, 10.1.0.0/16, ::1` → networks (a bare IP is a /32 or /128).
pub(super) fn ip_nets(raw: &Raw) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    raw.value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| raw.error(format!("`{p}` is not an IP address or CIDR range")))
        })
        .collect()
}

pub(super) fn allow_entries(raw: &Raw) -> Result<Vec<crate::net::ssrf::AllowEntry>, ConfigError> {
    raw.value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|e: String| raw.error(e)))
        .collect()
}

pub(super) fn smtp_tls(raw: &Raw) -> Result<super::SmtpTls, ConfigError> {
    match raw.value.trim().to_ascii_lowercase().as_str() {
        "starttls" => Ok(super::SmtpTls::StartTls),
        "tls" => Ok(super::SmtpTls::Tls),
        "none" => Ok(super::SmtpTls::None),
        _ => Err(raw.error("expected `starttls`, `tls` or `none`")),
    }
}

pub(super) fn mailbox(raw: &Raw) -> Result<String, ConfigError> {
    let v = raw.value.trim();
    v.parse::<lettre::message::Mailbox>().map_err(|e| {
        raw.error(format!(
            "not a mailbox ({e}); expected `Name <user@example.com>`"
        ))
    })?;
    Ok(v.to_owned())
}

pub(super) fn non_empty_path(raw: &Raw) -> Result<PathBuf, ConfigError> {
    let v = raw.value.trim();
    if v.is_empty() {
        return Err(raw.error("must not be empty"));
    }
    Ok(PathBuf::from(v))
}

pub(super) fn int_in<T>(raw: &Raw, min: T, max: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = raw
        .value
        .trim()
        .parse()
        .map_err(|_| raw.error(format!("not a whole number; expected {min}..={max}")))?;
    if n < min || n > max {
        return Err(raw.error(format!("out of range; expected {min}..={max}")));
    }
    Ok(n)
}

pub(super) fn database_url(raw: &Raw, max_connections: u32) -> Result<DatabaseConfig, ConfigError> {
    let v = raw.value.trim();
    let backend = if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        let url = url::Url::parse(v)
            .map_err(|e| raw.error(format!("not a valid PostgreSQL URL: {e}")))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(raw.error("PostgreSQL URL has no host"));
        }
        DatabaseBackend::Postgres
    } else if let Some(rest) = v.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") || path.starts_with("file::memory") {
            return Err(raw.error(
                "an in-memory or empty SQLite path would lose all data; give a file path such as sqlite://./data/llm-manager.db",
            ));
        }
        DatabaseBackend::Sqlite
    } else {
        return Err(raw.error(
            "unsupported database URL; expected sqlite://PATH or postgres://USER@HOST:PORT/DB",
        ));
    };
    Ok(DatabaseConfig {
        url: SecretString::from(v.to_owned()),
        backend,
        max_connections,
    })
}

pub(super) fn redis_url(raw: &Raw) -> Result<SecretString, ConfigError> {
    let v = raw.value.trim();
    let url = url::Url::parse(v).map_err(|e| raw.error(format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "redis" | "rediss") {
        return Err(raw.error("expected redis://HOST:PORT/DB or rediss://…"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(raw.error("Redis URL has no host"));
    }
    Ok(SecretString::from(v.to_owned()))
}

pub(super) fn secret(raw: &Raw) -> Result<SecretString, ConfigError> {
    super::secrets::check_strength(&raw.value).map_err(|problem| raw.error(problem))?;
    Ok(SecretString::from(raw.value.clone()))
}

pub(super) fn log_filter(raw: &Raw) -> Result<String, ConfigError> {
    let v = raw.value.trim();
    tracing_subscriber::EnvFilter::try_new(v).map_err(|e| {
        raw.error(format!(
            "not a log level or filter ({e}); expected e.g. info, debug or info,sqlx=warn"
        ))
    })?;
    Ok(v.to_owned())
}

pub(super) fn log_format(raw: &Raw) -> Result<LogFormat, ConfigError> {
    match raw.value.trim().to_ascii_lowercase().as_str() {
        "pretty" | "text" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        _ => Err(raw.error("expected `pretty` or `json`")),
    }
}

/// Parses `1048576`, `512KiB`, `10MiB`, `1GiB`, `10MB`, `10k` (binary units throughout).
/// `a, b` → absolute paths (each must be absolute).
pub(super) fn paths(raw: &Raw) -> Result<Vec<PathBuf>, ConfigError> {
    raw.value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let path = PathBuf::from(p);
            if path.is_absolute() {
                Ok(path)
            } else {
                Err(raw.error(format!("`{p}` is not an absolute path")))
            }
        })
        .collect()
}

pub(super) fn byte_size(raw: &Raw) -> Result<usize, ConfigError> {
    let v = raw.value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let bad =
        || raw.error("not a size; expected bytes or a number with KiB, MiB or GiB (e.g. 10MiB)");
    let n: usize = digits.parse().map_err(|_| bad())?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    let bytes = n.checked_mul(mult).ok_or_else(bad)?;
    if !(1024..=(4usize << 30)).contains(&bytes) {
        return Err(raw.error("out of range; expected between 1KiB and 4GiB"));
    }
    Ok(bytes)
}

pub(super) fn cors_origins(raw: &Raw) -> Result<CorsOrigins, ConfigError> {
    let v = raw.value.trim();
    if v == "*" {
        return Ok(CorsOrigins::Any);
    }
    let mut origins = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let url = url::Url::parse(part)
            .map_err(|e| raw.error(format!("`{part}` is not an origin: {e}")))?;
        let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        if !matches!(url.scheme(), "http" | "https") || !bare || url.host_str().is_none() {
            return Err(raw.error(format!(
                "`{part}` is not an origin; expected scheme://host[:port] such as https://app.example.com"
            )));
        }
        origins.push(url.origin().ascii_serialization());
    }
    if origins.is_empty() {
        return Err(raw.error("no origins given; use `*` or a comma-separated list"));
    }
    Ok(CorsOrigins::List(origins))
}

/// A URL with any password replaced by `***`, for printing.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            // set_password only fails for URLs that cannot have one, which this one does.
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "<unparseable URL>".to_owned(),
    }
}
