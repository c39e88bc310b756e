//! Scrubbing upstream text. Whatever an upstream says in an error (a status body, an error
//! event in the middle of a stream, an error object in a 2xx body) may echo what it received:
//! "Incorrect API key provided: sk-…". Every such text passes [`scrub`] once, where the
//! [`super::upstream::UpstreamError`] is made, so nothing downstream (the `/v1` answer or
//! stream, the chat's event and stored message, the log) ever holds the channel's secrets.

use secrecy::ExposeSecret;

use super::upstream::Target;

/// Longest scrubbed text kept, in characters.
pub const MAX_CHARS: usize = 300;

/// What replaces a secret.
const REDACTED: &str = "[redacted]";

/// Removes every secret (exactly as given, when at least 4 characters long), every URL and
/// every key-like word from `text`, and bounds its length.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().filter(|s| s.chars().count() >= 4) {
        if text.contains(secret) {
            text = text.replace(secret, REDACTED);
        }
    }
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| {
            if w.contains("://") {
                "[url]"
            } else if looks_like_key(w) {
                REDACTED
            } else {
                w
            }
        })
        .collect();
    let mut out = words.join(" ");
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect::<String>() + "…";
    }
    out
}

/// A word shaped like a credential: a well-known key prefix, or a long mix of letters and
/// digits (hex or base64 keys, JWTs).
fn looks_like_key(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let lower = w.to_ascii_lowercase();
    let prefixed = [
        "sk-", "sk_", "aiza", "bearer:", "xai-", "gsk_", "hf_", "r8_",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    (prefixed && w.len() >= 12)
        || (w.len() >= 32
            && w.chars().any(|c| c.is_ascii_digit())
            && w.chars().any(|c| c.is_ascii_alphabetic())
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_*.+/=".contains(c)))
}

impl Target {
    /// The channel's secrets: its key and the credentials or query values of its base URL.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.upstream.api_key.expose_secret().to_owned()];
        if let Ok(url) = url::Url::parse(&self.upstream.base_url) {
            out.push(url.username().to_owned());
            if let Some(p) = url.password() {
                out.push(p.to_owned());
            }
            out.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
        }
        out.retain(|s| !s.is_empty());
        out
    }

    /// `text` without this channel's secrets, URLs or key-like words.
    pub fn scrub(&self, text: &str) -> String {
        let secrets = self.secrets();
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        scrub(text, &refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_urls_and_key_like_words_are_removed() {
        let s = scrub(
            "Incorrect API key provided: sk-live-abcdefghijklmnop1234. See https://platform.example/docs or sk-proj-XYZ0123456789abc",
            &["sk-live-abcdefghijklmnop1234"],
        );
        assert!(!s.contains("abcdefghijklmnop"), "{s}");
        assert!(!s.contains("https://"), "{s}");
        assert!(!s.contains("XYZ0123456789"), "{s}");
        assert!(s.starts_with("Incorrect API key provided"), "{s}");
        let long = "x ".repeat(400);
        assert!(scrub(&long, &[]).chars().count() <= MAX_CHARS + 1);
    }

    #[test]
    fn a_secret_inside_a_word_or_of_any_shape_is_removed() {
        let s = scrub(
            "key=(hunter2!) rejected; got 'hunter2!'",
            &["hunter2!", "ab"],
        );
        assert_eq!(s, "key=([redacted]) rejected; got '[redacted]'");
        // Secrets shorter than four characters are not searched for (they would mangle words).
        assert_eq!(scrub("a bad request", &["a"]), "a bad request");
    }

    #[test]
    fn the_base_urls_credentials_and_query_values_are_secrets() {
        let t = Target {
            provider_id: uuid::Uuid::nil(),
            provider_name: "p".to_owned(),
            key_id: None,
            upstream: llm_adapters::types::Upstream {
                kind: llm_adapters::types::ProviderKind::OpenaiCompatible,
                base_url: "https://bobby:pa55word@llm.example/v1?api-key=q-secret-1".to_owned(),
                api_key: secrecy::SecretString::from("k-123456"),
                api_version: None,
            },
            guarded: false,
            timeout: std::time::Duration::from_secs(1),
        };
        let s = t.scrub("user bobby pass pa55word key q-secret-1 and k-123456");
        assert_eq!(
            s,
            "user [redacted] pass [redacted] key [redacted] and [redacted]"
        );
    }
}
