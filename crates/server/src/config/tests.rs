use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::sources::read_toml_file;
use super::*;

fn env(pairs: &[(&str, &str)]) -> Sources {
    Sources {
        env: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Sources::default()
    }
}

fn toml_file(text: &str) -> (tempfile::NamedTempFile, Result<Sources, ConfigError>) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    let sources = read_toml_file(file.path()).map(|f| Sources {
        file: Some(f),
        ..Sources::default()
    });
    (file, sources)
}

#[test]
fn defaults_give_sqlite_in_data_dir() {
    let config = Config::from_sources(&Sources::default()).unwrap();
    assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.database.backend, DatabaseBackend::Sqlite);
    assert_eq!(
        config.database.url.expose_secret(),
        "sqlite://./data/llm-manager.db"
    );
    assert_eq!(config.log.format, LogFormat::Pretty);
    assert_eq!(config.http.max_body_bytes, 10 << 20);
    assert_eq!(config.http.cors, CorsOrigins::SameOrigin);
    assert!(config.secret_key.is_none() && config.redis_url.is_none());
}

#[test]
fn flags_beat_environment_which_beats_file() {
    let (_f, sources) = toml_file("addr = \"127.0.0.1:1000\"\nlog_format = \"json\"\n");
    let mut sources = sources.unwrap();
    let c = Config::from_sources(&sources).unwrap();
    assert_eq!(c.addr.port(), 1000);
    assert_eq!(c.log.format, LogFormat::Json);

    sources
        .env
        .insert("LLM_MANAGER_ADDR".into(), "127.0.0.1:2000".into());
    assert_eq!(Config::from_sources(&sources).unwrap().addr.port(), 2000);

    sources.flags.insert("addr", "127.0.0.1:3000".into());
    assert_eq!(Config::from_sources(&sources).unwrap().addr.port(), 3000);
}

#[test]
fn empty_environment_value_counts_as_unset() {
    let c = Config::from_sources(&env(&[("DATABASE_URL", ""), ("LLM_MANAGER_ADDR", "")])).unwrap();
    assert_eq!(c.database.backend, DatabaseBackend::Sqlite);
    assert_eq!(c.addr.port(), 8080);
}

#[test]
fn bad_address_names_the_variable_and_value() {
    let err = Config::from_sources(&env(&[("LLM_MANAGER_ADDR", "abc")])).unwrap_err();
    let line = err.to_string();
    assert!(
        line.starts_with("LLM_MANAGER_ADDR=\"abc\": not a listen address"),
        "{line}"
    );
    assert!(!line.contains('\n'));
}

#[test]
fn bad_values_name_their_keys() {
    let cases: &[(&str, &str, &str)] = &[
        ("DATABASE_URL", "mysql://x", "unsupported database URL"),
        ("DATABASE_URL", "sqlite::memory:", "in-memory"),
        ("DATABASE_URL", "postgres://", "no host"),
        ("DATABASE_MAX_CONNECTIONS", "0", "out of range"),
        ("REDIS_URL", "http://localhost", "expected redis://"),
        ("LOG_LEVEL", "loud[", "not a log level"),
        ("LOG_FORMAT", "xml", "expected `pretty` or `json`"),
        ("MAX_BODY_SIZE", "ten", "not a size"),
        ("MAX_BODY_SIZE", "10TiB", "not a size"),
        ("REQUEST_TIMEOUT_SECS", "-1", "not a whole number"),
        ("ALLOWED_ORIGINS", "https://a.example/path", "not an origin"),
        (
            "SECRET_KEY",
            "change-this-secret-key-in-production-please-now",
            "placeholder",
        ),
        ("ENCRYPTION_KEY", "tooshort", "too weak"),
        ("OLLAMA_HOST", "ftp://127.0.0.1", "expected host:port"),
        ("OLLAMA_HOST", "http://", "not an address"),
    ];
    for (key, value, problem) in cases {
        let err = Config::from_sources(&env(&[(key, value)])).unwrap_err();
        assert_eq!(err.origin, *key);
        assert!(err.to_string().contains(problem), "{key}={value}: {err}");
    }
}

#[test]
fn secret_values_are_never_echoed_in_errors() {
    let err = Config::from_sources(&env(&[("SECRET_KEY", "hunter2-is-my-password")])).unwrap_err();
    assert_eq!(err.value, None);
    assert!(!err.to_string().contains("hunter2"));
    let err =
        Config::from_sources(&env(&[("DATABASE_URL", "mysql://u:hunter2@h/db")])).unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn postgres_url_selects_postgres_and_is_redacted_in_description() {
    let c = Config::from_sources(&env(&[(
        "DATABASE_URL",
        "postgres://app:hunter2@db.internal:5432/llm",
    )]))
    .unwrap();
    assert_eq!(c.database.backend, DatabaseBackend::Postgres);
    let described: HashMap<_, _> = c.describe().into_iter().collect();
    assert_eq!(
        described["DATABASE_URL"],
        "postgres://app:***@db.internal:5432/llm (postgres)"
    );
}

#[test]
fn description_covers_every_setting() {
    let c = Config::from_sources(&Sources::default()).unwrap();
    let described: Vec<_> = c.describe().into_iter().map(|(k, _)| k).collect();
    let expected: Vec<_> = settings::SETTINGS.iter().map(|s| s.env).collect();
    assert_eq!(described, expected);
}

#[test]
fn cors_list_and_wildcard() {
    let c = Config::from_sources(&env(&[(
        "ALLOWED_ORIGINS",
        "https://a.example, http://localhost:5173",
    )]))
    .unwrap();
    assert_eq!(
        c.http.cors,
        CorsOrigins::List(vec![
            "https://a.example".into(),
            "http://localhost:5173".into()
        ])
    );
    let c = Config::from_sources(&env(&[("ALLOWED_ORIGINS", "*")])).unwrap();
    assert_eq!(c.http.cors, CorsOrigins::Any);
}

#[test]
fn byte_sizes_accept_units() {
    for (text, bytes) in [
        ("2048", 2048),
        ("512KiB", 512 << 10),
        ("10mb", 10 << 20),
        ("1G", 1 << 30),
    ] {
        let c = Config::from_sources(&env(&[("MAX_BODY_SIZE", text)])).unwrap();
        assert_eq!(c.http.max_body_bytes, bytes, "{text}");
    }
}

#[test]
fn unknown_file_key_is_refused_with_its_name() {
    let (_f, sources) = toml_file("adr = \"127.0.0.1:1\"\n");
    let err = sources.unwrap_err();
    assert!(err.origin.starts_with("config file "));
    assert!(err.problem.contains("unknown key `adr`"), "{err}");
}

#[test]
fn invalid_file_value_names_key_and_file() {
    let (f, sources) = toml_file("allowed_origins = [\"https://a.example\", \"nope\"]\n");
    let err = Config::from_sources(&sources.unwrap()).unwrap_err();
    assert_eq!(
        err.origin,
        format!("allowed_origins in {}", f.path().display())
    );
    let (_f, sources) = toml_file("addr = true\n");
    assert!(
        sources
            .unwrap_err()
            .problem
            .contains("expected a string or number")
    );
    let (_f, sources) = toml_file("addr = \n");
    assert!(sources.unwrap_err().problem.contains("invalid TOML"));
}

#[test]
fn ollama_host_is_read_as_ollama_itself_reads_it() {
    let host = |v: &str| {
        let config = Config::from_sources(&env(&[("OLLAMA_HOST", v)])).unwrap();
        config.models.ollama_host.map(|u| u.to_string())
    };
    assert_eq!(host("127.0.0.1"), Some("http://127.0.0.1:11434/".into()));
    assert_eq!(host("gpu-box:8080"), Some("http://gpu-box:8080/".into()));
    assert_eq!(
        host("https://ollama.internal"),
        Some("https://ollama.internal/".into())
    );
    let unset = Config::from_sources(&Sources::default()).unwrap();
    assert!(unset.models.ollama_host.is_none());
}

#[test]
fn readme_documents_every_setting() {
    let readme = include_str!("../../../../README.md");
    for s in settings::SETTINGS {
        assert!(
            readme.contains(&format!("| `{}` | `{}` |", s.env, s.key)),
            "README lacks {}",
            s.env
        );
    }
}
