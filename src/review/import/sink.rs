//! Where imported records go: the converted conversations (each id once), the import's report with every skipped
//! record, and the small readers the shapes share.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::format::Format;
use crate::Result;
use crate::io::{AtomicFile, JsonlWriter};
use crate::model::{Action, Conversation, EndReason, GenerationMeta, Outcome, Role, Turn, Usage};

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
    /// The converted conversations.
    pub(super) writer: JsonlWriter<&'a mut AtomicFile>,
    /// The ids written so far.
    pub(super) ids: HashSet<String>,
    /// What the import did.
    pub(super) report: ImportReport,
    /// What each conversation records as its source.
    pub(super) meta: GenerationMeta,
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

/// A record's id, from a string or a number.
pub(super) fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
