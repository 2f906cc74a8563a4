//! Conversations from elsewhere, brought into the review: ShareGPT (`conversations` of `from`/`value`), OpenAI chat
//! JSONL (`messages`), MUSE `detail_convs` and plain `convs` (a folder of `conv_N.json`, or one file), the StoryBot
//! `conversations.json` shape (`messages_list`; the bot is the account whose screen name is the bot's), and CSV chat
//! logs with a JSON `conversation_log` column. Each record becomes a musegen conversation (acts unknown unless the
//! source says them); a malformed record is skipped and counted with its line (or file), a repeated id too. A file
//! that cannot be read at all is an input error naming it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::io::{AtomicFile, JsonlWriter, read_jsonl_lines};

mod chat;
mod muse;
use crate::model::{Action, Conversation, EndReason, GenerationMeta, Outcome, Role, Turn, Usage};
use crate::{Error, Result};
use chat::{chat_records, csv_log, storybot};
use muse::muse;

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

    fn label(self) -> &'static str {
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

/// A record left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// Where: `line 12`, `row 4`, or a file name.
    pub at: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The source's shape.
    pub format: Option<Format>,
    /// Records read.
    pub read: usize,
    /// Conversations written.
    pub imported: usize,
    /// Records left out (the first 100), with where and why.
    pub skipped: Vec<Skipped>,
    /// Records left out in all.
    pub skipped_count: usize,
    /// Records whose id repeated an earlier one (left out, and counted in `skipped` too).
    pub duplicate_ids: usize,
}

/// Gathers converted conversations, ids unique.
pub(super) struct Sink<'a> {
    writer: JsonlWriter<&'a mut AtomicFile>,
    ids: HashSet<String>,
    report: ImportReport,
    meta: GenerationMeta,
}

impl Sink<'_> {
    pub(super) fn skip(&mut self, at: String, reason: impl Into<String>) {
        self.report.skipped_count += 1;
        if self.report.skipped.len() < 100 {
            self.report.skipped.push(Skipped {
                at,
                reason: reason.into(),
            });
        }
    }

    /// Add a conversation of `turns` under `id` (or a number), from the record at `at`.
    pub(super) fn add(
        &mut self,
        at: String,
        id: Option<String>,
        turns: Vec<Turn>,
        extra: Extra,
    ) -> Result<()> {
        self.report.read += 1;
        if turns.is_empty() {
            self.skip(at, "no message with text");
            return Ok(());
        }
        let id = id.unwrap_or_else(|| format!("i{:08}", self.report.read - 1));
        if !self.ids.insert(id.clone()) {
            self.report.duplicate_ids += 1;
            self.skip(at, format!("duplicate id {id}"));
            return Ok(());
        }
        let mentioned = if extra.mentioned.is_empty() {
            let mut seen = Vec::new();
            for t in turns.iter().filter(|t| t.role == Role::System) {
                for i in &t.items {
                    if !seen.contains(i) {
                        seen.push(i.clone());
                    }
                }
            }
            seen
        } else {
            extra.mentioned
        };
        let accepted = turns
            .iter()
            .rev()
            .find(|t| t.action == Action::Accept)
            .and_then(|t| t.items.first().cloned());
        let rounds = turns
            .iter()
            .filter(|t| t.action == Action::Recommend)
            .count() as u32;
        let c = Conversation {
            id,
            profile_id: String::new(),
            target_item_id: extra.target,
            outcome: if accepted.is_some() {
                Outcome::Accepted
            } else {
                Outcome::Unknown
            },
            end_reason: EndReason::Unknown,
            rounds,
            accepted_item: accepted,
            mentioned_items: mentioned,
            turns,
            usage: Usage::default(),
            meta: self.meta.clone(),
        };
        self.writer.write(&c)?;
        self.report.imported += 1;
        Ok(())
    }
}

/// What some sources say beyond the turns.
#[derive(Default)]
pub(super) struct Extra {
    pub(super) target: String,
    pub(super) mentioned: Vec<String>,
}

pub(super) fn turn(
    role: Role,
    action: Action,
    text: &str,
    items: Vec<String>,
    images: Vec<String>,
) -> Turn {
    Turn {
        role,
        action,
        text: text.trim().to_string(),
        items,
        images,
        slots: Vec::new(),
        query: None,
        latency_ms: 0,
        first_token_ms: None,
    }
}

pub(super) fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::input(path, Some(e.line()), None, format!("not JSON: {e}")))
}

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

pub(super) fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Import `input` (of `format`) into `out` as musegen conversations; `bot` names the StoryBot account.
pub fn import(input: &Path, format: Format, bot: Option<&str>, out: &Path) -> Result<ImportReport> {
    let mut file = AtomicFile::create(out)?;
    let mut sink = Sink {
        writer: JsonlWriter::new(&mut file, out),
        ids: HashSet::new(),
        report: ImportReport {
            format: Some(format),
            ..ImportReport::default()
        },
        meta: GenerationMeta {
            user_agent: format!("import:{}", format.label()),
            system_agent: format!("import:{}", format.label()),
            config_hash: String::new(),
            seed: 0,
            musegen: env!("CARGO_PKG_VERSION").to_string(),
        },
    };
    match format {
        Format::Musegen => {
            return Err(Error::Config("musegen conversations need no import".into()));
        }
        Format::Sharegpt | Format::Openai => chat_records(input, format, &mut sink)?,
        Format::MuseDetail | Format::MuseConvs => muse(input, format, &mut sink)?,
        Format::Storybot => storybot(input, bot, &mut sink)?,
        Format::Csv => csv_log(input, &mut sink)?,
    }
    let report = sink.report;
    drop(sink.writer);
    file.commit()?;
    Ok(report)
}
