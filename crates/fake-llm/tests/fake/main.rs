//! Integration tests of the fake LLM upstream, driven over real HTTP with reqwest.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod anthropic;
mod behaviours;
mod binary;
mod gemini;
mod ollama;
mod openai;
mod server;
mod support;
