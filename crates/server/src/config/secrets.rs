//! The server's two secrets: the token-signing key and the at-rest encryption key.
//! Taken from the configuration when set; otherwise generated once into `DATA_DIR/secrets.toml`
//! (mode 0600) and reused on later starts. Weak or placeholder values are refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use super::Config;

/// File name of the generated secrets inside the data dir.
pub const SECRETS_FILE: &str = "secrets.toml";

/// The secrets the server runs with.
#[derive(Clone)]
pub struct Secrets {
    /// Signs access tokens and other server-issued tokens.
    pub secret_key: SecretString,
    /// Encrypts provider keys and other secrets at rest.
    pub encryption_key: SecretString,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { <redacted> }")
    }
}

/// What `resolve` did, so the caller can log it (without the values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsOutcome {
    /// Both came from the configuration.
    Configured,
    /// Read from the secrets file written on an earlier start.
    Loaded(PathBuf),
    /// Generated now (names of the generated keys) and written to the file.
    Generated(PathBuf, Vec<&'static str>),
}

const PLACEHOLDERS: &[&str] = &[
    "change-this",
    "change_this",
    "changethis",
    "changeme",
    "change-me",
    "change_me",
    "replace-me",
    "replaceme",
    "your-secret",
    "your_secret",
    "yoursecret",
    "secret-key",
    "secret_key",
    "placeholder",
    "example",
    "insecure",
    "default",
    "password",
];

/// Refuses placeholders and values with less than 32 bytes of key material.
///
/// Key material is the decoded bytes for hex or base64 values, else the raw bytes; it must be
/// at least 32 bytes long and not a repetition of a few characters.
pub fn check_strength(value: &str) -> Result<(), String> {
    let lower = value.to_ascii_lowercase();
    if let Some(word) = PLACEHOLDERS.iter().find(|w| lower.contains(*w)) {
        return Err(format!(
            "looks like a placeholder (contains `{word}`); generate a real one, e.g. `openssl rand -base64 32`"
        ));
    }
    let material = key_material(value);
    if material.len() < 32 {
        return Err(format!(
            "too weak: {} bytes of key material, at least 32 are needed (64 hex characters or 44 base64 characters; e.g. `openssl rand -base64 32`)",
            material.len()
        ));
    }
    let distinct: std::collections::BTreeSet<u8> = material.iter().copied().collect();
    if distinct.len() < 12 {
        return Err("too weak: it repeats a few characters; use random bytes (e.g. `openssl rand -base64 32`)".to_owned());
    }
    Ok(())
}

/// The bytes a key string stands for: decoded hex or base64 if it is one, else its raw bytes.
pub fn key_material(value: &str) -> Vec<u8> {
    let v = value.trim();
    if v.len() >= 2
        && v.len().is_multiple_of(2)
        && v.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(bytes) = hex::decode(v)
    {
        return bytes;
    }
    if v.len() >= 40 {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            if let Ok(bytes) = engine.decode(v) {
                return bytes;
            }
        }
    }
    v.as_bytes().to_vec()
}

/// A new random key: 32 random bytes, base64.
fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    secret_key: Option<String>,
    encryption_key: Option<String>,
}

/// Takes the secrets from the configuration, or loads/generates the missing ones in the data dir.
pub fn resolve(config: &Config) -> anyhow::Result<(Secrets, SecretsOutcome)> {
    if let (Some(s), Some(e)) = (&config.secret_key, &config.encryption_key) {
        let secrets = Secrets {
            secret_key: s.clone(),
            encryption_key: e.clone(),
        };
        return Ok((secrets, SecretsOutcome::Configured));
    }
    let path = config.data_dir.join(SECRETS_FILE);
    let stored = read_file(&path)?;
    let mut generated = Vec::new();
    let mut pick = |configured: &Option<SecretString>,
                    stored: Option<String>,
                    name: &'static str|
     -> SecretString {
        if let Some(c) = configured {
            return c.clone();
        }
        match stored {
            Some(s) => SecretString::from(s),
            None => {
                generated.push(name);
                SecretString::from(generate_key())
            }
        }
    };
    let stored_secret = stored.as_ref().and_then(|f| f.secret_key.clone());
    let stored_enc = stored.as_ref().and_then(|f| f.encryption_key.clone());
    let secret_key = pick(&config.secret_key, stored_secret.clone(), "secret_key");
    let encryption_key = pick(&config.encryption_key, stored_enc.clone(), "encryption_key");
    let secrets = Secrets {
        secret_key,
        encryption_key,
    };
    if generated.is_empty() {
        return Ok((secrets, SecretsOutcome::Loaded(path)));
    }
    // Keep what the file already held, add what was generated; configured values are not written.
    let keep_or_new = |stored: Option<String>, name: &str, value: &SecretString| {
        stored.or_else(|| {
            generated
                .contains(&name)
                .then(|| value.expose_secret().to_owned())
        })
    };
    write_file(
        &path,
        keep_or_new(stored_secret, "secret_key", &secrets.secret_key).as_deref(),
        keep_or_new(stored_enc, "encryption_key", &secrets.encryption_key).as_deref(),
    )?;
    Ok((secrets, SecretsOutcome::Generated(path, generated)))
}

/// Writes a new `encryption_key` into the secrets file, keeping its `secret_key`.
pub fn replace_encryption_key(config: &Config, new_key: &SecretString) -> anyhow::Result<PathBuf> {
    let path = config.data_dir.join(SECRETS_FILE);
    let stored = read_file(&path)?;
    let secret = stored.and_then(|f| f.secret_key);
    write_file(&path, secret.as_deref(), Some(new_key.expose_secret()))?;
    Ok(path)
}

/// A new random encryption key.
pub fn new_encryption_key() -> SecretString {
    SecretString::from(generate_key())
}

fn read_file(path: &Path) -> anyhow::Result<Option<SecretsFile>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("{}: cannot read: {e}", path.display()),
    };
    let file: SecretsFile = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!("{}: invalid secrets file: {}", path.display(), e.message())
    })?;
    for (name, value) in [
        ("secret_key", &file.secret_key),
        ("encryption_key", &file.encryption_key),
    ] {
        if let Some(v) = value {
            check_strength(v)
                .map_err(|problem| anyhow::anyhow!("{}: {name} is {problem}", path.display()))?;
        }
    }
    Ok(Some(file))
}

fn write_file(
    path: &Path,
    secret_key: Option<&str>,
    encryption_key: Option<&str>,
) -> anyhow::Result<()> {
    let mut text = String::from(
        "# Generated by llm-manager. Keep this file private and backed up with the database:\n\
         # without encryption_key the provider keys stored in the database cannot be decrypted.\n",
    );
    for (name, value) in [
        ("secret_key", secret_key),
        ("encryption_key", encryption_key),
    ] {
        if let Some(v) = value {
            text.push_str(&format!("{name} = \"{v}\"\n"));
        }
    }
    let tmp = path.with_extension("toml.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", tmp.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
        .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_refused() {
        for v in [
            "please-change-this-secret-key-in-production-0123456789",
            "CHANGEME-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(
                check_strength(v).unwrap_err().contains("placeholder"),
                "{v}"
            );
        }
    }

    #[test]
    fn short_or_repetitive_keys_are_refused() {
        assert!(check_strength("abc123").unwrap_err().contains("too weak"));
        // 32 hex characters are only 16 bytes.
        assert!(check_strength("0123456789abcdef0123456789abcdef").is_err());
        assert!(
            check_strength(&"ab".repeat(40))
                .unwrap_err()
                .contains("too weak")
        );
    }

    #[test]
    fn random_hex_and_base64_keys_are_accepted() {
        let key = generate_key();
        check_strength(&key).unwrap();
        assert_eq!(key_material(&key).len(), 32);
        let hex_key = hex::encode(key_material(&key));
        check_strength(&hex_key).unwrap();
    }

    #[test]
    fn generated_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::with_data_dir(dir.path()).unwrap();
        let (first, outcome) = resolve(&config).unwrap();
        assert!(matches!(outcome, SecretsOutcome::Generated(_, ref names) if names.len() == 2));
        let path = dir.path().join(SECRETS_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (second, outcome) = resolve(&config).unwrap();
        assert_eq!(outcome, SecretsOutcome::Loaded(path));
        assert_eq!(
            first.secret_key.expose_secret(),
            second.secret_key.expose_secret()
        );
        assert_eq!(
            first.encryption_key.expose_secret(),
            second.encryption_key.expose_secret()
        );
        assert_ne!(
            first.secret_key.expose_secret(),
            first.encryption_key.expose_secret()
        );
    }

    #[test]
    fn configured_secret_is_not_written_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_data_dir(dir.path()).unwrap();
        let configured = generate_key();
        config.secret_key = Some(SecretString::from(configured.clone()));
        let (secrets, outcome) = resolve(&config).unwrap();
        assert!(matches!(outcome, SecretsOutcome::Generated(_, ref n) if n == &["encryption_key"]));
        assert_eq!(secrets.secret_key.expose_secret(), configured);
        let file = std::fs::read_to_string(dir.path().join(SECRETS_FILE)).unwrap();
        assert!(!file.contains(&configured));
        assert!(file.contains("encryption_key"));
    }

    #[test]
    fn a_weak_stored_secret_stops_the_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SECRETS_FILE), "secret_key = \"short\"\n").unwrap();
        let config = Config::with_data_dir(dir.path()).unwrap();
        let err = resolve(&config).unwrap_err().to_string();
        assert!(err.contains("secret_key is too weak"), "{err}");
    }
}
