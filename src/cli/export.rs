//! The `export` command: training files from the conversations.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::global::Global;
use super::print;
use crate::Result;
use crate::export::{ChatFormat, SftOptions, Sources};

/// What every export reads, and which conversations it takes.
#[derive(Debug, Args)]
pub struct Selected {
    /// A run folder or a conversations file to export (default: --out; a folder gives its kept.jsonl when the
    /// review wrote it, else its conversations.jsonl).
    #[arg(long = "in", value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Only conversations whose review passes this rule (the keep rule's language, e.g.
    /// "judge.muse_filter.total >= 5 && grounding.fit_mean >= 0.9").
    #[arg(long = "where", value_name = "RULE")]
    pub rule: Option<String>,
    /// Leave out conversations that repeat an earlier one word for word.
    #[arg(long)]
    pub dedup: bool,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Supervised fine-tuning files, split train/validation/test, into DIR/sft/{format}_{split}.jsonl.
    Sft {
        /// The file shapes (repeatable; default: all three).
        #[arg(long, value_enum)]
        format: Vec<ChatFormat>,
        #[command(flatten)]
        selected: Selected,
        /// One sample per assistant reply (the conversation up to it) instead of one per conversation.
        #[arg(long)]
        per_turn: bool,
        /// Add the cards of the items the conversation mentions to the system message.
        #[arg(long)]
        item_cards: bool,
        /// Loss weights on the assistant messages (OpenAI's `weight`: 0 for a reply recommending an item that breaks
        /// what the shopper said; per turn, only the last reply).
        #[arg(long)]
        weights: bool,
        /// Image parts for the pictures the shopper was shown (files under catalog.images_dir, or URLs).
        #[arg(long)]
        images: bool,
        /// Start samples without the system prompt (same as --set export.system_prompt=false).
        #[arg(long)]
        no_system_prompt: bool,
    },
    /// Preference pairs rendered from DIR/pairs.jsonl (made first when missing, as `musegen pairs` makes it), split
    /// train/validation/test, into DIR/dpo/{format}_{split}.jsonl with DIR/dpo/meta_{split}.jsonl line by line
    /// beside them.
    Dpo {
        /// The file shapes (repeatable; default: all three).
        #[arg(long, value_enum)]
        format: Vec<ChatFormat>,
        #[command(flatten)]
        selected: Selected,
        /// Add the cards of the pair's items (shown before, chosen, rejected) to the system message.
        #[arg(long)]
        item_cards: bool,
        /// Image parts in the prompt for the pictures the shopper was shown (as `export sft --images`).
        #[arg(long)]
        images: bool,
        /// Pair sources (repeatable; same as --set export.dpo.sources=[...]); they shape pairs.jsonl, so a file made
        /// with others is refused (make it again with `musegen pairs --force`).
        #[arg(long = "source", value_enum)]
        sources: Vec<crate::config::PairSource>,
        /// Start prompts without the system prompt (same as --set export.system_prompt=false).
        #[arg(long)]
        no_system_prompt: bool,
    },
    /// Every export with the default options (SFT and preference pairs in all three formats) and the dataset card,
    /// as `musegen run` writes them.
    All {
        /// A run folder or a conversations file to export (default: --out).
        #[arg(long = "in", value_name = "PATH")]
        input: Option<PathBuf>,
    },
    /// The dataset card (DIR/README.md with Hugging Face YAML front matter) for the exports in DIR.
    Card {
        /// The run folder whose manifest and review report the card quotes (default: --out).
        #[arg(long = "in", value_name = "DIR")]
        input: Option<PathBuf>,
    },
    /// The analytics exports: turns, tables, star (and snowflake), storybot, analytics.
    #[command(flatten)]
    Analytics(super::analytics::AnalyticsCommand),
}

/// The system prompt of training samples, unless left out.
fn system(cfg: &crate::config::Config, leave_out: bool) -> Result<Option<String>> {
    if cfg.export.system_prompt && !leave_out {
        crate::export::sft::system_prompt(cfg.prompts_dir.as_deref()).map(Some)
    } else {
        Ok(None)
    }
}

/// The formats asked for, all three when none was.
fn formats(asked: &[ChatFormat]) -> Vec<ChatFormat> {
    if asked.is_empty() {
        ChatFormat::ALL.to_vec()
    } else {
        let mut f = asked.to_vec();
        f.dedup();
        f
    }
}

/// `musegen export …`.
pub fn export(g: &Global, command: &ExportCommand) -> Result<()> {
    let _lock = g.lock(&g.dir(), "musegen export")?;
    match command {
        ExportCommand::Sft {
            format,
            selected,
            per_turn,
            item_cards,
            weights,
            images,
            no_system_prompt,
        } => {
            let cfg = g.loaded()?.config;
            let dir = g.dir();
            let sources = Sources::resolve(selected.input.as_deref(), &dir)?;
            let opts = SftOptions {
                system: system(&cfg, *no_system_prompt)?,
                item_cards: *item_cards,
                per_turn: *per_turn,
                weights: *weights,
                images: *images,
                rule: selected.rule.clone(),
                dedup: selected.dedup,
            };
            let formats = formats(format);
            crate::export::sft::check_options(&formats, &opts)?;
            let report = crate::export::export_sft(&cfg, &sources, &dir, &formats, &opts)?;
            print::sft(&report, g.json)
        }
        ExportCommand::Dpo {
            format,
            selected,
            sources: pair_sources,
            item_cards,
            images,
            no_system_prompt,
        } => {
            let cfg = super::pairs::config(g, pair_sources)?;
            let dir = g.dir();
            let sources = Sources::resolve(selected.input.as_deref(), &dir)?;
            let made = super::pairs::ensure(&cfg, &sources, &dir)?;
            let opts = crate::export::DpoOptions {
                system: system(&cfg, *no_system_prompt)?,
                rule: selected.rule.clone(),
                dedup: selected.dedup,
                item_cards: *item_cards,
                images: *images,
            };
            let pairs = dir.join(crate::io::names::PAIRS);
            let mut report =
                crate::export::export_dpo(&cfg, &sources, &pairs, &dir, &formats(format), &opts)?;
            report.usage = made.and_then(|m| m.usage);
            print::dpo(&report, g.json)
        }
        ExportCommand::All { input } => {
            let cfg = g.loaded()?.config;
            let dir = g.dir();
            let sources = Sources::resolve(input.as_deref(), &dir)?;
            let made = super::pairs::ensure(&cfg, &sources, &dir)?;
            let mut report = crate::export::export_all(&cfg, &sources, &dir)?;
            report.dpo.usage = made.and_then(|m| m.usage);
            print::exports(&report, &dir, g.json)
        }
        ExportCommand::Card { input } => {
            let cfg = g.loaded()?.config;
            let dir = g.dir();
            let run_dir = input.clone().unwrap_or_else(|| dir.clone());
            let path = crate::export::card::write_card(&cfg, &run_dir, &dir)?;
            println!("card      {}", path.display());
            Ok(())
        }
        ExportCommand::Analytics(command) => super::analytics::run(g, command),
    }
}
