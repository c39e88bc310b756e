//! Building and running the application: connect the database, apply migrations, assemble the
//! router with its middleware, bind the listener, serve until a shutdown signal, then drain
//! in-flight requests and background tasks within the configured bound.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use chrono::Utc;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::config::secrets::{self, SecretsOutcome};
use crate::db::Database;
use crate::error::ErrorBody;
use crate::http::metrics::Metrics;
use crate::state::{AppInner, AppState};
use crate::{admin, auth, http, system, web};

/// The OpenAPI document's fixed parts; paths are collected from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "LLM Manager API",
        description = "Platform REST API of LLM Manager. Errors under /api use one envelope: \
                       {\"error\": {\"code\", \"message\", \"details\"}}.",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "system", description = "Health, readiness, metrics and instance facts"),
        (name = "auth", description = "Accounts, login, sessions and profile"),
        (name = "admin", description = "User management and the audit log (admins only)"),
    )
)]
struct ApiDoc;

/// The complete router (without middleware) and its OpenAPI document.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::new()
        .nest("/system", system::api_router())
        .nest("/auth", auth::router().merge(crate::oauth::auth_router()))
        .nest(
            "/admin",
            admin::router()
                .merge(crate::oauth::admin_router())
                .merge(crate::chat::admin_router())
                .merge(crate::usage::admin_router())
                .merge(crate::limits::admin_router())
                .nest("/providers", crate::providers::admin_router()),
        )
        .nest("/providers", crate::providers::router())
        .nest(
            "/keys",
            crate::keys::router().merge(crate::limits::keys_router()),
        )
        .nest("/files", crate::files::router())
        .nest("/models", crate::models::router())
        .nest("/downloads", crate::downloads::router())
        .nest("/deployments", crate::deployments::router())
        .nest("/monitor", crate::monitor::router())
        .nest("/llm", crate::chat::router())
        .nest("/share", crate::chat::share_router());
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(system::root_router())
        .nest("/api", api)
        .split_for_parts();
    (router, http::openapi::finish(doc))
}

/// The complete application router for `state`: every feature, the OpenAPI document, the
/// web UI fallback and the middleware stack.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = routes();
    let openapi_json = http::openapi_strings::to_json(&openapi);
    let routes = routes
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let body = openapi_json.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        )
        .nest("/v1", crate::gateway::router())
        .fallback(web::fallback);
    http::apply_middleware(routes.with_state(state.clone()), &state)
}

/// A built application, bound to its address and ready to serve.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Prepares everything the server needs; any problem is reported before the port opens.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        ensure_data_dir(&config)?;
        let secrets = resolve_secrets(&config)?;
        let db = open_database(&config).await?;
        let (redis, redis_client) = match &config.redis_url {
            Some(url) => {
                let (conn, client) = connect_redis(url.expose_secret()).await?;
                (Some(conn), Some(client))
            }
            None => (None, None),
        };
        let cache_ttl = crate::cluster::cache_ttl(redis.is_some());
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("LLM_MANAGER_ADDR={}: cannot listen", config.addr))?;
        if config.public_url.is_none() {
            config.public_url = url::Url::parse(&bound_url(listener.local_addr()?)).ok();
        }
        let metrics = Metrics::new(crate::VERSION, db.backend.as_str())?;
        let auth = auth::AuthState::new(&secrets);
        let vault = crate::crypto::Vault::new(&secrets)?;
        let mailer = crate::mail::Mailer::from_config(&config)?;
        if let Some(token) = auth::registration::prepare_setup_token(&db.conn, &auth.keys).await? {
            tracing::warn!(
                setup_url = %format!("{}/setup?token={token}", config.base_url()),
                "no admin account exists yet: open the setup URL to create one (the token works once, until the next restart), or run `llm-manager create-admin`"
            );
        }
        let (usage, usage_rx) =
            crate::usage::UsageSender::channel(metrics.llm.dropped_events.clone());
        let mut llm = crate::llm::LlmState::new(usage);
        llm.hooks = Box::new(crate::limits::hooks::Metered);
        llm.tokenizer.warm();
        let outbound = crate::net::OutboundClients::new(config.gateway.outbound_allow.clone());
        let config_models = config.models.clone();
        let data_dir_for_monitor = config.data_dir.clone();
        let config_gateway_allow = config.gateway.outbound_allow.clone();
        std::fs::create_dir_all(&config_models.dir).with_context(|| {
            format!("MODELS_DIR={}: cannot create", config_models.dir.display())
        })?;
        let state = AppState::new(AppInner {
            config,
            secrets,
            vault,
            mailer,
            auth,
            db,
            redis,
            metrics,
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            started_at: Utc::now(),
            llm,
            outbound,
            chat: crate::chat::ChatState::default(),
            limits: crate::limits::LimitState::new(cache_ttl),
            key_cache: crate::keys::cache::KeyCache::new(cache_ttl),
            hubs: crate::models::Hubs::new(&config_models)?,
            downloads: crate::downloads::DownloadState::new(
                config_models.concurrency,
                config_gateway_allow,
            )?,
            deployments: crate::deployments::Supervisors::new()?,
            monitor: crate::monitor::MonitorState::new(
                &data_dir_for_monitor,
                &config_models.dir,
                std::sync::Arc::new(crate::monitor::gpu::NvmlSource::load()),
            ),
        });
        if let Some(client) = redis_client {
            crate::cluster::spawn_listener(&state, client);
        }
        crate::usage::writer::spawn_writer(
            state.db.clone(),
            usage_rx,
            &state.tasks,
            state.shutdown.clone(),
        );
        let models = crate::models::registry::rescan(&state).await?;
        tracing::info!(models, dir = %state.config.models.dir.display(), "model registry scanned");
        crate::downloads::engine::resume_all(&state).await?;
        crate::deployments::service::resume_all(&state).await?;
        crate::monitor::start(&state).await?;
        Ok(Self { listener, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The shared state, e.g. for tests that reach behind the HTTP API.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Cancelling this token shuts the server down as a signal would.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// Serves until SIGTERM/SIGINT or the shutdown token, then gives in-flight requests and
    /// background tasks `SHUTDOWN_TIMEOUT_SECS` to finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self { listener, state } = self;
        let shutdown = state.shutdown.clone();
        let grace = state.config.http.shutdown_timeout;
        let signal_token = shutdown.clone();
        let signals = state.tasks.spawn(async move {
            tokio::select! {
                () = wait_for_signal() => signal_token.cancel(),
                () = signal_token.cancelled() => {}
            }
        });
        tracing::info!(
            addr = %listener.local_addr()?,
            database = state.db.backend.as_str(),
            version = crate::VERSION,
            "listening"
        );
        let app = router(state.clone());
        let http = &state.config.http;
        let limits = crate::http::serve::ConnectionLimits {
            header_read_timeout: http.header_read_timeout,
            max_connections: http.max_connections,
            max_per_ip: http.max_connections_per_ip,
            trusted_proxies: http.trusted_proxies.clone(),
        };
        let refused = state.metrics.connections_refused.clone();
        let server = crate::http::serve::serve(listener, app, limits, refused, shutdown.clone());
        let mut server = std::pin::pin!(server);
        tokio::select! {
            () = &mut server => {}
            () = shutdown.cancelled() => {
                tracing::info!(grace_secs = grace.as_secs(), "shutting down: draining requests");
                if tokio::time::timeout(grace, &mut server).await.is_err() {
                    tracing::warn!("in-flight requests did not finish in time; closing them");
                }
            }
        }
        signals.abort();
        state.tasks.close();
        if tokio::time::timeout(grace, state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("background tasks did not stop in time");
        }
        state.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Creates the data dir (private: 0700) and proves it is writable, naming the setting if not.
/// Everything this process creates from here on is private too (umask 077: the database and
/// its WAL, generated secrets, the outbox, uploads, avatars, backups are 0600 or 0700).
fn ensure_data_dir(config: &Config) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let dir = &config.data_dir;
    let fail = |what: &str, e: std::io::Error| {
        anyhow::anyhow!("LLM_MANAGER_DATA_DIR={}: {what}: {e}", dir.display())
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("cannot create directory", e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| fail("cannot make the directory private (chmod 700)", e))?;
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"ok").map_err(|e| fail("not writable", e))?;
    std::fs::remove_file(&probe).map_err(|e| fail("not writable", e))?;
    Ok(())
}

async fn connect_redis(
    url: &str,
) -> anyhow::Result<(redis::aio::ConnectionManager, redis::Client)> {
    let shown = crate::config::redact_url(url);
    let client = redis::Client::open(url).with_context(|| format!("REDIS_URL={shown}: invalid"))?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(std::time::Duration::from_secs(5)))
        .set_number_of_retries(1);
    let mut conn = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        redis::aio::ConnectionManager::new_with_config(client.clone(), config),
    )
    .await
    .map_err(|_| anyhow::anyhow!("REDIS_URL={shown}: cannot connect: timed out"))?
    .with_context(|| format!("REDIS_URL={shown}: cannot connect"))?;
    redis::cmd("PING")
        .query_async::<String>(&mut conn)
        .await
        .with_context(|| format!("REDIS_URL={shown}: PING failed"))?;
    Ok((conn, client))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn wait_for_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = term => tracing::info!("received SIGTERM"),
    }
}

/// The secrets, saying where they came from.
fn resolve_secrets(config: &Config) -> anyhow::Result<secrets::Secrets> {
    let (secrets, outcome) = secrets::resolve(config)?;
    match &outcome {
        SecretsOutcome::Configured => {}
        SecretsOutcome::Loaded(path) => {
            tracing::info!(file = %path.display(), "using secrets generated on an earlier start");
        }
        SecretsOutcome::Generated(path, names) => tracing::warn!(
            file = %path.display(),
            generated = ?names,
            "generated new secrets (mode 0600); back this file up with the database"
        ),
    }
    Ok(secrets)
}

/// Connects, migrates and marks replies cut off by the last stop.
async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(&config.database).await?;
    let report = db.migrate().await?;
    if let Some(backup) = &report.backup {
        tracing::info!(backup = %backup.display(), "backed up the database before migrating");
    }
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "applied database migrations");
    }
    system::service::record_installation(&db).await?;
    let interrupted = crate::chat::store::mark_interrupted(&db.conn).await?;
    if interrupted > 0 {
        tracing::warn!(
            messages = interrupted,
            "replies cut off by the last stop are marked incomplete"
        );
    }
    Ok(db)
}

/// Links need a reachable address: the bound port (useful with port 0), and `localhost` for
/// a wildcard bind. Behind a proxy, set PUBLIC_URL.
fn bound_url(bound: SocketAddr) -> String {
    if bound.ip().is_unspecified() {
        return format!("http://localhost:{}", bound.port());
    }
    match bound.ip() {
        std::net::IpAddr::V6(ip) => format!("http://[{ip}]:{}", bound.port()),
        std::net::IpAddr::V4(ip) => format!("http://{ip}:{}", bound.port()),
    }
}
