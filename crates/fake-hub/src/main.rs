//! `fake-hub`: the fake model hubs as a program, for the end-to-end test and the download
//! benchmark. Prints `fake-hub listening on http://ADDR` once it accepts connections.

use std::net::SocketAddr;

use clap::Parser;
use fake_hub::{FakeHub, TinyGguf};

/// Fake Hugging Face / ModelScope / Ollama registry on loopback.
#[derive(Debug, Parser)]
struct Args {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// A GGUF repository `owner/name` holding `name.Q4_K_M.gguf` and `name.Q8_0.gguf`.
    #[arg(long)]
    repo: Vec<String>,
    /// Size of each generated GGUF file, in bytes.
    #[arg(long, default_value_t = 8 << 20)]
    size: usize,
    /// A repository holding one real file: `owner/name=PATH`.
    #[arg(long)]
    real: Vec<String>,
    /// An Ollama model `name:tag` with a generated GGUF of `--size` bytes.
    #[arg(long)]
    ollama: Vec<String>,
    /// Bytes per second for every file response (0: unlimited).
    #[arg(long, default_value_t = 0)]
    throttle: u64,
    /// Bytes per second all file responses share, as one link (0: unlimited).
    #[arg(long, default_value_t = 0)]
    link: u64,
}

fn stem(repo: &str) -> &str {
    let name = repo.rsplit('/').next().unwrap_or(repo);
    name.strip_suffix("-GGUF").unwrap_or(name)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let hub = FakeHub::start_on(args.addr).await?;
    for repo in &args.repo {
        let name = stem(repo);
        let q4 = TinyGguf::model("llama", name, 15).padded(args.size);
        let q8 = TinyGguf::model("llama", name, 7).padded(args.size + args.size / 2);
        hub.add_repo(
            repo,
            1000,
            &[
                (&format!("{name}.Q4_K_M.gguf"), q4),
                (&format!("{name}.Q8_0.gguf"), q8),
            ],
        );
    }
    for real in &args.real {
        let Some((repo, path)) = real.split_once('=') else {
            return Err(std::io::Error::other(format!(
                "--real {real}: expected owner/name=PATH"
            )));
        };
        let bytes = std::fs::read(path)?;
        let file = std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model.gguf".to_owned());
        hub.add_repo(repo, 500, &[(&file, bytes)]);
    }
    for model in &args.ollama {
        let gguf = TinyGguf::model("llama", model, 15).padded(args.size);
        hub.add_ollama(model, gguf, "{{ .Prompt }}", r#"{"stop":["<|end|>"]}"#);
    }
    hub.throttle(args.throttle);
    hub.link(args.link);
    println!("fake-hub listening on {}", hub.base());
    tokio::signal::ctrl_c().await?;
    hub.stop().await;
    Ok(())
}
