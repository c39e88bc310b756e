//! How a deployment's process is started: the built-in engine (this binary's `engine`
//! subcommand), llama.cpp's `llama-server` (`LLAMA_CPP_SERVER`), vLLM (`VLLM_SERVER`), SGLang
//! (`SGLANG_SERVER`), or an admin's command template, with `{model_path}`, `{port}`, `{ctx}`,
//! `{name}`, `{parallel}`, `{threads}`, `{gpu}` filled in. Commands run without a shell (each argument
//! stays one argument, whatever a name holds) in a clean environment: `PATH`, `HOME`, `LANG`
//! and what the backend needs (its bearer key, the thread count, `CUDA_VISIBLE_DEVICES`: the GPU
//! given, or none).

use std::path::{Path, PathBuf};

use super::store::DeploymentRow;

/// Backends a deployment can use.
pub const BACKENDS: &[&str] = &["builtin", "llama_cpp", "vllm", "sglang", "ollama", "custom"];

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
    /// vLLM's server and its leading arguments (`VLLM_SERVER`).
    pub vllm: &'a [String],
    /// SGLang's server and its leading arguments (`SGLANG_SERVER`).
    pub sglang: &'a [String],
}

/// What every template may name.
struct Vars {
    model: String,
    port: String,
    ctx: String,
    threads: String,
    list: Vec<(&'static str, String)>,
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// A server program from a setting: its program and leading arguments, then `args`.
fn program_line(setting: &[String], name: &str, args: Vec<String>) -> Result<Launch, String> {
    let (program, lead) = setting
        .split_first()
        .ok_or_else(|| format!("{name} names no program"))?;
    let mut all = lead.to_vec();
    all.extend(args);
    Ok(Launch {
        program: PathBuf::from(program),
        args: all,
        env: Vec::new(),
    })
}

/// The command that starts `row` serving `model` on `port` with bearer `key`.
pub fn launch(
    row: &DeploymentRow,
    programs: &Programs<'_>,
    model: &Path,
    port: u16,
    key: &str,
) -> Result<Launch, String> {
    let gpu = row.gpu.map(|g| g.to_string()).unwrap_or_default();
    let (model, port) = (model.display().to_string(), port.to_string());
    let ctx = row
        .context_length
        .map(|c| c.to_string())
        .unwrap_or_default();
    let threads = row.threads.map(|t| t.to_string()).unwrap_or_default();
    let list = vec![
        ("model_path", model.clone()),
        ("port", port.clone()),
        ("ctx", ctx.clone()),
        ("name", super::replicas::served_name(row).to_owned()),
        ("parallel", row.parallel.to_string()),
        ("threads", threads.clone()),
        ("gpu", gpu.clone()),
    ];
    let v = Vars {
        model,
        port,
        ctx,
        threads,
        list,
    };
    let extra: Vec<String> = serde_json::from_str::<Vec<String>>(&row.args)
        .unwrap_or_default()
        .iter()
        .map(|a| fill(a, &v.list))
        .collect();
    let mut launch = match row.backend.as_str() {
        "builtin" => Ok(builtin(row, programs, &v)),
        "llama_cpp" => llama_cpp(programs, &v, key),
        "vllm" => vllm(row, programs, &v, key),
        "sglang" => sglang(row, programs, &v, key),
        "custom" => custom(row, &v),
        "ollama" => Err("the ollama backend runs no process of ours".to_owned()),
        other => Err(format!("unknown backend `{other}`")),
    }?;
    launch.args.extend(extra);
    let mut env: Vec<(String, String)> = ["PATH", "HOME", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect();
    env.push((crate::engine_cmd::API_KEY_ENV.to_owned(), key.to_owned()));
    if !v.threads.is_empty() {
        env.push(("CANDLE_NUM_THREADS".to_owned(), v.threads.clone()));
        env.push(("OMP_NUM_THREADS".to_owned(), v.threads.clone()));
    }
    // Without a GPU, CUDA programs must not pick one by themselves.
    env.push(("CUDA_VISIBLE_DEVICES".to_owned(), gpu));
    env.append(&mut launch.env);
    launch.env = env;
    Ok(launch)
}

fn builtin(row: &DeploymentRow, programs: &Programs<'_>, v: &Vars) -> Launch {
    let mut args = owned(&["engine", "--model", &v.model, "--port", &v.port]);
    args.extend(owned(&[
        "--model-id",
        super::replicas::served_name(row),
        "--parallel",
    ]));
    args.push(row.parallel.to_string());
    if !v.ctx.is_empty() {
        args.extend(["--ctx".to_owned(), v.ctx.clone()]);
    }
    Launch {
        program: programs.engine.to_path_buf(),
        args,
        env: Vec::new(),
    }
}

fn llama_cpp(programs: &Programs<'_>, v: &Vars, key: &str) -> Result<Launch, String> {
    let mut args = owned(&["-m", &v.model, "--host", "127.0.0.1", "--port", &v.port]);
    if !v.ctx.is_empty() {
        args.extend(["--ctx-size".to_owned(), v.ctx.clone()]);
    }
    let mut l = program_line(programs.llama_cpp, "LLAMA_CPP_SERVER", args)?;
    // llama-server reads its key from the environment, not the command line.
    l.env.push(("LLAMA_API_KEY".to_owned(), key.to_owned()));
    Ok(l)
}

/// `vllm serve MODEL`: its key from `VLLM_API_KEY`.
fn vllm(
    row: &DeploymentRow,
    programs: &Programs<'_>,
    v: &Vars,
    key: &str,
) -> Result<Launch, String> {
    let mut args = owned(&[&v.model, "--host", "127.0.0.1", "--port", &v.port]);
    args.extend(owned(&[
        "--served-model-name",
        super::replicas::served_name(row),
    ]));
    if !v.ctx.is_empty() {
        args.extend(["--max-model-len".to_owned(), v.ctx.clone()]);
    }
    let mut l = program_line(programs.vllm, "VLLM_SERVER", args)?;
    l.env.push(("VLLM_API_KEY".to_owned(), key.to_owned()));
    Ok(l)
}

/// SGLang's `launch_server`: its key only as `--api-key`.
fn sglang(
    row: &DeploymentRow,
    programs: &Programs<'_>,
    v: &Vars,
    key: &str,
) -> Result<Launch, String> {
    let mut args = owned(&["--model-path", &v.model, "--host", "127.0.0.1"]);
    args.extend(owned(&[
        "--port",
        &v.port,
        "--served-model-name",
        super::replicas::served_name(row),
    ]));
    args.extend(owned(&["--api-key", key]));
    if !v.ctx.is_empty() {
        args.extend(["--context-length".to_owned(), v.ctx.clone()]);
    }
    program_line(programs.sglang, "SGLANG_SERVER", args)
}

fn custom(row: &DeploymentRow, v: &Vars) -> Result<Launch, String> {
    let command: Vec<String> = serde_json::from_str(&row.command)
        .map_err(|e| format!("the command template is not a list of strings: {e}"))?;
    let mut parts = command.iter().map(|a| fill(a, &v.list));
    let program = parts
        .next()
        .filter(|p| !p.is_empty())
        .ok_or("the command template is empty")?;
    Ok(Launch {
        program: PathBuf::from(program),
        args: parts.collect(),
        env: Vec::new(),
    })
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
            gpu: None,
            replica_of: None,
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
        let vllm = [
            "python3".to_owned(),
            "standin.py".to_owned(),
            "vllm".to_owned(),
        ];
        let sglang = ["sglang".to_owned()];
        let p = Programs {
            engine: Path::new("/bin/llmm"),
            llama_cpp: &llama,
            vllm: &vllm,
            sglang: &sglang,
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
            "CUDA_VISIBLE_DEVICES",
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
        assert!(launch(&row("tgi", "[]", "[]"), &p, model, 1, "k").is_err());
        let mut on_gpu = row("vllm", "[]", r#"["--gpu-memory-utilization", "0.9"]"#);
        on_gpu.gpu = Some(1);
        let v = launch(&on_gpu, &p, model, 9003, "k").unwrap();
        assert_eq!(v.program, Path::new("python3"));
        let expected = [
            "standin.py",
            "vllm",
            "/m/a b.gguf",
            "--host",
            "127.0.0.1",
            "--port",
            "9003",
            "--served-model-name",
            "smol; rm -rf /",
            "--max-model-len",
            "2048",
            "--gpu-memory-utilization",
            "0.9",
        ];
        assert_eq!(v.args, expected);
        assert!(v.env.contains(&("VLLM_API_KEY".into(), "k".into())));
        assert!(v.env.contains(&("CUDA_VISIBLE_DEVICES".into(), "1".into())));
        let s = launch(&row("sglang", "[]", "[]"), &p, model, 9004, "k").unwrap();
        let expected = [
            "--model-path",
            "/m/a b.gguf",
            "--host",
            "127.0.0.1",
            "--port",
            "9004",
            "--served-model-name",
            "smol; rm -rf /",
            "--api-key",
            "k",
            "--context-length",
            "2048",
        ];
        assert_eq!(s.args, expected);
        assert!(
            s.env
                .contains(&("CUDA_VISIBLE_DEVICES".into(), String::new()))
        );
    }
}
