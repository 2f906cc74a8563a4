//! The analytics `export` commands: `turns`, `tables`, `star`, `storybot` and `analytics` (all of them).

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::global::Global;
use super::print;
use crate::Result;
use crate::export::Sources;
use crate::export::analytics::{self, AnalyticsReport, Flavor, Inputs, Mapping, rows};

/// The analytics exports, flattened into `musegen export`.
#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// The turn log DIR/analytics/turns.jsonl: one line per turn with synthetic timestamps (export.analytics).
    Turns {
        /// A run folder or a conversations file (default: --out).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
    },
    /// The flat tables DIR/analytics/chats.csv and DIR/analytics/messages.csv.
    Tables {
        /// A run folder or a conversations file (default: --out).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
        /// A column mapping (TOML: [[chats]] and [[messages]] entries of name and from, default or expr) that
        /// reshapes the tables into a fixed external schema.
        #[arg(long, value_name = "FILE")]
        mapping: Option<PathBuf>,
    },
    /// The star schema DIR/star/ (CSV tables, schema.sql, load_sqlite.sql, load_postgres.sql).
    Star {
        /// A run folder or a conversations file (default: --out).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
        /// Write the snowflake schema DIR/snowflake/ instead (category chain, persona attributes normalised).
        #[arg(long)]
        snowflake: bool,
    },
    /// The StoryBot shape DIR/storybot/conversations.json (`review --from storybot` reads it back).
    Storybot {
        /// A run folder or a conversations file (default: --out).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
    },
    /// Every analytics export at once: turns, tables, star, snowflake and StoryBot.
    Analytics {
        /// A run folder or a conversations file (default: --out).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
    },
}

/// `musegen export turns|tables|star|storybot|analytics`.
pub fn run(g: &Global, command: &AnalyticsCommand) -> Result<()> {
    let cfg = g.loaded()?.config;
    let dir = g.dir();
    let inputs = |input: &Option<PathBuf>| -> Result<(Sources, Inputs)> {
        let sources = Sources::resolve(input.as_deref(), &dir)?;
        let inputs = Inputs::load(&cfg, &sources)?;
        Ok((sources, inputs))
    };
    let (label, report) = match command {
        AnalyticsCommand::Turns { input } => {
            ("turns", analytics::export_turns(&inputs(input)?.1, &dir)?)
        }
        AnalyticsCommand::Tables { input, mapping } => {
            // The mapping is checked before anything is read or written.
            let mapping = mapping
                .as_deref()
                .map(|m| Mapping::load(m, rows::CHAT_COLUMNS, &rows::message_columns()))
                .transpose()?;
            let (_, i) = inputs(input)?;
            (
                "tables",
                analytics::export_tables(&i, &dir, mapping.as_ref())?,
            )
        }
        AnalyticsCommand::Star { input, snowflake } => {
            let (label, flavor) = if *snowflake {
                ("snowflake", Flavor::Snowflake)
            } else {
                ("star", Flavor::Star)
            };
            (
                label,
                analytics::export_schema(&inputs(input)?.1, &dir, flavor)?,
            )
        }
        AnalyticsCommand::Storybot { input } => (
            "storybot",
            analytics::export_storybot(&inputs(input)?.1, &dir)?,
        ),
        AnalyticsCommand::Analytics { input } => {
            let sources = Sources::resolve(input.as_deref(), &dir)?;
            (
                "analytics",
                crate::export::export_analytics(&cfg, &sources, &dir)?,
            )
        }
    };
    print::line(g.json, &summary(label, &report, &dir), &report)
}

/// The plain-text report: one line of counts, then one line per file with its rows.
fn summary(label: &str, r: &AnalyticsReport, dir: &Path) -> String {
    let span = match (&r.first_session, &r.last_session) {
        (Some(a), Some(b)) => format!(", sessions {a} .. {b}"),
        _ => String::new(),
    };
    let mut out = format!(
        "{label:<9} {} conversations, {} turns{span}",
        r.conversations, r.turns
    );
    for f in &r.files {
        let name = f
            .strip_prefix(dir)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        match r.rows.get(&name) {
            Some(n) => out.push_str(&format!("\n          -> {} ({n} rows)", f.display())),
            _ => out.push_str(&format!("\n          -> {}", f.display())),
        }
    }
    out
}
