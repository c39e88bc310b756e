//! Pieces every wire format shares: URLs and path segments, auth headers, JSON bodies, image
//! URLs, tool-call arguments and short error texts.

use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::types::{ContentPart, Message, Role, ToolCall};
use crate::{AdapterError, WireRequest};

/// The most characters of upstream text quoted in a `Malformed` message.
const QUOTE_CHARS: usize = 200;

/// The base URL without trailing slashes, so joining with `/path` never doubles them.
pub(crate) fn base_url(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a model name can neither
/// add path segments nor a query.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A model name as one URL path segment. `.` and `..` would be resolved away by the upstream's
/// URL handling and so reach another path.
pub(crate) fn path_segment(model: &str) -> Result<String, AdapterError> {
    match model {
        "" => Err(AdapterError::Unsupported("the model name is empty".into())),
        "." | ".." => Err(AdapterError::Unsupported(format!(
            "`{model}` is not a valid model name"
        ))),
        _ => Ok(encode_component(model)),
    }
}

/// Adds an auth header carrying the key (after `prefix`, e.g. `Bearer `), marked sensitive so
/// it never shows in logs. An empty key sends no header (keyless Ollama or compatible servers).
pub(crate) fn set_auth(
    headers: &mut HeaderMap,
    name: HeaderName,
    prefix: &str,
    key: &SecretString,
) -> Result<(), AdapterError> {
    // Keys pasted with a trailing newline are common; the whitespace is never part of a key.
    let key = key.expose_secret().trim();
    if key.is_empty() {
        return Ok(());
    }
    let mut value = HeaderValue::from_str(&format!("{prefix}{key}")).map_err(|_| {
        AdapterError::Unsupported("API key contains characters not allowed in a header".into())
    })?;
    value.set_sensitive(true);
    headers.insert(name, value);
    Ok(())
}

/// A JSON `POST`.
pub(crate) fn post_json(url: String, mut headers: HeaderMap, body: &Value) -> WireRequest {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    WireRequest {
        method: Method::POST,
        url,
        headers,
        // Serialising a `Value` cannot fail: its map keys are strings.
        body: Some(serde_json::to_vec(body).unwrap_or_default()),
    }
}

/// A bodiless `GET`.
pub(crate) fn get(url: String, headers: HeaderMap) -> WireRequest {
    WireRequest {
        method: Method::GET,
        url,
        headers,
        body: None,
    }
}

/// Inserts `key` when `value` is set.
pub(crate) fn put_opt<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}

/// Where an image comes from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ImageSource<'a> {
    /// `data:<mime>;base64,<data>`.
    Inline {
        /// Media type, e.g. `image/png`.
        mime: &'a str,
        /// Base64 data.
        data: &'a str,
    },
    /// An `http(s)://` URL.
    Remote(&'a str),
}

/// Splits an image URL into inline data or a remote URL; other forms are `Unsupported`.
pub(crate) fn image_source(url: &str) -> Result<ImageSource<'_>, AdapterError> {
    let lower_starts = |prefix: &str| {
        url.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    if lower_starts("http://") || lower_starts("https://") {
        return Ok(ImageSource::Remote(url));
    }
    if !lower_starts("data:") {
        return Err(AdapterError::Unsupported(
            "image URLs must be http(s) or data: URLs".into(),
        ));
    }
    let rest = url.get(5..).unwrap_or_default();
    let bad = || AdapterError::Unsupported("image data: URLs must be base64-encoded".into());
    let (meta, data) = rest.split_once(',').ok_or_else(bad)?;
    let meta = meta
        .strip_suffix(";base64")
        .or_else(|| meta.strip_suffix(";BASE64"))
        .ok_or_else(bad)?;
    // Parameters such as `;charset=` may sit between the type and `;base64`.
    let mime = meta.split(';').next().unwrap_or_default().trim();
    if mime.is_empty() {
        return Err(AdapterError::Unsupported(
            "image data: URL has no media type".into(),
        ));
    }
    if data.is_empty() {
        return Err(AdapterError::Unsupported("image data: URL is empty".into()));
    }
    Ok(ImageSource::Inline { mime, data })
}

/// A tool call's arguments as the JSON object formats other than OpenAI's want (they carry
/// objects, not JSON text). Empty arguments mean `{}`.
pub(crate) fn arguments_object(call: &ToolCall) -> Result<Value, AdapterError> {
    if call.arguments.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(&call.arguments) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(AdapterError::Unsupported(format!(
            "the arguments of tool call `{}` are not a JSON object",
            truncate_chars(&call.name, 64)
        ))),
    }
}

/// The function name a tool result answers: the latest earlier assistant tool call with that
/// id (ids are only unique per answer for formats that generate them), else the message's name.
pub(crate) fn tool_name_for(messages: &[Message], at: usize, call_id: &str) -> Option<String> {
    let earlier = messages.get(..at).unwrap_or_default();
    earlier
        .iter()
        .rev()
        .filter(|m| m.role == Role::Assistant)
        .flat_map(|m| m.tool_calls.iter())
        .find(|c| c.id == call_id)
        .map(|c| c.name.clone())
}

/// All system messages' text, one paragraph each.
pub(crate) fn system_text(messages: &[Message]) -> Option<String> {
    let parts: Vec<String> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(Message::joined_text)
        .filter(|t| !t.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// True when a message has no content worth sending (no image, no non-empty text).
pub(crate) fn content_is_empty(content: &[ContentPart]) -> bool {
    content
        .iter()
        .all(|p| matches!(p, ContentPart::Text(t) if t.is_empty()))
}

/// The first `max` characters of `s`.
pub(crate) fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// A `Malformed` error for `what`, quoting at most [`QUOTE_CHARS`] of the detail.
pub(crate) fn malformed(what: &str, detail: impl std::fmt::Display) -> AdapterError {
    let detail = detail.to_string();
    AdapterError::Malformed(format!("{what}: {}", truncate_chars(&detail, QUOTE_CHARS)))
}

/// Parses a whole JSON body. An `{"error": …}` object (some upstreams send one with a 2xx
/// status) becomes `Malformed` with the upstream's message.
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, AdapterError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(what, e))?;
    from_value(value, what)
}

/// Reads an already parsed JSON value, checking for an error object first.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, AdapterError> {
    if let Some(message) = crate::error_message::embedded_error(&value) {
        return Err(malformed("upstream error", message));
    }
    serde_json::from_value(value).map_err(|e| malformed(what, e))
}

/// The generated id of the `n`th tool call of an answer, for formats that send none.
pub(crate) fn generated_call_id(n: u32) -> String {
    format!("call_{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_cannot_escape_their_path_segment() {
        assert_eq!(path_segment("gpt-4o.1_x~").unwrap(), "gpt-4o.1_x~");
        assert_eq!(path_segment("a/../b?c").unwrap(), "a%2F..%2Fb%3Fc");
        assert!(path_segment("..").is_err());
        assert!(path_segment("").is_err());
    }

    #[test]
    fn image_urls_are_split_into_inline_data_or_remote() {
        assert_eq!(
            image_source("data:image/png;base64,iVBORw0KGgo=").unwrap(),
            ImageSource::Inline {
                mime: "image/png",
                data: "iVBORw0KGgo="
            }
        );
        assert_eq!(
            image_source("HTTPS://x.test/a.png").unwrap(),
            ImageSource::Remote("HTTPS://x.test/a.png")
        );
        assert!(image_source("data:image/png,rawbytes").is_err());
        assert!(image_source("data:;base64,AAAA").is_err());
        assert!(image_source("ftp://x.test/a.png").is_err());
        assert!(image_source("é").is_err());
    }

    #[test]
    fn auth_header_is_sensitive_and_skipped_for_empty_keys() {
        let mut headers = HeaderMap::new();
        set_auth(
            &mut headers,
            header::AUTHORIZATION,
            "Bearer ",
            &SecretString::from(" sk-1\n"),
        )
        .unwrap();
        let v = headers.get(header::AUTHORIZATION).unwrap();
        assert_eq!(v, "Bearer sk-1");
        assert!(v.is_sensitive());

        let mut headers = HeaderMap::new();
        set_auth(
            &mut headers,
            header::AUTHORIZATION,
            "Bearer ",
            &SecretString::from(""),
        )
        .unwrap();
        assert!(headers.is_empty());
    }

    #[test]
    fn a_key_that_is_no_header_value_is_refused_without_echoing_it() {
        let err = set_auth(
            &mut HeaderMap::new(),
            header::AUTHORIZATION,
            "Bearer ",
            &SecretString::from("sk-se\ncret"),
        )
        .unwrap_err();
        assert_eq!(
            err,
            AdapterError::Unsupported("API key contains characters not allowed in a header".into())
        );
    }

    #[test]
    fn malformed_messages_quote_at_most_200_chars() {
        let AdapterError::Malformed(m) = malformed("x", "é".repeat(1000)) else {
            panic!("not malformed")
        };
        assert_eq!(m.chars().count(), 203);
    }

    #[test]
    fn arguments_must_be_a_json_object() {
        let call = |a: &str| ToolCall {
            id: "c".into(),
            name: "f".into(),
            arguments: a.into(),
        };
        assert_eq!(arguments_object(&call("")).unwrap(), serde_json::json!({}));
        assert_eq!(
            arguments_object(&call(r#"{"a":1}"#)).unwrap(),
            serde_json::json!({"a":1})
        );
        assert!(arguments_object(&call("[1]")).is_err());
        assert!(arguments_object(&call("{oops")).is_err());
    }
}
