//! What `musegen stats` reports: the fits (observed against configured, with their test and verdict), the inputs
//! and config it judged, the summary of verdicts, and what it could not model.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::fit::{Bin, ChiSquare, Rate};

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
