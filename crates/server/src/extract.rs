//! Our own JSON, query and path extractors: malformed input gets the API error envelope with
//! the offending field named (400 for syntax, 422 for wrong fields/types), never axum's plain
//! text rejection.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON body extractor and response type.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "expected a JSON body with `Content-Type: application/json`".to_owned(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        // Every body this API takes is an object (serde would also read a struct from an array).
        if bytes.trim_ascii_start().first().is_some_and(|b| *b != b'{') {
            return Err(ApiError::field("body", "must be a JSON object"));
        }
        parse_json(&bytes).map(AppJson)
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(
            "request body is larger than the configured limit (MAX_BODY_SIZE)".to_owned(),
        )
    } else {
        ApiError::BadRequest(format!(
            "could not read the request body: {}",
            rejection.body_text()
        ))
    }
}

/// The message for text holding U+0000, which PostgreSQL cannot store and no field needs.
pub const NUL_MESSAGE: &str = "must not contain NUL characters (U+0000)";

/// Whether a JSON text holds an escaped NUL (`\u0000`) inside a string. Raw control bytes are
/// invalid JSON already; an escape counts when an even number of backslashes precedes it.
pub fn json_has_nul(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"\\u0000").any(|at| {
        let before = bytes.get(..at).unwrap_or_default();
        before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

/// Parses a JSON document into `T`, naming the field path on type errors; text holding U+0000
/// is refused before anything reads it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if json_has_nul(bytes) {
        return Err(ApiError::Validation {
            message: format!("body: text {NUL_MESSAGE}"),
            fields: BTreeMap::from([("body".to_owned(), NUL_MESSAGE.to_owned())]),
        });
    }
    let mut doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")))?;
    integral_numbers(&mut doc);
    serde_path_to_error::deserialize(doc).map_err(|err| {
        let path = err.path().to_string();
        data_error(&path, &err.into_inner().to_string())
    })
}

/// JSON has one number type: `1000.0` is the integer 1000 (as JSON Schema says), so a
/// number with no fraction, exactly representable, reads as an integer wherever one is asked.
fn integral_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                // Integral and below 2^53: the conversion is exact.
                let i = f as i64;
                *v = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// A 422 naming the field (`.` is the whole document), with serde's position suffix removed.
fn data_error(path: &str, message: &str) -> ApiError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    ApiError::Validation {
        message: format!("{field}: {message}"),
        fields: BTreeMap::from([(field, message)]),
    }
}

/// Query string extractor.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            let field = name.replace('\0', "");
            return Err(ApiError::Validation {
                message: format!("query parameter {field}: {NUL_MESSAGE}"),
                fields: BTreeMap::from([(field, NUL_MESSAGE.to_owned())]),
            });
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(AppQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    path
                };
                let message = err.into_inner().to_string();
                ApiError::Validation {
                    message: format!("query parameter {field}: {message}"),
                    fields: BTreeMap::from([(field, message)]),
                }
            })
    }
}

/// Path parameter extractor.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.path().contains("%00") {
            return Err(ApiError::BadRequest(format!("the path {NUL_MESSAGE}")));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(AppPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::BadRequest(
                format!("invalid path parameter: {}", e.body_text()),
            )),
            Err(other) => Err(ApiError::Internal(anyhow::anyhow!(
                "path extraction failed: {}",
                other.body_text()
            ))),
        }
    }
}

/// A `text/event-stream` response of `stream`: not cached, and marked so that proxies such as
/// nginx pass each chunk on at once.
pub fn event_stream<S>(stream: S) -> Response
where
    S: futures::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static,
{
    use axum::http::{HeaderValue, header};
    let mut res = axum::body::Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

/// For `PATCH` bodies with `#[serde(default, deserialize_with = "double_option")]`: a field
/// present as `null` → `Some(None)` (clear it); absent → `None` (leave it).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The highest page number asked for.
pub const MAX_PAGE: u64 = 1_000_000_000;

/// A checked page request: page ≥ 1, size within bounds, and an offset that fits in the
/// databases' signed 64-bit `OFFSET` (a huge `page` is a 422 naming it, never an overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page.
    pub page: u64,
    /// Items per page.
    pub per_page: u64,
}

impl PageRequest {
    /// From the query's `page` and `per_page` (default `default`, at most `max`).
    pub fn new(
        page: Option<u64>,
        per_page: Option<u64>,
        default: u64,
        max: u64,
    ) -> Result<Self, crate::error::ApiError> {
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(crate::error::ApiError::field(
                "page",
                "must be 1 or more (pages count from 1)",
            ));
        }
        if page > MAX_PAGE {
            return Err(crate::error::ApiError::field("page", "is too large"));
        }
        let per_page = per_page.unwrap_or(default);
        if !(1..=max).contains(&per_page) {
            return Err(crate::error::ApiError::field(
                "per_page",
                format!("must be 1 to {max}"),
            ));
        }
        let fits = (page - 1)
            .checked_mul(per_page)
            .is_some_and(|o| i64::try_from(o).is_ok());
        if !fits {
            return Err(crate::error::ApiError::field("page", "is too large"));
        }
        Ok(Self { page, per_page })
    }

    /// Items before this page.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case), trimmed; `None`
/// without one. The one parser for every bearer token: API keys, access tokens, WebSockets.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_read_as_integers_and_fractions_stay() -> Result<(), ApiError> {
        #[derive(serde::Deserialize)]
        struct Limits {
            rpm: u64,
            temperature: f64,
        }
        let l: Limits = parse_json(br#"{"rpm": 1000.0, "temperature": 1.0}"#)?;
        assert_eq!((l.rpm, l.temperature), (1000, 1.0));
        assert!(parse_json::<Limits>(br#"{"rpm": 1000.5, "temperature": 1}"#).is_err());
        Ok(())
    }

    #[test]
    fn escaped_nuls_are_found_and_escaped_backslashes_are_not() {
        assert!(json_has_nul(br#"{"a":"x\u0000y"}"#));
        assert!(json_has_nul(br#"{"a":"\\\u0000"}"#));
        assert!(!json_has_nul(br#"{"a":"\\u0000"}"#));
        assert!(!json_has_nul(br#"{"a":"u0000"}"#));
    }

    #[test]
    fn a_page_far_out_is_refused_not_overflowed() {
        let p = PageRequest::new(Some(3), Some(20), 50, 100).unwrap();
        assert_eq!(p.offset(), 40);
        assert!(PageRequest::new(None, Some(1000), 50, 100).is_err());
        assert!(PageRequest::new(None, Some(0), 50, 100).is_err());
        assert!(PageRequest::new(Some(0), None, 50, 100).is_err());
        assert_eq!(PageRequest::new(None, None, 50, 100).unwrap().per_page, 50);
        assert!(PageRequest::new(Some(u64::MAX), Some(100), 50, 100).is_err());
    }

    #[test]
    fn bearer_takes_the_scheme_in_any_case() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(bearer(&h), None);
        for v in ["Bearer abc", "bearer abc", "BEARER  abc ", "  Bearer abc"] {
            h.insert(axum::http::header::AUTHORIZATION, v.parse().unwrap());
            assert_eq!(bearer(&h), Some("abc"), "{v}");
        }
        h.insert(
            axum::http::header::AUTHORIZATION,
            "Basic abc".parse().unwrap(),
        );
        assert_eq!(bearer(&h), None);
        h.insert(
            axum::http::header::AUTHORIZATION,
            "Bearer ".parse().unwrap(),
        );
        assert_eq!(bearer(&h), None);
    }

    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "fields exist to be deserialised")]
    struct Item {
        name: String,
        count: u32,
        tags: Vec<String>,
    }

    #[test]
    fn syntax_error_is_bad_request() {
        let err = parse_json::<Item>(b"{\"name\": ").unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(ref m) if m.starts_with("malformed JSON body")));
    }

    #[test]
    fn wrong_type_names_the_field_path() {
        let err = parse_json::<Item>(br#"{"name":"a","count":"x","tags":[]}"#).unwrap_err();
        match err {
            ApiError::Validation { fields, .. } => {
                assert!(
                    fields["count"].starts_with("invalid type: string"),
                    "{fields:?}"
                );
            }
            other => panic!("expected validation error, got {other:?}"),
        }
        let err = parse_json::<Item>(br#"{"name":"a","count":1,"tags":[1]}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Validation { ref fields, .. } if fields.contains_key("tags[0]"))
        );
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_json::<Item>(br#"{"name":"a","tags":[]}"#).unwrap_err();
        assert!(
            matches!(err, ApiError::Validation { ref message, .. } if message.contains("missing field `count`"))
        );
    }

    #[test]
    fn trailing_garbage_is_refused() {
        assert!(parse_json::<Item>(br#"{"name":"a","count":1,"tags":[]} x"#).is_err());
    }
}
