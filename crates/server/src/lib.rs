//! LLM Manager server library: every feature as a router over shared state, so the binary and
//! the tests drive the same application.

// Indexing that can panic is a bug on a request path: use get() and iterators.
#![deny(clippy::indexing_slicing)]

pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod crypto;
pub mod db;
pub mod deployments;
pub mod downloads;
pub mod engine_cmd;
pub mod error;
pub mod extract;
pub mod files;
pub mod gateway;
pub mod http;
pub mod keys;
pub mod limits;
pub mod llm;
pub mod mail;
pub mod models;
pub mod monitor;
pub mod net;
pub mod oauth;
pub mod providers;
pub mod state;
pub mod system;
pub mod telemetry;
pub mod text;
pub mod usage;
mod web;

pub use app::{Application, router};

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
