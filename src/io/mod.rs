//! File plumbing shared by every stage: atomic whole-file writes, JSON Lines reading and writing.

mod atomic;
mod jsonl;

pub use atomic::{AtomicFile, temp_path};
pub use jsonl::{JsonlWriter, read_jsonl_lines};
