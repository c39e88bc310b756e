//! Usage events: one per gateway (and later chat) call, handed to an asynchronous batched
//! writer so no request waits for a database write. Quotas and statistics build on them.

pub mod store;
pub mod writer;

pub use writer::{UsageEvent, UsageSender};
