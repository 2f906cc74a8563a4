//! Making the preference pairs of one conversation. Each sound recommendation (a catalog item meeting everything
//! the shopper had revealed, not one they had turned down) is a chosen reply; the recommender is replayed to that
//! turn and phrases the rejected reply in the same context: a grounded hard negative (a real item breaking a
//! revealed wish, over the budget, or the item turned down, offered again), or a fresh recommendation that the
//! pairwise judge ranks against the real one in both orders (the better of the two is chosen, when the judge's
//! preference reaches the margin).
//!
//! A sim pair is one plan worded for both items (the same parts, the same alternatives, each reply citing its own
//! item's values of what the shopper asked about, no claim that could be false of the negative), so that a model
//! learns the item, not the wording; its chosen reply is the recommender's wording of the dialogue's item at that
//! turn. A pair that would still differ beyond the item falls back to the negative in the recommender's own
//! wording, counted as reworded. Pairs from the judge, or phrased by a model, keep their own wording. A
//! recommendation the shopper goes on to turn down is never chosen.
//!
//! A recommendation of several items gives sim pairs only when the item the shopper finally took is among them: the
//! chosen reply is the turn as said, the rejected reply the same words with the taken item (its title, its price
//! and the fact cited for it) swapped for a hard negative, the other items unchanged. Other turns of several items
//! give no pair (counted as `several_items`), nor do those of conversations a model played.

use super::record::{Pair, PairCounts};
use crate::Result;
use crate::agents::sim::{SimSystem, SimWorld};
use crate::catalog::MemoryCatalog;
use crate::catalog::money::Money;
use crate::catalog::sizes::LocalSizes;
use crate::config::{DpoConfig, PairSource};
use crate::model::{Action, Conversation, Profile, Role, Turn};
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
        let cat = self.sim.catalog;
        let rejected = rejected_at(c);
        // The item the shopper finally took, if any.
        let taken = c
            .turns
            .iter()
            .rev()
            .find(|t| t.role == Role::User && t.action == Action::Accept)
            .and_then(|t| t.items.first().cloned());
        for (t, sound) in crate::catalog::fit::sound_recommendations(c, cat) {
            counts.recommendations += 1;
            if !sound {
                counts.unsound += 1;
                continue;
            }
            // The shopper goes on to turn this item down: it is never the chosen side of a pair (no hard negative
            // against it; a judge pair stands only when the judge prefers the other reply).
            let rejected_later = c.turns[t]
                .items
                .iter()
                .any(|id| rejected.iter().any(|(at, x)| *at > t && x == id));
            if rejected_later {
                counts.rejected_later += 1;
            }
            let history = &c.turns[..t];
            if c.turns[t].items.len() > 1 {
                // Of several items shown, the one the shopper took is the chosen side: sim pairs swap it alone.
                let taken = taken
                    .as_deref()
                    .filter(|id| c.turns[t].items.iter().any(|x| x == id));
                let made = match taken {
                    Some(id) if !llm_played && ends_with_shopper(history) => {
                        let money = profile
                            .map(|p| self.sim.currencies.for_profile(p))
                            .unwrap_or_else(|| self.sim.currencies.catalog());
                        let sizes = profile
                            .map(|p| self.sim.sizes.for_profile(p))
                            .unwrap_or(LocalSizes::CATALOG);
                        self.several_pairs(c, t, id, (money, sizes), &mut out)?
                    }
                    _ => 0,
                };
                if made == 0 {
                    counts.several_items += 1;
                } else {
                    counts.several_paired += 1;
                }
                continue;
            }
            if !ends_with_shopper(history) {
                continue;
            }
            let Some(world) = world else {
                counts.no_llm_voice += 1;
                continue;
            };
            let chosen = c.turns[t].text.trim().to_string();
            let chosen_item = c.turns[t].items.first().cloned();
            // The shopper's currency: the replayed recommender quotes prices in it, as the dialogue did.
            let money = profile
                .map(|p| world.currencies.for_profile(p))
                .unwrap_or_else(|| world.currencies.catalog());
            let sizes = profile
                .map(|p| world.sizes.for_profile(p))
                .unwrap_or(LocalSizes::CATALOG);
            let replay = |what: &str| {
                let talk = format!("{}#dpo.t{t}.{what}", c.id);
                let mut system = SimSystem::new(
                    world,
                    &talk,
                    money,
                    sizes,
                    Rng::for_record(seed, "export.dpo", &talk),
                );
                system.replay(history);
                system
            };
            if !rejected_later && self.cfg.sources.contains(&negative_source) {
                let mut made = 0;
                for &kind in &self.cfg.kinds {
                    if made == self.cfg.negatives_per_turn {
                        break;
                    }
                    let sim = negative_source == PairSource::Sim;
                    let pair = match chosen_item.as_deref() {
                        Some(id) if sim => replay(kind.key()).negative_pair(kind, history, id)?,
                        _ => None,
                    };
                    let (chosen, text, rejected_item) = match (pair, chosen_item.as_deref()) {
                        (Some((a, b, other)), Some(id))
                            if same_frame(cat, (money, sizes), (&a, id), (&b, &other)) =>
                        {
                            (a, b, Some(other))
                        }
                        _ => {
                            let Some(neg) = replay(kind.key()).negative(kind, history)? else {
                                continue;
                            };
                            if sim {
                                counts.reworded += 1;
                            }
                            let item = neg.items.first().cloned();
                            (chosen.clone(), neg.text.trim().to_string(), item)
                        }
                    };
                    if text.is_empty() || text == chosen {
                        continue;
                    }
                    made += 1;
                    out.push(Pair {
                        conversation_id: c.id.clone(),
                        turn: t,
                        chosen,
                        rejected: text,
                        source: negative_source,
                        kind: Some(kind),
                        resample: 0,
                        margin: None,
                        chosen_item: chosen_item.clone(),
                        rejected_item,
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
                    let alt = match replay(&format!("resample{k}")).resample() {
                        Ok(Some(alt)) => alt,
                        Ok(None) => continue,
                        Err(e) => {
                            left_out(e, &c.id, &mut counts)?;
                            continue;
                        }
                    };
                    let text = alt.text.trim().to_string();
                    if text.is_empty() || text == chosen {
                        continue;
                    }
                    let talk = format!("{}#dpo.t{t}.judge{k}", c.id);
                    let preference = match judge.compare(&talk, history, &chosen, &text, profile) {
                        Ok(p) => p,
                        Err(e) => {
                            left_out(e, &c.id, &mut counts)?;
                            continue;
                        }
                    };
                    if preference.score.abs() < self.cfg.min_margin {
                        counts.judge_ties += 1;
                        continue;
                    }
                    let alt_item = alt.items.first().cloned();
                    if preference.score > 0.0 && rejected_later {
                        continue;
                    }
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

impl PairMaker<'_> {
    /// The sim pairs of turn `t` of `c`, a recommendation of several items among which is `taken`, the item the
    /// shopper went on to take (in `money` and `sizes`, the shopper's currency and size system), pushed onto `out`;
    /// how many. The chosen reply is
    /// the turn as said; each rejected reply is the same words with the taken item (its title, price and the fact
    /// cited for it) swapped for a hard negative of a configured kind, the other items left as they were.
    fn several_pairs(
        &self,
        c: &Conversation,
        t: usize,
        taken: &str,
        (money, sizes): (Money<'_>, LocalSizes<'_>),
        out: &mut Vec<Pair>,
    ) -> Result<usize> {
        if !self.cfg.sources.contains(&PairSource::Sim) {
            return Ok(0);
        }
        let history = &c.turns[..t];
        let turn = &c.turns[t];
        let chosen = turn.text.trim();
        let mut made = 0;
        for &kind in &self.cfg.kinds {
            if made == self.cfg.negatives_per_turn {
                break;
            }
            let talk = format!("{}#dpo.t{t}.{}", c.id, kind.key());
            let mut system = SimSystem::new(
                self.sim,
                &talk,
                money,
                sizes,
                Rng::for_record(c.meta.seed, "export.dpo", &talk),
            );
            system.replay(history);
            let Some((other, replies)) =
                system.swap_taken(kind, history, chosen, &turn.items, taken)
            else {
                continue;
            };
            // The first that differs from the turn in the swapped item only.
            let Some(rejected) = replies.into_iter().find(|r| {
                same_frame(
                    self.sim.catalog,
                    (money, sizes),
                    (chosen, taken),
                    (r, &other),
                )
            }) else {
                continue;
            };
            made += 1;
            out.push(Pair {
                conversation_id: c.id.clone(),
                turn: t,
                chosen: chosen.to_string(),
                rejected,
                source: PairSource::Sim,
                kind: Some(kind),
                resample: 0,
                margin: None,
                chosen_item: Some(taken.to_string()),
                rejected_item: Some(other),
            });
        }
        Ok(made)
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

/// The items the shopper turned down, with the turn of each reject (the items a reject names — every one of several
/// shown — or else those of the last recommendation before it).
fn rejected_at(c: &Conversation) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut last: &[String] = &[];
    for (i, t) in c.turns.iter().enumerate() {
        match (t.role, t.action) {
            (Role::System, Action::Recommend) if !t.items.is_empty() => last = &t.items,
            (Role::User, Action::Reject) => {
                let items = if t.items.is_empty() { last } else { &t.items };
                out.extend(items.iter().map(|id| (i, id.clone())));
            }
            _ => {}
        }
    }
    out
}

/// A resample or judge comparison whose request failed: a failure of one record (a model answer unusable after its
/// retries) is counted and left out, as a failed conversation is; anything that stops the run (a refused key, an
/// exhausted budget, a write error) is returned.
fn left_out(e: crate::Error, id: &str, counts: &mut PairCounts) -> Result<()> {
    match e {
        crate::Error::Run(why) => {
            tracing::warn!("{id}: a resample left out: {why}");
            counts.failed += 1;
            Ok(())
        }
        e => Err(e),
    }
}

/// Whether two replies (`(text, item id)` each) are the same words once both are read without either item's title,
/// price, attribute values and features: a pair that differs in the item only. Articles and the words that agree
/// with the item's number ("it's" / "they're", "comes" / "come") are left out, since they follow the item.
fn same_frame(
    cat: &MemoryCatalog,
    (money, sizes): (Money<'_>, LocalSizes<'_>),
    a: (&str, &str),
    b: (&str, &str),
) -> bool {
    let (Some(x), Some(y)) = (cat.position(a.1), cat.position(b.1)) else {
        return false;
    };
    let mut phrases: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    for i in [x, y] {
        let item = cat.item(i);
        phrases.push(item.title.clone());
        phrases.extend(item.price.map(|p| money.write(p)));
        phrases.extend(cat.features(i).map(str::to_lowercase));
        let keys: Vec<&str> = cat.attributes(i).map(|(k, _)| k).collect();
        for k in keys {
            let form = cat.form(i, k);
            let said = [cat.value(i, k), cat.display_value(i, k)]
                .into_iter()
                .chain(form.map(|f| Some(f.word.as_str())))
                .chain(form.map(|f| f.np.as_deref()))
                .flatten();
            // A size is said in the shopper's system ("a UK 8").
            let local = cat.value(i, k).and_then(|v| sizes.for_path(cat.path(i), v));
            for v in said.chain(local) {
                values.extend(v.split(apart).map(word));
            }
        }
    }
    // Longer phrases first, so that a title holding another is taken out whole.
    phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let frame = |text: &str| -> Vec<String> {
        let mut text = text.to_string();
        for p in &phrases {
            text = text.replace(p.as_str(), " ");
        }
        let mut text = text.to_lowercase();
        for p in &phrases {
            text = text.replace(&p.to_lowercase(), " ");
        }
        text.split(apart)
            .map(word)
            .filter(|w| !w.is_empty() && !values.contains(w) && !AGREEING.contains(&w.as_str()))
            .collect()
    };
    frame(a.0) == frame(b.0)
}

/// Words that follow the item: articles, and those agreeing with its number.
const AGREEING: [&str; 16] = [
    "a", "an", "it", "it's", "its", "is", "has", "comes", "they", "they're", "their", "are",
    "have", "come", "one", "pair",
];

/// Where text is cut into words: anything but a letter, a digit or an apostrophe.
fn apart(c: char) -> bool {
    !c.is_alphanumeric() && c != '\''
}

/// A word as compared: lowercase, without the punctuation around it.
fn word(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StopCause;

    #[test]
    fn a_failed_model_answer_is_counted_and_left_out_and_a_stop_is_returned() {
        let mut counts = PairCounts::default();
        let failed = crate::Error::Run(
            "judge request of c7 failed after retries: malformed response".into(),
        );
        assert!(left_out(failed, "c7", &mut counts).is_ok());
        assert_eq!(counts.failed, 1);
        let stops = [
            crate::Error::Stopped("401 Incorrect API key".into(), StopCause::Refused),
            crate::Error::Stopped("the cost budget is spent".into(), StopCause::Other),
            crate::Error::write(
                std::path::Path::new("pairs.jsonl"),
                std::io::Error::other("disk full"),
            ),
        ];
        for stop in stops {
            let said = stop.to_string();
            let back = left_out(stop, "c7", &mut counts).expect_err("a stop is returned");
            assert_eq!(back.to_string(), said, "the same error");
        }
        assert_eq!(counts.failed, 1, "a stop is not counted");
    }
}
