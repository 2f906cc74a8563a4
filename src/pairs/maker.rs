//! Making the preference pairs of one conversation. Each sound recommendation (a catalog item meeting everything
//! the shopper had revealed, not one they had turned down) is a chosen reply; the recommender is replayed to that
//! turn and phrases the rejected reply in the same context: a grounded hard negative (a real item breaking a
//! revealed wish, over the budget, or the item turned down, offered again), or a fresh recommendation that the
//! pairwise judge ranks against the real one in both orders (the better of the two is chosen, when the judge's
//! preference reaches the margin).

use super::record::{Pair, PairCounts};
use crate::Result;
use crate::agents::sim::{SimSystem, SimWorld};
use crate::config::{DpoConfig, PairSource};
use crate::model::{Conversation, Profile, Role, Turn};
use crate::review::judge::Judge;
use crate::rng::Rng;

/// What the pairs of a conversation are made with.
pub struct PairMaker<'a> {
    /// The sim recommender's world (phrase bank, catalog, settings).
    pub sim: &'a SimWorld<'a>,
    /// The world with the configured language-model recommender, when there is one.
    pub llm: Option<&'a SimWorld<'a>>,
    /// The pairwise judge, when configured.
    pub judge: Option<&'a Judge>,
    /// Settings.
    pub cfg: &'a DpoConfig,
}

impl PairMaker<'_> {
    /// The pairs of `c` and what was found making them.
    pub fn pairs(
        &self,
        c: &Conversation,
        profile: Option<&Profile>,
    ) -> Result<(Vec<Pair>, PairCounts)> {
        let mut out = Vec::new();
        let mut counts = PairCounts::default();
        let llm_played = c.meta.system_agent != "sim";
        let world = if llm_played { self.llm } else { Some(self.sim) };
        let negative_source = if llm_played {
            PairSource::HardNegative
        } else {
            PairSource::Sim
        };
        let seed = c.meta.seed;
        for (t, sound) in crate::catalog::fit::sound_recommendations(c, self.sim.catalog) {
            counts.recommendations += 1;
            if !sound {
                counts.unsound += 1;
                continue;
            }
            let history = &c.turns[..t];
            if !ends_with_shopper(history) {
                continue;
            }
            let Some(world) = world else {
                counts.no_llm_voice += 1;
                continue;
            };
            let chosen = c.turns[t].text.trim().to_string();
            let chosen_item = c.turns[t].items.first().cloned();
            let replay = |what: &str| {
                let talk = format!("{}#dpo.t{t}.{what}", c.id);
                let mut system =
                    SimSystem::new(world, &talk, Rng::for_record(seed, "export.dpo", &talk));
                system.replay(history);
                system
            };
            if self.cfg.sources.contains(&negative_source) {
                let mut made = 0;
                for &kind in &self.cfg.kinds {
                    if made == self.cfg.negatives_per_turn {
                        break;
                    }
                    let Some(neg) = replay(kind.key()).negative(kind, history)? else {
                        continue;
                    };
                    let text = neg.text.trim().to_string();
                    if text.is_empty() || text == chosen {
                        continue;
                    }
                    made += 1;
                    out.push(Pair {
                        conversation_id: c.id.clone(),
                        turn: t,
                        chosen: chosen.clone(),
                        rejected: text,
                        source: negative_source,
                        kind: Some(kind),
                        resample: 0,
                        margin: None,
                        chosen_item: chosen_item.clone(),
                        rejected_item: neg.items.first().cloned(),
                    });
                }
                if made == 0 {
                    counts.no_negative += 1;
                }
            }
            if let Some(judge) = self
                .judge
                .filter(|_| self.cfg.sources.contains(&PairSource::Judge))
            {
                for k in 0..self.cfg.resamples {
                    let Some(alt) = replay(&format!("resample{k}")).resample()? else {
                        continue;
                    };
                    let text = alt.text.trim().to_string();
                    if text.is_empty() || text == chosen {
                        continue;
                    }
                    let talk = format!("{}#dpo.t{t}.judge{k}", c.id);
                    let preference = judge.compare(&talk, history, &chosen, &text, profile)?;
                    if preference.score.abs() < self.cfg.min_margin {
                        counts.judge_ties += 1;
                        continue;
                    }
                    let alt_item = alt.items.first().cloned();
                    let ((chosen, chosen_item), (rejected, rejected_item)) =
                        if preference.score > 0.0 {
                            ((chosen.clone(), chosen_item.clone()), (text, alt_item))
                        } else {
                            ((text, alt_item), (chosen.clone(), chosen_item.clone()))
                        };
                    out.push(Pair {
                        conversation_id: c.id.clone(),
                        turn: t,
                        chosen,
                        rejected,
                        source: PairSource::Judge,
                        kind: None,
                        resample: k,
                        margin: Some(preference.score.abs()),
                        chosen_item,
                        rejected_item,
                    });
                }
            }
        }
        Ok((out, counts))
    }
}

/// Whether the prompt made of `history` ends with the shopper's message: its last turn with text is the shopper's
/// (the renderer joins consecutive turns of one speaker and starts at the first shopper turn, so this is the same
/// as its last message being the shopper's).
fn ends_with_shopper(history: &[Turn]) -> bool {
    history
        .iter()
        .rev()
        .find(|t| !t.text.trim().is_empty())
        .is_some_and(|t| t.role == Role::User)
}
