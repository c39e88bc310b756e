//! API tests: the real application over HTTP on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_oidc;
mod helpers;
mod llm;
mod smtp_sink;

mod account_security;
mod accounts;
mod admin;
mod api_keys;
mod chat;
mod errors;
mod files;
mod gateway;
mod lifecycle;
mod oidc;
mod providers;
mod storage;
mod system;
mod web;
