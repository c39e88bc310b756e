//! The process a supervisor watches: a child it started, or one a previous start of the
//! server left serving (re-adopted, watched through `/proc` and stopped by signals).

use std::time::{Duration, Instant};

use tokio::process::Child;

use super::supervisor::{Ended, GRACE, exited, terminate};

/// A process being watched: one we started, or one a previous run of the server started
/// that is still serving (re-adopted at start).
pub(super) enum Proc {
    /// Started by us.
    Child(Child),
    /// Left by a previous start of the server.
    Adopted(u32),
}

impl Proc {
    pub(super) fn id(&self) -> Option<u32> {
        match self {
            Self::Child(c) => c.id(),
            Self::Adopted(pid) => Some(*pid),
        }
    }

    /// Waits until the process ends.
    pub(super) async fn ended(&mut self, starting: bool) -> Ended {
        match self {
            Self::Child(c) => exited(c.wait().await, starting),
            Self::Adopted(pid) => {
                while alive(*pid) {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Ended::Crashed("the re-adopted process ended".into())
            }
        }
    }

    /// SIGTERM, then SIGKILL after the grace period.
    pub(super) async fn terminate(&mut self) {
        match self {
            Self::Child(child) => terminate(child).await,
            Self::Adopted(pid) => {
                signal(*pid, nix::sys::signal::Signal::SIGTERM);
                let deadline = Instant::now() + GRACE;
                while alive(*pid) && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                signal(*pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }
}

fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig);
    }
}

/// Whether a process runs (a zombie of ours counts as ended).
pub(super) fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command's closing parenthesis.
    !matches!(
        stat.rsplit(')')
            .next()
            .map(str::trim_start)
            .and_then(|r| r.chars().next()),
        Some('Z' | 'X') | None
    )
}
