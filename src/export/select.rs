//! Which conversations an export takes: those the source file holds (the kept set of a run folder), narrowed by an
//! optional rule over their reviews (`--where`, the keep rule's language: `judge.muse_filter.total >= 5`) and, with
//! deduplication, without a conversation whose text repeats an earlier one's word for word (case and punctuation
//! aside).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::io::Sources;
use crate::model::Conversation;
use crate::model::keep::KeepRule;
use crate::{Error, Result};

/// What the selection let through and why it left the rest out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectionReport {
    /// Conversations read.
    pub read: usize,
    /// Left out by `--where`.
    pub filtered: usize,
    /// Left out as duplicates.
    pub duplicates: usize,
}

/// The selection of one export.
pub struct Selection {
    admitted: Option<HashSet<String>>,
    dedup: bool,
    seen: HashSet<u64>,
    /// The counts so far.
    pub report: SelectionReport,
    /// The export's progress over the conversations read, once [`Selection::counted`] names it.
    progress: Option<crate::progress::Progress>,
}

impl Selection {
    /// Everything, or the conversations whose review passes `rule` (which needs the reviews file), without
    /// duplicates when `dedup`.
    pub fn new(sources: &Sources, rule: Option<&str>, dedup: bool) -> Result<Self> {
        let admitted = match rule {
            None => None,
            Some(rule) => {
                let reviews = sources.reviews()?;
                let Some(sample) = reviews.values().min_by(|a, b| a.id.cmp(&b.id)) else {
                    return Err(Error::Config(format!(
                        "--where `{rule}` needs the reviews (run `musegen review` first)"
                    )));
                };
                let keep = KeepRule::compile(rule, sample).map_err(|e| {
                    Error::Config(e.to_string().replacen("review.keep", "--where", 1))
                })?;
                let prepared = keep.prepare().map_err(Error::Config)?;
                Some(
                    reviews
                        .values()
                        .filter(|r| prepared.judge(r).0)
                        .map(|r| r.id.clone())
                        .collect(),
                )
            }
        };
        Ok(Selection {
            admitted,
            dedup,
            seen: HashSet::new(),
            report: SelectionReport::default(),
            progress: None,
        })
    }

    /// Show the conversations read as the progress of the export `label`.
    pub fn counted(mut self, label: &str) -> Self {
        self.progress = Some(crate::progress::Progress::new(label, 0, false));
        self
    }

    /// Whether the export takes `c`.
    pub fn admit(&mut self, c: &Conversation) -> bool {
        self.report.read += 1;
        if let Some(p) = self.progress.as_mut() {
            p.inc(1);
        }
        if self.admitted.as_ref().is_some_and(|a| !a.contains(&c.id)) {
            self.report.filtered += 1;
            return false;
        }
        if self.dedup && !self.seen.insert(text_hash(c)) {
            self.report.duplicates += 1;
            return false;
        }
        true
    }
}

/// A hash of the conversation's words, lowercased, punctuation dropped.
fn text_hash(c: &Conversation) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for t in &c.turns {
        for w in t
            .text
            .split(|ch: char| !ch.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            h.update(w.to_lowercase().as_bytes());
            h.update(b" ");
        }
        h.update(b"\n");
    }
    h.digest()
}
