//! Tests of the built `llm-manager` binary: configuration errors, `config check`, `migrate`,
//! `backup`, generated secrets, graceful shutdown on SIGTERM, and that no secret reaches a log.
//! `providers` follows provider keys through a live server and a fake upstream; `rotate` covers
//! `rotate-encryption-key`; `instances` runs two server processes on one PostgreSQL and Redis;
//! `live` holds their server and HTTP helpers.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod deployments;
mod downloads;
mod echo;
mod instances;
mod live;
mod providers;
mod rotate;
mod setup;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use setup::{create_admin, create_admin_with};

pub const BIN: &str = env!("CARGO_BIN_EXE_llm-manager");
const CANARY_SECRET: &str = "canary-SECRET-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a";
const CANARY_ENC: &str = "canary-ENCRYPT-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";

/// A command with a clean environment: only PATH/HOME and what the test sets.
fn llm_manager(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LLM_MANAGER_DATA_DIR", dir.join("data"))
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn bad_listen_address_stops_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = llm_manager(dir.path())
        .env("LLM_MANAGER_ADDR", "abc")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: invalid configuration: LLM_MANAGER_ADDR=\"abc\": not a listen address"
        ),
        "{stderr}"
    );
}

#[test]
fn unreachable_database_stops_the_start_naming_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = llm_manager(dir.path())
        .env("DATABASE_URL", "postgres://app:hunter2@127.0.0.1:1/nowhere")
        .env("LLM_MANAGER_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out);
    assert!(
        all.contains("error: DATABASE_URL=postgres://app:***@127.0.0.1:1/nowhere: cannot connect to PostgreSQL"),
        "{all}"
    );
    assert!(!all.contains("hunter2"));
}

#[test]
fn unwritable_data_dir_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = llm_manager(dir.path())
        .env("LLM_MANAGER_DATA_DIR", file.join("data"))
        .env("LLM_MANAGER_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: LLM_MANAGER_DATA_DIR="), "{stderr}");
    assert!(stderr.contains("cannot create directory"), "{stderr}");
}

#[test]
fn config_check_prints_effective_values_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("llm-manager.toml");
    std::fs::write(&config, "addr = \"0.0.0.0:9000\"\nlog_format = \"json\"\n").unwrap();
    let out = llm_manager(dir.path())
        .args([
            "--config",
            config.to_str().unwrap(),
            "--log-level",
            "debug",
            "config",
            "check",
        ])
        .env("LOG_FORMAT", "pretty")
        .env("SECRET_KEY", CANARY_SECRET)
        .env("DATABASE_URL", "postgres://app:hunter2@db.example:5432/llm")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("LLM_MANAGER_ADDR = 0.0.0.0:9000"),
        "{stdout}"
    );
    assert!(
        stdout.contains("LOG_FORMAT = pretty"),
        "env beats file: {stdout}"
    );
    assert!(
        stdout.contains("LOG_LEVEL = debug"),
        "flag beats env: {stdout}"
    );
    assert!(stdout.contains("SECRET_KEY = <set, redacted>"));
    assert!(stdout.contains("DATABASE_URL = postgres://app:***@db.example:5432/llm (postgres)"));
    assert!(!stdout.contains(CANARY_SECRET) && !stdout.contains("hunter2"));
}

#[test]
fn config_check_refuses_placeholder_secrets_and_unknown_file_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = llm_manager(dir.path())
        .args(["config", "check"])
        .env("ENCRYPTION_KEY", "change-this-in-production")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ENCRYPTION_KEY: looks like a placeholder"),
        "{stderr}"
    );
    assert!(!stderr.contains("change-this-in-production"));

    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "listen = \"x\"\n").unwrap();
    let out = llm_manager(dir.path())
        .args(["--config", config.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key `listen`"));
}

#[test]
fn migrate_then_backup_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let out = llm_manager(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(" migration(s):"));
    let out = llm_manager(dir.path()).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("database is up to date"));

    let backup = dir.path().join("backup.db");
    let out = llm_manager(dir.path())
        .args(["backup", "--output", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let header = std::fs::read(&backup).unwrap();
    assert!(header.starts_with(b"SQLite format 3\0"));
    // The backup is a working database: point the server's migrate at it.
    let out = llm_manager(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", format!("sqlite://{}", backup.display()))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("database is up to date"),
        "{}",
        text(&out)
    );
    // An existing output file is never overwritten.
    let out = llm_manager(dir.path())
        .args(["backup", "--output", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("already exists"));
}

#[test]
fn backup_on_postgres_explains_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let out = llm_manager(dir.path())
        .args(["backup", "--output", "x.dump"])
        .env("DATABASE_URL", admin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump --format=custom"));
}

/// A running server process, stopped with SIGTERM. Its output goes to files (a pipe nobody
/// reads would fill up at LOG_LEVEL=trace and stall the server).
struct Server {
    child: std::process::Child,
    base: String,
    out_path: std::path::PathBuf,
    err_path: std::path::PathBuf,
}

impl Server {
    fn start(dir: &Path, envs: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut cmd = llm_manager(dir);
        cmd.arg("serve")
            .env("LLM_MANAGER_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::from(
                std::fs::File::create(dir.join("server.stdout")).unwrap(),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("server.stderr")).unwrap(),
            ));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut server = Self {
            child,
            base,
            out_path: dir.join("server.stdout"),
            err_path: dir.join("server.stderr"),
        };
        loop {
            if server.get("/health").is_some_and(|(s, _)| s == 200) {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                let out = server.stop_output();
                panic!("server exited early ({status}): {}", text(&out));
            }
            assert!(Instant::now() < deadline, "server did not become healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A minimal blocking HTTP GET (no client library needed for a loopback check).
    fn get(&self, path: &str) -> Option<(u16, String)> {
        self.request(path, &[])
    }

    fn request(&self, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
        use std::io::{Read, Write};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).ok()?;
        let mut buf = String::new();
        stream.read_to_string(&mut buf).ok()?;
        let status = buf.split(' ').nth(1)?.parse().ok()?;
        Some((status, buf))
    }

    fn stop_output(self) -> Output {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap()),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let mut child = self.child;
        let status = child.wait().unwrap();
        Output {
            status,
            stdout: std::fs::read(&self.out_path).unwrap_or_default(),
            stderr: std::fs::read(&self.err_path).unwrap_or_default(),
        }
    }
}

#[test]
fn secrets_never_reach_the_logs_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("data/app.db").display());
    let server = Server::start(
        dir.path(),
        &[
            ("SECRET_KEY", CANARY_SECRET),
            ("ENCRYPTION_KEY", CANARY_ENC),
            ("DATABASE_URL", &db_url),
            ("LOG_LEVEL", "trace"),
            ("LOG_FORMAT", "json"),
        ],
    );
    let bearer = format!("Bearer {CANARY_SECRET}");
    for path in [
        "/ready",
        "/api/system/info",
        "/api/nope?token=abc",
        "/metrics",
        "/",
    ] {
        let (status, body) = server
            .request(
                path,
                &[("Authorization", &bearer), ("X-Request-Id", "cli-test-1")],
            )
            .unwrap();
        assert!(status < 500, "{path}: {body}");
        assert!(!body.contains(CANARY_SECRET) && !body.contains(CANARY_ENC));
    }
    let out = server.stop_output();
    assert!(
        out.status.success(),
        "SIGTERM must end with status 0: {:?}",
        out.status
    );
    let logs = text(&out);
    assert!(
        !logs.contains(CANARY_SECRET),
        "secret key leaked into the logs"
    );
    assert!(
        !logs.contains(CANARY_ENC),
        "encryption key leaked into the logs"
    );
    assert!(!logs.contains("token=abc"), "query strings are not logged");
    let mut request_lines = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["span"]["name"] == "request" && v["span"]["path"] != "/health" {
            assert_eq!(v["span"]["request_id"], "cli-test-1", "{line}");
            request_lines += 1;
        }
    }
    assert!(request_lines >= 5, "every request logs with its request id");
    assert!(
        logs.contains("received SIGTERM") && logs.contains("\"stopped\""),
        "{logs}"
    );
}

#[test]
fn first_start_generates_private_secrets_and_later_starts_reuse_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("LOG_FORMAT", "json")]);
    let out = server.stop_output();
    assert!(
        text(&out).contains("generated new secrets"),
        "{}",
        text(&out)
    );
    let secrets_file = dir.path().join("data/secrets.toml");
    let first = std::fs::read_to_string(&secrets_file).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets_file)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for line in first.lines().filter(|l| l.contains(" = ")) {
        let value = line.split('"').nth(1).unwrap();
        assert!(!text(&out).contains(value), "a generated secret was logged");
    }
    let server = Server::start(dir.path(), &[("LOG_FORMAT", "json")]);
    let out = server.stop_output();
    assert!(text(&out).contains("using secrets generated on an earlier start"));
    assert_eq!(std::fs::read_to_string(&secrets_file).unwrap(), first);
}

#[test]
fn create_admin_works_once_and_the_server_then_offers_no_setup_token() {
    let dir = tempfile::tempdir().unwrap();
    // Before any admin exists the server prints a one-time setup URL.
    let server = Server::start(dir.path(), &[("LOG_FORMAT", "json")]);
    let logs = text(&server.stop_output());
    assert!(
        logs.contains("no admin account exists yet") && logs.contains("/setup?token="),
        "{logs}"
    );

    let out = create_admin(dir.path(), "root", "short");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("password must be at least 8 characters"),
        "{}",
        text(&out)
    );

    let out = create_admin(dir.path(), "root", "correct horse battery staple");
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created admin root ("));
    assert!(!text(&out).contains("correct horse"));

    let out = create_admin(dir.path(), "second", "another fine passphrase");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("an admin account already exists"),
        "{}",
        text(&out)
    );

    let server = Server::start(dir.path(), &[("LOG_FORMAT", "json")]);
    let logs = text(&server.stop_output());
    assert!(!logs.contains("/setup?token="), "{logs}");
}
