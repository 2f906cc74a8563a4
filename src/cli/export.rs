//! The `export` command: training files from the conversations.

use std::path::PathBuf;

use clap::Subcommand;

use super::{Global, print};
use crate::Result;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Supervised fine-tuning files, one sample per conversation, split train/validation/test into DIR.
    Sft {
        /// The file shape.
        #[arg(long, value_enum)]
        format: crate::export::SftFormat,
        /// A run folder or a conversations file to export (default: --out; a folder gives its kept.jsonl when the
        /// review wrote it, else its conversations.jsonl).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
    },
    /// The analytics exports: turns, tables, star (and snowflake), storybot, analytics.
    #[command(flatten)]
    Analytics(super::analytics::AnalyticsCommand),
}

/// `musegen export …`.
pub fn export(g: &Global, command: &ExportCommand) -> Result<()> {
    match command {
        ExportCommand::Sft { format, input } => {
            let cfg = g.load(&[])?.config;
            let dir = g.dir();
            let sources = crate::export::Sources::resolve(input.as_deref(), &dir)?;
            let system = if cfg.export.system_prompt {
                Some(crate::export::sft::system_prompt(
                    cfg.prompts_dir.as_deref(),
                )?)
            } else {
                None
            };
            let report = crate::export::export_sft(
                &sources.conversations,
                &dir,
                *format,
                system.as_deref(),
                cfg.export.split,
            )?;
            print::sft(&report, g.json)
        }
        ExportCommand::Analytics(command) => super::analytics::run(g, command),
    }
}
