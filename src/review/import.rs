//! Conversations from elsewhere, brought into the review: ShareGPT (`conversations` of `from`/`value`), OpenAI chat
//! JSONL (`messages`), MUSE `detail_convs` and plain `convs` (a folder of `conv_N.json`, or one file), the StoryBot
//! `conversations.json` shape (`messages_list`; the bot is the account whose screen name is the bot's), and CSV chat
//! logs with a JSON `conversation_log` column. Each record becomes a musegen conversation (acts unknown unless the
//! source says them); a malformed record is skipped and counted with its line (or file), a repeated id too. A file
//! that cannot be read at all is an input error naming it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::io::{AtomicFile, JsonlWriter, read_jsonl_lines};
use crate::model::{Action, Conversation, EndReason, GenerationMeta, Outcome, Role, Turn, Usage};
use crate::{Error, Result};

/// The shapes an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
struct Sink<'a> {
    writer: JsonlWriter<&'a mut AtomicFile>,
    ids: HashSet<String>,
    report: ImportReport,
    meta: GenerationMeta,
}

impl Sink<'_> {
    fn skip(&mut self, at: String, reason: impl Into<String>) {
        self.report.skipped_count += 1;
        if self.report.skipped.len() < 100 {
            self.report.skipped.push(Skipped {
                at,
                reason: reason.into(),
            });
        }
    }

    /// Add a conversation of `turns` under `id` (or a number), from the record at `at`.
    fn add(
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
struct Extra {
    target: String,
    mentioned: Vec<String>,
}

fn turn(role: Role, action: Action, text: &str, items: Vec<String>, images: Vec<String>) -> Turn {
    Turn {
        role,
        action,
        text: text.trim().to_string(),
        items,
        images,
        slots: Vec::new(),
        query: None,
        latency_ms: 0,
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::input(path, Some(e.line()), None, format!("not JSON: {e}")))
}

fn conv_files(dir: &Path) -> Result<Vec<PathBuf>> {
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

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The text of an OpenAI `content`: a string, or the text parts of a list.
fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => {
            let text: Vec<&str> = parts
                .iter()
                .filter(|p| p["type"] == "text")
                .filter_map(|p| p["text"].as_str())
                .collect();
            (!text.is_empty()).then(|| text.join("\n"))
        }
        _ => None,
    }
}

/// Speaker of a role word used by chat logs: the shopper, the assistant, or neither (system prompts, tools).
fn speaker(word: &str) -> Option<Option<Role>> {
    match word.trim().to_ascii_lowercase().as_str() {
        "human" | "user" | "customer" | "client" | "shopper" => Some(Some(Role::User)),
        "gpt" | "assistant" | "bot" | "agent" | "ai" | "model" | "chatbot" => {
            Some(Some(Role::System))
        }
        "system" | "tool" | "function" | "developer" => Some(None),
        _ => None,
    }
}

/// Turns from a list of `{role_key: …, text_key: …}` messages; an unknown role is an error naming it.
fn chat_turns(
    messages: &Value,
    role_key: &str,
    text: impl Fn(&Value) -> Option<String>,
) -> std::result::Result<Vec<Turn>, String> {
    let list = messages.as_array().ok_or("the messages are not a list")?;
    let mut turns = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let who = m[role_key]
            .as_str()
            .ok_or_else(|| format!("message {}: no `{role_key}`", i + 1))?;
        let role =
            speaker(who).ok_or_else(|| format!("message {}: unknown {role_key} `{who}`", i + 1))?;
        let Some(role) = role else {
            continue;
        };
        match text(m) {
            Some(t) if !t.trim().is_empty() => {
                turns.push(turn(role, Action::Message, &t, vec![], vec![]))
            }
            _ => {}
        }
    }
    Ok(turns)
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

/// ShareGPT or OpenAI records, from JSON Lines or a JSON array.
fn chat_records(input: &Path, format: Format, sink: &mut Sink) -> Result<()> {
    let convert = |v: &Value| -> std::result::Result<Vec<Turn>, String> {
        match format {
            Format::Sharegpt => chat_turns(&v["conversations"], "from", |m| {
                m["value"].as_str().map(str::to_string)
            }),
            _ => chat_turns(&v["messages"], "role", |m| content_text(&m["content"])),
        }
    };
    let jsonl = input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
    if jsonl {
        read_jsonl_lines(input, |line, text| {
            let at = format!("line {line}");
            match serde_json::from_str::<Value>(text) {
                Ok(v) => match convert(&v) {
                    Ok(turns) => sink.add(at, id_of(&v["id"]), turns, Extra::default())?,
                    Err(why) => {
                        sink.report.read += 1;
                        sink.skip(at, why);
                    }
                },
                Err(e) => {
                    sink.report.read += 1;
                    sink.skip(at, format!("not JSON: {e}"));
                }
            }
            Ok(())
        })
    } else {
        let v = read_json(input)?;
        let list = v.as_array().ok_or_else(|| {
            Error::input(
                input,
                Some(1),
                None,
                "expected a JSON array of conversations",
            )
        })?;
        for (i, rec) in list.iter().enumerate() {
            let at = format!("record {}", i + 1);
            match convert(rec) {
                Ok(turns) => sink.add(at, id_of(&rec["id"]), turns, Extra::default())?,
                Err(why) => {
                    sink.report.read += 1;
                    sink.skip(at, why);
                }
            }
        }
        Ok(())
    }
}

fn muse_action(label: &str) -> Action {
    match label.trim().to_ascii_lowercase().as_str() {
        "recommend" => Action::Recommend,
        "reject" => Action::Reject,
        "accept" => Action::Accept,
        "chit-chat" | "chit_chat" | "chitchat" => Action::ChitChat,
        _ => Action::Message,
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(id_of).collect(),
        v => id_of(v).into_iter().collect(),
    }
}

/// One MUSE conversation (detail or plain) from its JSON.
fn muse_turns(v: &Value, format: Format) -> std::result::Result<(Vec<Turn>, Extra), String> {
    let list = match format {
        Format::MuseDetail => &v["Conversations"],
        _ => v,
    };
    let list = list.as_array().ok_or("no list of turns")?;
    let mut turns = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let (role, text) = match (t["Assistant"].as_str(), t["User"].as_str()) {
            (Some(text), _) => (Role::System, text),
            (None, Some(text)) => (Role::User, text),
            _ => return Err(format!("turn {}: neither Assistant nor User", i + 1)),
        };
        let action = t["Action"].as_str().map_or(Action::Message, muse_action);
        if text.trim().is_empty() {
            continue;
        }
        turns.push(turn(
            role,
            action,
            text,
            strings(&t["Mentioned_item"]),
            strings(&t["Image"]),
        ));
    }
    let extra = Extra {
        target: v["Target_item"]["item_id"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        mentioned: strings(&v["Mentioned_items"]),
    };
    Ok((turns, extra))
}

/// A folder of `conv_N.json` files (the id is `conv_N`), or one such file.
fn muse(input: &Path, format: Format, sink: &mut Sink) -> Result<()> {
    let files = if input.is_dir() {
        conv_files(input)?
    } else {
        vec![input.to_path_buf()]
    };
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let id = f.file_stem().map(|s| s.to_string_lossy().into_owned());
        let parsed = std::fs::read_to_string(&f)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| format!("not JSON: {e}")))
            .and_then(|v| muse_turns(&v, format));
        match parsed {
            Ok((turns, extra)) => sink.add(name, id, turns, extra)?,
            Err(why) => {
                sink.report.read += 1;
                sink.skip(name, why);
            }
        }
    }
    Ok(())
}

/// StoryBot: conversations of `messages_list`; messages by `screen_name` `bot` are the assistant's (by default the
/// screen name found in the most conversations, as a bot talks to everyone).
fn storybot(input: &Path, bot: Option<&str>, sink: &mut Sink) -> Result<()> {
    let v = read_json(input)?;
    let conversations: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        v if v.get("messages_list").is_some() => vec![v],
        _ => {
            return Err(Error::input(
                input,
                Some(1),
                Some("messages_list"),
                "expected an object with messages_list, or a list of them",
            ));
        }
    };
    let bot = match bot {
        Some(b) => b.to_string(),
        None => {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for c in &conversations {
                let names: HashSet<&str> = c["messages_list"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m["screen_name"].as_str())
                    .collect();
                for n in names {
                    *seen.entry(n).or_insert(0) += 1;
                }
            }
            let mut ranked: Vec<(&str, usize)> = seen.into_iter().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            ranked
                .first()
                .map(|(n, _)| n.to_string())
                .unwrap_or_default()
        }
    };
    for (i, c) in conversations.iter().enumerate() {
        let at = format!("conversation {}", i + 1);
        let Some(list) = c["messages_list"].as_array() else {
            sink.report.read += 1;
            sink.skip(at, "no messages_list");
            continue;
        };
        let mut messages: Vec<(&str, &Value)> = list
            .iter()
            .map(|m| (m["transaction_datetime_utc"].as_str().unwrap_or(""), m))
            .collect();
        messages.sort_by(|a, b| a.0.cmp(b.0));
        let turns: Vec<Turn> = messages
            .iter()
            .filter_map(|(_, m)| {
                let text = m["message"].as_str()?;
                let role = if m["screen_name"].as_str() == Some(bot.as_str()) {
                    Role::System
                } else {
                    Role::User
                };
                (!text.trim().is_empty()).then(|| turn(role, Action::Message, text, vec![], vec![]))
            })
            .collect();
        let id = list
            .first()
            .and_then(|m| id_of(&m["ref_conversation_id"]).or_else(|| id_of(&m["ref_user_id"])));
        sink.add(at, id, turns, Extra::default())?;
    }
    Ok(())
}

/// CSV chat logs: one row per conversation, its messages in the JSON `conversation_log` column.
fn csv_log(input: &Path, sink: &mut Sink) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(input)
        .map_err(|e| Error::input(input, None, None, e.to_string()))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::input(input, Some(1), None, e.to_string()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let log = column("conversation_log").ok_or_else(|| {
        Error::input(
            input,
            Some(1),
            Some("conversation_log"),
            "no conversation_log column",
        )
    })?;
    let id_col = ["conversation_id", "chat_id", "id"]
        .iter()
        .find_map(|n| column(n));
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let at = format!("line {line}");
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                sink.report.read += 1;
                sink.skip(at, e.to_string());
                continue;
            }
        };
        let id = id_col
            .and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let parsed = record
            .get(log)
            .ok_or_else(|| "no conversation_log field".to_string())
            .and_then(|t| {
                serde_json::from_str::<Value>(t)
                    .map_err(|e| format!("conversation_log is not JSON: {e}"))
            })
            .and_then(|v| {
                chat_turns(&v, "role", |m| {
                    let kind = m["type"].as_str().unwrap_or("text");
                    (kind == "text")
                        .then(|| m["content"].as_str().map(str::to_string))
                        .flatten()
                })
            });
        match parsed {
            Ok(turns) => sink.add(at, id, turns, Extra::default())?,
            Err(why) => {
                sink.report.read += 1;
                sink.skip(at, why);
            }
        }
    }
    Ok(())
}
