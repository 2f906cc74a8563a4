//! The `stats` command: observed against configured distributions, written to stats.json and stats.md in --out.

use std::path::PathBuf;

use clap::Args;

use super::Global;
use crate::Result;
use crate::stats::{self, StatsOptions, StatsReport, Verdict};

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A run folder or a conversations file (default: --out; a folder gives its conversations.jsonl, everything
    /// generated, not the kept selection).
    #[arg(long = "in", value_name = "PATH")]
    input: Option<PathBuf>,
    /// Significance level each fit is judged at.
    #[arg(long, default_value_t = stats::DEFAULT_ALPHA)]
    alpha: f64,
    /// Exit with code 1 when a fit fails (after writing the report), for pipelines that gate on it.
    #[arg(long)]
    strict: bool,
}

/// `musegen stats`.
pub fn stats(g: &Global, args: &StatsArgs) -> Result<()> {
    let loaded = g.load(&[])?;
    let mut source = match &loaded.source {
        Some(path) => format!("the config {}", path.display()),
        None => "the built-in defaults".to_string(),
    };
    let overrides = g.sets.len()
        + usize::from(g.seed.is_some())
        + usize::from(g.threads.is_some())
        + usize::from(g.no_cache)
        + usize::from(g.max_cost.is_some());
    if overrides > 0 {
        source.push_str(&format!(" with {overrides} command-line override(s)"));
    }
    let dir = g.dir();
    let sources = stats::sources(args.input.as_deref(), &dir)?;
    let options = StatsOptions {
        alpha: args.alpha,
        config_source: source,
    };
    let report = stats::stats_with(&loaded.config, &sources, &options)?;
    let files = stats::write(&report, &dir)?;
    if g.json {
        let text =
            serde_json::to_string_pretty(&report).map_err(|e| crate::Error::Run(e.to_string()))?;
        println!("{}", crate::secret::scrub(&text));
    } else {
        print(&report, &files);
    }
    if args.strict && report.summary.failed > 0 {
        return Err(crate::Error::Run(format!(
            "{} of {} fits fail at alpha {}: {} (see {})",
            report.summary.failed,
            report.fits.len(),
            report.alpha,
            report.summary.failures.join(", "),
            files[1].display()
        )));
    }
    Ok(())
}

fn print(r: &StatsReport, files: &[PathBuf; 2]) {
    let i = &r.inputs;
    println!(
        "stats     {} conversations, {} profiles from {}",
        i.conversation_count,
        i.profile_count,
        i.conversations.display()
    );
    println!(
        "          expectations from {}{}",
        r.config.source,
        if r.config.dialogue_matches {
            ""
        } else {
            " (not the dialogue settings the conversations record)"
        }
    );
    let m = &r.summary;
    println!(
        "          {} fits at alpha {}: {} pass, {} fail, {} not applicable, {} without data",
        r.fits.len(),
        r.alpha,
        m.passed,
        m.failed,
        m.not_applicable,
        m.no_data
    );
    for f in r.fits.iter().filter(|f| f.verdict == Verdict::Fail) {
        let (stat, effect) = stats::figures(f);
        let p = f
            .p_value()
            .map_or_else(String::new, |p| format!(" p {}", stats::p_value(p)));
        println!("          FAIL {} {stat}{p}, {effect}", f.name);
    }
    for f in files {
        println!("          -> {}", f.display());
    }
}
