//! Error responses in each format's own shape: scripted statuses, missing keys, unknown models
//! and malformed requests. Built as a small [`Failure`] and rendered when answered.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::Format;

/// An error answer, rendered in its format's shape by `into_response`.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The format's JSON error body with this status.
    Api {
        format: Format,
        status: u16,
        message: String,
        /// Overrides the OpenAI `code` / Azure `code` field.
        code: Option<&'static str>,
    },
    /// Azure's bare `Resource not found`.
    AzureResourceNotFound,
    /// Ollama's (Go's) plain-text 404 for an unknown path.
    PlainNotFound,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Api {
                format,
                status,
                message,
                code,
            } => render(format, status, &message, code),
            Failure::AzureResourceNotFound => {
                let body = json!({"error": {"code": "404", "message": "Resource not found"}});
                (StatusCode::NOT_FOUND, Json(body)).into_response()
            }
            Failure::PlainNotFound => (StatusCode::NOT_FOUND, "404 page not found").into_response(),
        }
    }
}

fn api(
    format: Format,
    status: u16,
    message: impl Into<String>,
    code: Option<&'static str>,
) -> Failure {
    Failure::Api {
        format,
        status,
        message: message.into(),
        code,
    }
}

/// The format's error for a scripted status (429 carries `Retry-After: 0`).
pub(crate) fn status(format: Format, code: u16) -> Failure {
    api(format, code, default_message(code), None)
}

/// The format's 401 for a missing or wrong key.
pub(crate) fn unauthorized(format: Format) -> Failure {
    let message = match format {
        Format::OpenAi => {
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
        }
        Format::Azure => {
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
        }
        Format::Anthropic => "invalid x-api-key",
        Format::Gemini => "API key not valid. Please pass a valid API key.",
        Format::Ollama => "unauthorized",
    };
    api(format, 401, message, Some("invalid_api_key"))
}

/// The format's 404 for a model it does not serve.
pub(crate) fn model_not_found(format: Format, model: &str) -> Failure {
    let message = match format {
        Format::OpenAi => {
            format!("The model `{model}` does not exist or you do not have access to it.")
        }
        Format::Azure => "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.".to_owned(),
        Format::Anthropic => format!("model: {model}"),
        Format::Gemini => format!(
            "models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
        ),
        Format::Ollama => format!("model \"{model}\" not found, try pulling it first"),
    };
    let code = match format {
        Format::Azure => "DeploymentNotFound",
        _ => "model_not_found",
    };
    api(format, 404, message, Some(code))
}

/// The format's 400 for a request it cannot take.
pub(crate) fn bad_request(format: Format, message: &str) -> Failure {
    api(format, 400, message, None)
}

/// The format's 404 for a path or action it does not know.
pub(crate) fn unknown_route(format: Format) -> Failure {
    match format {
        Format::Azure => Failure::AzureResourceNotFound,
        Format::Ollama => Failure::PlainNotFound,
        _ => api(format, 404, "Not found", None),
    }
}

fn default_message(code: u16) -> &'static str {
    match code {
        400 => "Invalid request",
        401 => "Invalid authentication",
        403 => "Permission denied",
        404 => "Not found",
        408 => "Request timed out",
        413 => "Request too large",
        429 => "Rate limit exceeded, please retry later",
        500 => "The server had an error while processing your request",
        502 => "Bad gateway",
        503 => "The service is temporarily unavailable",
        504 => "Gateway timeout",
        529 => "Overloaded",
        _ => "Error",
    }
}

/// Builds the error; `code` overrides the OpenAI `code` / Azure `code` field.
/// The format's error object for a status.
pub(crate) fn body(format: Format, status: u16, message: &str, code: Option<&str>) -> Value {
    match format {
        Format::OpenAi => openai_body(status, message, code),
        Format::Azure => azure_body(status, message, code),
        Format::Anthropic => json!({
            "type": "error",
            "error": {"type": anthropic_type(status), "message": message},
        }),
        Format::Gemini => json!({
            "error": {"code": status, "message": message, "status": gemini_status(status)},
        }),
        Format::Ollama => json!({"error": message}),
    }
}

/// An error status whose message is `message` (a hostile upstream's echo).
pub(crate) fn with_message(format: Format, status: u16, message: String) -> Failure {
    api(format, status, message, None)
}

fn render(format: Format, status: u16, message: &str, code: Option<&str>) -> Response {
    let body = body(format, status, message, code);
    let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status_code, Json(body)).into_response();
    if status == 429 {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
    }
    response
}

fn openai_body(status: u16, message: &str, code: Option<&str>) -> Value {
    let (kind, default_code) = match status {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        403 => (
            "invalid_request_error",
            Some("unsupported_country_region_territory"),
        ),
        429 => ("requests", Some("rate_limit_exceeded")),
        500..=599 => ("server_error", None),
        _ => ("invalid_request_error", None),
    };
    json!({"error": {
        "message": message,
        "type": kind,
        "param": null,
        "code": code.or(default_code),
    }})
}

fn azure_body(status: u16, message: &str, code: Option<&str>) -> Value {
    match status {
        500..=599 => openai_body(status, message, code),
        _ => {
            let code = match code {
                Some("DeploymentNotFound") => "DeploymentNotFound".to_owned(),
                _ => status.to_string(),
            };
            json!({"error": {"code": code, "message": message}})
        }
    }
}

fn anthropic_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    }
}

fn gemini_status(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "NOT_IMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "UNKNOWN",
    }
}
