//! The one rule for a short line of text a user names something with (a key, a provider, a
//! persona, a chat title, a tag, a model): no control characters anywhere, at most `max`
//! characters as sent, not only spaces; stored trimmed. The OpenAPI patterns of these fields
//! (`^[^controls]*[^\s controls][^controls]*$` with a `maxLength`) say the same.

use crate::error::{ApiError, ApiResult};

/// `raw` checked and trimmed, or a 422 naming `field`.
pub fn one_line(field: impl Into<String>, raw: &str, max: usize) -> ApiResult<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || raw.chars().count() > max || raw.chars().any(char::is_control) {
        return Err(ApiError::field(
            field,
            format!("must be 1 to {max} characters, not only spaces, without control characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_checked_as_sent_and_kept_trimmed() {
        assert_eq!(
            one_line("name", "  ci key ", 64).ok().as_deref(),
            Some("ci key")
        );
        assert!(one_line("name", "   ", 64).is_err());
        assert!(one_line("name", "\u{85}key", 64).is_err());
        assert!(one_line("name", "a\tb", 64).is_err());
        assert!(one_line("name", &format!("{}a", " ".repeat(64)), 64).is_err());
        assert!(one_line("name", &"é".repeat(64), 64).is_ok());
    }
}
