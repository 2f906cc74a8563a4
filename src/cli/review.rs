//! The `review` command: its arguments, the import of outside conversations, the review itself, and calibration.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::global::Global;
use super::print;
use crate::Result;
use crate::io::names;
use crate::review::import::{Format, import};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReviewArgs {
    #[command(subcommand)]
    command: Option<ReviewCommand>,
    /// Conversations to review (default: DIR/conversations.jsonl).
    #[arg(long = "in", value_name = "PATH")]
    input: Option<PathBuf>,
    /// Catalog index for the grounding checks (default: DIR/catalog.db when present).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Profiles for the consistency checks and coverage (default: DIR/profiles.jsonl when present).
    #[arg(long, value_name = "PATH")]
    profiles: Option<PathBuf>,
    /// The keep rule (same as --set review.keep=EXPR), e.g. "grounding.ok && judge.muse_filter.total >= 4".
    #[arg(long, value_name = "EXPR")]
    keep: Option<String>,
    /// The input's shape (default: detected): musegen, sharegpt, openai, muse-detail, muse-convs (a file or a
    /// folder of conv_N.json), storybot, csv (a JSON conversation_log column).
    #[arg(long = "from", value_enum)]
    from: Option<Format>,
    /// StoryBot: the bot's screen name (default: the one found in the most conversations).
    #[arg(long, value_name = "NAME")]
    bot: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Score the hand-labelled gold set with the judge (roles.judge) and report its agreement with the labels.
    Calibrate {
        /// Gold folder with conversations.jsonl and labels.jsonl (default: evaluation/gold, or
        /// review.evaluation_dir/gold).
        #[arg(long, value_name = "DIR")]
        gold: Option<PathBuf>,
    },
}

fn calibrate(g: &Global, gold: &Option<PathBuf>) -> Result<()> {
    let cfg = g.loaded()?.config;
    let gold = gold
        .clone()
        .or_else(|| crate::review::calibrate::gold_dir(cfg.review.evaluation_dir.as_deref()));
    let cache = g.dir().join(crate::io::names::CACHE);
    let judge = crate::review::judge::Judge::connect(&crate::plan::Plan::new(cfg)?, &cache)?.ok_or_else(|| {
        crate::Error::Config(
            "calibration needs a judge: set roles.judge.agent = \"llm\" (and its backend and model)".into(),
        )
    })?;
    let report = crate::review::calibrate::calibrate(&judge, gold.as_deref())?;
    print::calibration(&report, g.json)
}

/// `musegen review` and `musegen review calibrate`.
pub fn review(g: &Global, args: &ReviewArgs) -> Result<()> {
    if let Some(ReviewCommand::Calibrate { gold }) = &args.command {
        return calibrate(g, gold);
    }
    let mut cfg = g.loaded()?.config;
    if let Some(rule) = &args.keep {
        cfg.review.keep = rule.clone();
    }
    let out = if g.out.extension().is_some_and(|e| e == "jsonl") {
        g.out.clone()
    } else {
        g.out.join(names::REVIEWS)
    };
    let dir = g.dir();
    let _lock = g.lock(&Global::folder_of(&out), "musegen review")?;
    let existing = |explicit: &Option<PathBuf>, name: &str| match explicit {
        Some(p) => Some(p.clone()),
        None => Some(dir.join(name)).filter(|p| p.is_file()),
    };
    let input = args
        .input
        .clone()
        .unwrap_or_else(|| dir.join(names::CONVERSATIONS));
    let format = match args.from {
        Some(f) => f,
        None => Format::detect(&input)?,
    };
    // Outside conversations become musegen ones first (beside the reviews), then go through the same review.
    let (input, imported) = if format == Format::Musegen {
        (input, None)
    } else {
        let converted = out.with_file_name(names::IMPORTED);
        let report = import(&input, format, args.bot.as_deref(), &converted)?;
        (converted, Some(report))
    };
    let paths = crate::review::ReviewPaths {
        input,
        kept: out.with_file_name(names::KEPT),
        report_dir: out.parent().map(Path::to_path_buf).unwrap_or_default(),
        out,
        catalog: existing(&args.catalog, names::CATALOG),
        profiles: existing(&args.profiles, names::PROFILES),
    };
    let mut report = crate::review::review(&cfg, &paths, g.quiet)?;
    if imported.is_some() {
        report.import = imported;
        crate::review::report::write(&report, &paths.report_dir)?;
    }
    print::review(&report, &paths, g.json)?;
    if report.judge_failures > 0 {
        return Err(crate::Error::Run(format!(
            "the judge could not score {} conversations; run again to retry them",
            report.judge_failures
        )));
    }
    Ok(())
}
