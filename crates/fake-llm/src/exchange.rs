//! One request on its way through a handler: capture and recording, the key and model checks,
//! and rejections sent after the configured latency.

use std::convert::Infallible;

use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::config::{Behaviour, FakeConfig, Format, RecordedRequest};
use crate::errors::{self, Failure};
use crate::state::{AppState, ConnControl};

/// Largest request body read (big enough for inline images).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A request read in full but not yet recorded (the handler decides its format and model).
pub(crate) struct Captured {
    state: AppState,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    /// The JSON body, `Null` when empty or not JSON.
    pub(crate) body: Value,
    conn: Option<ConnControl>,
}

impl FromRequest<AppState> for Captured {
    type Rejection = Infallible;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_BODY)
            .await
            .unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let query = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
        Ok(Self {
            state: AppState::clone(state),
            method: parts.method.as_str().to_owned(),
            path,
            query,
            conn: parts.extensions.get::<ConnControl>().cloned(),
            headers: parts.headers,
            body,
        })
    }
}

impl Captured {
    /// A string field of the JSON body.
    pub(crate) fn body_str(&self, field: &str) -> Option<String> {
        self.body[field].as_str().map(str::to_owned)
    }

    /// The request path without the query.
    pub(crate) fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// Whether a header is present.
    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers.contains_key(name)
    }

    /// Records the request and turns it into an exchange of this format.
    pub(crate) fn record(self, format: Format, model: Option<String>) -> Exchange {
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        self.state.record(RecordedRequest {
            method: self.method,
            path: self.path,
            headers,
            body: self.body.clone(),
            format,
            model: model.clone(),
        });
        Exchange {
            config: self.state.config(),
            state: self.state,
            format,
            model,
            headers: self.headers,
            query: self.query,
            body: self.body,
            conn: self.conn,
        }
    }
}

/// A recorded request with the defaults in force when it arrived.
pub(crate) struct Exchange {
    pub(crate) state: AppState,
    pub(crate) config: FakeConfig,
    pub(crate) format: Format,
    pub(crate) model: Option<String>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    pub(crate) body: Value,
    conn: Option<ConnControl>,
}

impl Exchange {
    /// A header's value, if present and text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter's value.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The model name, or "" when the request named none.
    pub(crate) fn model_name(&self) -> String {
        self.model.clone().unwrap_or_default()
    }

    /// The key the request carries in its format's own place.
    pub(crate) fn presented_key(&self) -> Option<&str> {
        let bearer = || {
            self.header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
        };
        match self.format {
            Format::OpenAi | Format::Ollama => bearer(),
            Format::Azure => self.header("api-key"),
            Format::Anthropic => self.header("x-api-key"),
            Format::Gemini => self.header("x-goog-api-key").or_else(|| self.query("key")),
        }
    }

    /// The error text of a hostile upstream that echoes the key it was sent.
    pub(crate) fn echo_key_message(&self) -> String {
        format!(
            "Incorrect API key provided: {}. You can find your API key at https://platform.example/account/api-keys.",
            self.presented_key().unwrap_or("(none)")
        )
    }

    /// The format's 401 when a key is required and the request lacks it.
    pub(crate) fn check_key(&self) -> Result<(), Failure> {
        match &self.config.required_key {
            Some(required) if self.presented_key() != Some(required.as_str()) => {
                Err(errors::unauthorized(self.format))
            }
            _ => Ok(()),
        }
    }

    /// The format's 404 when the model list is set and lacks the requested model.
    pub(crate) fn check_model(&self) -> Result<(), Failure> {
        let Some(model) = &self.model else {
            return Ok(());
        };
        let known = self.config.models.is_empty()
            || self.config.models.iter().any(|m| {
                m == model
                    || (self.format == Format::Ollama
                        && m.trim_end_matches(":latest") == model.trim_end_matches(":latest"))
            });
        if known {
            Ok(())
        } else {
            Err(errors::model_not_found(self.format, model))
        }
    }

    /// Key check then model check.
    pub(crate) fn admit(&self) -> Result<(), Failure> {
        self.check_key()?;
        self.check_model()
    }

    /// Sends a rejection after the configured latency.
    pub(crate) async fn reject(&self, failure: impl IntoResponse) -> Response {
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        failure.into_response()
    }

    /// Pops the model's next scripted behaviour.
    pub(crate) fn next_behaviour(&self) -> Behaviour {
        self.state.next_behaviour(self.model.as_deref())
    }

    /// A fresh response id with this prefix.
    pub(crate) fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}fake{:06}", self.state.next_id())
    }

    /// Cuts the connection this request came on; false when there is no connection to cut.
    pub(crate) fn cut_connection(&self) -> bool {
        self.conn.as_ref().map(ConnControl::cut).is_some()
    }
}
