//! The command line: `serve` (default), `migrate`, `backup`, `config check`, `engine` (one
//! model served by the built-in engine). Configuration
//! errors print one line naming the key and exit with status 2; runtime failures exit with 1.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Sources};
use crate::db::Database;

/// Self-hosted LLM management platform.
#[derive(Debug, Parser)]
#[command(name = "llm-manager", version, about)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Flags that override the environment and the config file.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// TOML configuration file (keys as in the README's configuration table).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen address (LLM_MANAGER_ADDR).
    #[arg(long, global = true, value_name = "HOST:PORT")]
    addr: Option<String>,
    /// Data directory (LLM_MANAGER_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<String>,
    /// Database URL (DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Log filter (LOG_LEVEL).
    #[arg(long, global = true, value_name = "FILTER")]
    log_level: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations and serve the API and web UI (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database while the server may be running.
    Backup {
        /// Where to write the copy (must not exist yet).
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Create the first admin account (only while none exists).
    CreateAdmin {
        /// Admin username.
        #[arg(long)]
        username: String,
        /// Admin email.
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Re-encrypt every stored secret (provider keys, 2FA secrets, OAuth client secrets) with
    /// a new encryption key. Stop the server first. Without `--new-key-stdin` a key is
    /// generated and written to `DATA_DIR/secrets.toml`; when `ENCRYPTION_KEY` is set in the
    /// environment or config file, give the new key on stdin and set it there afterwards.
    RotateEncryptionKey {
        /// Read the new key from the first line of standard input.
        #[arg(long)]
        new_key_stdin: bool,
    },
    /// Serve one GGUF model with the built-in engine (what deployments run as a child process).
    Engine(crate::engine_cmd::EngineArgs),
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Validate the configuration and print the effective values, secrets redacted.
    Check,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    if let Err(err) = dotenvy::dotenv()
        && !err.not_found()
    {
        eprintln!("error: .env: {err}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let command = match cli.command {
        Some(Command::Engine(args)) => return crate::engine_cmd::run(args),
        other => other,
    };
    let config = match load_config(&cli.global) {
        Ok(c) => c,
        Err(err) => {
            eprintln!("error: invalid configuration: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::Config {
        action: ConfigAction::Check,
    }) = &command
    {
        println!("configuration is valid; effective values:");
        for (key, value) in config.describe() {
            println!("  {key} = {value}");
        }
        return ExitCode::SUCCESS;
    }
    let _guard = match crate::telemetry::init(&config.log) {
        Ok(g) => g,
        Err(err) => {
            eprintln!("error: cannot set up logging: {err:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(command.unwrap_or(Command::Serve), config));
    match result {
        Ok(code) => code,
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "fatal");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the passwords do not match");
        first
    };
    anyhow::ensure!(!password.is_empty(), "no password given");
    Ok(password)
}

/// One line for an API error, with each invalid field named.
fn describe_api_error(err: &crate::error::ApiError) -> String {
    match err {
        crate::error::ApiError::Validation { fields, .. } => fields
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join("; "),
        crate::error::ApiError::Internal(e) => format!("{e:#}"),
        other => other.to_string(),
    }
}

async fn rotate_encryption_key(config: &Config, from_stdin: bool) -> anyhow::Result<ExitCode> {
    use secrecy::{ExposeSecret, SecretString};

    let (secrets, outcome) = crate::config::secrets::resolve(config)?;
    let configured = config.encryption_key.is_some();
    if configured && !from_stdin {
        eprintln!(
            "error: ENCRYPTION_KEY is set in the environment or config file: pass the new key \
             with --new-key-stdin, then set ENCRYPTION_KEY to it before starting the server"
        );
        return Ok(ExitCode::from(2));
    }
    let new_key = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let key = line.trim().to_owned();
        if let Err(problem) = crate::config::secrets::check_strength(&key) {
            eprintln!("error: the new key: {problem}");
            return Ok(ExitCode::from(2));
        }
        SecretString::from(key)
    } else {
        crate::config::secrets::new_encryption_key()
    };
    let old = crate::crypto::Vault::new(&secrets)?;
    let new = crate::crypto::Vault::new(&crate::config::secrets::Secrets {
        secret_key: secrets.secret_key.clone(),
        encryption_key: new_key.clone(),
    })?;
    if old.key_id() == new.key_id() {
        eprintln!("error: the new key is the current key");
        return Ok(ExitCode::from(2));
    }
    // Until the new key is in secrets.toml, it waits in a private file of its own, so a crash
    // between the database commit and that write cannot lose it.
    let pending = config.data_dir.join("encryption_key.pending");
    if !configured {
        write_private(&pending, new_key.expose_secret())?;
    }
    let db = Database::connect(&config.database).await?;
    db.migrate().await?;
    let report = crate::crypto::rotate::rotate(&db.conn, &old, &new).await;
    db.close().await;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            // Nothing was committed: the pending key is of no use.
            let _ = std::fs::remove_file(&pending);
            return Err(e);
        }
    };
    println!(
        "re-encrypted {} provider key(s), {} 2FA secret(s), {} OAuth client secret(s) with key {} ({} already current)",
        report.provider_keys,
        report.totp_secrets,
        report.oauth_secrets,
        new.key_id(),
        report.already_current
    );
    if configured {
        println!("now set ENCRYPTION_KEY to the new key before starting the server");
    } else {
        let path = crate::config::secrets::replace_encryption_key(config, &new_key)?;
        std::fs::remove_file(&pending)?;
        println!("the new key is in {}", path.display());
        if let crate::config::secrets::SecretsOutcome::Configured = outcome {
            println!("(ENCRYPTION_KEY from the configuration is no longer needed)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a new file only the owner may read.
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn load_config(args: &GlobalArgs) -> Result<Config, crate::config::ConfigError> {
    let mut flags: HashMap<&'static str, String> = HashMap::new();
    for (key, value) in [
        ("addr", &args.addr),
        ("data_dir", &args.data_dir),
        ("database_url", &args.database_url),
        ("log_level", &args.log_level),
    ] {
        if let Some(v) = value {
            flags.insert(key, v.clone());
        }
    }
    let sources = Sources::gather(args.config.as_deref(), flags)?;
    Config::from_sources(&sources)
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    // Whatever any command writes (the database, backups, secrets) is the operator's alone.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    match command {
        Command::Serve => {
            let app = crate::Application::build(config).await?;
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db = Database::connect(&config.database).await?;
            let report = db.migrate().await?;
            if let Some(backup) = &report.backup {
                println!("backed up the database to {}", backup.display());
            }
            if report.applied.is_empty() {
                println!("database is up to date");
            } else {
                println!("applied {} migration(s):", report.applied.len());
                for name in &report.applied {
                    println!("  {name}");
                }
            }
            db.close().await;
        }
        Command::Backup { output } => {
            let db = Database::connect(&config.database).await?;
            if db.sqlite_path().is_none() {
                eprintln!(
                    "the database is PostgreSQL: back it up with pg_dump, e.g.\n  \
                     pg_dump --format=custom --file=llm-manager.dump \"$DATABASE_URL\"\n\
                     and restore with pg_restore --clean --dbname=\"$DATABASE_URL\" llm-manager.dump"
                );
                return Ok(ExitCode::from(1));
            }
            db.backup_to(&output).await?;
            println!("backup written to {}", output.display());
            db.close().await;
        }
        Command::CreateAdmin {
            username,
            email,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            std::fs::create_dir_all(&config.data_dir)?;
            let (secrets, _) = crate::config::secrets::resolve(&config)?;
            let keys = crate::auth::tokens::TokenKeys::new(&secrets);
            let db = Database::connect(&config.database).await?;
            db.migrate().await?;
            let result = crate::auth::registration::bootstrap_admin(
                &db.conn, &keys, None, &username, &email, &password,
            )
            .await;
            db.close().await;
            match result {
                Ok(user) => println!("created admin {} ({})", user.username, user.id),
                Err(err) => {
                    eprintln!("error: {}", describe_api_error(&err));
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::RotateEncryptionKey { new_key_stdin } => {
            return rotate_encryption_key(&config, new_key_stdin).await;
        }
        // Handled before the configuration is read.
        Command::Config { .. } | Command::Engine(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}
