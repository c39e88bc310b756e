//! The one error of an LLM call. Each front end maps it once: [`crate::gateway::error`] to
//! OpenAI's shape, [`crate::error::ApiError`] to our envelope; the usage event takes its
//! [`LlmError::status`] and [`LlmError::code`].

use axum::http::StatusCode;

use super::upstream::UpstreamError;

/// Why an LLM call did not give a complete answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    /// No channel serves the model for this caller.
    #[error("The model `{0}` does not exist or you do not have access to it.")]
    ModelNotFound(String),
    /// The API key's allow-list excludes the model.
    #[error("This API key is not allowed to use the model `{0}`.")]
    ModelNotAllowed(String),
    /// Every channel of the model rests after failures.
    #[error("Every upstream for `{0}` failed recently and is resting; try again shortly.")]
    Resting(String),
    /// The upstream failed before the answer began (after fail-over and retries).
    #[error("{0}")]
    Upstream(UpstreamError),
    /// The answer began and then broke off: what arrived is incomplete.
    #[error("{0}")]
    Broken(UpstreamError),
    /// The answer does not have the shape asked for (a structured output).
    #[error("{0}")]
    InvalidOutput(String),
    /// A limit or budget refused the call (the before-the-call step).
    #[error("{message}")]
    Limited {
        /// Which limit.
        message: String,
        /// Seconds until it resets.
        retry_after_secs: u64,
        /// A budget (not a rate limit) is spent.
        budget: bool,
        /// The rate limit's state, for the `x-ratelimit-*` headers.
        rate: Option<RateHeaders>,
    },
    /// The limits could not be checked (their store is down): refused rather than unmetered.
    #[error("limits cannot be checked right now; try again shortly")]
    LimitsUnavailable,
    /// The caller cancelled (stop button, client gone).
    #[error("the call was cancelled")]
    Cancelled,
    /// The server began shutting down during the call.
    #[error("the server stopped while this answer was being written")]
    ShuttingDown,
    /// Something of ours failed (logged where it happened).
    #[error("The server had an error while processing your request.")]
    Internal,
}

impl LlmError {
    /// The HTTP status a caller gets (and the usage event records).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::ModelNotFound(_) => StatusCode::NOT_FOUND,
            Self::ModelNotAllowed(_) => StatusCode::FORBIDDEN,
            Self::Resting(_) | Self::ShuttingDown | Self::LimitsUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Upstream(e) | Self::Broken(e) => match e {
                UpstreamError::Status { status: 429, .. } => StatusCode::TOO_MANY_REQUESTS,
                UpstreamError::Status { status: 404, .. } => StatusCode::NOT_FOUND,
                UpstreamError::Status {
                    status: 400 | 413 | 422,
                    ..
                }
                | UpstreamError::Unsupported(_) => StatusCode::BAD_REQUEST,
                UpstreamError::Timeout(_) | UpstreamError::Silent(_) => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            },
            Self::InvalidOutput(_) => StatusCode::BAD_GATEWAY,
            Self::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
            // nginx's "client closed request": nobody received an answer.
            Self::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The upstream-facing code (OpenAI's `code`), before any "incomplete" marking.
    fn upstream_code(e: &UpstreamError) -> &'static str {
        match e {
            UpstreamError::Status { status: 429, .. } => "rate_limit_exceeded",
            UpstreamError::Status { status: 404, .. } => "model_not_found",
            UpstreamError::Status {
                status: 400 | 413 | 422,
                ..
            }
            | UpstreamError::Unsupported(_) => "invalid_request_error",
            UpstreamError::Timeout(_) | UpstreamError::Silent(_) => "upstream_timeout",
            _ => "upstream_error",
        }
    }

    /// A short stable code: the usage event's `error_code`, OpenAI's `code`, the chat's
    /// `error` event code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ModelNotFound(_) => "model_not_found",
            Self::ModelNotAllowed(_) => "model_not_allowed",
            Self::Resting(_) => "upstream_unavailable",
            Self::Upstream(e) => Self::upstream_code(e),
            Self::Broken(_) | Self::ShuttingDown => "incomplete",
            Self::InvalidOutput(_) => "invalid_structured_output",
            Self::Limited { budget: true, .. } => "budget_exceeded",
            Self::Limited { .. } => "rate_limit_exceeded",
            Self::LimitsUnavailable => "limits_unavailable",
            Self::Cancelled => "cancelled",
            Self::Internal => "internal_error",
        }
    }

    /// OpenAI's code for this error: a broken stream says what broke it.
    pub fn openai_code(&self) -> &'static str {
        match self {
            Self::Broken(e) => Self::upstream_code(e),
            other => other.code(),
        }
    }

    /// OpenAI's error `type`.
    pub fn openai_type(&self) -> &'static str {
        if let Self::Limited { budget: true, .. } = self {
            return "insufficient_quota";
        }
        match self.status().as_u16() {
            429 => "rate_limit_error",
            400..=499 => "invalid_request_error",
            _ => "server_error",
        }
    }

    /// The request field at fault, if one is.
    pub fn param(&self) -> Option<&'static str> {
        match self {
            Self::ModelNotFound(_) | Self::ModelNotAllowed(_) => Some("model"),
            _ => None,
        }
    }

    /// Seconds the caller should wait before trying again.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Resting(_) => Some(super::route::BREAKER_REST.as_secs()),
            Self::Limited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::Upstream(UpstreamError::Status {
                status: 429,
                retry_after,
                ..
            }) => Some(retry_after.unwrap_or(1)),
            _ => None,
        }
    }
}

/// OpenAI's rate-limit headers: limit, remaining and reset, for requests and tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateHeaders {
    /// `(limit, remaining, reset seconds)` of requests per minute.
    pub requests: Option<(u64, u64, u64)>,
    /// The same for tokens per minute.
    pub tokens: Option<(u64, u64, u64)>,
}

impl RateHeaders {
    /// The headers as `(name, value)` pairs.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (what, v) in [("requests", self.requests), ("tokens", self.tokens)] {
            if let Some((limit, remaining, reset)) = v {
                out.push((format!("x-ratelimit-limit-{what}"), limit.to_string()));
                out.push((
                    format!("x-ratelimit-remaining-{what}"),
                    remaining.to_string(),
                ));
                out.push((format!("x-ratelimit-reset-{what}"), format!("{reset}s")));
            }
        }
        out
    }
}

impl From<LlmError> for crate::error::ApiError {
    fn from(e: LlmError) -> Self {
        use crate::error::ApiError;
        match &e {
            LlmError::ModelNotFound(m) => {
                ApiError::field("model", format!("no provider serves the model {m:?}"))
            }
            LlmError::ModelNotAllowed(m) => {
                ApiError::Forbidden(format!("the model {m:?} is not allowed"))
            }
            LlmError::Limited {
                message,
                retry_after_secs,
                ..
            } => ApiError::TooManyRequests {
                message: message.clone(),
                retry_after_secs: *retry_after_secs,
            },
            LlmError::Internal => ApiError::Internal(anyhow::anyhow!("an LLM call failed")),
            _ => ApiError::Unavailable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_stream_is_incomplete_but_says_why_to_openai_clients() {
        let e = LlmError::Broken(UpstreamError::Silent(5));
        assert_eq!(e.code(), "incomplete");
        assert_eq!(e.openai_code(), "upstream_timeout");
        assert_eq!(e.status(), StatusCode::GATEWAY_TIMEOUT);
        let limited = LlmError::Upstream(UpstreamError::Status {
            status: 429,
            message: "slow down".to_owned(),
            retry_after: None,
        });
        assert_eq!(limited.retry_after(), Some(1));
        assert_eq!(limited.openai_type(), "rate_limit_error");
        assert_eq!(LlmError::Cancelled.status().as_u16(), 499);
    }
}
