//! Making the preference pairs of one conversation. Each sound recommendation (a catalog item meeting everything
//! the shopper had revealed, not one they had turned down) is a chosen reply; the recommender is replayed to that
//! turn and phrases the rejected reply in the same context: a grounded hard negative (a real item breaking a
//! revealed wish, over the budget, or the item turned down, offered again), or a fresh recommendation that the
//! pairwise judge ranks against the real one in both orders (the better of the two is chosen, when the judge's
//! preference reaches the margin).
//!
//! A sim negative is the chosen reply's own wording with the item swapped (its title, its price and the facts of
//! it the reply cites that the shopper never stated), so that a model learns the item, not the wording; the
//! recommender's own phrasing of the negative is the fallback when the swap cannot be made cleanly. Pairs from the
//! judge, or phrased by a model, keep their own wording. A recommendation the shopper goes on to turn down is
//! never chosen.

use super::record::{Pair, PairCounts};
use crate::Result;
use crate::agents::sim::{SimSystem, SimWorld};
use crate::catalog::MemoryCatalog;
use crate::catalog::money::money;
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
                .first()
                .is_some_and(|id| rejected.iter().any(|(at, x)| *at > t && x == id));
            if rejected_later {
                counts.rejected_later += 1;
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
            if !rejected_later && self.cfg.sources.contains(&negative_source) {
                let mut made = 0;
                for &kind in &self.cfg.kinds {
                    if made == self.cfg.negatives_per_turn {
                        break;
                    }
                    let Some(neg) = replay(kind.key()).negative(kind, history)? else {
                        continue;
                    };
                    let own = (negative_source == PairSource::Sim)
                        .then(|| {
                            swapped(
                                cat,
                                &chosen,
                                chosen_item.as_deref(),
                                neg.items.first(),
                                history,
                            )
                        })
                        .flatten();
                    if negative_source == PairSource::Sim && own.is_none() {
                        counts.reworded += 1;
                    }
                    let text = own.unwrap_or_else(|| neg.text.trim().to_string());
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

/// The items the shopper turned down, with the turn of each reject (the item a reject names, or else the last one
/// recommended before it).
fn rejected_at(c: &Conversation) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut last: Option<&String> = None;
    for (i, t) in c.turns.iter().enumerate() {
        match (t.role, t.action) {
            (Role::System, Action::Recommend) => last = t.items.first().or(last),
            (Role::User, Action::Reject) => {
                if let Some(id) = t.items.first().or(last) {
                    out.push((i, id.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// `chosen` (the reply recommending `chosen_item`) with `negative` in its place: the title, the price, and each
/// attribute value of the chosen item the reply cites that no shopper turn of `history` holds (a fact of the item,
/// not a wish said back), replaced by the negative item's. `None` when the reply does not name its item by title,
/// cites a fact of it the negative item has no value for (or a feature it lacks), or names a wish the chosen item meets and the negative
/// does not (the reply may state it as a fact of the item, which the swap would make false).
fn swapped(
    cat: &MemoryCatalog,
    chosen: &str,
    chosen_item: Option<&str>,
    negative: Option<&String>,
    history: &[Turn],
) -> Option<String> {
    let a = cat.position(chosen_item?)?;
    let b = cat.position(negative?)?;
    let (from, to) = (cat.item(a), cat.item(b));
    if from.title.is_empty() || !chosen.contains(from.title.as_str()) {
        return None;
    }
    let mut text = chosen.replace(from.title.as_str(), &to.title);
    if let (Some(p), Some(q)) = (from.price, to.price) {
        text = text.replace(&money(p), &money(q));
    }
    let said: String = history
        .iter()
        .filter(|t| t.role == Role::User)
        .map(|t| t.text.to_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    // A feature of the chosen item the reply cites and the negative item lacks cannot be swapped truthfully.
    let lower_text = text.to_lowercase();
    if cat
        .features(a)
        .any(|f| lower_text.contains(&f.to_lowercase()) && !cat.has_feature(b, &f.to_lowercase()))
    {
        return None;
    }
    let keys: Vec<&str> = cat.attributes(a).map(|(k, _)| k).collect();
    for key in keys {
        let Some(value) = cat.display_value(a, key) else {
            continue;
        };
        let lower = value.to_lowercase();
        // A one-letter value (size S) is too easily a part of other words to swap by its text.
        if lower.chars().count() < 2 || find_word(&text.to_lowercase(), &lower).is_none() {
            continue;
        }
        let other = cat.display_value(b, key)?;
        if find_word(&said, &lower).is_some() {
            // A wish said back stays as it is; but when the negative item lacks it, the reply may also cite it as a
            // fact of the item ("they're made of suede"), which would be false of the negative: no swap.
            if !other.eq_ignore_ascii_case(value) {
                return None;
            }
            continue;
        }
        text = replace_words(&text, &lower, other);
    }
    Some(text)
}

/// The byte offset of the first whole-word occurrence of `needle` in `hay` (an apostrophe joins a word: the "s" of
/// "Here's" is no word).
fn find_word(hay: &str, needle: &str) -> Option<usize> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '\'');
    let mut from = 0;
    while let Some(at) = hay
        .get(from..)
        .and_then(|h| h.find(needle))
        .map(|i| i + from)
    {
        let end = at + needle.len();
        if !word(hay[..at].chars().next_back()) && !word(hay[end..].chars().next()) {
            return Some(at);
        }
        from = at + needle.len().max(1);
    }
    None
}

/// `text` with every whole-word occurrence of `lower` (matched without regard to case) replaced by `with`. Text
/// whose lowercase form changes length (a few non-ASCII letters) is matched as written.
fn replace_words(text: &str, lower: &str, with: &str) -> String {
    let folded = text.to_lowercase();
    let hay = if folded.len() == text.len() {
        folded
    } else {
        text.to_string()
    };
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(at) = find_word(&hay[from..], lower).map(|i| i + from) {
        out.push_str(&text[from..at]);
        out.push_str(with);
        from = at + lower.len();
    }
    out.push_str(&text[from..]);
    out
}
