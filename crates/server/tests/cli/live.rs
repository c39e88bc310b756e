//! A running `llm-manager serve` for end-to-end tests over real HTTP: its logs go to files (trace
//! output would fill a pipe nobody reads and stall the server), readiness is polled on `/health`
//! with a deadline, and SIGTERM stops it. [`Http`] keeps every response (status line, headers and
//! body) so a test can search all of them for secrets afterwards.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use super::{free_port, llm_manager};

/// The password every admin made by these tests has.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A server process whose stdout and stderr are written to `<dir>/<name>.out` and `.err`.
pub struct LiveServer {
    child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    logs: [PathBuf; 2],
}

impl LiveServer {
    /// Starts `serve` on a free loopback port with the data dir of `dir` and waits until
    /// `GET /health` answers 200 (or panics with the logs after 30 s or an early exit).
    pub async fn start(dir: &Path, name: &str, envs: &[(&str, &str)]) -> Self {
        let mut cmd = llm_manager(dir);
        cmd.arg("serve");
        Self::spawn(cmd, dir, name, envs).await
    }

    /// As [`LiveServer::start`], with `models_dir` a fresh tmpfs of `size` (e.g. `48m`) in a
    /// mount namespace of the server's own (`unshare`), so a test can fill that disk.
    pub async fn start_on_small_disk(
        dir: &Path,
        name: &str,
        envs: &[(&str, &str)],
        models_dir: &Path,
        size: &str,
    ) -> Self {
        std::fs::create_dir_all(models_dir).unwrap();
        let plain = llm_manager(dir);
        let script = r#"mount -t tmpfs -o "size=$1" none "$2" && exec "$3" serve"#;
        let mut cmd = std::process::Command::new("unshare");
        cmd.args(["-rm", "sh", "-c", script, "sh", size])
            .arg(models_dir)
            .arg(super::BIN)
            .env_clear()
            .envs(plain.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .current_dir(dir)
            .stdin(Stdio::null());
        Self::spawn(cmd, dir, name, envs).await
    }

    async fn spawn(
        mut cmd: std::process::Command,
        dir: &Path,
        name: &str,
        envs: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let logs = [
            dir.join(format!("{name}.out")),
            dir.join(format!("{name}.err")),
        ];
        cmd.env("LLM_MANAGER_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::from(std::fs::File::create(&logs[0]).unwrap()))
            .stderr(Stdio::from(std::fs::File::create(&logs[1]).unwrap()));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        let mut server = Self {
            child: cmd.spawn().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            logs,
        };
        let client = client();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = client.get(format!("{}/health", server.base)).send().await;
            if health.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("server exited early ({status}): {}", server.read_logs());
            }
            assert!(
                Instant::now() < deadline,
                "server did not become healthy: {}",
                server.read_logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// `kill -9`: no shutdown, no last checkpoint.
    pub async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    fn read_logs(&self) -> String {
        self.logs
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }

    /// Sends SIGTERM, waits (at most 30 s) for the exit and returns its status and everything
    /// the process wrote to stdout and stderr.
    pub async fn stop(mut self) -> (ExitStatus, String) {
        let pid = i32::try_from(self.child.id().unwrap()).unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the server did not stop within 30 s of SIGTERM")
            .unwrap();
        (status, self.read_logs())
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One response as received.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body text (a stream read to its end).
    pub body: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A client of one server that records every response it gets.
pub struct Http {
    client: reqwest::Client,
    base: String,
    /// `METHOD PATH -> STATUS`, the response headers and the body, one entry per call.
    pub transcript: Vec<String>,
}

impl Http {
    /// A client of `server`.
    pub fn new(server: &LiveServer) -> Self {
        Self {
            client: client(),
            base: server.base.clone(),
            transcript: Vec::new(),
        }
    }

    /// Sends a request with an optional bearer token and JSON body; records the response.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let mut record = format!("{method} {path} -> {status}\n");
        for (name, value) in res.headers() {
            record.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let body = res.text().await.unwrap();
        record.push('\n');
        record.push_str(&body);
        self.transcript.push(record);
        Reply { status, body }
    }

    /// Logs in with a password (no second factor) and returns the access token.
    pub async fn login(&mut self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"username": username, "password": password});
        let reply = self
            .call(Method::POST, "/api/auth/login", None, Some(body))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }
}

/// `<dir>/data/llm-manager.db`, the default SQLite database.
pub fn database_path(dir: &Path) -> PathBuf {
    dir.join("data/llm-manager.db")
}

/// Runs one query returning text values against the SQLite file (with the server stopped).
pub async fn query_strings(dir: &Path, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(database_path(dir));
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let values = sqlx::query_scalar::<_, String>(sql)
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    values
}

/// An OpenAI chat request with one user message.
pub fn chat(model: &str, text: &str, stream: bool) -> Value {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "stream": stream,
    })
}
