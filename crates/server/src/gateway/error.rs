//! Errors of the `/v1` API in OpenAI's shape: `{"error": {"message", "type", "param",
//! "code"}}` with the status OpenAI would use, so SDKs raise their usual exceptions.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::llm::LlmError;

/// An error answered to a `/v1` caller.
#[derive(Debug, Clone)]
pub struct OaiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong.
    pub message: String,
    /// OpenAI's `type`.
    pub kind: &'static str,
    /// OpenAI's `code`.
    pub code: Option<&'static str>,
    /// The request field at fault.
    pub param: Option<String>,
    /// Seconds to wait (429).
    pub retry_after: Option<u64>,
    /// Rate-limit headers.
    pub rate: Option<Box<crate::llm::error::RateHeaders>>,
}

impl OaiError {
    /// 400 about a request field.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            code: None,
            param: param.map(str::to_owned),
            retry_after: None,
            rate: None,
        }
    }

    /// 401 `invalid_api_key`.
    pub fn invalid_key(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
            kind: "invalid_request_error",
            code: Some("invalid_api_key"),
            param: None,
            retry_after: None,
            rate: None,
        }
    }

    /// 500 without detail (the detail is logged).
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The server had an error while processing your request.".to_owned(),
            kind: "server_error",
            code: None,
            param: None,
            retry_after: None,
            rate: None,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }
}

impl From<&LlmError> for OaiError {
    fn from(e: &LlmError) -> Self {
        Self {
            status: e.status(),
            message: e.to_string(),
            kind: e.openai_type(),
            code: Some(e.openai_code()).filter(|c| *c != "invalid_request_error"),
            param: e.param().map(str::to_owned),
            retry_after: e.retry_after(),
            rate: match e {
                LlmError::Limited { rate, .. } => rate.clone().map(Box::new),
                _ => None,
            },
        }
    }
}

impl From<LlmError> for OaiError {
    fn from(e: LlmError) -> Self {
        Self::from(&e)
    }
}

impl IntoResponse for OaiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        for (name, value) in self.rate.iter().flat_map(|r| r.pairs()) {
            if let (Ok(n), Ok(v)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                res.headers_mut().insert(n, v);
            }
        }
        res
    }
}
