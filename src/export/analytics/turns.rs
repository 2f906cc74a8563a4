//! The turn log `analytics/turns.jsonl`: one JSON line per turn, in conversation and turn order. `role` is the
//! model's serialisation (`user` for the shopper, `system` for the recommender), `action` the dialogue act
//! (`greet`, `recommend`, `reject` …), `timestamp` the synthetic clock's RFC 3339 UTC time, `tokens` the cl100k
//! count of the text.

use std::path::Path;

use serde::Serialize;

use super::timeline::rfc3339;
use super::{AnalyticsReport, Inputs};
use crate::Result;
use crate::export::layout;
use crate::io::{AtomicFile, JsonlWriter};
use crate::model::{Action, Role};

/// One line of the turn log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnRecord<'a> {
    /// The conversation's id.
    pub conversation_id: &'a str,
    /// The turn's index in the conversation, from 0.
    pub turn: usize,
    /// The profile id of the user (null for conversations without one).
    pub user_id: Option<&'a str>,
    /// Item ids the turn mentions (`[]` when none).
    pub item_ids: &'a [String],
    /// The item the user was after (null when not known).
    pub target_item_id: Option<&'a str>,
    /// Speaker: `user` or `system`.
    pub role: Role,
    /// Dialogue act.
    pub action: Action,
    /// The utterance.
    pub text: &'a str,
    /// When it was said (RFC 3339 UTC, milliseconds).
    pub timestamp: String,
    /// Time taken to produce it, in milliseconds.
    pub latency_ms: u32,
    /// Tokens of the text.
    pub tokens: u32,
    /// The conversation's split.
    pub split: &'static str,
}

/// Write `dir/analytics/turns.jsonl` (whole or not at all).
pub fn export_turns(inputs: &Inputs, dir: &Path) -> Result<AnalyticsReport> {
    let path = dir.join(layout::ANALYTICS).join("turns.jsonl");
    let mut file = AtomicFile::create(&path)?;
    let mut report = AnalyticsReport::default();
    {
        let mut out = JsonlWriter::new(&mut file, &path);
        inputs.for_each_chat(|chat| {
            let c = chat.conversation;
            report.add_conversation(c.turns.len(), &rfc3339(chat.start_ms));
            for (i, t) in c.turns.iter().enumerate() {
                out.write(&TurnRecord {
                    conversation_id: &c.id,
                    turn: i,
                    user_id: chat.user_id(),
                    item_ids: &t.items,
                    target_item_id: Some(c.target_item_id.as_str()).filter(|s| !s.is_empty()),
                    role: t.role,
                    action: t.action,
                    text: &t.text,
                    timestamp: rfc3339(chat.times[i]),
                    latency_ms: t.latency_ms,
                    tokens: chat.tokens[i],
                    split: chat.split,
                })?;
            }
            Ok(())
        })?;
    }
    file.commit()?;
    let turns = report.turns;
    report.add_file(dir, &path, turns);
    Ok(report)
}
