//! Chat-shaped sources: ShareGPT and OpenAI records, StoryBot message lists, CSV logs with a JSON column.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::format::{Format, read_json};
use super::sink::{Extra, Sink, id_of, turn};
use crate::io::read_jsonl_lines;
use crate::model::{Action, Role, Turn};
use crate::{Error, Result};

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

/// ShareGPT or OpenAI records, from JSON Lines or a JSON array.
pub(super) fn chat_records(input: &Path, format: Format, sink: &mut Sink) -> Result<()> {
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

/// StoryBot: conversations of `messages_list`; messages by `screen_name` `bot` are the assistant's (by default the
/// screen name found in the most conversations, as a bot talks to everyone).
pub(super) fn storybot(input: &Path, bot: Option<&str>, sink: &mut Sink) -> Result<()> {
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
pub(super) fn csv_log(input: &Path, sink: &mut Sink) -> Result<()> {
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
