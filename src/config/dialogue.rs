//! Conversation settings (`[dialogue]`).

use std::num::{NonZeroU32, NonZeroUsize};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the simulated user is after (`dialogue.user_goal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserGoal {
    /// A hidden target item, as in MUSE: the user takes the target, or (sometimes) an equivalent of it, and turns
    /// the rest down, even an item that meets everything it said (a matter of taste).
    Target,
    /// No hidden target: the user takes the first item that meets its preferences (the profile's requirements) and
    /// its budget, as the target-free user simulators of recommender evaluation propose (PEPPER, SimpleUserSim).
    /// The profiles are the same, so both goals can be compared on one catalog.
    Preferences,
}

/// Conversation settings: the manager's state machine, the simulated user's patience, simulated latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DialogueConfig {
    /// Conversations to generate; 0 means one per profile. Profiles are reused round-robin when there are more sessions than profiles.
    pub sessions: usize,
    /// Rounds after the opening; each round the system recommends or chit-chats (MUSE used 6).
    pub max_rounds: NonZeroU32,
    /// Chance of chit-chat instead of a recommendation in round 1, 2, …; later rounds use the last value. Never two chit-chats in a row (MUSE: 0.5/0.4/0.3/0.3/0).
    pub chit_chat: Vec<f64>,
    /// The first round always recommends (as in MUSE).
    pub first_round_recommends: bool,
    /// Opening exchanges before the rounds, drawn uniformly from [min, max] (MUSE used 2).
    pub opening_exchanges: [u32; 2],
    /// Before the first recommendation, the chance the system asks about the budget, and about preferences.
    pub clarify: f64,
    /// Differences the user names when rejecting (MUSE used 2).
    pub reject_reasons: NonZeroUsize,
    /// What the simulated user is after: the hidden target item (MUSE), or whatever meets its preferences and budget.
    pub user_goal: UserGoal,
    /// The user also accepts an item that meets every requirement, in the target's category and within budget.
    pub accept_equivalent: bool,
    /// Chance that such an equivalent item is accepted when offered; otherwise the user holds out for the exact item they picture.
    pub equivalent_accept_rate: f64,
    /// Chance that the user, shown an item, first asks whether it meets a wish not stated yet; a user who has
    /// stated none always asks rather than accept blind.
    pub ask_rate: f64,
    /// Chance that the recommender overlooks one learnt preference when it searches (an imperfect recommender, as real ones are).
    pub system_slip: f64,
    /// Rejections a user tolerates before giving up: normal(mean, sd), at least `patience_min`, shifted by verbosity.
    pub patience_mean: f64,
    /// Spread of the patience.
    pub patience_sd: f64,
    /// Smallest patience.
    pub patience_min: u32,
    /// Patience added for terse, normal and chatty users.
    pub patience_by_verbosity: [f64; 3],
    /// Chance that the shopper answers the recommender's closing turn with a goodbye of its own ("Thanks so much,
    /// bye!" after taking an item, "Okay, take care." otherwise), for terse, normal and chatty users: the shopper
    /// then has the last word, as it often does in human recommendation dialogues.
    pub farewell_by_verbosity: [f64; 3],
    /// Chance that a shopper who gives up leaves without the recommender answering: its giving up ("I'll keep
    /// looking, thanks anyway") is the dialogue's last turn.
    pub leave_unanswered: f64,
    /// Weights of showing one, two or three items in a recommendation turn ("Two options: …"); the shopper then
    /// takes the one that fits, or turns them all down. `[1, 0, 0]` (the default, as in MUSE) shows one item a turn.
    pub items_per_turn: [f64; 3],
    /// Candidates the recommender retrieves before reranking.
    pub candidates: NonZeroUsize,
    /// Simulated user typing time per turn: lognormal median in ms.
    pub user_latency_ms: f64,
    /// Simulated system response time per turn: lognormal median in ms.
    pub system_latency_ms: f64,
    /// Spread (sigma of the log) of both latencies.
    pub latency_sigma: f64,
    /// Share of a casual code-mixing user's turns (Hinglish …) spoken from the mixed lines of
    /// `prompts/sim/codemix.toml`; neutral and formal users mix less (the file's `[share]`).
    pub code_mix_rate: f64,
    /// Conversations sampled for the diversity figures (distinct-n, verbatim share) of the summary.
    pub diversity_sample: usize,
}

impl Default for DialogueConfig {
    fn default() -> Self {
        DialogueConfig {
            sessions: 0,
            max_rounds: NonZeroU32::MIN.saturating_add(5),
            chit_chat: vec![0.5, 0.4, 0.3, 0.3, 0.0, 0.0],
            first_round_recommends: true,
            opening_exchanges: [1, 2],
            clarify: 0.5,
            reject_reasons: NonZeroUsize::MIN.saturating_add(1),
            user_goal: UserGoal::Target,
            accept_equivalent: true,
            equivalent_accept_rate: 0.5,
            ask_rate: 0.2,
            system_slip: 0.15,
            patience_mean: 3.0,
            patience_sd: 1.5,
            patience_min: 1,
            patience_by_verbosity: [-1.0, 0.0, 1.0],
            farewell_by_verbosity: [0.2, 0.4, 0.55],
            leave_unanswered: 0.3,
            items_per_turn: [1.0, 0.0, 0.0],
            candidates: NonZeroUsize::MIN.saturating_add(9),
            user_latency_ms: 6000.0,
            system_latency_ms: 1500.0,
            latency_sigma: 0.5,
            code_mix_rate: 0.6,
            diversity_sample: 2000,
        }
    }
}

impl DialogueConfig {
    /// Whether the number of items a recommendation shows is drawn (more than one weight of `items_per_turn` is
    /// non-zero). Otherwise it is fixed, with no draw, so a one-item setting keeps its draws as before.
    pub fn items_drawn(&self) -> bool {
        self.items_per_turn.iter().filter(|&&w| w > 0.0).count() > 1
    }

    /// The number of items a recommendation shows when it is not drawn: the one with a non-zero weight.
    pub fn items_fixed(&self) -> usize {
        self.items_per_turn
            .iter()
            .position(|&w| w > 0.0)
            .map_or(1, |i| i + 1)
    }
}
