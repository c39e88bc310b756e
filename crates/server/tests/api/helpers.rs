//! `TestApp`: the real application on a fresh database (a SQLite file in a temp dir, or a new
//! PostgreSQL database per test), served on a loopback port, with typed request helpers.

use std::net::SocketAddr;

use llm_manager::Application;
use llm_manager::config::{Config, DatabaseBackend};
use llm_manager::state::AppState;
use secrecy::SecretString;
use sqlx::Connection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: $crate::helpers::Backend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { run($crate::helpers::Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { run($crate::helpers::Backend::Postgres).await }
        }
    )*};
}

/// Admin URL of the local PostgreSQL used to create per-test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh, empty database of the given backend, removed when dropped.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: tempfile::TempDir,
    /// Directory to use as the data dir.
    pub data_dir: std::path::PathBuf,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        match backend {
            Backend::Sqlite => Self {
                url: format!("sqlite://{}", data_dir.join("test.db").display()),
                backend,
                pg_name: None,
                _dir: dir,
                data_dir,
            },
            Backend::Postgres => {
                let name = format!("llmm_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
                    .await
                    .expect(
                        "PostgreSQL must be running on 127.0.0.1:5432 (scripts/test.sh starts it)",
                    );
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&postgres_admin_url()).expect("admin url");
                url.set_path(&name);
                Self {
                    url: url.to_string(),
                    backend,
                    pg_name: Some(name),
                    _dir: dir,
                    data_dir,
                }
            }
        }
    }

    /// A configuration for this database with strong test secrets and an ephemeral port.
    pub fn config(&self) -> Config {
        let mut config = Config::with_data_dir(&self.data_dir).expect("default config");
        config.addr = "127.0.0.1:0".parse().expect("addr");
        config.database.url = SecretString::from(self.url.clone());
        config.database.backend = match self.backend {
            Backend::Sqlite => DatabaseBackend::Sqlite,
            Backend::Postgres => DatabaseBackend::Postgres,
        };
        config.database.max_connections = 5;
        config.secret_key = Some(SecretString::from(
            "test-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEF".to_owned(),
        ));
        config.encryption_key = Some(SecretString::from(
            "test-encryption-0123456789abcdefghijklmnopqrstuvwxyzAB".to_owned(),
        ));
        config.http.shutdown_timeout = std::time::Duration::from_secs(5);
        config
    }

    async fn sqlite(&self) -> sqlx::SqliteConnection {
        use std::str::FromStr;
        std::fs::create_dir_all(&self.data_dir).expect("data dir");
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&self.url)
            .expect("sqlite url")
            .create_if_missing(true);
        sqlx::SqliteConnection::connect_with(&options)
            .await
            .expect("connect")
    }

    /// Runs SQL directly against the database, outside the application.
    pub async fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut c = self.sqlite().await;
                sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::raw_sql(sql).execute(&mut c).await.expect("execute");
            }
        }
    }

    /// Runs a query returning one integer.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => {
                let mut c = self.sqlite().await;
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("query")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url)
                    .await
                    .expect("connect");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut c)
                    .await
                    .expect("query")
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async context guarantees: use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// The application running on a loopback port.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: TestDatabase,
    shutdown: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts the app with the default test configuration.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the app after letting the test adjust the configuration.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let db = TestDatabase::create(backend).await;
        let mut config = db.config();
        adjust(&mut config);
        Self::start(db, config).await
    }

    /// Starts the app on an existing test database.
    pub async fn start(db: TestDatabase, config: Config) -> Self {
        let app = Application::build(config)
            .await
            .expect("application builds");
        let addr = app.local_addr().expect("bound");
        let state = app.state().clone();
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        Self {
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            state,
            db,
            shutdown,
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.json().await.expect("JSON body"))
    }

    /// Another server on the same database and data dir (a second instance behind a load
    /// balancer), stopped when the returned value is dropped.
    pub async fn another_instance(&self, adjust: impl FnOnce(&mut Config)) -> Instance {
        let mut config = self.db.config();
        adjust(&mut config);
        let app = Application::build(config)
            .await
            .expect("second instance builds");
        let addr = app.local_addr().expect("bound");
        let shutdown = app.shutdown_token();
        tokio::spawn(app.run_until_stopped());
        Instance { addr, shutdown }
    }

    /// Stops the server gracefully and returns its database for another start.
    pub async fn stop(self) -> TestDatabase {
        self.shutdown.cancel();
        if let Some(server) = self.server {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        self.db
    }
}

/// A second server instance (see [`TestApp::another_instance`]).
pub struct Instance {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
}

impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Serves an extra router (built by the test) through the application's real middleware
/// stack and state, for exercising extractors, panics and timeouts on purpose-built routes.
pub async fn serve_with_app_middleware(
    state: &AppState,
    routes: axum::Router<AppState>,
) -> (SocketAddr, CancellationToken) {
    let app = llm_manager::http::apply_middleware(routes.with_state(state.clone()), state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let token = CancellationToken::new();
    let stop = token.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
    });
    (addr, token)
}

/// A logged-in user in a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// A password that passes the rules.
pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `method path` with a bearer token and an optional JSON body.
    pub async fn send_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.send_as(token, reqwest::Method::GET, path, None).await
    }

    /// Registers `username` with `PASSWORD`.
    pub async fn register(&self, username: &str) -> serde_json::Value {
        let res = self
            .post_json(
                "/api/auth/register",
                &serde_json::json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), 201, "register {username}");
        res.json().await.expect("user JSON")
    }

    /// Logs in and returns the tokens.
    pub async fn login(&self, username: &str, password: &str) -> TestUser {
        let res = self
            .post_json(
                "/api/auth/login",
                &serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "login {username}");
        let body: serde_json::Value = res.json().await.expect("tokens");
        TestUser {
            id: body["user"]["id"].as_str().expect("id").to_owned(),
            access_token: body["access_token"].as_str().expect("access").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// Registers and logs in a user.
    pub async fn user(&self, username: &str) -> TestUser {
        self.register(username).await;
        self.login(username, PASSWORD).await
    }

    /// Creates the first admin as `create-admin` does, and logs in.
    pub async fn admin(&self) -> TestUser {
        llm_manager::auth::registration::bootstrap_admin(
            &self.state.db.conn,
            &self.state.auth.keys,
            None,
            "root",
            "root@example.com",
            PASSWORD,
        )
        .await
        .expect("bootstrap admin");
        self.login("root", PASSWORD).await
    }
}

/// Undoes quoted-printable soft breaks and `=3D`, enough to find links in a mail.
pub fn unfold_mail(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The token of the first `…/{path}?token=…` link in a mail.
pub fn link_token(mail: &str, path: &str) -> Option<String> {
    let text = unfold_mail(mail);
    let start = text.find(&format!("/{path}?token="))? + path.len() + 8;
    Some(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

impl TestApp {
    /// Mails written to the outbox so far.
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.db.data_dir.join("outbox");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("mail"))
            .collect()
    }

    /// Waits (with a deadline) until the outbox holds `n` mails, and returns them.
    pub async fn wait_for_mails(&self, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let mails = self.outbox();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "expected {n} mails, have {}",
                mails.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
