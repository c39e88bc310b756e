//! API tests: the real application over HTTP on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_oidc;
mod helpers;
mod llm;
mod smtp_sink;

mod account_security;
mod accounts;
mod admin;
mod errors;
mod lifecycle;
mod oidc;
mod providers;
mod gateway;
mod api_keys;
mod storage;
mod system;
mod web;
