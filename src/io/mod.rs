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

/// A JSON Lines writer appending to `path` (created with its folder when missing): the one way stages that resume
/// (dialogues, pairs) open their output.
pub fn append_jsonl(
    path: &std::path::Path,
) -> crate::Result<JsonlWriter<std::io::BufWriter<std::fs::File>>> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| crate::Error::write(parent, e))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| crate::Error::write(path, e))?;
    Ok(JsonlWriter::new(
        std::io::BufWriter::with_capacity(1 << 20, file),
        path,
    ))
}
