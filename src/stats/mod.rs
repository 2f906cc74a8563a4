//! `musegen stats`: does the data match the config? Observed against configured distributions — persona attributes
//! and purchase reasons, chit-chat per round, clarifying questions, rejection reasons, opening length, patience,
//! latency — each with a goodness-of-fit statistic and a pass/fail at a stated significance level, written to
//! `stats.json` and `stats.md`.

pub mod budget;
mod checks;
pub mod distribution;
pub mod expected;
pub mod fit;
mod notes;
mod observe;
mod render;
mod replay;
mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::export::Sources;
use crate::io::AtomicFile;
use crate::io::names;
use crate::model::Profile;
use crate::plan::Plan;
use crate::profiles::tables::Tables;
use crate::{Error, Result};

pub use fit::{Bin, ChiSquare, Rate};
pub use render::{figures, markdown, p_value, verdict};
pub use report::{
    Agents, BudgetModel, ConfigCheck, DEFAULT_ALPHA, Fit, Inputs, JSON_FILE, MARKDOWN_FILE,
    Section, StatsOptions, StatsReport, Summary, Test, Unmodelled, Verdict,
};

/// The stats of `sources` against `config`, at the default significance level.
pub fn stats(config: &Config, sources: &Sources) -> Result<StatsReport> {
    stats_with(config, sources, &StatsOptions::default())
}

/// The sources `stats` reads: like [`Sources::resolve`], except that a run folder gives its `conversations.jsonl`
/// (everything generated; the review's kept set is a selection and would bend the distributions).
pub fn sources(input: Option<&Path>, dir: &Path) -> Result<Sources> {
    let mut sources = Sources::resolve(input, dir).map_err(|e| match e {
        Error::Input { path, line, .. } if line.is_none() && !path.is_file() => Error::input(
            &path,
            None,
            None,
            "no conversations to check (run `musegen run` or `musegen generate` first, or name a file with --in)",
        ),
        e => e,
    })?;
    let folder = input.unwrap_or(dir);
    let all = folder.join(names::CONVERSATIONS);
    if folder.is_dir() && all.is_file() {
        sources.conversations = all;
    }
    Ok(sources)
}

/// The stats of `sources` against `config` with `options`, under a plan built from `config` (with the catalog of
/// `sources` when there is one): see [`run`].
pub fn stats_with(
    config: &Config,
    sources: &Sources,
    options: &StatsOptions,
) -> Result<StatsReport> {
    let plan = Plan::new(config.clone())?.with_catalog_if_there(sources.catalog.as_deref())?;
    run(&plan, sources, options)
}

/// The stats of `sources` against `plan`'s config with `options`.
pub fn run(plan: &Plan, sources: &Sources, options: &StatsOptions) -> Result<StatsReport> {
    let config = &plan.config;
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(Error::Config(format!(
            "the significance level must be in (0, 1), not {}",
            options.alpha
        )));
    }
    let profiles = sources.profiles()?;
    let tables = &plan.tables;
    let index = sources
        .catalog
        .as_deref()
        .map(crate::catalog::Index::open)
        .transpose()?;
    let memory = match sources.catalog.as_deref() {
        Some(p) => Some(plan.catalog_for(p)?),
        None => None,
    };
    let (observed, replayed) = read(config, sources, &profiles, memory.as_deref())?;
    let used: Vec<&Profile> = observed
        .profile_ids
        .iter()
        .filter_map(|id| profiles.get(id))
        .collect();
    let drawn: Vec<&Profile> = used
        .iter()
        .copied()
        .filter(|p| p.persona.income_band.is_some())
        .collect();
    let manifest = read_manifest(sources.manifest.as_deref())?;
    let (model, budget_model) = persona_model(config, tables, index.as_ref(), &manifest)?;
    let agents = Agents {
        user: observed.user_agents.iter().cloned().collect(),
        system: observed.system_agents.iter().cloned().collect(),
    };
    let ctx = checks::Context {
        config,
        alpha: options.alpha,
        agents: &agents,
        have_profiles: sources.profiles.is_some(),
    };
    let mut fits = checks::persona(&ctx, &model, &drawn);
    fits.extend(checks::dialogue(&ctx, &observed, replayed.as_ref()));
    fits.extend(checks::latency(&ctx, &observed));
    let summary = summarize(&fits);
    let dialogue_hash = crate::generate::dialogue_hash(config)?;
    let recorded: Vec<String> = observed.config_hashes.iter().cloned().collect();
    let config_check = ConfigCheck {
        source: options.config_source.clone(),
        dialogue_matches: !recorded.is_empty() && recorded.iter().all(|h| *h == dialogue_hash),
        dialogue_hash,
        recorded_dialogue_hashes: recorded,
        profiles_match: profiles_match(config, &manifest),
    };
    let unmodelled = Unmodelled {
        outcomes: observed.outcomes.clone(),
        end_reasons: observed.end_reasons.clone(),
        rounds: observed.rounds.clone(),
        turns: observed.turns.clone(),
        reject_reasons: observed.reject_reasons.clone(),
        category_question_share: observed.asked_category as f64
            / observed.first_attempts.max(1) as f64,
        rejected_draws: rejected_draws(&manifest),
    };
    let inputs = Inputs {
        conversations: sources.conversations.clone(),
        profiles: sources.profiles.clone(),
        manifest: sources.manifest.clone(),
        conversation_count: observed.conversations,
        profile_count: observed.profile_ids.len() as u64,
        missing_profiles: (observed.profile_ids.len() - used.len()) as u64,
        imported_profiles: (used.len() - drawn.len()) as u64,
        unparsed_conversations: observed.unparsed,
    };
    let notes = notes::notes(&config_check, &unmodelled, &inputs, budget_model.as_ref());
    Ok(StatsReport {
        musegen: env!("CARGO_PKG_VERSION").to_string(),
        alpha: options.alpha,
        inputs,
        config: config_check,
        budget_model,
        agents,
        summary,
        fits,
        unmodelled,
        notes,
    })
}

/// Read every conversation once: the counts, and (with a catalog) the replay of every offer.
fn read(
    config: &Config,
    sources: &Sources,
    profiles: &std::collections::HashMap<String, Profile>,
    memory: Option<&crate::catalog::MemoryCatalog>,
) -> Result<(observe::Observed, Option<replay::Replayed>)> {
    let mut replay =
        memory.map(|cat| replay::Replay::new(cat, config.dialogue.reject_reasons.get()));
    let mut observed = observe::Observed::default();
    let mut progress = crate::progress::Progress::new("stats", 0, false);
    sources.for_each_conversation(|c| {
        progress.inc(1);
        let profile = profiles.get(&c.profile_id);
        observed.add(&c, profile.map(|p| p.persona.verbosity), &config.dialogue);
        if let Some(r) = replay.as_mut() {
            r.add(&c, profile);
        }
        Ok(())
    })?;
    progress.finish();
    observed.finish();
    Ok((observed, replay.map(|r| r.counts)))
}

/// The persona expectations: the tables' marginals, allowing for the budget redraws when the catalog is known.
fn persona_model<'a>(
    config: &Config,
    tables: &'a Tables,
    index: Option<&crate::catalog::Index>,
    manifest: &Option<ManifestView>,
) -> Result<(expected::PersonaModel<'a>, Option<BudgetModel>)> {
    let affordable = match index {
        Some(index) => {
            let exponent = config.profiles.category_weight_exponent;
            let targets = crate::profiles::targets::Targets::from_index(
                index,
                &tables.audience_rules,
                exponent,
            )?;
            Some(budget::affordability(&targets, tables, exponent))
        }
        None => None,
    };
    let model =
        expected::PersonaModel::with_affordability(tables, affordable.clone().unwrap_or_default());
    let budget = affordable.map(|affordable| BudgetModel {
        affordable: affordable.by_band,
        predicted_rejected_share: model.rejected_share(),
        recorded_rejected_share: recorded_budget_share(manifest),
    });
    Ok((model, budget))
}

/// Count the verdicts.
fn summarize(fits: &[Fit]) -> Summary {
    let mut summary = Summary::default();
    for f in fits {
        match f.verdict {
            Verdict::Pass => summary.passed += 1,
            Verdict::Fail => {
                summary.failed += 1;
                summary.failures.push(f.name.clone());
            }
            Verdict::NotApplicable => summary.not_applicable += 1,
            Verdict::NoData => summary.no_data += 1,
        }
    }
    summary
}

/// The part of the run manifest the stats read: the profiles key and the profiles step's report.
#[derive(Debug, Clone, Default, serde::Deserialize)]
struct ManifestView {
    /// What identifies the profiles file.
    #[serde(default)]
    profiles_key: Option<String>,
    /// The report of the step that made the profiles.
    #[serde(default)]
    profiles: Option<crate::profiles::ProfilesReport>,
}

/// The run manifest's profile figures, typed (a manifest that does not parse is an input error naming it).
fn read_manifest(path: Option<&Path>) -> Result<Option<ManifestView>> {
    match path {
        Some(path) => crate::io::run_folder::read_json(path),
        None => Ok(None),
    }
}

fn profiles_match(config: &Config, manifest: &Option<ManifestView>) -> Option<bool> {
    let m = manifest.as_ref()?;
    let recorded = m.profiles_key.as_deref()?;
    // The key includes the profile count; the manifest's profiles step says how many were written.
    let written = m.profiles.as_ref()?.written;
    let mut c = config.clone();
    c.profiles.count = std::num::NonZeroUsize::new(written)?;
    Some(crate::profiles::profiles_key(&c) == recorded)
}

/// Budget rejections over all draws, from the manifest's profiles step.
fn recorded_budget_share(manifest: &Option<ManifestView>) -> Option<f64> {
    let written = manifest.as_ref()?.profiles.as_ref()?.written as u64;
    let rejected = rejected_draws(manifest);
    let draws = written + rejected.values().sum::<u64>();
    Some(rejected.get("budget").copied().unwrap_or(0) as f64 / draws.max(1) as f64)
}

fn rejected_draws(manifest: &Option<ManifestView>) -> BTreeMap<String, u64> {
    manifest
        .as_ref()
        .and_then(|m| m.profiles.as_ref())
        .map(|p| {
            p.rejected
                .iter()
                .map(|(k, v)| (k.clone(), *v as u64))
                .collect()
        })
        .unwrap_or_default()
}

/// Write `stats.json` and `stats.md` into `dir` (each whole or not at all); returns their paths.
pub fn write(report: &StatsReport, dir: &Path) -> Result<[PathBuf; 2]> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Run(e.to_string()))?;
    let json_path = dir.join(JSON_FILE);
    save(&json_path, &(json + "\n"))?;
    let md_path = dir.join(MARKDOWN_FILE);
    save(&md_path, &markdown(report))?;
    Ok([json_path, md_path])
}

fn save(path: &Path, text: &str) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| Error::write(path, e))?;
    f.commit()
}
