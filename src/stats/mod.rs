//! `musegen stats`: does the data match the config? Observed against configured distributions — persona attributes
//! and purchase reasons, chit-chat per round, clarifying questions, rejection reasons, opening length, patience,
//! latency — each with a goodness-of-fit statistic and a pass/fail at a stated significance level, written to
//! `stats.json` and `stats.md`.

mod checks;
pub mod distribution;
pub mod expected;
pub mod fit;
mod notes;
mod observe;
mod render;
mod replay;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::export::Sources;
use crate::io::AtomicFile;
use crate::model::Profile;
use crate::pipeline::names;
use crate::profiles::tables::Tables;
use crate::{Error, Result};

pub use fit::{Bin, ChiSquare, Rate};
pub use render::{figures, markdown, p_value, verdict};

/// The significance level used when none is given.
pub const DEFAULT_ALPHA: f64 = 0.01;

/// The file names `write` uses.
pub const JSON_FILE: &str = "stats.json";
/// The Markdown report.
pub const MARKDOWN_FILE: &str = "stats.md";

/// How `stats` judges and what it says about its config.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsOptions {
    /// A fit passes when its p-value is at least this.
    pub alpha: f64,
    /// Where the config came from, for the report ("examples/quickstart.toml", "built-in defaults" …).
    pub config_source: String,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            alpha: DEFAULT_ALPHA,
            config_source: "the config given by the caller".into(),
        }
    }
}

/// Which part of the data a fit is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Persona attributes and purchase reasons (one count per profile used).
    Persona,
    /// The dialogue's behaviour.
    Dialogue,
    /// Simulated turn latency.
    Latency,
}

/// The judgement of one fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The data is consistent with the config at the stated level.
    Pass,
    /// The data departs from the config (p below the level, or a rule broken).
    Fail,
    /// The configured behaviour does not govern this data (a language model played the role).
    NotApplicable,
    /// Nothing to test.
    NoData,
}

/// The test behind a fit and its figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Test {
    /// Observed categories against expected shares: Pearson's chi-square and the total variation distance.
    Categorical {
        /// The categories.
        bins: Vec<Bin>,
        /// The chi-square.
        chi_square: ChiSquare,
        /// Total variation distance (effect size: with large samples the chi-square rejects tiny departures).
        total_variation: f64,
    },
    /// Observed binomial rates against configured probabilities, tested together.
    Rates {
        /// The cells.
        rates: Vec<Rate>,
        /// The chi-square over the cells.
        chi_square: ChiSquare,
        /// Counts a probability of 0 or 1 forbids.
        violations: u64,
    },
    /// Latencies against the configured lognormal: Kolmogorov–Smirnov.
    Latency {
        /// KS distance D.
        d: f64,
        /// Asymptotic p-value (Kolmogorov distribution).
        p_value: f64,
        /// Observed median (ms).
        observed_median: f64,
        /// Configured median (ms).
        expected_median: f64,
        /// Observed standard deviation of ln(latency).
        observed_sigma: f64,
        /// Configured sigma.
        expected_sigma: f64,
    },
    /// A rule the manager or an agent must never break.
    Rule {
        /// The rule.
        rule: String,
        /// Cases that broke it.
        violations: u64,
    },
}

/// One distribution checked against the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// Row name (`persona.gender`, `dialogue.chit_chat`, `latency.user` …).
    pub name: String,
    /// Which part of the data.
    pub section: Section,
    /// What is compared with what.
    pub description: String,
    /// Observations tested.
    pub n: u64,
    /// The figures.
    pub test: Test,
    /// The judgement.
    pub verdict: Verdict,
    /// Why the verdict is what it is, when that needs saying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Fit {
    /// The p-value of the fit (none for rules).
    pub fn p_value(&self) -> Option<f64> {
        match &self.test {
            Test::Categorical { chi_square, .. } | Test::Rates { chi_square, .. } => {
                Some(chi_square.p_value)
            }
            Test::Latency { p_value, .. } => Some(*p_value),
            Test::Rule { .. } => None,
        }
    }
}

/// What was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// The conversations file.
    pub conversations: PathBuf,
    /// The profiles file, when found.
    pub profiles: Option<PathBuf>,
    /// The run manifest, when found.
    pub manifest: Option<PathBuf>,
    /// Conversations read.
    pub conversation_count: u64,
    /// Distinct profiles they played.
    pub profile_count: u64,
    /// Of those, profiles not in the profiles file.
    pub missing_profiles: u64,
    /// Of those, profiles not drawn from the tables (imported: no income band), left out of the persona fits.
    pub imported_profiles: u64,
    /// Conversations whose turns do not follow the manager's structure (left out of the structural fits).
    pub unparsed_conversations: u64,
}

/// Which config the expectations come from, and whether it is the one that produced the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigCheck {
    /// Where the config came from.
    pub source: String,
    /// Hash of its dialogue settings (seed, `[dialogue]`, agents, phrase banks), as conversations record it.
    pub dialogue_hash: String,
    /// The hashes the conversations record.
    pub recorded_dialogue_hashes: Vec<String>,
    /// Whether every conversation records this config's dialogue hash.
    pub dialogue_matches: bool,
    /// Whether the run manifest's profiles key is this config's (absent without a manifest that made profiles).
    pub profiles_match: Option<bool>,
}

/// The agents that played the conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agents {
    /// User agents (`sim`, `llm:MODEL`).
    pub user: Vec<String>,
    /// System agents.
    pub system: Vec<String>,
}

impl Agents {
    /// Every user turn came from the simulator.
    pub fn user_is_sim(&self) -> bool {
        self.user.iter().all(|a| a == "sim")
    }

    /// Every system turn came from the simulator.
    pub fn system_is_sim(&self) -> bool {
        self.system.iter().all(|a| a == "sim")
    }
}

/// Counts of the verdicts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Fits that passed.
    pub passed: usize,
    /// Fits that failed.
    pub failed: usize,
    /// Fits not applicable to the agents that played.
    pub not_applicable: usize,
    /// Fits with nothing to test.
    pub no_data: usize,
    /// Names of the failed fits.
    pub failures: Vec<String>,
}

/// What is observed but has no expectation the config determines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unmodelled {
    /// Conversations per outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Conversations per end reason.
    pub end_reasons: BTreeMap<String, u64>,
    /// Conversations per rounds played.
    pub rounds: BTreeMap<u32, u64>,
    /// Conversations per turn count.
    pub turns: BTreeMap<usize, u64>,
    /// Rejections per number of reasons given.
    pub reject_reasons: BTreeMap<usize, u64>,
    /// Share of first recommendation attempts preceded by the category question (asked whenever the category is
    /// unknown; no setting).
    pub category_question_share: f64,
    /// Target draws the profiles step rejected before accepting, by reason (from the manifest).
    pub rejected_draws: BTreeMap<String, u64>,
}

/// How the persona expectations allow for the profiles step's budget rejections (a draw whose target costs more
/// than its income band allows is redrawn).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetModel {
    /// Per income band, the share of target draws it can afford (from the catalog's prices and category weights).
    pub affordable: BTreeMap<String, f64>,
    /// The share of draws this predicts are rejected for their budget.
    pub predicted_rejected_share: f64,
    /// The share the run manifest records (budget rejections over all draws), when it has one.
    pub recorded_rejected_share: Option<f64>,
}

/// The whole `stats` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    /// musegen version.
    pub musegen: String,
    /// Significance level of every fit.
    pub alpha: f64,
    /// What was read.
    pub inputs: Inputs,
    /// The config the expectations come from.
    pub config: ConfigCheck,
    /// The budget-rejection allowance of the persona expectations (absent without a catalog beside the data).
    pub budget_model: Option<BudgetModel>,
    /// Who played.
    pub agents: Agents,
    /// Verdict counts.
    pub summary: Summary,
    /// The fits, persona first.
    pub fits: Vec<Fit>,
    /// Observed only.
    pub unmodelled: Unmodelled,
    /// What the report cannot check, and why.
    pub notes: Vec<String>,
}

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

/// The stats of `sources` against `config` with `options`.
pub fn stats_with(
    config: &Config,
    sources: &Sources,
    options: &StatsOptions,
) -> Result<StatsReport> {
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(Error::Config(format!(
            "the significance level must be in (0, 1), not {}",
            options.alpha
        )));
    }
    let profiles = sources.profiles()?;
    let tables = Tables::load(config.profiles.tables_dir.as_deref())?;
    let index = sources
        .catalog
        .as_deref()
        .map(crate::catalog::Index::open)
        .transpose()?;
    let (observed, replayed) = read(config, sources, &profiles, index.as_ref())?;
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
    let (model, budget_model) = persona_model(config, &tables, index.as_ref(), &manifest)?;
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
    index: Option<&crate::catalog::Index>,
) -> Result<(observe::Observed, Option<replay::Replayed>)> {
    let memory = match index {
        Some(index) => {
            let labels =
                crate::profiles::tables::attribute_labels(config.profiles.tables_dir.as_deref())?;
            Some(crate::catalog::MemoryCatalog::load(index, &labels)?)
        }
        None => None,
    };
    let mut replay = memory
        .as_ref()
        .map(|cat| replay::Replay::new(cat, config.dialogue.reject_reasons.get()));
    let mut observed = observe::Observed::default();
    sources.for_each_conversation(|c| {
        let profile = profiles.get(&c.profile_id);
        observed.add(&c, profile.map(|p| p.persona.verbosity), &config.dialogue);
        if let Some(r) = replay.as_mut() {
            r.add(&c, profile);
        }
        Ok(())
    })?;
    observed.finish();
    Ok((observed, replay.map(|r| r.counts)))
}

/// The persona expectations: the tables' marginals, allowing for the budget redraws when the catalog is known.
fn persona_model<'a>(
    config: &Config,
    tables: &'a Tables,
    index: Option<&crate::catalog::Index>,
    manifest: &Option<serde_json::Value>,
) -> Result<(expected::PersonaModel<'a>, Option<BudgetModel>)> {
    let affordable = match index {
        Some(index) => {
            let exponent = config.profiles.category_weight_exponent;
            let targets = crate::profiles::targets::Targets::from_index(
                index,
                &tables.audience_rules,
                exponent,
            )?;
            Some(expected::affordability(&targets, tables, exponent))
        }
        None => None,
    };
    let model =
        expected::PersonaModel::with_affordability(tables, affordable.clone().unwrap_or_default());
    let budget = affordable.map(|affordable| BudgetModel {
        affordable,
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

/// The run manifest as loose JSON (its shape may grow; only a few keys are read).
fn read_manifest(path: Option<&Path>) -> Result<Option<serde_json::Value>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::input(path, Some(e.line()), None, format!("not a manifest: {e}")))
}

fn profiles_match(config: &Config, manifest: &Option<serde_json::Value>) -> Option<bool> {
    let m = manifest.as_ref()?;
    let recorded = m.get("profiles_key")?.as_str()?;
    // The key includes the profile count; the manifest's profiles step says how many were written.
    let written = m.pointer("/profiles/written")?.as_u64()?;
    let mut c = config.clone();
    c.profiles.count = std::num::NonZeroUsize::new(written as usize)?;
    Some(crate::pipeline::profiles_key(&c) == recorded)
}

/// Budget rejections over all draws, from the manifest's profiles step.
fn recorded_budget_share(manifest: &Option<serde_json::Value>) -> Option<f64> {
    let m = manifest.as_ref()?;
    let written = m.pointer("/profiles/written")?.as_u64()?;
    let rejected = rejected_draws(manifest);
    let draws = written + rejected.values().sum::<u64>();
    Some(rejected.get("budget").copied().unwrap_or(0) as f64 / draws.max(1) as f64)
}

fn rejected_draws(manifest: &Option<serde_json::Value>) -> BTreeMap<String, u64> {
    manifest
        .as_ref()
        .and_then(|m| m.pointer("/profiles/rejected"))
        .and_then(|r| r.as_object())
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
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
