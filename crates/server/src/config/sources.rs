//! Where raw setting values come from: the TOML file, the environment and CLI flags, lowest
//! precedence first; each value with a label of its origin for error messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ConfigError;
use super::settings::{self, SETTINGS, Setting};

/// Where raw setting values come from, lowest precedence first: file, environment, flags.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// Path and contents of the TOML file, if one was given.
    pub file: Option<(PathBuf, HashMap<String, String>)>,
    /// Environment variables (only the ones named in the settings table matter).
    pub env: HashMap<String, String>,
    /// CLI flags by setting key.
    pub flags: HashMap<&'static str, String>,
}

impl Sources {
    /// Reads the TOML file (if any) and this process's environment.
    pub fn gather(
        config_file: Option<&Path>,
        flags: HashMap<&'static str, String>,
    ) -> Result<Self, ConfigError> {
        let file = config_file.map(read_toml_file).transpose()?;
        let env = SETTINGS
            .iter()
            .filter_map(|s| std::env::var(s.env).ok().map(|v| (s.env.to_owned(), v)))
            .collect();
        Ok(Self { file, env, flags })
    }

    /// The winning raw value of a setting and a label of its origin.
    pub(super) fn lookup(&self, s: &Setting) -> Option<(String, String)> {
        if let Some(v) = self.flags.get(s.key).filter(|v| !v.is_empty()) {
            return Some((v.clone(), s.flag.unwrap_or(s.key).to_owned()));
        }
        if let Some(v) = self.env.get(s.env).filter(|v| !v.is_empty()) {
            return Some((v.clone(), s.env.to_owned()));
        }
        if let Some((path, table)) = &self.file
            && let Some(v) = table.get(s.key)
        {
            return Some((v.clone(), format!("{} in {}", s.key, path.display())));
        }
        s.default
            .map(|d| (d.to_owned(), format!("{} (default)", s.env)))
    }
}

pub(super) fn read_toml_file(
    path: &Path,
) -> Result<(PathBuf, HashMap<String, String>), ConfigError> {
    let file_err = |problem: String| ConfigError {
        origin: format!("config file {}", path.display()),
        value: None,
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(format!("invalid TOML: {}", e.message())))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        if settings::by_key(&key).is_none() {
            return Err(file_err(format!(
                "unknown key `{key}` (known keys: {})",
                SETTINGS
                    .iter()
                    .map(|s| s.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Array(items) => {
                let mut parts = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        toml::Value::String(s) => parts.push(s),
                        other => {
                            return Err(file_err(format!(
                                "`{key}`: expected a list of strings, found {}",
                                other.type_str()
                            )));
                        }
                    }
                }
                parts.join(",")
            }
            other => {
                return Err(file_err(format!(
                    "`{key}`: expected a string or number, found {}",
                    other.type_str()
                )));
            }
        };
        values.insert(key, text);
    }
    Ok((path.to_path_buf(), values))
}

/// A resolved raw value with its origin, ready to be parsed.
pub(super) struct Raw<'a> {
    pub(super) setting: &'a Setting,
    pub(super) value: String,
    pub(super) origin: String,
}

impl Raw<'_> {
    pub(super) fn error(&self, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            origin: self.origin.clone(),
            value: (!self.setting.secret).then(|| self.value.clone()),
            problem: problem.into(),
        }
    }
}
