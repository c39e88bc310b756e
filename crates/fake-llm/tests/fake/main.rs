//! Integration tests of the fake LLM upstream, driven over real HTTP with reqwest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod anthropic;
mod behaviours;
mod binary;
mod gemini;
mod ollama;
mod openai;
mod server;
mod support;
