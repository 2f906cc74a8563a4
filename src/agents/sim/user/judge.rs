//! The shopper's decision on an item shown: take it, ask about it first, turn it down with reasons, or give up;
//! and what it says it likes about an item it takes.

use super::{REDRAWS, SimUser, mentions, slot};
use crate::Result;
use crate::agents::compare::{Difference, satisfies};
use crate::agents::sim::phrases::{ReasonKind, Shopper, UserAct, UserContext};
use crate::agents::sim::realise::{self, Fact};
use crate::agents::sim::variety::grams;
use crate::catalog::Noun;
use crate::config::UserGoal;
use crate::model::{Action, Slot, Turn};

impl SimUser<'_> {
    /// The user's decision on the item of `turn` (a recommendation, or the answer to a question about it): take it,
    /// ask about it first, turn it down with reasons, or give up.
    pub(super) fn judge(&mut self, turn: &Turn) -> Result<Turn> {
        let Some(item) = turn.items.first().and_then(|id| self.cat.position(id)) else {
            let ctx = UserContext {
                reasons: self.vague_reason()?,
                ..self.base.clone()
            };
            return self.say(
                UserAct::Reject,
                Action::Reject,
                &ctx,
                Vec::new(),
                turn.items.clone(),
            );
        };
        let fits = self.fits(item);
        let takes_equivalent = self.leans_to(item);
        // Without a hidden target, whatever fits is taken.
        let takes = fits
            && (item == self.target
                || takes_equivalent
                || self.cfg.user_goal == UserGoal::Preferences);
        // Before deciding, the user may ask whether the item meets a wish not said yet; one who has said none asks
        // rather than take an item blind. (Drawn for every item, so the later draws do not depend on the answer.)
        let curious = self.rng.chance(self.cfg.ask_rate);
        // The wish asked about is one the recommender's turn did not already answer ("they're full-grain leather"),
        // when there is one.
        let said = turn.text.to_lowercase();
        let unanswered = self.agenda.iter().rev().copied().find(|&j| {
            let v = self.profile.scenario.requirements[j].value.to_lowercase();
            !mentions(&said, &v)
        });
        if !self.asked.contains(&item)
            && let Some(next) = unanswered.or_else(|| self.agenda.last().copied())
            && ((takes && !self.stated_a_wish()) || curious)
        {
            return self.ask(item, next);
        }
        if takes {
            let reference = self.cat.noun(item).definite();
            let noun = Some(self.cat.noun(item).clone());
            return self.take(item, reference, noun, false);
        }
        if let Some(turn) = self.give_up(Some((item, fits)))? {
            return Ok(turn);
        }
        self.turn_down(item, None)
    }

    /// The accept of `item`, named by `reference` ("the running shoes", "the second one"): what the shopper likes
    /// about it, and whether it turned others down first; `several` when it was one of several shown.
    pub(super) fn take(
        &mut self,
        item: u32,
        reference: String,
        noun: Option<Noun>,
        several: bool,
    ) -> Result<Turn> {
        let ctx = UserContext {
            item: reference,
            liked: self.liked(item),
            noun,
            later: self.rejections > 0,
            several,
            title: self.several_title(item, several),
            ..self.base.clone()
        };
        self.say(
            UserAct::Accept,
            Action::Accept,
            &ctx,
            Vec::new(),
            vec![self.cat.item(item).id.clone()],
        )
    }

    /// Whether item `i` fits: the target, or an item meeting every requirement, in category and budget, that
    /// honours what the user said when rejecting (a colour they asked for, one they turned down): accepting
    /// against one's own words is a contradiction the reviewer flags.
    pub(super) fn fits(&self, item: u32) -> bool {
        let reqs = &self.profile.scenario.requirements;
        let honours_words = self.stated.iter().all(|(key, value, negative)| {
            let has = match key.as_str() {
                "feature" => self.cat.has_feature(item, value),
                key => self.cat.value(item, key) == Some(value.as_str()),
            };
            has != *negative
        });
        satisfies(self.cat, self.target, item, self.budget(), reqs)
            && (item == self.target || honours_words)
    }

    /// Whether the user would take `item` were it an equivalent of the target: one `dialogue.equivalent_accept_rate`
    /// draw per item shown, remembered, so a question about the item before deciding does not draw again (a user
    /// who leans to an item and asks to be sure still takes it when the answer fits).
    pub(super) fn leans_to(&mut self, item: u32) -> bool {
        if !self.cfg.accept_equivalent {
            return false;
        }
        if let Some(&(_, lean)) = self.leanings.iter().find(|(i, _)| *i == item) {
            return lean;
        }
        let lean = self.rng.chance(self.cfg.equivalent_accept_rate);
        self.leanings.push((item, lean));
        lean
    }

    /// Give up when patience has run out: after `about` (an item, and whether it meets every wish said) the
    /// shopper says why, a matter of taste about a match ("That ticks every box, but the taupe puts me off"), or
    /// the wish it misses, as a reject would say it ("Thing is, I'm only after silver this time").
    pub(super) fn give_up(&mut self, about: Option<(u32, bool)>) -> Result<Option<Turn>> {
        self.rejections += 1;
        if self.rejections > self.patience {
            let (reasons, slots, matched) = match about {
                Some((item, true)) => (self.taste(item)?, Vec::new(), true),
                Some((item, false)) => {
                    let (reasons, slots) = self.reject_reasons(item)?;
                    (reasons, slots, false)
                }
                None => (String::new(), Vec::new(), false),
            };
            let ctx = UserContext {
                reasons,
                matched,
                ..self.base.clone()
            };
            return self
                .say(UserAct::Abandon, Action::Abandon, &ctx, slots, Vec::new())
                .map(Some);
        }
        Ok(None)
    }

    /// Turn `item` down with reasons: what the user said before, at most one wish named for the first time, else a
    /// matter of taste. With `several` (how the user refers to `item`, and every item shown, `item` first) the turn
    /// turns them all down, with the reasons about `item`, the closest.
    pub(super) fn turn_down(
        &mut self,
        item: u32,
        several: Option<(String, Vec<String>)>,
    ) -> Result<Turn> {
        let (reasons, slots) = self.reject_reasons(item)?;
        let (item_said, items, several) = match several {
            Some((said, items)) => (said, items, true),
            None => (
                self.cat.noun(item).definite(),
                vec![self.cat.item(item).id.clone()],
                false,
            ),
        };
        let ctx = UserContext {
            reasons,
            item: item_said,
            noun: (!several).then(|| self.cat.noun(item).clone()),
            several,
            shown: items.len(),
            title: self.several_title(item, several),
            ..self.base.clone()
        };
        self.say(UserAct::Reject, Action::Reject, &ctx, slots, items)
    }

    /// The reasons a reject of `item` gives, joined, with the slots they state: what the user said before, at most
    /// one wish named for the first time (now revealed: off the agenda, and stated), else a matter of taste.
    fn reject_reasons(&mut self, item: u32) -> Result<(String, Vec<Slot>)> {
        let reqs = &self.profile.scenario.requirements;
        let budget = self.budget();
        let chosen = self.reasons(item)?;
        let mut clauses = Vec::new();
        let mut slots = Vec::new();
        for (d, kind) in &chosen {
            clauses.push(self.fresh_reason(d, *kind, item)?);
            if *kind == ReasonKind::Dislike {
                // Taste names what the item is, not what the user wants.
                if !d.got.is_empty() {
                    slots.push(Slot {
                        attribute: d.attribute.clone(),
                        value: d.got.clone(),
                        negative: true,
                    });
                }
                continue;
            }
            match d.attribute.as_str() {
                "price_high" => {
                    self.said_budget = true;
                    self.priced_out = true;
                    slots.push(slot(
                        "budget",
                        &budget.map(|b| format!("{b}")).unwrap_or_default(),
                    ))
                }
                "feature" => slots.push(slot("feature", &d.wanted)),
                key => {
                    slots.push(slot(key, &d.wanted));
                    if !d.got.is_empty() {
                        slots.push(Slot {
                            attribute: key.to_string(),
                            value: d.got.clone(),
                            negative: true,
                        });
                    }
                }
            }
            // A requirement named in a rejection is revealed: drop it from the agenda.
            let revealed: Vec<usize> = self
                .agenda
                .iter()
                .copied()
                .filter(|&i| {
                    reqs[i].attribute == d.attribute
                        && (d.attribute != "feature" || reqs[i].value.to_lowercase() == d.wanted)
                })
                .collect();
            self.agenda.retain(|i| !revealed.contains(i));
        }
        if clauses.is_empty() {
            clauses.push(self.vague_reason()?);
        }
        for s in &slots {
            if !matches!(s.attribute.as_str(), "budget" | "category") {
                self.stated
                    .push((s.attribute.clone(), s.value.to_lowercase(), s.negative));
            }
        }
        Ok((clauses.join(" and "), slots))
    }

    /// What the shopper dislikes about `item`, which meets every wish said: a matter of taste where the item differs
    /// from what it pictured, else a clause naming no difference.
    fn taste(&mut self, item: u32) -> Result<String> {
        let chosen = self.reasons(item)?;
        let Some((d, kind)) = chosen.into_iter().find(|(_, k)| *k == ReasonKind::Dislike) else {
            return self.vague_reason();
        };
        self.fresh_reason(&d, kind, item)
    }

    /// The clause of difference `d` with `item`, given as a reason of `kind`: one that repeats an earlier phrase of the
    /// user is drawn again (the fewest repeats wins).
    fn fresh_reason(&mut self, d: &Difference, kind: ReasonKind, item: u32) -> Result<String> {
        self.least_repeating(|u| {
            let (wanted, got) = u.reason_slots(d, item);
            let who = Shopper {
                child: u.phrases.is_child(u.profile.persona.age),
                gift: u.profile.scenario.recipient.is_some(),
            };
            u.phrases
                .reason(&d.attribute, kind, who, wanted, got, &mut u.wording)
        })
    }

    /// A reject clause naming no difference, one repeating no phrase said before when a few draws find one.
    pub(super) fn vague_reason(&mut self) -> Result<String> {
        self.least_repeating(|u| u.phrases.vague_reason(&mut u.wording))
    }

    /// A clause from `draw`, drawn again (up to a few times) while it repeats a phrase the user said before: the
    /// first without a repeat, else the one with the fewest.
    fn least_repeating(
        &mut self,
        mut draw: impl FnMut(&mut Self) -> Result<String>,
    ) -> Result<String> {
        let mut best: Option<(usize, String)> = None;
        for _ in 0..REDRAWS {
            let clause = draw(self)?;
            let repeats = self.memory.clashes(&grams(&clause));
            if best.as_ref().is_none_or(|(r, _)| repeats < *r) {
                best = Some((repeats, clause));
            }
            if repeats == 0 {
                break;
            }
        }
        Ok(best.map(|(_, c)| c).unwrap_or_default())
    }

    /// What the user likes about an accepted item: the wishes it meets that the user has said, as one clause
    /// (never a value the user did not ask for).
    pub(super) fn liked(&self, item: u32) -> String {
        let mut facts = Vec::new();
        let reqs = &self.profile.scenario.requirements;
        for r in (0..reqs.len())
            .filter(|&i| self.revealed(i))
            .map(|i| &reqs[i])
        {
            match r.attribute.as_str() {
                "feature" if self.cat.has_feature(item, &r.value.to_lowercase()) => facts.push(
                    Fact::Feature(self.cat.feature_form(&r.value.to_lowercase())),
                ),
                "feature" | "text" => {}
                key => facts.extend(Fact::of_item_in(self.cat, self.sizes, item, key)),
            }
        }
        let noun = self.cat.noun(item);
        match realise::describe(noun, &facts) {
            text if text.is_empty() && noun.is_plural() => "they're exactly what I pictured".into(),
            text if text.is_empty() => "it's exactly what I pictured".into(),
            text => text,
        }
    }
}
