//! Every export at once (`musegen export all`, and the last step of `musegen run`): the SFT files and preference pairs
//! in all three formats (from the kept set), the analytics files (from every conversation of the run, the review's
//! verdict a column), then the dataset card describing them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::chat::ChatFormat;
use super::dpo::{DpoOptions, DpoReport, export_dpo};
use super::sft::{SftOptions, SftReport, export_sft, system_prompt};
use super::steps::timed;
use crate::Result;
use crate::config::Config;
use crate::io::Sources;

/// What the exports wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportReport {
    /// The SFT files.
    pub sft: SftReport,
    /// The preference pairs.
    pub dpo: DpoReport,
    /// The turn log, tables, schemas and StoryBot file.
    pub analytics: super::AnalyticsReport,
    /// The dataset card.
    pub card: PathBuf,
    /// Each step's rows and seconds, in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<super::steps::ExportStep>,
}

/// Write every export of `sources` into `dir` with the default options (the kept set, the system prompt), and the
/// card; the preference pairs are rendered from `dir/pairs.jsonl`, which the pairs stage made.
pub fn export_all(config: &Config, sources: &Sources, dir: &Path) -> Result<ExportReport> {
    let system = if config.export.system_prompt {
        Some(system_prompt(config.prompts_dir.as_deref())?)
    } else {
        None
    };
    let sum = |m: &std::collections::BTreeMap<String, usize>| m.values().sum::<usize>() as u64;
    let (sft, sft_step) = timed(
        "sft",
        || {
            export_sft(
                config,
                sources,
                dir,
                &ChatFormat::ALL,
                &SftOptions {
                    system: system.clone(),
                    ..SftOptions::default()
                },
            )
        },
        |r: &SftReport| sum(&r.samples),
    )?;
    let (dpo, dpo_step) = timed(
        "dpo",
        || {
            export_dpo(
                config,
                sources,
                &dir.join(crate::io::names::PAIRS),
                dir,
                &ChatFormat::ALL,
                &DpoOptions {
                    system,
                    ..DpoOptions::default()
                },
            )
        },
        |r: &DpoReport| sum(&r.pairs),
    )?;
    let run_dir = sources
        .conversations
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Analytics read every conversation (a chat log has the failures too); the review's verdict is a column.
    let mut every = sources.clone();
    let all = run_dir.join(crate::io::names::CONVERSATIONS);
    if all.is_file() {
        every.conversations = all;
    }
    let (analytics, analytics_step) = timed(
        "analytics",
        || super::export_analytics(config, &every, dir),
        |r| r.rows.values().sum::<usize>() as u64,
    )?;
    let (card, card_step) = timed(
        "card",
        || super::card::write_card(config, run_dir, dir),
        |_| 1,
    )?;
    Ok(ExportReport {
        sft,
        dpo,
        analytics,
        card,
        steps: vec![sft_step, dpo_step, analytics_step, card_step],
    })
}
