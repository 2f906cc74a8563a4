//! The files of one export family: one JSON Lines file per format and split, each written to a temporary file and
//! renamed into place only when the whole export succeeded.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::chat::ChatFormat;
use super::layout;
use crate::io::{AtomicFile, JsonlWriter};
use crate::{Error, Result};

/// `dir/family/{stem}_{split}.jsonl` for every stem and split.
pub struct SplitWriter {
    writers: Vec<JsonlWriter<AtomicFile>>,
    paths: Vec<PathBuf>,
    /// The folder, when this writer made it (removed again if the export fails).
    created: Option<PathBuf>,
}

impl SplitWriter {
    /// Files for `formats` (by their names) in `dir/family`.
    pub fn create(dir: &Path, family: &str, formats: &[ChatFormat]) -> Result<Self> {
        let stems: Vec<&str> = formats.iter().map(|f| f.name()).collect();
        Self::create_stems(dir, family, &stems)
    }

    /// Files for `stems` in `dir/family`.
    pub fn create_stems(dir: &Path, family: &str, stems: &[&str]) -> Result<Self> {
        let folder = dir.join(family);
        let created = (!folder.exists()).then(|| folder.clone());
        std::fs::create_dir_all(&folder).map_err(|e| Error::write(&folder, e))?;
        let mut writers = Vec::new();
        let mut paths = Vec::new();
        for stem in stems {
            for split in layout::SPLITS {
                let path = layout::split_file(dir, family, stem, split);
                writers.push(JsonlWriter::new(AtomicFile::create(&path)?, &path));
                paths.push(path);
            }
        }
        Ok(SplitWriter {
            writers,
            paths,
            created,
        })
    }

    /// Write `record` to the file of stem number `stem` and `split`.
    pub fn write<T: Serialize>(&mut self, stem: usize, split: &str, record: &T) -> Result<()> {
        let s = layout::SPLITS.iter().position(|x| *x == split).unwrap_or(0);
        match self.writers.get_mut(stem * layout::SPLITS.len() + s) {
            Some(w) => w.write(record),
            None => Err(Error::Run(format!(
                "no export file for stem {stem}, split {split}"
            ))),
        }
    }

    /// Rename every file into place; returns their paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let paths = std::mem::take(&mut self.paths);
        for (mut w, path) in std::mem::take(&mut self.writers).into_iter().zip(&paths) {
            w.flush().map_err(|e| Error::write(path, e))?;
            w.into_inner().commit()?;
        }
        self.created = None;
        Ok(paths)
    }
}

impl Drop for SplitWriter {
    /// An export that failed leaves nothing: the temporary files go with their writers, then the folder this
    /// writer made (when it is empty).
    fn drop(&mut self) {
        self.writers.clear();
        if let Some(folder) = self.created.take() {
            let _ = std::fs::remove_dir(folder);
        }
    }
}
