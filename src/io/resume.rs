//! Resume bookkeeping for append-only JSONL outputs: drop a torn last line, and find which record indices are done.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use crate::{Error, Result};

/// Which of `0..len` indices are already written.
pub struct Done {
    bits: Vec<u64>,
    /// How many are set.
    pub count: usize,
}

impl Done {
    /// None done.
    pub fn new(len: usize) -> Self {
        Done {
            bits: vec![0; len.div_ceil(64)],
            count: 0,
        }
    }

    /// Mark `i` done; returns false when it already was (a duplicate).
    pub fn insert(&mut self, i: usize) -> bool {
        let Some(word) = self.bits.get_mut(i / 64) else {
            return true;
        };
        let bit = 1u64 << (i % 64);
        if *word & bit != 0 {
            return false;
        }
        *word |= bit;
        self.count += 1;
        true
    }

    /// Whether `i` is done.
    pub fn contains(&self, i: usize) -> bool {
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// Read the records of an append-only JSONL file, truncating a torn last line (a crash mid-write),
/// and call `seen` with each record's id. A broken line before the last one is an error: the file is damaged.
/// Returns how many bytes were cut.
pub fn recover(path: &Path, mut seen: impl FnMut(&str) -> Result<()>) -> Result<u64> {
    if !path.exists() {
        return Ok(0);
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::read(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, &file);
    let mut good_end: u64 = 0;
    let mut line = Vec::new();
    let mut line_no = 0;
    let mut pending_error: Option<Error> = None;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if let Some(e) = pending_error.take() {
            // A bad line followed by more lines is damage, not a torn tail.
            return Err(e);
        }
        let complete = line.last() == Some(&b'\n');
        match serde_json::from_slice::<IdOnly>(&line) {
            Ok(rec) if complete => {
                seen(&rec.id)?;
                good_end += n as u64;
            }
            Ok(_) | Err(_) => {
                pending_error = Some(Error::input(
                    path,
                    Some(line_no),
                    None,
                    "damaged record in the middle of the file; move the file away or repair it",
                ));
            }
        }
    }
    let len = file.metadata().map_err(|e| Error::read(path, e))?.len();
    if good_end < len {
        file.set_len(good_end).map_err(|e| Error::write(path, e))?;
        let mut f = &file;
        f.seek(SeekFrom::End(0))
            .map_err(|e| Error::write(path, e))?;
        file.sync_all().map_err(|e| Error::write(path, e))?;
        tracing::warn!(
            "{}: dropped a torn last line ({} bytes)",
            path.display(),
            len - good_end
        );
    }
    Ok(len - good_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_tail_is_cut_and_complete_records_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        std::fs::write(&p, "{\"id\":\"c1\"}\n{\"id\":\"c2\"}\n{\"id\":\"c3\",\"tu").unwrap();
        let mut ids = Vec::new();
        let cut = recover(&p, |id| {
            ids.push(id.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(ids, vec!["c1", "c2"]);
        assert_eq!(cut, 14);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"id\":\"c1\"}\n{\"id\":\"c2\"}\n"
        );
        // A complete-looking but unparsable last line is torn too.
        std::fs::write(&p, "{\"id\":\"c1\"}\n{\"id\":\n").unwrap();
        recover(&p, |_| Ok(())).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"id\":\"c1\"}\n");
    }

    #[test]
    fn damage_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        std::fs::write(&p, "{\"id\":\"c1\"}\ngarbage\n{\"id\":\"c3\"}\n").unwrap();
        let err = recover(&p, |_| Ok(())).unwrap_err().to_string();
        assert!(err.contains("c.jsonl:2"), "{err}");
    }

    #[test]
    fn done_set_reports_duplicates() {
        let mut d = Done::new(100);
        assert!(d.insert(3));
        assert!(!d.insert(3));
        assert!(d.contains(3) && !d.contains(4));
        assert_eq!(d.count, 1);
    }
}
