//! Setting up a data directory the way an operator does: `create-admin` with the password on
//! standard input.

use std::path::Path;
use std::process::{Output, Stdio};

use super::llm_manager;

/// `create-admin --username NAME --email NAME@example.com --password-stdin`.
pub fn create_admin(dir: &Path, username: &str, password: &str) -> Output {
    create_admin_with(dir, username, password, &[])
}

pub fn create_admin_with(
    dir: &Path,
    username: &str,
    password: &str,
    envs: &[(&str, &str)],
) -> Output {
    use std::io::Write;
    let mut cmd = llm_manager(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args([
            "create-admin",
            "--username",
            username,
            "--email",
            &format!("{username}@example.com"),
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
