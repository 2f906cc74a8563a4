//! JSON Lines: a writer of one serialized record per line, and a reader that reports file and line for every bad line.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::Serialize;

use crate::{Error, Result};

/// Writes one JSON record per line to any writer.
pub struct JsonlWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    path: std::path::PathBuf,
}

impl<W: Write> JsonlWriter<W> {
    /// Wrap `inner`; `path` names the destination in error messages.
    pub fn new(inner: W, path: &Path) -> Self {
        JsonlWriter {
            inner,
            buf: Vec::with_capacity(4096),
            path: path.to_path_buf(),
        }
    }

    /// Serialize `record` and write it as one whole line.
    pub fn write<T: Serialize>(&mut self, record: &T) -> Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, record)
            .map_err(|e| Error::write(&self.path, std::io::Error::other(e)))?;
        self.buf.push(b'\n');
        self.inner
            .write_all(&self.buf)
            .map_err(|e| Error::write(&self.path, e))
    }

    /// Write an already serialized record (one JSON object, no newline) as one whole line.
    pub fn write_line(&mut self, json: &str) -> Result<()> {
        self.inner
            .write_all(json.as_bytes())
            .and_then(|_| self.inner.write_all(b"\n"))
            .map_err(|e| Error::write(&self.path, e))
    }

    /// Flush the inner writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// Give back the inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// Call `f(line_number, text)` for every non-blank line of `path`; non-UTF-8 lines are errors naming the line.
pub fn read_jsonl_lines(path: &Path, mut f: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut raw = Vec::new();
    let mut line_no = 0;
    loop {
        raw.clear();
        let n = reader
            .read_until(b'\n', &mut raw)
            .map_err(|e| Error::read(path, e))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let text = std::str::from_utf8(&raw).map_err(|e| {
            Error::input(
                path,
                Some(line_no),
                None,
                format!(
                    "not valid UTF-8 (bad byte at column {})",
                    e.valid_up_to() + 1
                ),
            )
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        f(line_no, text)?;
    }
}
