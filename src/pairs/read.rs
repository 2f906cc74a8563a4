//! Reading `pairs.jsonl` beside the conversations it was made from. The file holds one line per conversation in
//! the order the lines were made (the conversations' order for sim, the order answers completed for a model), so
//! the reader indexes the lines by conversation id once (an offset each) and hands out the line of each
//! conversation as the conversations come, checking it was made from that conversation under the same settings.
//! Reading in the file's own order never seeks.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::record::ConversationPairs;
use crate::{Error, Result};

/// Where a conversation's line starts, and its line number.
#[derive(Clone, Copy)]
struct At {
    offset: u64,
    line: usize,
}

/// The lines of a pairs file, read one conversation at a time.
pub struct PairsReader {
    path: PathBuf,
    reader: BufReader<File>,
    settings: String,
    index: HashMap<String, At>,
    position: u64,
    text: String,
}

/// The one field the index needs.
#[derive(Deserialize)]
struct Head {
    id: String,
}

impl PairsReader {
    /// Open `path`, whose lines must have been made under `settings` (see [`super::settings_key`]), and index its
    /// lines; an error naming the line for a broken line or a conversation with two lines.
    pub fn open(path: &Path, settings: &str) -> Result<Self> {
        let file = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::input(
                    path,
                    None,
                    None,
                    "no preference pairs (run `musegen pairs` first)",
                )
            } else {
                Error::read(path, e)
            }
        })?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut index = HashMap::new();
        let (mut offset, mut line, mut text) = (0u64, 0usize, String::new());
        loop {
            text.clear();
            let n = reader.read_line(&mut text).map_err(|e| {
                Error::input(path, Some(line + 1), None, format!("cannot read: {e}"))
            })?;
            if n == 0 {
                break;
            }
            line += 1;
            let at = At { offset, line };
            offset += n as u64;
            if text.trim().is_empty() {
                continue;
            }
            let head: Head = serde_json::from_str(&text).map_err(|e| {
                Error::input(path, Some(line), None, format!("not a pairs line: {e}"))
            })?;
            if let Some(first) = index.insert(head.id.clone(), at) {
                return Err(Error::input(
                    path,
                    Some(line),
                    Some("id"),
                    format!(
                        "a second line for conversation {} (the first is line {}): run `musegen pairs --force`",
                        head.id, first.line
                    ),
                ));
            }
        }
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::read(path, e))?;
        Ok(PairsReader {
            path: path.to_path_buf(),
            reader,
            settings: settings.to_string(),
            index,
            position: 0,
            text: String::new(),
        })
    }

    /// The line of conversation `c`; an error naming the line when the file has none for it (it is unfinished),
    /// holds another version of it, or was made under other settings.
    pub fn next_for(&mut self, c: &crate::model::Conversation) -> Result<ConversationPairs> {
        let id = c.id.as_str();
        let Some(at) = self.index.get(id).copied() else {
            return Err(Error::input(
                &self.path,
                None,
                None,
                format!(
                    "no pairs for conversation {id}: the file is unfinished or made from other conversations (run \
                     `musegen pairs`)"
                ),
            ));
        };
        if at.offset != self.position {
            self.reader
                .seek(SeekFrom::Start(at.offset))
                .map_err(|e| Error::read(&self.path, e))?;
        }
        self.text.clear();
        let n = self.reader.read_line(&mut self.text).map_err(|e| {
            Error::input(&self.path, Some(at.line), None, format!("cannot read: {e}"))
        })?;
        self.position = at.offset + n as u64;
        let line = Some(at.line);
        let record: ConversationPairs = serde_json::from_str(&self.text)
            .map_err(|e| Error::input(&self.path, line, None, format!("not a pairs line: {e}")))?;
        if record.settings != self.settings {
            return Err(Error::input(
                &self.path,
                line,
                Some("settings"),
                "made under other settings than the config's (run `musegen pairs --force`)",
            ));
        }
        if record.conversation != super::conversation_key(c) {
            return Err(Error::input(
                &self.path,
                line,
                Some("conversation"),
                format!(
                    "holds the pairs of another version of conversation {id}: made from other conversations (run \
                     `musegen pairs --force`)"
                ),
            ));
        }
        Ok(record)
    }
}
