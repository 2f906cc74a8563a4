//! File plumbing shared by every stage: atomic whole-file writes, JSON Lines reading and writing, and resume
//! bookkeeping for append-only outputs, and the lock that keeps one writer per output folder.

mod atomic;
mod jsonl;
mod lock;
pub mod resume;

pub use atomic::{AtomicFile, temp_path};
pub use jsonl::{JsonlWriter, read_jsonl_lines};
pub use lock::{FolderLock, LOCK_FILE};
