//! The `export` command: training files from the conversations.

use std::path::PathBuf;

use clap::Subcommand;

use super::{Global, print};
use crate::Result;
use crate::pipeline::names;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Supervised fine-tuning files, one sample per conversation, split train/validation/test into DIR.
    Sft {
        /// The file shape.
        #[arg(long, value_enum)]
        format: crate::export::SftFormat,
        /// Conversations to export (default: DIR/kept.jsonl when the review wrote it, else DIR/conversations.jsonl).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
    },
}

/// `musegen export …`.
pub fn export(g: &Global, command: &ExportCommand) -> Result<()> {
    match command {
        ExportCommand::Sft { format, input } => {
            let cfg = g.load(&[])?.config;
            let dir = g.dir();
            let input = input.clone().unwrap_or_else(|| {
                Some(dir.join(names::KEPT))
                    .filter(|p| p.is_file())
                    .unwrap_or_else(|| dir.join(names::CONVERSATIONS))
            });
            let system = if cfg.export.system_prompt {
                Some(crate::export::sft::system_prompt(
                    cfg.prompts_dir.as_deref(),
                )?)
            } else {
                None
            };
            let report = crate::export::export_sft(
                &input,
                &dir,
                *format,
                system.as_deref(),
                cfg.export.split,
            )?;
            print::sft(&report, g.json)
        }
    }
}
