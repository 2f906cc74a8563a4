//! The embedded offline agent family: an agenda-based user simulator and a retrieval recommender, both phrasing
//! their turns from the phrase banks in `prompts/sim/`, deterministic under a seeded RNG.

mod ages;
mod codemix;
pub mod compose;
mod occasion;
pub mod phrases;
pub mod realise;
mod system;
mod user;
pub mod variety;
pub mod wording;

pub use crate::agents::money::money;
pub use crate::config::NegativeKind;
pub use codemix::CodeMixes;
pub use phrases::{PhraseBank, ReasonKind, SYSTEM_ACTS, SystemContext, UserAct, UserContext};
pub use system::SimSystem;
pub use user::SimUser;

use std::collections::HashMap;

use crate::catalog::MemoryCatalog;
use crate::config::DialogueConfig;
use crate::rng::Rng;

/// What every sim agent of a run shares: the catalog in memory, the phrase banks, the settings, and the purchase
/// reasons' labels (profiles store reason ids).
#[derive(Clone, Copy)]
pub struct SimWorld<'a> {
    /// The catalog.
    pub catalog: &'a MemoryCatalog,
    /// The phrase banks.
    pub phrases: &'a PhraseBank,
    /// Dialogue settings.
    pub config: &'a DialogueConfig,
    /// Reason id → how shoppers say it (`attend` → "attending an event", "an event I'm going to" …).
    pub reason_said: &'a HashMap<String, Vec<String>>,
    /// When set, a language model phrases the user's turns.
    pub user_voice: Option<&'a crate::agents::llm::LlmVoice>,
    /// When set, a language model phrases the recommender's turns.
    pub system_voice: Option<&'a crate::agents::llm::LlmVoice>,
    /// When set, the language model's retrieval chain picks the recommended items.
    pub system_chain: Option<&'a crate::agents::retrieval::RetrievalChain>,
    /// How long one conversation may take in all (LLM agents only).
    pub config_deadline: Option<std::time::Duration>,
    /// The currencies shoppers count in.
    pub currencies: &'a crate::catalog::money::Currencies,
    /// The size systems shoppers say sizes in.
    pub sizes: &'a crate::catalog::sizes::Sizes,
}

/// A simulated latency in milliseconds: lognormal with the given median and sigma of the log.
pub fn latency(rng: &mut Rng, median_ms: f64, sigma: f64) -> u32 {
    let x = (median_ms.max(1.0).ln() + sigma * rng.normal()).exp();
    x.clamp(1.0, 600_000.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_positive_and_centred_on_the_median() {
        let mut rng = Rng::from_u64(5);
        let mut v: Vec<u32> = (0..2001).map(|_| latency(&mut rng, 1000.0, 0.5)).collect();
        v.sort();
        let median = v[1000] as f64;
        assert!((800.0..1250.0).contains(&median), "{median}");
        assert!(v[0] >= 1);
    }
}
