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
        Ok(SplitWriter { writers, paths })
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
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        for (w, path) in self.writers.into_iter().zip(&self.paths) {
            let mut w = w;
            w.flush().map_err(|e| Error::write(path, e))?;
            w.into_inner().commit()?;
        }
        Ok(self.paths)
    }
}
