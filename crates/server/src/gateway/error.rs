//! Errors of the `/v1` API in OpenAI's shape: `{"error": {"message", "type", "param",
//! "code"}}` with the status OpenAI would use, so SDKs raise their usual exceptions.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::upstream::UpstreamError;

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
        }
    }

    /// 404 `model_not_found`.
    pub fn model_not_found(model: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("The model `{model}` does not exist or you do not have access to it."),
            kind: "invalid_request_error",
            code: Some("model_not_found"),
            param: Some("model".to_owned()),
            retry_after: None,
        }
    }

    /// 403 `model_not_allowed`: the key's allow-list excludes the model.
    pub fn model_not_allowed(model: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: format!("This API key is not allowed to use the model `{model}`."),
            kind: "invalid_request_error",
            code: Some("model_not_allowed"),
            param: Some("model".to_owned()),
            retry_after: None,
        }
    }

    /// 503: every channel of the model is resting after failures.
    pub fn resting(model: &str) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: format!(
                "Every upstream for `{model}` failed recently and is resting; try again shortly."
            ),
            kind: "server_error",
            code: Some("upstream_unavailable"),
            param: None,
            retry_after: Some(super::routing::BREAKER_REST.as_secs()),
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
        }
    }

    /// What the caller gets after the last attempt failed with `e`.
    pub fn from_upstream(e: &UpstreamError) -> Self {
        let (status, kind, code) = match e {
            UpstreamError::Status { status: 429, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                Some("rate_limit_exceeded"),
            ),
            UpstreamError::Status { status: 404, .. } => (
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("model_not_found"),
            ),
            UpstreamError::Status {
                status: 400 | 413 | 422,
                ..
            }
            | UpstreamError::Unsupported(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request_error", None)
            }
            UpstreamError::Timeout(_) => (
                StatusCode::GATEWAY_TIMEOUT,
                "server_error",
                Some("upstream_timeout"),
            ),
            _ => (
                StatusCode::BAD_GATEWAY,
                "server_error",
                Some("upstream_error"),
            ),
        };
        let retry_after = match e {
            UpstreamError::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        Self {
            status,
            message: e.to_string(),
            kind,
            code,
            param: None,
            retry_after: if status == StatusCode::TOO_MANY_REQUESTS {
                Some(retry_after.unwrap_or(1))
            } else {
                None
            },
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

    /// Short name for usage events.
    pub fn code_name(&self) -> String {
        self.code.unwrap_or(self.kind).to_owned()
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
        res
    }
}
