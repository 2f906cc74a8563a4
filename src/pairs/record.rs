//! The lines of `pairs.jsonl`: one per conversation, in the order of the conversations file, holding the
//! conversation's preference pairs and what making them found. The conversation is the unit of work and of resume,
//! so a conversation without pairs still leaves its line, and the counts of a resumed file stay whole.

use serde::{Deserialize, Serialize};

use crate::config::{NegativeKind, PairSource};

/// One preference pair. Its prompt is the conversation before `turn` (rebuilt from the conversation when rendered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// The conversation.
    pub conversation_id: String,
    /// Index of the recommendation's turn: the prompt is every turn before it.
    pub turn: usize,
    /// The preferred reply.
    pub chosen: String,
    /// The other reply.
    pub rejected: String,
    /// Where the pair comes from.
    pub source: PairSource,
    /// What makes a hard negative wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<NegativeKind>,
    /// Which fresh reply of the turn, for judge pairs.
    #[serde(default)]
    pub resample: usize,
    /// The judge's preference (0 to 1), for judge pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// The item the chosen reply recommends.
    pub chosen_item: Option<String>,
    /// The item the rejected reply recommends.
    pub rejected_item: Option<String>,
}

impl Pair {
    /// A stable id: conversation, turn and kind of pair.
    pub fn id(&self) -> String {
        match self.kind {
            Some(kind) => format!("{}:t{}:{}", self.conversation_id, self.turn, kind.key()),
            None => format!(
                "{}:t{}:judge{}",
                self.conversation_id, self.turn, self.resample
            ),
        }
    }
}

/// What making the pairs of some conversations found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairCounts {
    /// Recommendations looked at.
    pub recommendations: usize,
    /// Recommendations left out as unsound (not chosen material).
    pub unsound: usize,
    /// Recommendations for which no hard negative applied.
    pub no_negative: usize,
    /// Judge comparisons below the margin (no pair).
    pub judge_ties: usize,
    /// Recommendations of LLM conversations without an LLM recommender configured to phrase negatives.
    pub no_llm_voice: usize,
    /// Sound recommendations the shopper went on to turn down (never a chosen reply: hindsight says it was not).
    #[serde(default)]
    pub rejected_later: usize,
    /// Sound recommendations of several items at once that gave no pair: none of their items was the one the
    /// shopper took (or a model played the conversation, or no negative could be swapped in).
    #[serde(default)]
    pub several_items: usize,
    /// Sound recommendations of several items at once that gave pairs: the item the shopper took among them, swapped
    /// for a hard negative in the turn's own words.
    #[serde(default)]
    pub several_paired: usize,
    /// Sim negatives phrased by the recommender in words of its own, because the chosen reply's item could not be
    /// swapped in its wording (it does not name its item by title, or cites a fact the negative item lacks).
    #[serde(default)]
    pub reworded: usize,
    /// Resamples or judge comparisons left out because the model's answer failed after its retries (unusable
    /// after a re-ask, cut at the token cap): one record's misfortune, not the run's.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PairCounts {
    /// Add `other` to these counts.
    pub fn add(&mut self, other: &PairCounts) {
        self.recommendations += other.recommendations;
        self.unsound += other.unsound;
        self.no_negative += other.no_negative;
        self.judge_ties += other.judge_ties;
        self.no_llm_voice += other.no_llm_voice;
        self.rejected_later += other.rejected_later;
        self.several_items += other.several_items;
        self.several_paired += other.several_paired;
        self.reworded += other.reworded;
        self.failed += other.failed;
    }
}

/// One line of `pairs.jsonl`: the pairs of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationPairs {
    /// The conversation's id (the resume key).
    pub id: String,
    /// A hash of the conversation the pairs were made from ([`conversation_key`]): pairs are never resumed, nor
    /// rendered, beside another version of it.
    pub conversation: String,
    /// The settings the pairs were made under (see [`super::settings_key`]): a file is never resumed, nor rendered,
    /// under other settings.
    pub settings: String,
    /// What making them found.
    pub counts: PairCounts,
    /// The pairs, in the order they were made (per recommendation: hard negatives by kind, then judge pairs).
    pub pairs: Vec<Pair>,
}

/// The hash of `c` a pairs line records (of its JSON, so any change to it shows).
pub fn conversation_key(c: &crate::model::Conversation) -> String {
    let text = serde_json::to_string(c).unwrap_or_default();
    format!("{:016x}", crate::rng::stable_hash(0, &[text.as_bytes()]))
}
