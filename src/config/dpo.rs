//! Settings of the preference pairs (`musegen export dpo`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where the rejected (or chosen) reply of a pair comes from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum PairSource {
    /// Deterministic hard negatives of conversations the sim recommender played, phrased from its phrase bank.
    Sim,
    /// Hard negatives of conversations a language model played, phrased by the same model (`roles.system_agent`).
    HardNegative,
    /// A fresh reply of the recommender at that turn, ranked against the real one by the pairwise judge
    /// (`roles.judge`, both orders, at least `min_margin` apart).
    Judge,
}

impl PairSource {
    /// The name written in metadata.
    pub fn key(self) -> &'static str {
        match self {
            PairSource::Sim => "sim",
            PairSource::HardNegative => "hard_negative",
            PairSource::Judge => "judge",
        }
    }
}

/// Preference-pair settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DpoConfig {
    /// Pair sources to use, each where it applies (`sim` to sim conversations, `hard_negative` to LLM ones,
    /// `judge` when `roles.judge` is a language model).
    pub sources: Vec<PairSource>,
    /// Kinds of hard negative, in order of preference.
    pub kinds: Vec<NegativeKind>,
    /// Hard negatives per recommendation (the first kinds that apply).
    pub negatives_per_turn: usize,
    /// Fresh replies per recommendation for the judge to rank.
    pub resamples: usize,
    /// Smallest judge preference (0 to 1: the share of votes, both orders) that makes a pair.
    pub min_margin: f64,
}

impl Default for DpoConfig {
    fn default() -> Self {
        DpoConfig {
            sources: vec![PairSource::Sim, PairSource::HardNegative, PairSource::Judge],
            kinds: NegativeKind::ALL.to_vec(),
            negatives_per_turn: 1,
            resamples: 1,
            min_margin: 0.5,
        }
    }
}

/// What makes a hard negative wrong.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NegativeKind {
    /// In the category and budget, but lacking a wanted value or feature, or having an unwanted value.
    BreaksRequirement,
    /// In the category and meeting the wishes, but over the stated budget.
    OverBudget,
    /// The item the user turned down most recently, offered again.
    RepeatRejected,
}

impl NegativeKind {
    /// Every kind, in order of preference.
    pub const ALL: [NegativeKind; 3] = [
        NegativeKind::BreaksRequirement,
        NegativeKind::OverBudget,
        NegativeKind::RepeatRejected,
    ];

    /// The name written in metadata.
    pub fn key(self) -> &'static str {
        match self {
            NegativeKind::BreaksRequirement => "breaks_requirement",
            NegativeKind::OverBudget => "over_budget",
            NegativeKind::RepeatRejected => "repeat_rejected",
        }
    }
}
