//! Analytics exports: the turn log (`analytics/turns.jsonl`), the flat tables (`analytics/chats.csv`,
//! `analytics/messages.csv`, optionally reshaped by a column mapping), the star and snowflake schemas (`star/`,
//! `snowflake/`: CSV tables with stable surrogate keys, portable DDL and load scripts) and the StoryBot shape
//! (`storybot/conversations.json`). Timestamps are synthetic but consistent: see [`timeline`].

pub mod expr;
pub mod facts;
pub mod flat;
pub mod inputs;
pub mod mapping;
pub mod rows;
pub mod schema;
pub mod snowflake;
pub mod star;
pub mod storybot;
pub mod timeline;
pub mod turns;
pub mod warehouse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use flat::export_tables;
pub use inputs::{Chat, Inputs};
pub use mapping::Mapping;
pub use star::{Flavor, export_schema};
pub use storybot::export_storybot;
pub use turns::export_turns;

use crate::Result;
use crate::config::Config;
use crate::io::Sources;

/// What an analytics export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsReport {
    /// Conversations read.
    pub conversations: usize,
    /// Turns read.
    pub turns: usize,
    /// Earliest session start (RFC 3339), when there was a conversation.
    pub first_session: Option<String>,
    /// Latest session start (RFC 3339).
    pub last_session: Option<String>,
    /// Data rows (JSON lines, CSV rows after the header, StoryBot conversations) per data file written, by path
    /// relative to the output folder (`star/fact_turn.csv`); the SQL scripts are in `files` only.
    pub rows: BTreeMap<String, usize>,
    /// The files written, in the order they were written.
    pub files: Vec<PathBuf>,
}

impl AnalyticsReport {
    /// Record `file` (under `dir`) with `rows` rows.
    pub fn add_file(&mut self, dir: &Path, file: &Path, rows: usize) {
        let name = file
            .strip_prefix(dir)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        self.rows.insert(name, rows);
        self.files.push(file.to_path_buf());
    }

    /// Count one conversation of `turns` turns starting at `start` (RFC 3339, which sorts as time does).
    pub fn add_conversation(&mut self, turns: usize, start: &str) {
        self.conversations += 1;
        self.turns += turns;
        if self.first_session.as_deref().is_none_or(|f| start < f) {
            self.first_session = Some(start.to_string());
        }
        if self.last_session.as_deref().is_none_or(|l| start > l) {
            self.last_session = Some(start.to_string());
        }
    }

    /// Fold the files of `other` into this report (the counts of the inputs are the same for every family).
    pub fn merge(&mut self, other: AnalyticsReport) {
        if self.conversations == 0 && self.files.is_empty() {
            self.conversations = other.conversations;
            self.turns = other.turns;
            self.first_session = other.first_session;
            self.last_session = other.last_session;
        }
        self.rows.extend(other.rows);
        self.files.extend(other.files);
    }
}

/// Write every analytics export of `sources` under `dir`: the turn log, the flat tables (default columns), the star
/// and snowflake schemas and the StoryBot file. Each file appears whole or not at all.
pub fn export_analytics(config: &Config, sources: &Sources, dir: &Path) -> Result<AnalyticsReport> {
    use super::steps::timed;
    let rows = |r: &AnalyticsReport| r.rows.values().sum::<usize>() as u64;
    let inputs = Inputs::load(config, sources)?;
    let (mut report, _) = timed("turns", || export_turns(&inputs, dir), rows)?;
    report.merge(timed("tables", || export_tables(&inputs, dir, None), rows)?.0);
    report.merge(timed("star", || export_schema(&inputs, dir, Flavor::Star), rows)?.0);
    report.merge(
        timed(
            "snowflake",
            || export_schema(&inputs, dir, Flavor::Snowflake),
            rows,
        )?
        .0,
    );
    report.merge(timed("storybot", || export_storybot(&inputs, dir), rows)?.0);
    Ok(report)
}
