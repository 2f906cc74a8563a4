//! `Review`: what the reviewer found in one conversation — offline metrics (grounding, relevance, consistency,
//! shape, cooperation), the realism measures, the judge's scores when a model judged it, and whether it is kept, with the failing checks.

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

/// What a realism finding is about (see `docs/review.md`, "Realism").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RealismFlag {
    /// A reject cites a preference no earlier user turn had stated.
    RejectUnstated,
    /// A reject cites an attribute that is not among the profile's requirements.
    RejectOutsideRequirements,
    /// An accept praises a value the user had not stated nor the recommendation shown.
    AcceptUnstatedPraise,
    /// A recommendation from another department (gender, age group) than the target's.
    OtherDepartment,
    /// The user objected to a recommendation from another department.
    OtherDepartmentObjected,
    /// A shopper buying for themselves accepted an item of another department than their persona's.
    SelfPurchaseMismatch,
    /// The accept came at the first recommendation.
    FirstOfferAccept,
    /// The accept came before the user had stated any preference.
    BlindAccept,
    /// The user named the target's title, or an attribute of the target no turn had stated.
    TargetLeak,
    /// A budget referred to before any turn stated one.
    UnfoundedBudget,
    /// An occasion referred to before any turn stated one.
    UnfoundedOccasion,
    /// A recipient referred to before any turn stated one.
    UnfoundedRecipient,
    /// A question referred to ("Good question.") when the turn before asked none.
    UnfoundedQuestion,
    /// The profile's occasion does not fit the target's category (`profiles/occasion_fit.toml`).
    OccasionMisfit,
    /// A phrase (4 words outside item values) the same speaker had already used in the dialogue.
    RepeatedPhrase,
    /// A template fill that reads broken ("the scarves & wrap", "with includes").
    BrokenFill,
}

/// One realism finding: the turn it concerns (none for the whole dialogue), what, and the words behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealismFinding {
    /// Index of the turn in the conversation (absent for findings about the whole dialogue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
    /// What was found.
    pub flag: RealismFlag,
    /// The value, phrase or pattern behind it.
    pub detail: String,
}

/// How the dialogue compares with what people do (counts per conversation; see `docs/review.md`, "Realism").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Realism {
    /// Whether the turns carried dialogue-act slots (else "stated" is read from the text).
    pub structured: bool,
    /// Rejects.
    pub rejects: u32,
    /// Rejects that cite at least one preference (a wanted value).
    pub rejects_citing: u32,
    /// Rejects citing a preference no earlier user turn had stated.
    pub rejects_unstated: u32,
    /// Rejects citing preferences, none of which an earlier user turn had stated.
    pub rejects_only_unstated: u32,
    /// Rejects citing an attribute outside the profile's requirements (budget and category aside).
    pub rejects_outside_requirements: u32,
    /// Accepts.
    pub accepts: u32,
    /// Accepts praising a value of the accepted item that the user had not stated nor its recommendation shown.
    pub accepts_unstated_praise: u32,
    /// Recommendations.
    pub recommendations: u32,
    /// Recommendations whose department (gender, age group) is not the target's.
    pub other_department: u32,
    /// Of those, the ones the user objected to in the next turn.
    pub other_department_objected: u32,
    /// A shopper buying for themselves accepted an item of another department than their persona's.
    pub self_purchase_mismatch: bool,
    /// The accept came at the first recommendation.
    pub first_offer_accept: bool,
    /// The accept came before the user had stated any preference.
    pub blind_accept: bool,
    /// User turns naming the target's title or an attribute of the target that no turn had stated.
    pub target_leaks: u32,
    /// Turns referring to a budget, occasion, recipient or question that no turn had stated.
    pub unfounded_references: u32,
    /// The profile's occasion does not fit the target's category.
    pub occasion_misfit: bool,
    /// The profile's occasion class (`formal`, `sport` …; empty when the table knows none).
    pub occasion_class: String,
    /// Hash of (profile, target, the recommended items in order): equal for dialogues telling the same story.
    pub storyline: String,
    /// Phrases (4-grams outside item values) a speaker repeats within the dialogue.
    pub repeated_phrases: u32,
    /// Template fills that read broken.
    pub broken_fills: u32,
    /// What was found, turn by turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<RealismFinding>,
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
    /// Realism measures.
    #[serde(default)]
    pub realism: Realism,
    /// The judge's scores by rubric (empty when no model judged).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub judge: BTreeMap<String, RubricScores>,
    /// Whether the keep rule passed.
    pub keep: bool,
    /// The checks that failed (`grounding.ok`, `judge.muse_filter.total >= 4` …), when not kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}
