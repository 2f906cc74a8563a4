//! `AtomicFile`: write to a temporary file beside the target and rename it into place only when the whole output is good.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// An output file that appears under its final name only on `commit`; dropped uncommitted, it leaves nothing behind.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Start writing `target` (through a hidden temporary file in the same folder).
    pub fn create(target: &Path) -> Result<Self> {
        let temp = temp_path(target);
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        }
        let file = File::create(&temp).map_err(|e| Error::write(&temp, e))?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The temporary path being written (for tools that need a path, such as SQLite).
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Flush, sync and rename into place.
    pub fn commit(mut self) -> Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|e| Error::write(&self.temp, e))?;
            let file = w
                .into_inner()
                .map_err(|e| Error::write(&self.temp, e.into_error()))?;
            file.sync_all().map_err(|e| Error::write(&self.temp, e))?;
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| Error::write(&self.target, e))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() || self.temp.exists() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// The hidden temporary name used for `target` while it is written.
pub fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    target.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.jsonl");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"half").unwrap();
            assert!(!target.exists());
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"whole\n").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
