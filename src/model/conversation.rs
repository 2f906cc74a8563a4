//! `Conversation` and `Turn`: one dialogue between the simulated user and the recommender, with what each turn did and what it cost.

use serde::{Deserialize, Serialize};

/// Who speaks a turn. The simulated user is `User`; the recommender (the assistant of training files) is `System`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The simulated shopper.
    User,
    /// The recommender.
    System,
}

/// What a turn does (the dialogue act).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// System: opening greeting.
    Greet,
    /// System: asks for a missing constraint (category, budget, preference).
    Clarify,
    /// Either side: small talk; the system steers back to shopping.
    ChitChat,
    /// System: proposes an item.
    Recommend,
    /// User: volunteers need or context.
    Inform,
    /// User: answers a clarifying question. System: answers the user's question about the item shown.
    Answer,
    /// User: asks whether the item shown meets a wish, before deciding.
    Ask,
    /// User: turns a recommendation down, with reasons.
    Reject,
    /// User: takes the recommended item.
    Accept,
    /// User: gives up (and may leave: then it is the last turn, the system not answering).
    Abandon,
    /// Either side: closes the conversation. System: its closing after the outcome (or for want of items to show).
    /// User: a goodbye answering the system's closing, always the last turn.
    Close,
    /// Either side: an utterance whose act is not known (conversations imported from elsewhere).
    Message,
}

impl Action {
    /// Every dialogue act, in declaration order.
    pub const ALL: [Action; 12] = [
        Action::Greet,
        Action::Clarify,
        Action::ChitChat,
        Action::Recommend,
        Action::Inform,
        Action::Answer,
        Action::Ask,
        Action::Reject,
        Action::Accept,
        Action::Abandon,
        Action::Close,
        Action::Message,
    ];

    /// The MUSE `detail_convs` action label (MUSE knows chit-chat, recommend, reject and accept).
    pub fn muse_label(self) -> &'static str {
        match self {
            Action::Recommend => "recommend",
            Action::Reject => "reject",
            Action::Accept => "accept",
            _ => "chit-chat",
        }
    }
}

/// A piece of information a turn carries (the dialogue-act slot): "colour = navy", or "not black".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Attribute key (`category`, `budget`, `color`, `feature` …).
    pub attribute: String,
    /// Value.
    pub value: String,
    /// True when the user does not want this value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negative: bool,
}

/// One utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Speaker.
    pub role: Role,
    /// Dialogue act.
    pub action: Action,
    /// The utterance.
    pub text: String,
    /// Item ids the turn mentions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Image references of those items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Information the turn carries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<Slot>,
    /// The retrieval query behind a recommendation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Time to produce the turn, in milliseconds: simulated for sim agents; for a language model, the real
    /// latency of the request that phrased it (kept with the cached answer, so a replay records the same).
    pub latency_ms: u32,
    /// For a streamed language-model turn, the time to its first token, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u32>,
}

/// How a conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The user accepted an item.
    Accepted,
    /// The user ran out of patience.
    Abandoned,
    /// The round limit came first.
    MaxRounds,
    /// Generation failed.
    Failed,
    /// Not known (conversations imported from elsewhere).
    Unknown,
}

/// Why a conversation ended, finer than the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The target itself was recommended and accepted.
    AcceptedTarget,
    /// An item meeting every requirement, in the category and budget, was accepted.
    AcceptedEquivalent,
    /// Too many misses for the user's patience.
    OutOfPatience,
    /// The configured number of rounds passed.
    RoundLimit,
    /// The recommender had nothing left to show.
    NoCandidates,
    /// Not known (conversations imported from elsewhere).
    Unknown,
}

/// Requests, tokens, cost and time spent on a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// LLM requests made (0 for sim).
    pub requests: u32,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens (reasoning tokens included).
    pub completion_tokens: u64,
    /// Prompt tokens read from the provider's prompt cache (a part of `prompt_tokens`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_read_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache (a part of `prompt_tokens`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_tokens: u64,
    /// Reasoning tokens (a part of `completion_tokens`, never added to it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reasoning_tokens: u64,
    /// Cost in USD.
    pub cost_usd: f64,
    /// Total latency of the turns, in milliseconds.
    pub latency_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What produced a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationMeta {
    /// User agent family and model (`sim`).
    pub user_agent: String,
    /// System agent family and model (`sim`).
    pub system_agent: String,
    /// Hash of the settings that shape dialogues.
    pub config_hash: String,
    /// Run seed.
    pub seed: u64,
    /// musegen version.
    pub musegen: String,
}

/// One finished conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Stable id (`c00000042`), derived from its index in the run.
    pub id: String,
    /// The profile the user plays.
    pub profile_id: String,
    /// The item the user was after.
    pub target_item_id: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it ended.
    pub end_reason: EndReason,
    /// Rounds played after the opening.
    pub rounds: u32,
    /// The accepted item, if any.
    #[serde(default)]
    pub accepted_item: Option<String>,
    /// Every item recommended, in order.
    pub mentioned_items: Vec<String>,
    /// The turns.
    pub turns: Vec<Turn>,
    /// Requests, tokens, cost and time.
    pub usage: Usage,
    /// What produced it.
    pub meta: GenerationMeta,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_round_trips_and_uses_snake_case() {
        let c = Conversation {
            id: "c00000001".into(),
            profile_id: "p0000001".into(),
            target_item_id: "s0000003".into(),
            outcome: Outcome::MaxRounds,
            end_reason: EndReason::RoundLimit,
            rounds: 6,
            accepted_item: None,
            mentioned_items: vec!["s0000009".into()],
            turns: vec![Turn {
                role: Role::System,
                action: Action::ChitChat,
                text: "Lovely weather!".into(),
                items: vec![],
                images: vec![],
                slots: vec![Slot {
                    attribute: "color".into(),
                    value: "black".into(),
                    negative: true,
                }],
                query: None,
                latency_ms: 900,
                first_token_ms: None,
            }],
            usage: Usage::default(),
            meta: GenerationMeta {
                user_agent: "sim".into(),
                system_agent: "sim".into(),
                config_hash: "abc".into(),
                seed: 7,
                musegen: "0.1.0".into(),
            },
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"outcome\":\"max_rounds\""));
        assert!(text.contains("\"action\":\"chit_chat\""));
        assert!(!text.contains("\"items\""), "empty lists are left out");
        let back: Conversation = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
        assert_eq!(Action::Greet.muse_label(), "chit-chat");
        assert_eq!(Action::Reject.muse_label(), "reject");
    }
}
