//! MUSE's shapes: `detail_convs/conv_N.json` (acts, mentioned items, the target) and `convs/conv_N.json`.

use std::path::Path;

use serde_json::Value;

use super::format::{Format, conv_files};
use super::sink::{Extra, Sink, id_of, turn};
use crate::Result;
use crate::model::{Action, Role, Turn};

pub(super) fn muse_action(label: &str) -> Action {
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
pub(super) fn muse_turns(
    v: &Value,
    format: Format,
) -> std::result::Result<(Vec<Turn>, Extra), String> {
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
pub(super) fn muse(input: &Path, format: Format, sink: &mut Sink) -> Result<()> {
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
