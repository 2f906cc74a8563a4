//! File plumbing shared by every stage: atomic whole-file writes, JSON Lines reading and writing, and resume
//! bookkeeping for append-only outputs, the lock that keeps one writer per output folder, and the run folder (its
//! file names and typed readers).

mod atomic;
pub mod images;
mod jsonl;
mod lock;
pub mod resume;
pub mod run_folder;

pub use atomic::{AtomicFile, temp_path};
pub use jsonl::{JsonlWriter, read_jsonl_lines};
pub use lock::{FolderLock, LOCK_FILE};
pub use run_folder::{Sources, names};
