//! Names from a hub, checked before they are used: repository ids, revisions, remote file
//! paths, digests and Ollama model names. A file is stored under a name *we* derive from them
//! (`{source}/{owner}/{repo}/{path}`, every component reduced to a safe alphabet); a remote
//! path with `..`, an absolute path, a backslash or a control character, or a digest that is
//! not `sha256:` + 64 hex digits is refused outright, never "cleaned".

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{value}` {problem}")]
pub struct NameError {
    /// Which kind of name.
    pub what: &'static str,
    /// The name as given (shortened).
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

fn refuse(what: &'static str, value: &str, problem: &'static str) -> NameError {
    NameError {
        what,
        value: value.chars().take(120).collect(),
        problem,
    }
}

fn part_ok(part: &str, extra: &[char]) -> bool {
    !part.is_empty()
        && part.len() <= 96
        && !part.starts_with('.')
        && part.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') || extra.contains(&c)
        })
}

/// `owner/name` of Hugging Face and ModelScope.
pub fn repo_id(value: &str) -> Result<(&str, &str), NameError> {
    let what = "repository";
    let (owner, name) = value
        .split_once('/')
        .ok_or_else(|| refuse(what, value, "is not of the form owner/name"))?;
    if !part_ok(owner, &[]) || !part_ok(name, &[]) {
        return Err(refuse(
            what,
            value,
            "may hold only letters, digits, `-`, `_` and `.` in owner and name",
        ));
    }
    Ok((owner, name))
}

/// A branch, tag or commit.
pub fn revision(value: &str) -> Result<&str, NameError> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value.split('/').all(|p| part_ok(p, &[]) && p != "..");
    ok.then_some(value)
        .ok_or_else(|| refuse("revision", value, "is not a branch, tag or commit name"))
}

/// A file path inside a repository, relative and without `..`.
pub fn remote_path(value: &str) -> Result<&str, NameError> {
    let what = "file path";
    if value.is_empty() || value.len() > 512 {
        return Err(refuse(what, value, "must be 1-512 characters"));
    }
    if value.starts_with('/') || value.contains('\\') || value.contains(':') {
        return Err(refuse(
            what,
            value,
            "must be a relative path inside the repository",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(refuse(what, value, "holds a control character"));
    }
    if value
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err(refuse(what, value, "has an empty, `.` or `..` component"));
    }
    Ok(value)
}

/// A component reduced to `[A-Za-z0-9._+-]`, never empty, never starting with a dot.
fn safe_component(part: &str) -> String {
    let mut out: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    out
}

/// Where a file of a repository is stored, relative to `MODELS_DIR`.
pub fn local_path(source: &str, repo: &str, remote: &str) -> Result<String, NameError> {
    let (owner, name) = repo_id(repo)?;
    let remote = remote_path(remote)?;
    let mut parts = vec![
        source.to_owned(),
        safe_component(owner),
        safe_component(name),
    ];
    parts.extend(remote.split('/').map(safe_component));
    Ok(parts.join("/"))
}

/// `sha256:<64 hex>` → the hex digits, lower-case.
pub fn digest(value: &str) -> Result<String, NameError> {
    let hex = value
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| refuse("digest", value, "is not sha256: and 64 hex digits"))?;
    Ok(hex.to_ascii_lowercase())
}

/// An Ollama model name `[namespace/]model[:tag]` → (namespace, model, tag), with Ollama's
/// defaults `library` and `latest`.
pub fn ollama_name(value: &str) -> Result<(String, String, String), NameError> {
    let what = "Ollama model";
    let (path, tag) = match value.rsplit_once(':') {
        Some((p, t)) => (p, t),
        None => (value, "latest"),
    };
    let (ns, model) = match path.split_once('/') {
        Some((n, m)) => (n, m),
        None => ("library", path),
    };
    let lower = |s: &str| s.chars().all(|c| !c.is_ascii_uppercase());
    if !part_ok(ns, &[]) || !part_ok(model, &[]) || !part_ok(tag, &[]) || !lower(path) {
        return Err(refuse(
            what,
            value,
            "is not of the form name:tag (lower-case letters, digits, `-`, `_`, `.`)",
        ));
    }
    Ok((ns.to_owned(), model.to_owned(), tag.to_owned()))
}

/// Whether `name` is one part of a split GGUF (`…-00001-of-00003.gguf`): (index, count).
pub fn split_part(name: &str) -> Option<(u32, u32)> {
    let stem = name.strip_suffix(".gguf")?;
    let (rest, count) = stem.rsplit_once("-of-")?;
    let (_, index) = rest.rsplit_once('-')?;
    if index.len() != 5 || count.len() != 5 {
        return None;
    }
    let (index, count) = (index.parse().ok()?, count.parse().ok()?);
    (index >= 1 && index <= count).then_some((index, count))
}

/// The name of part `index` of the split GGUF that `name` belongs to.
pub fn split_sibling(name: &str, index: u32) -> Option<String> {
    let (_, count) = split_part(name)?;
    let stem = name.strip_suffix(".gguf")?;
    let (rest, _) = stem.rsplit_once("-of-")?;
    let (prefix, _) = rest.rsplit_once('-')?;
    Some(format!("{prefix}-{index:05}-of-{count:05}.gguf"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_absolute_paths_are_refused() {
        for bad in [
            "../x.gguf",
            "a/../../etc/passwd",
            "/etc/passwd",
            "a//b.gguf",
            "./a.gguf",
            "a\\..\\b",
            "C:/x",
            "a\u{0}b",
            "",
        ] {
            assert!(remote_path(bad).is_err(), "{bad:?} was accepted");
            assert!(local_path("huggingface", "a/b", bad).is_err());
        }
        assert_eq!(remote_path("Q4_K_M/x.gguf"), Ok("Q4_K_M/x.gguf"));
    }

    #[test]
    fn stored_names_are_ours() {
        assert_eq!(
            local_path("huggingface", "acme/Tiny-GGUF", "sub dir/.hidden ü.gguf").as_deref(),
            Ok("huggingface/acme/Tiny-GGUF/sub_dir/_hidden__.gguf")
        );
        assert!(local_path("huggingface", "../x", "a.gguf").is_err());
        assert!(repo_id("acme").is_err());
        assert!(repo_id("acme/.git").is_err());
        assert!(repo_id("a/b/c").is_err());
        assert!(revision("main").is_ok());
        assert!(revision("refs/../x").is_err());
    }

    #[test]
    fn digests_are_sha256_and_64_hex_digits() {
        let hex = "a".repeat(64);
        assert_eq!(digest(&format!("sha256:{hex}")), Ok(hex.clone()));
        assert_eq!(
            digest(&format!("sha256:{}", "A".repeat(64))),
            Ok("a".repeat(64))
        );
        for bad in [
            hex.clone(),
            format!("sha256:{}", &hex[..63]),
            format!("sha256:{}g", &hex[..63]),
            format!("sha512:{hex}"),
            format!("sha256:../{}", &hex[..61]),
        ] {
            assert!(digest(&bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn ollama_names_get_the_defaults() {
        let parts = |a: &str, b: &str, c: &str| Ok((a.to_owned(), b.to_owned(), c.to_owned()));
        assert_eq!(
            ollama_name("qwen2.5:0.5b"),
            parts("library", "qwen2.5", "0.5b")
        );
        assert_eq!(ollama_name("llama3"), parts("library", "llama3", "latest"));
        assert_eq!(ollama_name("acme/tiny:q4"), parts("acme", "tiny", "q4"));
        for bad in ["", "../x", "a/b/c:d", "Qwen:1", "x:../y", "a b"] {
            assert!(ollama_name(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn split_ggufs_are_recognised() {
        assert_eq!(split_part("m-Q4_K_M-00002-of-00003.gguf"), Some((2, 3)));
        assert_eq!(split_part("m.Q4_K_M.gguf"), None);
        assert_eq!(split_part("m-00004-of-00003.gguf"), None);
        assert_eq!(
            split_sibling("dir/m-00002-of-00003.gguf", 1).as_deref(),
            Some("dir/m-00001-of-00003.gguf")
        );
    }
}
