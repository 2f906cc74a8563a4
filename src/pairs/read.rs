//! Reading `pairs.jsonl` beside the conversations it was made from: the lines come in the conversations' order, so
//! a reader walks both together and hands out the line of each conversation, checking that it is the one.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::record::ConversationPairs;
use crate::{Error, Result};

/// The lines of a pairs file, read one conversation at a time.
pub struct PairsReader {
    path: PathBuf,
    reader: BufReader<File>,
    settings: String,
    line_no: usize,
    text: String,
}

impl PairsReader {
    /// Open `path`, whose lines must have been made under `settings` (see [`super::settings_key`]).
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
        Ok(PairsReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            settings: settings.to_string(),
            line_no: 0,
            text: String::new(),
        })
    }

    /// The line of conversation `id`, the next one in the file; an error naming the line when the file ends, holds
    /// another conversation there, or was made under other settings.
    pub fn next_for(&mut self, c: &crate::model::Conversation) -> Result<ConversationPairs> {
        let id = c.id.as_str();
        loop {
            self.text.clear();
            let n = self.reader.read_line(&mut self.text).map_err(|e| {
                Error::input(
                    &self.path,
                    Some(self.line_no + 1),
                    None,
                    format!("cannot read: {e}"),
                )
            })?;
            if n == 0 {
                return Err(Error::input(
                    &self.path,
                    Some(self.line_no + 1),
                    None,
                    format!(
                        "no pairs for conversation {id}: the file is unfinished (run `musegen pairs`)"
                    ),
                ));
            }
            self.line_no += 1;
            if !self.text.trim().is_empty() {
                break;
            }
        }
        let line = Some(self.line_no);
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
        if record.id != id || record.conversation != super::conversation_key(c) {
            return Err(Error::input(
                &self.path,
                line,
                Some("id"),
                format!(
                    "holds the pairs of {} where the conversations have {id} (or another version of it): made from \
                     other conversations (run `musegen pairs --force`)",
                    record.id
                ),
            ));
        }
        Ok(record)
    }
}
