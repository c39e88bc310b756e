//! Runs deployments: each one that should run has a task here that starts its process, waits
//! for `/health`, opens its route, watches it (exit, or three failed health checks in a row),
//! and after a crash starts it again with exponential back-off, until five crashes within ten
//! minutes mark it failed with the reason and the last lines it printed. A stop (or the
//! server's shutdown) sends SIGTERM, then SIGKILL after ten seconds.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::logs::Log;
use super::process::Proc;
use super::store::{self, DeploymentRow, RunState};
use super::{backend, register, status};
use crate::state::AppState;

/// How long a process may take to answer `/health` after it starts (model loading).
const STARTUP: Duration = Duration::from_secs(300);
/// Between health checks while running.
pub(super) const HEALTH_EVERY: Duration = Duration::from_secs(3);
/// Failed checks in a row that count as a crash.
pub(super) const HEALTH_FAILURES: u32 = 3;
/// Crashes within `CRASH_WINDOW` that mark a deployment failed.
const CRASH_LIMIT: usize = 5;
const CRASH_WINDOW: Duration = Duration::from_secs(600);
/// Time a stopped process gets between SIGTERM and SIGKILL.
pub(super) const GRACE: Duration = Duration::from_secs(10);
/// The engine's exit status for a model it cannot serve (no point in retrying).
const EXIT_UNSERVABLE: i32 = 3;

/// How one run of the process ended.
pub(super) enum Ended {
    /// Stopped on purpose (by a user or the shutdown).
    Stopped,
    /// It exited or stopped answering.
    Crashed(String),
    /// It cannot work: do not retry.
    Fatal(String),
}

/// Supervises deployment `id` until it is stopped or fails; `adopt` is a process (pid, port)
/// a previous run of the server left serving, watched before any new one is started.
pub async fn supervise(
    state: AppState,
    id: Uuid,
    stop: CancellationToken,
    adopt: Option<(u32, u16)>,
) {
    let log = state.deployments.log(&state, id);
    let mut crashes: VecDeque<Instant> = VecDeque::new();
    let mut attempt = 0u32;
    let mut adopt = adopt;
    loop {
        let row = match store::get(&state.db.conn, id).await {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(e) => {
                log.push(&format!("[supervisor] cannot read the deployment: {e}"));
                return;
            }
        };
        let ended = match adopt.take() {
            Some((pid, port)) => {
                log.push(&format!("[supervisor] re-adopted process {pid} on port {port}, left running by the previous start of the server (its output is not captured)"));
                watch(&state, &row, Proc::Adopted(pid), port, &stop).await
            }
            None if row.backend == "ollama" => super::ollama::run(&state, &row, &stop).await,
            None => run_once(&state, &row, &log, &stop).await,
        };
        let _ = register::route(&state, row.provider_id, None).await;
        let (reason, fatal) = match ended {
            Ended::Stopped => {
                record(
                    &state,
                    &row,
                    status::STOPPED,
                    None,
                    None,
                    row.restarts,
                    None,
                )
                .await;
                log.push("[supervisor] stopped");
                return;
            }
            Ended::Crashed(reason) => (reason, false),
            Ended::Fatal(reason) => (reason, true),
        };
        let now = Instant::now();
        crashes.push_back(now);
        while crashes
            .front()
            .is_some_and(|t| now.duration_since(*t) > CRASH_WINDOW)
        {
            crashes.pop_front();
        }
        let restarts = row.restarts + 1;
        log.push(&format!("[supervisor] {reason}"));
        if fatal || crashes.len() >= CRASH_LIMIT {
            let why = if fatal {
                reason
            } else {
                format!("crashed {CRASH_LIMIT} times within 10 minutes; the last time: {reason}")
            };
            let tail = log.tail(5).join(" | ");
            let message = format!("{why} (last output: {tail})");
            // Not started again by itself, nor at the next start of the server.
            let _ = store::set_should_run(&state.db.conn, id, false).await;
            record(
                &state,
                &row,
                status::FAILED,
                None,
                None,
                restarts,
                Some(message),
            )
            .await;
            return;
        }
        record(
            &state,
            &row,
            status::STARTING,
            None,
            None,
            restarts,
            Some(reason),
        )
        .await;
        let wait = state.config.deployments.backoff * (1 << attempt.min(5));
        attempt += 1;
        tokio::select! {
            () = stop.cancelled() => {
                record(&state, &row, status::STOPPED, None, None, restarts, None).await;
                return;
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

pub(super) async fn record(
    state: &AppState,
    row: &DeploymentRow,
    status: &str,
    port: Option<u16>,
    pid: Option<u32>,
    restarts: i32,
    last_error: Option<String>,
) {
    let s = RunState {
        status: status.to_owned(),
        port: port.map(i32::from),
        pid: pid.and_then(|p| i32::try_from(p).ok()),
        restarts,
        last_error,
    };
    if let Err(e) = store::set_run_state(&state.db.conn, row.id, s).await {
        tracing::error!(deployment = %row.id, error = %e, "cannot record a deployment's state");
    }
    state.deployments.set_process(row.id, &row.name, pid);
    state.deployments.notify(row.id);
}

/// A free loopback port (or the fixed one).
fn port_for(row: &DeploymentRow) -> Result<u16, String> {
    if let Some(p) = row.fixed_port.and_then(|p| u16::try_from(p).ok()) {
        return Ok(p);
    }
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

async fn run_once(
    state: &AppState,
    row: &DeploymentRow,
    log: &Arc<Log>,
    stop: &CancellationToken,
) -> Ended {
    let prepared = match super::service::launch_for(state, row).await {
        Ok(p) => p,
        Err(reason) => return Ended::Fatal(reason),
    };
    let port = match port_for(row) {
        Ok(p) => p,
        Err(reason) => return Ended::Crashed(reason),
    };
    let config = &state.config.deployments;
    let programs = backend::Programs {
        engine: &config.engine_program,
        llama_cpp: &config.llama_cpp_server,
        vllm: &config.vllm_server,
        sglang: &config.sglang_server,
    };
    let launch = match backend::launch(row, &programs, &prepared.model, port, &prepared.key) {
        Ok(l) => l,
        Err(reason) => return Ended::Fatal(reason),
    };
    log.push(&format!(
        "[supervisor] starting {} on port {port}",
        launch.program.display()
    ));
    let mut child = match Command::new(&launch.program)
        .args(&launch.args)
        .env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Ended::Fatal(format!("cannot start `{}`: {e}", launch.program.display())),
    };
    let pid = child.id();
    record(
        state,
        row,
        status::STARTING,
        Some(port),
        pid,
        row.restarts,
        None,
    )
    .await;
    pipe(state, &mut child, log);
    watch(state, row, Proc::Child(child), port, stop).await
}

/// Copies the process's output into its log, line by line (the readers end with the process).
fn pipe(state: &AppState, child: &mut Child, log: &Arc<Log>) {
    let out = child
        .stdout
        .take()
        .map(|o| Box::new(o) as Box<dyn AsyncRead + Send + Unpin>);
    let err = child
        .stderr
        .take()
        .map(|e| Box::new(e) as Box<dyn AsyncRead + Send + Unpin>);
    for stream in [out, err].into_iter().flatten() {
        let log = log.clone();
        state.tasks.spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                log.push(&line);
            }
        });
    }
}

async fn healthy(client: &reqwest::Client, url: &str) -> bool {
    client
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

pub(super) fn exited(status: std::io::Result<std::process::ExitStatus>, starting: bool) -> Ended {
    use std::os::unix::process::ExitStatusExt as _;
    let status = match status {
        Ok(s) => s,
        Err(e) => return Ended::Crashed(format!("lost the process: {e}")),
    };
    if status.code() == Some(EXIT_UNSERVABLE) && starting {
        return Ended::Fatal("the engine cannot serve this model".into());
    }
    match (status.code(), status.signal()) {
        (Some(code), _) => Ended::Crashed(format!("the process exited with status {code}")),
        (None, Some(signal)) => {
            Ended::Crashed(format!("the process was killed by signal {signal}"))
        }
        (None, None) => Ended::Crashed("the process ended".into()),
    }
}

/// SIGTERM, then SIGKILL after the grace period.
pub(super) async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

/// Waits for the process to answer, opens its route, and watches it until it ends or stops.
async fn watch(
    state: &AppState,
    row: &DeploymentRow,
    mut child: Proc,
    port: u16,
    stop: &CancellationToken,
) -> Ended {
    let url = format!("http://127.0.0.1:{port}/health");
    let client = state.deployments.client.clone();
    let pid = child.id();
    let began = Instant::now();
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                child.terminate().await;
                return Ended::Stopped;
            }
            ended = child.ended(true) => return ended,
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        if healthy(&client, &url).await {
            break;
        }
        if began.elapsed() > STARTUP {
            child.terminate().await;
            return Ended::Crashed(format!(
                "it did not answer /health within {} s",
                STARTUP.as_secs()
            ));
        }
    }
    // The route first: `running` means it can be called.
    if let Err(e) = register::route(state, row.provider_id, Some(port)).await {
        tracing::error!(deployment = %row.id, error = %e, "cannot open a deployment's route");
    }
    record(
        state,
        row,
        status::RUNNING,
        Some(port),
        pid,
        row.restarts,
        None,
    )
    .await;
    state
        .deployments
        .log(state, row.id)
        .push(&format!("[supervisor] running on port {port}"));
    let mut failures = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                child.terminate().await;
                return Ended::Stopped;
            }
            ended = child.ended(false) => return ended,
            () = tokio::time::sleep(HEALTH_EVERY) => {}
        }
        if healthy(&client, &url).await {
            if failures > 0 {
                record(
                    state,
                    row,
                    status::RUNNING,
                    Some(port),
                    pid,
                    row.restarts,
                    None,
                )
                .await;
            }
            failures = 0;
            continue;
        }
        failures += 1;
        if failures >= HEALTH_FAILURES {
            child.terminate().await;
            return Ended::Crashed(format!("it stopped answering /health ({failures} checks)"));
        }
        record(
            state,
            row,
            status::UNHEALTHY,
            Some(port),
            pid,
            row.restarts,
            None,
        )
        .await;
    }
}
