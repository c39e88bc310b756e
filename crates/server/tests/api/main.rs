//! API tests: the real application over HTTP on SQLite and on PostgreSQL.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
#![expect(
    clippy::allow_attributes,
    reason = "on_both_databases! glob-imports the test module, used or not"
)]
#![expect(
    clippy::disallowed_methods,
    reason = "test servers (fakes, sinks) run outside the server's task tracker"
)]

mod fake_oidc;
mod helpers;
mod hub;
mod llm;
mod smtp_sink;

mod account_security;
mod accounts;
mod admin;
mod api_keys;
mod chat;
mod chat_search;
mod deployment_backends;
mod deployment_ollama;
mod deployments;
mod downloads;
mod errors;
mod files;
mod gateway;
mod hardening;
mod hardening_accounts;
mod lifecycle;
mod limits;
mod limits_edit;
mod models;
mod monitor;
mod oidc;
mod ollama_daemon;
mod openapi_truth;
mod pipeline;
mod providers;
mod storage;
mod system;
mod usage_tokens;
mod web;
