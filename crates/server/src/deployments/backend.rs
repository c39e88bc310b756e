//! How a deployment's process is started: the built-in engine (this binary's `engine`
//! subcommand), llama.cpp's `llama-server` (`LLAMA_CPP_SERVER`), or an admin's command template, with `{model_path}`, `{port}`, `{ctx}`,
//! `{name}`, `{parallel}`, `{threads}` filled in. Commands run without a shell (each argument
//! stays one argument, whatever a name holds) in a clean environment: `PATH`, `HOME`, `LANG`
//! and what the backend needs (its bearer key in `LLM_ENGINE_API_KEY`, the thread count).

use std::path::{Path, PathBuf};

use super::store::DeploymentRow;

/// Backends a deployment can use.
pub const BACKENDS: &[&str] = &["builtin", "llama_cpp", "custom"];

/// A process to start.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its whole environment.
    pub env: Vec<(String, String)>,
}

fn fill(template: &str, vars: &[(&str, String)]) -> String {
    vars.iter().fold(template.to_owned(), |acc, (k, v)| {
        acc.replace(&format!("{{{k}}}"), v)
    })
}

/// The programs backends run.
pub struct Programs<'a> {
    /// This binary (its `engine` subcommand).
    pub engine: &'a Path,
    /// llama.cpp's server and its leading arguments (`LLAMA_CPP_SERVER`).
    pub llama_cpp: &'a [String],
}

/// The command that starts `row` serving `model` on `port` with bearer `key`.
pub fn launch(
    row: &DeploymentRow,
    programs: &Programs<'_>,
    model: &Path,
    port: u16,
    key: &str,
) -> Result<Launch, String> {
    let ctx = row
        .context_length
        .map(|c| c.to_string())
        .unwrap_or_default();
    let threads = row.threads.map(|t| t.to_string()).unwrap_or_default();
    let vars = [
        ("model_path", model.display().to_string()),
        ("port", port.to_string()),
        ("ctx", ctx.clone()),
        ("name", row.name.clone()),
        ("parallel", row.parallel.to_string()),
        ("threads", threads.clone()),
    ];
    let extra: Vec<String> = serde_json::from_str::<Vec<String>>(&row.args)
        .unwrap_or_default()
        .iter()
        .map(|a| fill(a, &vars))
        .collect();
    let mut env: Vec<(String, String)> = ["PATH", "HOME", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    env.push((crate::engine_cmd::API_KEY_ENV.to_owned(), key.to_owned()));
    if !threads.is_empty() {
        env.push(("CANDLE_NUM_THREADS".to_owned(), threads.clone()));
        env.push(("OMP_NUM_THREADS".to_owned(), threads));
    }
    match row.backend.as_str() {
        "builtin" => {
            let mut args: Vec<String> = [
                "engine",
                "--model",
                &vars[0].1,
                "--port",
                &vars[1].1,
                "--model-id",
                &row.name,
                "--parallel",
                &vars[4].1,
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            if !ctx.is_empty() {
                args.extend(["--ctx".to_owned(), ctx]);
            }
            args.extend(extra);
            Ok(Launch {
                program: programs.engine.to_path_buf(),
                args,
                env,
            })
        }
        "llama_cpp" => {
            let (program, lead) = programs
                .llama_cpp
                .split_first()
                .ok_or("LLAMA_CPP_SERVER names no program")?;
            let mut args: Vec<String> = lead.to_vec();
            args.extend(
                [
                    "-m",
                    &vars[0].1,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &vars[1].1,
                ]
                .map(str::to_owned),
            );
            if !ctx.is_empty() {
                args.extend(["--ctx-size".to_owned(), ctx]);
            }
            args.extend(extra);
            // llama-server reads its key from the environment, not the command line.
            env.push(("LLAMA_API_KEY".to_owned(), key.to_owned()));
            Ok(Launch {
                program: PathBuf::from(program),
                args,
                env,
            })
        }
        "custom" => {
            let command: Vec<String> = serde_json::from_str(&row.command)
                .map_err(|e| format!("the command template is not a list of strings: {e}"))?;
            let mut parts = command.iter().map(|a| fill(a, &vars));
            let program = parts
                .next()
                .filter(|p| !p.is_empty())
                .ok_or("the command template is empty")?;
            let mut args: Vec<String> = parts.collect();
            args.extend(extra);
            Ok(Launch {
                program: PathBuf::from(program),
                args,
                env,
            })
        }
        other => Err(format!("unknown backend `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(backend: &str, command: &str, args: &str) -> DeploymentRow {
        let now = chrono::Utc::now();
        DeploymentRow {
            id: uuid::Uuid::nil(),
            name: "smol; rm -rf /".into(),
            model_id: uuid::Uuid::nil(),
            backend: backend.into(),
            command: command.into(),
            status: "stopped".into(),
            should_run: true,
            fixed_port: None,
            port: None,
            pid: None,
            context_length: Some(2048),
            parallel: 2,
            threads: Some(1),
            args: args.into(),
            restarts: 0,
            last_error: None,
            provider_id: None,
            created_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn templates_fill_placeholders_as_single_arguments_in_a_clean_environment() {
        let model = Path::new("/m/a b.gguf");
        let llama = ["cyllama".to_owned(), "server".to_owned()];
        let p = Programs {
            engine: Path::new("/bin/llmm"),
            llama_cpp: &llama,
        };
        let b = launch(
            &row("builtin", "[]", r#"["--x={port}"]"#),
            &p,
            model,
            9000,
            "k",
        )
        .unwrap();
        assert_eq!(b.program, Path::new("/bin/llmm"));
        let expected = [
            "engine",
            "--model",
            "/m/a b.gguf",
            "--port",
            "9000",
            "--model-id",
            "smol; rm -rf /",
            "--parallel",
            "2",
            "--ctx",
            "2048",
            "--x=9000",
        ];
        assert_eq!(b.args, expected);
        assert!(b.env.contains(&("LLM_ENGINE_API_KEY".into(), "k".into())));
        assert!(b.env.contains(&("CANDLE_NUM_THREADS".into(), "1".into())));
        let allowed = [
            "PATH",
            "HOME",
            "LANG",
            "LLM_ENGINE_API_KEY",
            "CANDLE_NUM_THREADS",
            "OMP_NUM_THREADS",
        ];
        assert!(b.env.iter().all(|(k, _)| allowed.contains(&k.as_str())));
        let l = launch(&row("llama_cpp", "[]", "[]"), &p, model, 9002, "k").unwrap();
        assert_eq!(l.program, Path::new("cyllama"));
        assert_eq!(
            l.args,
            [
                "server",
                "-m",
                "/m/a b.gguf",
                "--host",
                "127.0.0.1",
                "--port",
                "9002",
                "--ctx-size",
                "2048"
            ]
        );
        assert!(l.env.contains(&("LLAMA_API_KEY".into(), "k".into())));
        let template =
            r#"["llama-server", "-m", "{model_path}", "--port", "{port}", "-c", "{ctx}"]"#;
        let c = launch(&row("custom", template, "[]"), &p, model, 9001, "k").unwrap();
        assert_eq!(c.program, Path::new("llama-server"));
        assert_eq!(
            c.args,
            ["-m", "/m/a b.gguf", "--port", "9001", "-c", "2048"]
        );
        let empty = launch(&row("custom", "[]", "[]"), &p, model, 1, "k").unwrap_err();
        assert!(empty.contains("empty"));
        assert!(launch(&row("vllm", "[]", "[]"), &p, model, 1, "k").is_err());
    }
}
