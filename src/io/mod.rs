//! File plumbing shared by every stage: atomic whole-file writes, JSON Lines reading and writing, and resume
//! bookkeeping for append-only outputs.

mod atomic;
mod jsonl;
pub mod resume;

pub use atomic::{AtomicFile, temp_path};
pub use jsonl::{JsonlWriter, read_jsonl_lines};
