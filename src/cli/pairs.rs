//! The `pairs` command: the preference pairs of the conversations, made into DIR/pairs.jsonl (resumable), for
//! `export dpo` to render.

use std::path::{Path, PathBuf};

use clap::Args;

use super::global::Global;
use crate::Result;
use crate::config::{Config, PairSource};
use crate::io::{Sources, names};
use crate::pairs::{self, PairsReport};

/// What `musegen pairs` reads and which pairs it makes (what is rendered of them is `export dpo`'s choice).
#[derive(Debug, Args)]
pub struct PairsArgs {
    /// A run folder or a conversations file to make the pairs of (default: --out; a folder gives its kept.jsonl when
    /// the review wrote it, else its conversations.jsonl).
    #[arg(long = "in", value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Pair sources (repeatable; same as --set export.dpo.sources=[...]).
    #[arg(long = "source", value_enum)]
    pub sources: Vec<PairSource>,
    /// Start over when DIR/pairs.jsonl was made under other settings or from other conversations (instead of
    /// refusing).
    #[arg(long)]
    pub force: bool,
}

/// `musegen pairs`.
pub fn pairs(g: &Global, args: &PairsArgs) -> Result<()> {
    let dir = g.dir();
    let _lock = g.lock(&dir, "musegen pairs")?;
    let cfg = config(g, &args.sources)?;
    let sources = Sources::resolve(args.input.as_deref(), &dir)?;
    let catalog = sources.catalog.as_deref();
    let plan = crate::plan::Plan::new(cfg)?.with_catalog_if_there(catalog)?;
    let report = pairs::run(
        &plan,
        &sources,
        &dir.join(names::PAIRS),
        args.force,
        g.quiet,
    )?;
    print(&report, g.json)
}

/// The config, with the pair sources of `--source` when given.
pub(super) fn config(g: &Global, sources: &[PairSource]) -> Result<Config> {
    let mut cfg = g.loaded()?.config;
    if !sources.is_empty() {
        cfg.export.dpo.sources = sources.to_vec();
    }
    Ok(cfg)
}

/// Make `dir`'s pairs file of `sources` when it is missing (an export asked for the pairs; the lock is the caller's).
pub(super) fn ensure(cfg: &Config, sources: &Sources, dir: &Path) -> Result<Option<PairsReport>> {
    let path = dir.join(names::PAIRS);
    if path.is_file() {
        return Ok(None);
    }
    tracing::debug!("{} is missing: making the pairs first", path.display());
    pairs::make_pairs(cfg, sources, &path, false).map(Some)
}

fn print(r: &PairsReport, as_json: bool) -> Result<()> {
    if as_json {
        return super::print::json(r);
    }
    let sources = r
        .by_source
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "pairs     {} pairs from {} conversations ({} already there); sources: {}",
        r.pairs,
        r.conversations,
        r.resumed,
        if sources.is_empty() { "-" } else { &sources }
    );
    let c = &r.counts;
    println!(
        "          {} recommendations: {} unsound (not used), {} without an applicable negative, {} judge ties",
        c.recommendations, c.unsound, c.no_negative, c.judge_ties
    );
    println!(
        "          {} later turned down (never chosen), {} of several items paired on the item taken, {} of several \
         items without a pair, {} sim negatives reworded",
        c.rejected_later, c.several_paired, c.several_items, c.reworded
    );
    if c.failed > 0 {
        println!(
            "          {} resamples or judge comparisons left out: the model's answer failed after its retries",
            c.failed
        );
    }
    if let Some(u) = &r.usage {
        println!(
            "          LLM: {} requests ({} cached), {} prompt + {} completion tokens, ${:.4}",
            u.requests, u.cached, u.prompt_tokens, u.completion_tokens, u.cost_usd
        );
    }
    println!("          -> {}", r.file.display());
    Ok(())
}
