//! The flat tables `analytics/chats.csv` (one row per conversation) and `analytics/messages.csv` (one row per turn,
//! the chat columns repeated), with a header row and standard CSV quoting, optionally reshaped by a [`Mapping`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::mapping::{self, Compiled, Mapping};
use super::rows::{self, CHAT_COLUMNS};
use super::timeline::rfc3339;
use super::{AnalyticsReport, Inputs};
use crate::export::layout;
use crate::io::AtomicFile;
use crate::{Error, Result};

/// A CSV file being written through an [`AtomicFile`].
pub struct CsvFile {
    path: PathBuf,
    writer: csv::Writer<AtomicFile>,
    /// Data rows written so far.
    pub rows: usize,
}

impl CsvFile {
    /// Start `path` with `header`.
    pub fn create<S: AsRef<str>>(path: &Path, header: &[S]) -> Result<CsvFile> {
        let file = AtomicFile::create(path)?;
        let mut writer = csv::WriterBuilder::new().from_writer(file);
        writer
            .write_record(header.iter().map(|h| h.as_ref()))
            .map_err(|e| csv_error(path, e))?;
        Ok(CsvFile {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Write one data row (as many cells as the header).
    pub fn write<S: AsRef<[u8]>>(&mut self, cells: impl IntoIterator<Item = S>) -> Result<()> {
        self.writer
            .write_record(cells)
            .map_err(|e| csv_error(&self.path, e))?;
        self.rows += 1;
        Ok(())
    }

    /// Flush and rename into place; gives back the path and the row count.
    pub fn commit(self) -> Result<(PathBuf, usize)> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| Error::write(&self.path, std::io::Error::other(e.to_string())))?;
        file.commit()?;
        Ok((self.path, self.rows))
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    Error::write(path, std::io::Error::other(e.to_string()))
}

/// One table's output: its own columns, or a mapping's.
enum Shape<'env> {
    Own,
    Mapped(Compiled<'env>),
}

impl Shape<'_> {
    fn write(&self, out: &mut CsvFile, row: &[Value], id: &str) -> Result<()> {
        match self {
            Shape::Own => out.write(row.iter().map(rows::cell)),
            Shape::Mapped(m) => out.write(m.render(row, id)?),
        }
    }
}

/// The shape and header of one table.
fn shape<'env>(
    env: &'env minijinja::Environment<'static>,
    mapping: Option<&'env Mapping>,
    entries: Option<&'env Vec<mapping::Entry>>,
    table: &'static str,
    columns: &[&'static str],
) -> Result<(Shape<'env>, Vec<String>)> {
    match (mapping, entries) {
        (Some(m), Some(entries)) => {
            let c = Compiled::new(env, m, entries, table, columns.to_vec())?;
            let header = c.header().iter().map(|s| s.to_string()).collect();
            Ok((Shape::Mapped(c), header))
        }
        _ => Ok((Shape::Own, columns.iter().map(|s| s.to_string()).collect())),
    }
}

/// Write `dir/analytics/chats.csv` and `dir/analytics/messages.csv` (each whole or not at all), reshaped by
/// `mapping` when given.
pub fn export_tables(
    inputs: &Inputs,
    dir: &Path,
    mapping: Option<&Mapping>,
) -> Result<AnalyticsReport> {
    let folder = dir.join(layout::ANALYTICS);
    let message_columns = rows::message_columns();
    let env = super::expr::environment();
    let (chat_shape, chat_header) = shape(
        &env,
        mapping,
        mapping.and_then(|m| m.chats.as_ref()),
        "chats",
        CHAT_COLUMNS,
    )?;
    let (message_shape, message_header) = shape(
        &env,
        mapping,
        mapping.and_then(|m| m.messages.as_ref()),
        "messages",
        &message_columns,
    )?;
    let mut chats = CsvFile::create(&folder.join("chats.csv"), &chat_header)?;
    let mut messages = CsvFile::create(&folder.join("messages.csv"), &message_header)?;
    let mut report = AnalyticsReport::default();
    inputs.for_each_chat(|chat| {
        let c = chat.conversation;
        report.add_conversation(c.turns.len(), &rfc3339(chat.start_ms));
        let chat_row = rows::chat_values(chat);
        chat_shape.write(&mut chats, &chat_row, &c.id)?;
        for i in 0..c.turns.len() {
            let row = rows::message_values(chat, i, &chat_row);
            message_shape.write(&mut messages, &row, &c.id)?;
        }
        Ok(())
    })?;
    for file in [chats, messages] {
        let (path, rows) = file.commit()?;
        report.add_file(dir, &path, rows);
    }
    Ok(report)
}
