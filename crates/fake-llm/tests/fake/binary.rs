//! The `fake-llm` binary: prints its address, serves, and exits cleanly on SIGTERM.

use std::process::Stdio;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_serves_the_configured_reply_until_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-llm"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--reply",
            "from the binary",
            "--models",
            "m1,m2",
            "--chunk-words",
            "2",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await.unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    let v: Value = reqwest::Client::new()
        .post(format!("{url}/v1/chat/completions"))
        .json(&json!({"model": "m2", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    kill(pid, Signal::SIGTERM).unwrap();
    let status = child.wait().await.unwrap();

    assert_eq!(v["choices"][0]["message"]["content"], "from the binary");
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
}
