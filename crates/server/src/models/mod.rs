//! Models: the local registry of model files and what their headers say (issue 12 builds the
//! catalog search and the download manager on it).

pub mod gguf;
mod gguf_names;
