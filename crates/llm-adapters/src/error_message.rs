//! Reading the upstream's own words out of an error body, for the caller's 502 and the
//! provider test, whatever bytes arrive.

use serde_json::Value;

use crate::types::ProviderKind;

/// Characters of a non-JSON body quoted when it carries no recognisable message.
const RAW_CHARS: usize = 200;
/// Longest message returned.
const MAX_CHARS: usize = 300;

/// The upstream's own error message from an error body (OpenAI, Anthropic and Gemini
/// `error.message`, Ollama `error`), else the body's first 200 characters; whitespace and
/// control characters collapsed to single spaces; at most 300 characters. Never panics.
pub fn upstream_error_message(kind: ProviderKind, body: &[u8]) -> String {
    let extracted = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| message_of(kind, &v));
    let text = match extracted {
        Some(m) => m,
        None => {
            // Only the head is quoted, so only the head is decoded (bodies may be megabytes).
            let head = body.get(..body.len().min(RAW_CHARS * 4)).unwrap_or(body);
            String::from_utf8_lossy(head)
                .chars()
                .take(RAW_CHARS)
                .collect()
        }
    };
    collapse(&text, MAX_CHARS)
}

/// The message of an `{"error": …}` object inside an otherwise successful body or a stream.
pub(crate) fn embedded_error(value: &Value) -> Option<String> {
    let error = value.get("error")?;
    if error.is_null() {
        return None;
    }
    let message = error_field(error).unwrap_or_else(|| error.to_string());
    Some(collapse(&message, MAX_CHARS))
}

/// The message in a parsed error body. Kinds differ only in which shape is tried first; the
/// others are tried too because OpenAI-compatible servers answer in all of them.
fn message_of(kind: ProviderKind, value: &Value) -> Option<String> {
    // Gemini answers some stream errors with a one-element array.
    let value = match value {
        Value::Array(items) => items.first()?,
        v => v,
    };
    let error = value.get("error");
    let from_error = || error.and_then(error_field);
    let top = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let found = match kind {
        ProviderKind::Ollama => error
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(from_error),
        _ => from_error(),
    };
    found
        .or_else(|| top("message"))
        .or_else(|| top("detail"))
        .filter(|m| !m.trim().is_empty())
}

/// `error.message`, or `error` itself when it is a string.
fn error_field(error: &Value) -> Option<String> {
    match error {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("message").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Runs of whitespace and control characters become one space; the result is trimmed and cut
/// to `max` characters.
fn collapse(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if count > 0 {
            if count >= max {
                break;
            }
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max {
                break;
            }
            out.push(c);
            count += 1;
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_providers_error_shape() {
        let openai = br#"{"error":{"message":"Incorrect API key provided: sk-abc***.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        assert_eq!(
            upstream_error_message(ProviderKind::Openai, openai),
            "Incorrect API key provided: sk-abc***."
        );
        let anthropic =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(
            upstream_error_message(ProviderKind::Anthropic, anthropic),
            "Overloaded"
        );
        let gemini = br#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(
            upstream_error_message(ProviderKind::Gemini, gemini),
            "API key not valid. Please pass a valid API key."
        );
        let gemini_array = br#"[{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}]"#;
        assert_eq!(
            upstream_error_message(ProviderKind::Gemini, gemini_array),
            "Resource exhausted"
        );
        let ollama = br#"{"error":"model \"llama9\" not found, try pulling it first"}"#;
        assert_eq!(
            upstream_error_message(ProviderKind::Ollama, ollama),
            "model \"llama9\" not found, try pulling it first"
        );
        let vllm = br#"{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","code":404}"#;
        assert_eq!(
            upstream_error_message(ProviderKind::OpenaiCompatible, vllm),
            "The model `x` does not exist."
        );
    }

    #[test]
    fn falls_back_to_the_collapsed_body_head() {
        let html = b"<html>\n  <body>\r\n\t502   Bad Gateway</body></html>";
        assert_eq!(
            upstream_error_message(ProviderKind::Openai, html),
            "<html> <body> 502 Bad Gateway</body></html>"
        );
        let long = "x".repeat(5000);
        assert_eq!(
            upstream_error_message(ProviderKind::Openai, long.as_bytes()).len(),
            200
        );
    }

    #[test]
    fn long_messages_are_cut_to_300_chars() {
        let body = serde_json::json!({"error": {"message": "é ".repeat(400)}}).to_string();
        let m = upstream_error_message(ProviderKind::Openai, body.as_bytes());
        assert!(m.chars().count() <= 300, "{}", m.chars().count());
        assert!(m.starts_with("é é"));
    }

    #[test]
    fn never_panics_on_binary_or_empty_bodies() {
        let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let m = upstream_error_message(ProviderKind::Gemini, &binary);
        assert!(m.chars().count() <= 200);
        assert!(!m.chars().any(char::is_control));
        assert_eq!(upstream_error_message(ProviderKind::Ollama, b""), "");
        assert_eq!(
            upstream_error_message(ProviderKind::Openai, br#"{"error":{"message":"  "}}"#),
            r#"{"error":{"message":" "}}"#
        );
        // A cut in the middle of a multi-byte character.
        let mut cut = "é".repeat(500).into_bytes();
        cut.truncate(801);
        assert!(upstream_error_message(ProviderKind::Openai, &cut).starts_with("éé"));
    }
}
