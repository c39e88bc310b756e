//! Password rules and hashing: Argon2id (19 MiB, 2 passes — OWASP's recommendation), run on a
//! blocking thread so hashing never stalls the async runtime. At most [`MAX_HASHES`] run at
//! once (a login flood cannot take hundreds of blocking threads × 19 MiB); a caller that
//! cannot get a turn within [`HASH_WAIT`] gets [`Busy`] (503).

use std::time::Duration;

use tokio::sync::Semaphore;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};

/// Minimum password length in characters.
pub const MIN_LEN: usize = 8;
/// Maximum password length in characters (bounds hashing work).
pub const MAX_LEN: usize = 256;

/// Hashes computed at the same time at most.
pub const MAX_HASHES: usize = 4;
/// Longest a caller waits for a turn to hash.
pub const HASH_WAIT: Duration = Duration::from_secs(10);

static HASHING: Semaphore = Semaphore::const_new(MAX_HASHES);

/// Too many password checks are waiting; try again shortly.
#[derive(Debug, thiserror::Error)]
#[error("the server is busy checking passwords; try again in a moment")]
pub struct Busy;

/// Runs one Argon2 job on a blocking thread once a turn is free.
async fn bounded<T: Send + 'static>(
    job: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let _turn = tokio::time::timeout(HASH_WAIT, HASHING.acquire())
        .await
        .map_err(|_| Busy)??;
    tokio::task::spawn_blocking(job).await?
}

const COMMON: &str = include_str!("common_passwords.txt");

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Why a password is not acceptable, or `None`.
pub fn problem(password: &str, username: &str, email: &str) -> Option<String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Some(format!("must be at least {MIN_LEN} characters"));
    }
    if len > MAX_LEN {
        return Some(format!("must be at most {MAX_LEN} characters"));
    }
    if password.trim().is_empty() {
        return Some("must not be only spaces".to_owned());
    }
    let lower = password.to_lowercase();
    if let Some(p) = guessable(&lower) {
        return Some(p.to_owned());
    }
    if COMMON.lines().any(|c| c == lower) {
        return Some("is too common; choose a less guessable password".to_owned());
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if lower == username.to_lowercase() || (!local.is_empty() && lower == local) {
        return Some("must not be your username or email".to_owned());
    }
    None
}

/// Patterns a guesser tries first: a few characters repeated (`aaaaaaaa`, `abababab`), or one
/// run up or down the alphabet or the digits (`12345678`, `hgfedcba`).
fn guessable(lower: &str) -> Option<&'static str> {
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some("uses too few different characters (at least 4)");
    }
    let codes: Vec<i64> = lower.chars().map(|c| i64::from(u32::from(c))).collect();
    let steps: Vec<i64> = codes
        .windows(2)
        .filter_map(|w| Some(w.get(1)? - w.first()?))
        .collect();
    if steps.iter().all(|d| *d == 1) || steps.iter().all(|d| *d == -1) {
        return Some("is a simple sequence (like 12345678)");
    }
    None
}

/// Hashes a password (PHC string).
pub async fn hash(password: String) -> anyhow::Result<String> {
    bounded(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await
}

/// Checks a password against a stored hash. `None` as the hash still spends the same time,
/// so unknown accounts cannot be told apart by timing.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    bounded(move || {
        let argon = argon2()?;
        match stored.as_deref().map(PasswordHash::new) {
            Some(Ok(parsed)) => Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok()),
            _ => {
                let salt = SaltString::generate(&mut OsRng);
                let _ = argon.hash_password(password.as_bytes(), &salt);
                Ok(false)
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for (weak, name, why) in [
            ("short", "bob", "at least 8"),
            ("password123", "bob", "too common"),
            ("Password123", "bob", "too common"),
            ("bobsmith1", "bobsmith1", "username"),
            ("        ", "bob", "only spaces"),
            ("\t \u{3000}     ", "bob", "only spaces"),
            ("aaaaaaaaaa", "bob", "too few different"),
            ("abababababab", "bob", "too few different"),
            ("12345678", "bob", "simple sequence"),
            ("HGFEDCBA", "bob", "simple sequence"),
        ] {
            let p = problem(weak, name, "b@x.io").unwrap_or_default();
            assert!(p.contains(why), "{weak:?}: {p}");
        }
        assert!(problem("correct horse battery", "bob", "b@x.io").is_none());
    }

    #[tokio::test]
    async fn hash_is_argon2id_with_strong_parameters_and_verifies() -> anyhow::Result<()> {
        let h = hash("correct horse battery".into()).await?;
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery".into(), Some(h.clone())).await?);
        assert!(!verify("wrong horse battery".into(), Some(h)).await?);
        assert!(!verify("anything".into(), None).await?);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[expect(clippy::disallowed_methods, reason = "a unit test has no tracker")]
    async fn no_more_than_max_hashes_run_at_once() -> anyhow::Result<()> {
        let mut jobs = Vec::new();
        for i in 0..12 {
            jobs.push(tokio::spawn(verify(format!("password {i}"), None)));
        }
        let mut peak = 0;
        while !jobs.iter().all(|j| j.is_finished()) {
            peak = peak.max(MAX_HASHES - HASHING.available_permits());
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        for j in jobs {
            assert!(!j.await??);
        }
        assert!((1..=MAX_HASHES).contains(&peak), "{peak}");
        Ok(())
    }
}
