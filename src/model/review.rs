//! `Review`: what the reviewer found in one conversation — offline metrics (grounding, relevance, consistency,
//! shape, cooperation), the judge's scores when a model judged it, and whether it is kept, with the failing checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Is every recommendation a real catalog item that fits what the user had said?
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grounding {
    /// Whether a catalog was there to check against (without one, only `ok = true` and the counts are filled).
    pub checked: bool,
    /// No unknown item, an accepted item meets what was asked, every stated reject reason is true.
    pub ok: bool,
    /// Mentioned item ids the catalog lacks.
    pub unknown_items: Vec<String>,
    /// Recommendations made.
    pub recommendations: u32,
    /// Mean share of the constraints revealed so far (category, budget, wanted and unwanted values) that each
    /// recommendation met; 1 when nothing had been revealed.
    pub fit_mean: f64,
    /// Whether the accepted item meets every constraint revealed (absent when nothing was accepted).
    pub accepted_meets: Option<bool>,
    /// Share of the reasons stated in rejections that are true differences of the rejected item (absent when no
    /// rejection stated one).
    pub true_reasons: Option<f64>,
}

/// Do the system's turns follow the user and the scenario? (Lexical proxies, no model.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relevance {
    /// Mean cosine similarity (content words) of each system turn to the user turn before it.
    pub to_user: f64,
    /// Mean cosine similarity of the system turns to the scenario (its narrative, need and requirements; the
    /// user's first turn for conversations without a profile).
    pub to_scenario: f64,
    /// Share of the system turns after the first recommendation that share no content word with anything the
    /// user said so far (topic drift).
    pub drift: f64,
}

/// Does the user stay in character, and the system remember what was rejected?
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consistency {
    /// No contradiction and no repeated rejected item.
    pub ok: bool,
    /// What contradicted what, one line each.
    pub contradictions: Vec<String>,
    /// Recommendations of an item the user had already rejected.
    pub repeated_rejected: u32,
}

/// The dialogue's shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Turns.
    pub turns: u32,
    /// Rounds after the opening.
    pub rounds: u32,
    /// How it ended (`accepted`, `abandoned`, `max_rounds`, or `unknown` for outside conversations).
    pub outcome: String,
    /// Whether user and system strictly take turns.
    pub alternates: bool,
    /// Share of chit-chat turns.
    pub chit_chat_share: f64,
    /// Mean words per user turn.
    pub user_words: f64,
    /// Mean words per system turn.
    pub system_words: f64,
    /// Share of turns repeating an earlier turn of the same speaker word for word.
    pub repetition: f64,
}

/// Signs of an over-cooperative simulated user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cooperation {
    /// The first recommendation was accepted.
    pub accepted_first: bool,
    /// The accept gave no reason (too short, or naming nothing of the item).
    pub accept_without_reason: bool,
}

/// One aspect's score from the judge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AspectScore {
    /// Score on the rubric's scale (the mean over `samples` judgements).
    pub score: f64,
    /// The judge's reason (of the first judgement).
    pub reason: String,
}

/// One rubric's judgement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RubricScores {
    /// Scores by aspect.
    pub aspects: BTreeMap<String, AspectScore>,
    /// Sum of the aspect scores.
    pub total: f64,
    /// Judgements averaged.
    pub samples: u32,
}

/// The review of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The conversation's id.
    pub id: String,
    /// Grounding in the catalog.
    pub grounding: Grounding,
    /// Relevance proxies.
    pub relevance: Relevance,
    /// Consistency.
    pub consistency: Consistency,
    /// Shape.
    pub shape: Shape,
    /// Over-cooperation.
    pub cooperation: Cooperation,
    /// The judge's scores by rubric (empty when no model judged).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub judge: BTreeMap<String, RubricScores>,
    /// Whether the keep rule passed.
    pub keep: bool,
    /// The checks that failed (`grounding.ok`, `judge.muse_filter.total >= 4` …), when not kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}
