//! The shapes of outside conversations an import understands, and how each is detected.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::io::read_jsonl_lines;
use crate::{Error, Result};

/// The shapes an import understands (`--from`; detected when not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// musegen's own conversations (no import needed).
    Musegen,
    /// ShareGPT: `{"conversations": [{"from": "human"|"gpt"|"system", "value": …}]}`, JSON Lines or a JSON array.
    Sharegpt,
    /// OpenAI chat: `{"messages": [{"role": "system"|"user"|"assistant", "content": …}]}`, JSON Lines.
    Openai,
    /// MUSE `detail_convs/conv_N.json`: Persona, Scenario, Target_item, Mentioned_items, Conversations.
    MuseDetail,
    /// MUSE `convs/conv_N.json`: `[{"Assistant": …}, {"User": …}]`.
    MuseConvs,
    /// StoryBot `conversations.json`: `messages_list` of message, ref_conversation_id, ref_user_id,
    /// transaction_datetime_utc, screen_name.
    Storybot,
    /// CSV with a header and a JSON `conversation_log` column of `{id, role, type, content}` messages.
    Csv,
}

impl Format {
    /// The shape of `path`, from its extension and its first record.
    pub fn detect(path: &Path) -> Result<Format> {
        if path.is_dir() {
            let first = conv_files(path)?.into_iter().next().ok_or_else(|| {
                Error::input(path, None, None, "no conv_N.json file in this folder")
            })?;
            let v = read_json(&first)?;
            return Ok(if v.is_array() {
                Format::MuseConvs
            } else {
                Format::MuseDetail
            });
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("csv") {
            return Ok(Format::Csv);
        }
        let first: Value = if ext.eq_ignore_ascii_case("jsonl") {
            let mut first = Value::Null;
            let mut found = false;
            read_jsonl_lines(path, |line, text| {
                if !found {
                    first = serde_json::from_str(text).map_err(|e| {
                        Error::input(path, Some(line), None, format!("not JSON: {e}"))
                    })?;
                    found = true;
                }
                Ok(())
            })?;
            first
        } else {
            read_json(path)?
        };
        let record = match &first {
            Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
            v => v.clone(),
        };
        Ok(if record.get("turns").is_some() {
            Format::Musegen
        } else if record.get("conversations").is_some() {
            Format::Sharegpt
        } else if record.get("messages").is_some() {
            Format::Openai
        } else if record.get("messages_list").is_some() {
            Format::Storybot
        } else if record.get("Conversations").is_some() {
            Format::MuseDetail
        } else if record.get("Assistant").is_some() || record.get("User").is_some() {
            Format::MuseConvs
        } else {
            return Err(Error::input(
                path,
                Some(1),
                None,
                "unknown conversation shape: expected turns, conversations, messages, messages_list or Conversations (or pass --from)",
            ));
        })
    }

    /// The short name a converted conversation records as its source (`import:sharegpt` …).
    pub(super) fn label(self) -> &'static str {
        match self {
            Format::Musegen => "musegen",
            Format::Sharegpt => "sharegpt",
            Format::Openai => "openai",
            Format::MuseDetail => "muse_detail",
            Format::MuseConvs => "muse_convs",
            Format::Storybot => "storybot",
            Format::Csv => "csv",
        }
    }
}

/// A whole JSON file.
pub(super) fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::input(path, Some(e.line()), None, format!("not JSON: {e}")))
}

/// The `conv_N.json` files of a MUSE folder, in N order.
pub(super) fn conv_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| Error::read(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let n = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.rsplit('_').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            (n, p)
        })
        .collect();
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}
