//! Processes a previous start of the server left behind (it was killed, and its deployments'
//! processes were not): one still serving is re-adopted rather than started twice; one that
//! no longer answers is killed so it frees its memory and port. A process counts as the
//! deployment's only when its command line names the deployment's port and model file, so a
//! pid the kernel has since given to another program is never touched.

use std::time::Duration;

use super::store::DeploymentRow;
use super::{process, status};
use crate::state::AppState;

/// What a deployment's recorded process is now.
pub enum Leftover {
    /// Nothing of it runs.
    None,
    /// It runs and answers `/health`.
    Serving {
        /// Its process.
        pid: u32,
        /// Its port.
        port: u16,
    },
}

/// The command line of `pid`, one argument per item.
fn command_line(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `pid` is the process started for `row` on `port` serving `model`.
fn is_ours(pid: u32, port: u16, model: &str) -> bool {
    let args = command_line(pid);
    let port = port.to_string();
    args.iter()
        .any(|a| *a == port || a.ends_with(&format!(":{port}")))
        && args.iter().any(|a| a.contains(model))
}

/// Looks at `row`'s recorded process: re-adoptable, or killed when it runs but does not
/// answer.
pub async fn leftover(state: &AppState, row: &DeploymentRow) -> Leftover {
    let live = [status::RUNNING, status::STARTING, status::UNHEALTHY];
    if !live.contains(&row.status.as_str()) {
        return Leftover::None;
    }
    let (Some(pid), Some(port)) = (
        row.pid.and_then(|p| u32::try_from(p).ok()),
        row.port.and_then(|p| u16::try_from(p).ok()),
    ) else {
        return Leftover::None;
    };
    let Ok(prepared) = super::service::launch_for(state, row).await else {
        return Leftover::None;
    };
    let model = prepared.model.display().to_string();
    if !process::alive(pid) || !is_ours(pid, port, &model) {
        return Leftover::None;
    }
    let url = format!("http://127.0.0.1:{port}/health");
    let answers = state
        .deployments
        .client
        .get(&url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    if answers {
        return Leftover::Serving { pid, port };
    }
    tracing::warn!(deployment = %row.name, pid, "deployment: killing a leftover process that does not answer");
    if let Ok(p) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(p),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    Leftover::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_process_naming_the_port_and_model_is_ours() {
        let me = std::process::id();
        let args = command_line(me);
        assert!(!args.is_empty());
        let program = args[0].clone();
        // This test binary names neither a port nor a model.
        assert!(!is_ours(me, 1, "/nowhere/model.gguf"));
        assert!(!is_ours(u32::MAX - 1, 1, &program));
        assert!(process::alive(me));
        assert!(!process::alive(u32::MAX - 1));
    }
}
