//! The one error type of the platform REST API and its JSON envelope:
//! `{"error": {"code": "...", "message": "...", "details": ...}}`.
//!
//! Internal errors hide their detail from the client; the detail travels to the logging
//! middleware in a response extension and is logged once there, with the request id.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Result alias for handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, bad query string, bad path parameter).
    #[error("{0}")]
    BadRequest(String),
    /// No or invalid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist or is not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with existing data (e.g. a unique name).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body has a content type this endpoint does not accept.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A limit was hit; retry after the given number of seconds.
    #[error("{message}")]
    TooManyRequests {
        /// What limit was hit.
        message: String,
        /// Seconds until the limit resets.
        retry_after_secs: u64,
    },
    /// Well-formed input that breaks field rules; `fields` maps a field path to its problem.
    #[error("{message}")]
    Validation {
        /// Summary.
        message: String,
        /// Field path → problem.
        fields: BTreeMap<String, String>,
    },
    /// A dependency (database, Redis) is not available right now.
    #[error("{0}")]
    Unavailable(String),
    /// An outside service we called (a model hub) failed or answered something unusable.
    #[error("{0}")]
    BadGateway(String),
    /// Anything unexpected. Logged with detail, answered as a bare 500.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<crate::auth::password::Busy>() {
            Ok(busy) => Self::Unavailable(busy.to_string()),
            Err(e) => Self::Internal(e),
        }
    }
}

/// The JSON body of every error response under `/api`.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code, message and optional structured details of an error.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// Human-readable explanation naming the problem.
    pub message: String,
    /// Extra data, e.g. `{"fields": {"name": "is required"}}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// Detail of an internal error, carried to the logging middleware; never sent to the client.
#[derive(Debug, Clone)]
pub struct InternalErrorDetail(pub String);

impl ApiError {
    /// Shorthand for a validation error on one field.
    pub fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        let (field, problem) = (field.into(), problem.into());
        Self::Validation {
            message: format!("{field}: {problem}"),
            fields: BTreeMap::from([(field, problem)]),
        }
    }

    /// HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Validation { .. } => "validation_failed",
            Self::Unavailable(_) => "service_unavailable",
            Self::BadGateway(_) => "bad_gateway",
            Self::Internal(_) => "internal_error",
        }
    }
}

/// Builds an error response in the envelope; used by `ApiError` and by middleware that
/// rewrites framework errors.
pub fn envelope(
    status: StatusCode,
    code: &str,
    message: &str,
    details: Option<serde_json::Value>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.to_owned(),
            details,
        },
    };
    (status, axum::Json(body)).into_response()
}

impl ApiError {
    /// Structured details of the envelope (fields at fault, the retry time).
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::Validation { fields, .. } => Some(serde_json::json!({ "fields": fields })),
            Self::TooManyRequests {
                retry_after_secs, ..
            } => Some(serde_json::json!({ "retry_after_secs": retry_after_secs })),
            _ => None,
        }
    }

    /// Code, message and details as a client may see them (outside an HTTP response: a
    /// WebSocket frame). An internal error's detail is logged here and replaced.
    pub fn public(&self) -> (&'static str, String, Option<serde_json::Value>) {
        if let Self::Internal(err) = self {
            tracing::error!(error = %format!("{err:#}"), "internal error");
            return (self.code(), "internal server error".to_owned(), None);
        }
        (self.code(), self.to_string(), self.details())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        if let Self::Internal(err) = &self {
            let mut res = envelope(status, code, "internal server error", None);
            res.extensions_mut()
                .insert(InternalErrorDetail(format!("{err:#}")));
            return res;
        }
        let mut res = envelope(status, code, &self.to_string(), self.details());
        if let Self::TooManyRequests {
            retry_after_secs, ..
        } = &self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        res
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::Conflict("a record with these values already exists".to_owned());
        }
        Self::Internal(anyhow::Error::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(res: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn internal_error_hides_detail_but_keeps_it_for_the_log() {
        let res = ApiError::Internal(anyhow::anyhow!("db password is hunter2")).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let detail = res
            .extensions()
            .get::<InternalErrorDetail>()
            .cloned()
            .unwrap();
        assert!(detail.0.contains("hunter2"));
        let body = body_of(res).await;
        assert_eq!(body["error"]["code"], "internal_error");
        assert!(!body.to_string().contains("hunter2"));
    }

    #[tokio::test]
    async fn validation_lists_fields() {
        let res = ApiError::field("name", "is required").into_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = body_of(res).await;
        assert_eq!(body["error"]["details"]["fields"]["name"], "is required");
        assert_eq!(body["error"]["message"], "name: is required");
    }

    #[tokio::test]
    async fn rate_limit_sets_retry_after() {
        let res = ApiError::TooManyRequests {
            message: "slow down".into(),
            retry_after_secs: 7,
        }
        .into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "7");
    }
}
