//! One writer per output folder: an OS file lock on `DIR/.musegen.lock`, held for the life of the process.
//!
//! The lock is the kernel's (`flock` on Unix, `LockFileEx` on Windows, through `std::fs::File::try_lock`), so it
//! ends with the process however the process ends: a folder whose holder was killed is usable at once, and no
//! pid file can go stale. The file's content (the holder's pid and command) only serves the message a second
//! process prints; it is never trusted to decide anything.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The lock file's name inside an output folder.
pub const LOCK_FILE: &str = ".musegen.lock";

/// Attempts before giving up when the lock file is replaced under us (only a holder ending at that very moment
/// does that, so one more attempt nearly always succeeds).
const ATTEMPTS: usize = 8;

/// The exclusive right to write an output folder, released when dropped (or when the process ends in any way).
#[derive(Debug)]
pub struct FolderLock {
    file: File,
    path: PathBuf,
    /// The folders this lock created (deepest first), removed again on release when they are still empty, so that
    /// a command that fails before writing anything leaves no trace.
    created: Vec<PathBuf>,
}

impl FolderLock {
    /// Take the folder `dir` (created when missing) for this process, or fail at once with [`Error::Busy`] naming
    /// the folder and the process that holds it. `command` is recorded for that message (e.g. "musegen run").
    pub fn acquire(dir: &Path, command: &str) -> Result<FolderLock> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let created: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..ATTEMPTS {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::write(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Busy {
                        dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
                        holder: holder(&mut file),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(Error::write(&path, e)),
            }
            // A holder that ended between our open and our lock removed the file it locked: ours is then an
            // orphan that nobody else would see, so start over on the file now at that path.
            if !same_file(&file, &path) {
                continue;
            }
            let record = format!("pid {} ({command})\n", std::process::id());
            file.set_len(0)
                .and_then(|()| file.seek(SeekFrom::Start(0)))
                .and_then(|_| file.write_all(record.as_bytes()))
                .map_err(|e| Error::write(&path, e))?;
            return Ok(FolderLock {
                file,
                path,
                created,
            });
        }
        Err(Error::Busy {
            dir: dir.to_path_buf(),
            holder: "another musegen process (the lock file keeps changing)".into(),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so that the folder is left as it was; a process waiting on
        // this very file sees it gone and starts over (see `acquire`). Where a file cannot be removed while open,
        // it stays: its lock still ends with the handle.
        if same_file(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
        for dir in &self.created {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// Who holds the lock, from what the holder wrote into the file (it may not have written it yet).
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() {
        "another musegen process".into()
    } else {
        text.to_string()
    }
}

/// Whether `path` still names the open `file` (not a file created after this one was removed).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether `path` still names the open `file`: without inode numbers, a file that exists is taken as ours (the
/// lock file is then never removed while open, see `Drop`).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = FolderLock::acquire(dir.path(), "musegen generate").unwrap();
        let err = FolderLock::acquire(dir.path(), "musegen run").unwrap_err();
        let text = err.to_string();
        assert_eq!(err.exit_code(), 2, "{text}");
        assert!(text.contains(&dir.path().display().to_string()), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("musegen generate"), "{text}");
        drop(first);
        assert!(
            !dir.path().join(LOCK_FILE).exists(),
            "a released lock leaves the folder as it was"
        );
        let again = FolderLock::acquire(dir.path(), "musegen run").unwrap();
        assert!(again.path().is_file());
    }

    #[test]
    fn a_lock_file_left_behind_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        // What a killed holder leaves: the file with its record, but no lock (the kernel dropped it).
        std::fs::write(dir.path().join(LOCK_FILE), "pid 1 (musegen run)\n").unwrap();
        let lock = FolderLock::acquire(dir.path(), "musegen generate").unwrap();
        let text = std::fs::read_to_string(lock.path()).unwrap();
        assert_eq!(
            text,
            format!("pid {} (musegen generate)\n", std::process::id())
        );
    }

    #[test]
    fn a_missing_folder_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        let lock = FolderLock::acquire(&sub, "musegen run").unwrap();
        assert!(sub.join(LOCK_FILE).is_file());
        drop(lock);
        assert!(
            !dir.path().join("a").exists(),
            "folders made only for the lock are removed with it"
        );
        let lock = FolderLock::acquire(&sub, "musegen run").unwrap();
        std::fs::write(sub.join("out.jsonl"), "{}\n").unwrap();
        drop(lock);
        assert!(
            sub.join("out.jsonl").is_file(),
            "a folder with output stays"
        );
    }
}
