//! Sentence planning for the offline recommender: before a turn is worded, its plan says which parts it has — what
//! to acknowledge (the shopper's last words: a turn-down's reasons, a stated wish, a budget), which facts of the item
//! justify it (those the shopper asked for first, then what can be seen), how it compares with the last item shown,
//! how the item is referred to after its title ("the black scarf") — and which values fill them. Nothing the shopper
//! did not say is referred to: a part about an occasion, a recipient or a budget is planned only once it was said.
//!
//! Every plan follows one of the composer's shapes (`compose::shapes`), which bound any one line's share.

use super::SimSystem;
use super::say::Say;
use crate::agents::sim::compose::shapes::*;
use crate::agents::sim::compose::{Fill, Part, Var};
use crate::agents::sim::realise::{self, Fact};
use crate::agents::sim::variety::grams;
use crate::catalog::ValueKind;
use Part::*;

/// Chances of the optional parts. Kept low enough that a recommendation runs to about twenty words, near a human
/// recommender's turn (INSPIRED: 14.4 words on average), rather than every part in every turn.
const OPENER: f64 = 0.3;
const OFFER: f64 = 0.5;
const WELCOME: f64 = 0.7;
const INVITE_FIRST: f64 = 0.4;
const INVITE_AGAIN: f64 = 0.35;
const BUDGET_FIRST: f64 = 0.25;
const BUDGET_AGAIN: f64 = 0.15;
const JUSTIFY_BESIDE_CONTRAST: f64 = 0.25;
const DONE: f64 = 0.75;
/// Chance that a closing's plain good wishes speak of the item taken ("I hope you love it / them").
const WISH_PRONOUN: f64 = 0.3;
const COLOUR_REFERENCE: f64 = 0.6;

impl<'a> SimSystem<'a> {
    /// The values every turn can use: what the shopper said (only what they said).
    pub(super) fn base_fill(&self) -> Fill {
        let mut fill = Fill::default();
        let category = match &self.needs.category {
            Some(leaf) => self.category_noun(leaf),
            None => "options".into(),
        };
        fill.set(Var::Category, category);
        if !self.needs.need.is_empty() {
            fill.set(Var::Need, self.needs.need.clone());
        }
        if !self.needs.occasion.is_empty() {
            fill.set(Var::Occasion, realise::definite(&self.needs.occasion));
        }
        if let Some(b) = self.needs.budget {
            fill.set(Var::Budget, self.money.write(b));
        }
        if !self.needs.recipient.is_empty() {
            fill.set(Var::Recipient, self.needs.recipient.clone());
        }
        fill
    }

    /// One of the parts that can be said, evenly.
    fn any_of(&mut self, parts: &[Option<Part>]) -> Option<Part> {
        let open: Vec<Part> = parts.iter().flatten().copied().collect();
        self.rng.choose(&open).copied()
    }

    /// The plan of the answer to the shopper's question about the item shown: whether it has what was asked
    /// (`has`), with `facts`, what it has of it (empty when there is nothing to cite), and after a no, now and then,
    /// an offer to look further.
    pub(super) fn plan_answer(&mut self, has: bool, facts: &str) -> (Vec<Part>, Fill) {
        let mut fill = self.base_fill();
        let cite = !facts.is_empty();
        if cite {
            fill.set(Var::Facts, facts.to_string());
        }
        let verdict = match (has, cite) {
            (true, true) => AnswerYes,
            (true, false) => AnswerYesBare,
            (false, true) => AnswerNo,
            (false, false) => AnswerNoBare,
        };
        let offer = !has && self.rng.chance(OFFER);
        let plan = build(&ANSWER, |i| match i {
            0 => Some(AnswerCheck),
            1 => Some(verdict),
            _ => offer.then_some(AnswerOffer),
        });
        (plan, fill)
    }

    /// The plan of a turn about no item in particular.
    pub(super) fn plan(&mut self, say: Say) -> (Vec<Part>, Fill) {
        let mut fill = self.base_fill();
        let n = &self.needs;
        let (occasion, recipient, need, category, budget) = (
            !n.occasion.is_empty(),
            !n.recipient.is_empty(),
            // The need is said back once.
            !n.need.is_empty() && !self.need_acknowledged,
            n.category.is_some(),
            n.budget.is_some(),
        );
        let plan = match say {
            Say::Greet => {
                let welcome = self.rng.chance(WELCOME);
                build(&GREET, |i| match i {
                    1 => welcome.then_some(GreetWelcome),
                    0 => Some(GreetHello),
                    _ => Some(GreetAsk),
                })
            }
            Say::Chat { after_reject: true } => {
                build(&AFTER_REJECT, |i| Some([RejectSympathy, RejectOnward][i]))
            }
            Say::Chat { .. } if self.shown.is_empty() && !self.asked_context => {
                // Asked once: the shopper's answer to the first small talk is what the purchase is for.
                self.asked_context = true;
                build(&OPENING, |i| match i {
                    0 if need => Some(OpeningNeed),
                    0 => Some(OpeningReact),
                    _ if occasion => Some(OpeningAskRecipient),
                    _ => Some(OpeningAskContext),
                })
            }
            Say::Chat { .. } => {
                let remark = self.any_of(&[
                    occasion.then_some(ChatOccasion),
                    recipient.then_some(ChatRecipient),
                    category.then_some(ChatCategory),
                    Some(ChatPlain),
                ]);
                build(&CHAT, |i| if i == 0 { remark } else { Some(ChatOnward) })
            }
            Say::Clarify("category") => build(&ASK_CATEGORY, |i| match i {
                0 if need => Some(CategoryAckNeed),
                0 => Some(CategoryAck),
                _ => Some(CategoryAsk),
            }),
            Say::Clarify("budget") => {
                // After a wish was stated (preferences asked first), the wish is what is acknowledged.
                let wishes = realise::wishes(&self.asked_facts());
                let ack = if wishes.is_empty() {
                    BudgetAck
                } else {
                    fill.set(Var::Feedback, realise::list(&wishes));
                    BudgetAckWish
                };
                build(&CLARIFY_BUDGET, |i| Some([ack, BudgetAsk][i]))
            }
            Say::Clarify(_) => build(&CLARIFY_PREFERENCE, |i| match i {
                0 if budget => Some(PreferenceAckBudget),
                0 => Some(PreferenceAck),
                _ => Some(PreferenceAsk),
            }),
            Say::CloseAccepted => {
                let done = self.rng.chance(DONE) && !self.shown.is_empty();
                let wish = self.any_of(&[
                    occasion.then_some(AcceptWishOccasion),
                    recipient.then_some(AcceptWishRecipient),
                    Some(AcceptWish),
                ]);
                // A wish speaking of the item agrees with it: "I hope you love them" for a pair of shoes.
                let taken = self.taken.or_else(|| self.shown.last().copied());
                let wish = match (wish, taken) {
                    (Some(AcceptWish), Some(i)) if self.rng.chance(WISH_PRONOUN) => {
                        Some(if self.cat.noun(i).is_plural() {
                            AcceptWishThem
                        } else {
                            AcceptWishIt
                        })
                    }
                    (wish, _) => wish,
                };
                build(&CLOSE_ACCEPT, |i| match i {
                    0 => Some(AcceptCheer),
                    1 => done.then_some(AcceptDone),
                    _ => wish,
                })
            }
            Say::CloseAbandoned | Say::CloseEmpty => {
                let parting = self.any_of(&[
                    occasion.then_some(AbandonPartingOccasion),
                    Some(AbandonParting),
                ]);
                let shape = if say == Say::CloseEmpty {
                    &CLOSE_EMPTY
                } else {
                    &CLOSE_ABANDON
                };
                build(shape, |i| if i == 0 { None } else { parting })
            }
        };
        if plan.contains(&OpeningNeed) || plan.contains(&CategoryAckNeed) {
            self.need_acknowledged = true;
        }
        self.finish(plan, fill)
    }

    /// A plan with its fill, and the reference to the last item shown when there is one.
    fn finish(&mut self, plan: Vec<Part>, mut fill: Fill) -> (Vec<Part>, Fill) {
        // The item taken, once the shopper took one (of several shown, not always the last).
        if let Some(last) = self.taken.or_else(|| self.shown.last().copied()) {
            let reference = self.reference(last);
            fill.set(Var::Ref, reference);
        }
        (plan, fill)
    }

    /// A later mention of item `i`: "the black scarf", "the sneakers".
    fn reference(&mut self, i: u32) -> String {
        let noun = self.cat.noun(i).referring().to_string();
        let colour = self
            .cat
            .attributes(i)
            .find_map(|(k, _)| {
                self.cat
                    .form(i, k)
                    .filter(|f| f.kind == ValueKind::Colour)
                    .map(|f| f.word.clone())
            })
            .filter(|c| !c.contains(' '));
        match colour {
            Some(c) if self.rng.chance(COLOUR_REFERENCE) => format!("the {c} {noun}"),
            _ => format!("the {noun}"),
        }
    }

    /// Item `i`'s values become values of the dialogue: phrases holding them are not the recommender's own.
    pub(super) fn learn_item(&mut self, i: u32) {
        let item = self.cat.item(i);
        self.memory.add_value(&item.title);
        let leaf = self.cat.leaf(i).to_string();
        if let Some(stem) = leaf.strip_suffix('s') {
            self.memory.add_value(stem);
        }
        self.memory.add_value(&leaf);
        let cat = self.cat;
        let sizes = self.sizes;
        for (_, v) in cat.attributes(i) {
            if let Some(local) = sizes.for_path(cat.path(i), v) {
                self.memory.add_value(local);
            }
            self.memory.add_value(v);
        }
        // Features are phrases, never sizes of a chart.
        for v in cat.features(i) {
            self.memory.add_value(v);
        }
    }

    /// The facts the shopper asked for that item `i` has, in the order they were asked, each with whether item
    /// `other` lacks it.
    pub(super) fn wanted_facts(&self, i: u32, other: Option<u32>) -> Vec<(bool, Fact)> {
        let mut facts = Vec::new();
        for (k, v) in &self.needs.wanted {
            if self.cat.value(i, k) == Some(v.as_str())
                && let Some(f) = Fact::of_item_in(self.cat, self.sizes, i, k)
            {
                let differs = other.is_some_and(|o| self.cat.value(o, k) != Some(v.as_str()));
                facts.push((differs, f));
            }
        }
        for f in &self.needs.features {
            if self.cat.has_feature(i, f) {
                let differs = other.is_some_and(|o| !self.cat.has_feature(o, f));
                facts.push((differs, Fact::Feature(self.cat.feature_form(f))));
            }
        }
        facts
    }

    /// What can be seen of item `i`: its colour and material.
    pub(super) fn visible_facts(&self, i: u32) -> Vec<Fact> {
        self.cat
            .attributes(i)
            .filter_map(|(k, _)| {
                let f = self.cat.form(i, k)?;
                matches!(f.kind, ValueKind::Colour | ValueKind::Material)
                    .then(|| Fact::Value(k.to_string(), f.clone()))
            })
            .take(2)
            .collect()
    }

    /// The plan of the recommendation of item `pick` (the dialogue's first, or another after a turn-down).
    pub(super) fn plan_recommendation(&mut self, pick: u32, first: bool) -> (Vec<Part>, Fill) {
        self.learn_item(pick);
        let mut fill = self.base_fill();
        let item = self.cat.item(pick);
        let noun = self.cat.noun(pick).clone();
        self.fill_item(&mut fill, pick);
        let affordable = match (self.needs.budget, item.price) {
            (Some(b), Some(p)) => p <= b,
            _ => false,
        };
        // What it has of what the shopper asked for, and where the last item shown lacked it.
        // No contrast with "the last one" after several were shown at once (which one would it be?).
        let last = if first || self.last_several {
            None
        } else {
            self.shown.last().copied()
        };
        let wanted = self.wanted_facts(pick, last);
        let (contrast, rest): (Vec<_>, Vec<_>) = wanted.iter().cloned().partition(|(d, _)| *d);
        // A fact whose wording was said before (for another item) is not said again in the same words.
        let contrast = self.fresh(contrast.into_iter().map(|(_, f)| f).collect(), |f| {
            realise::describe(&noun, f)
        });
        let rest = self.fresh(rest.into_iter().map(|(_, f)| f).collect(), |f| {
            realise::describe(&noun, f)
        });
        let visible = if wanted.is_empty() {
            self.fresh(self.visible_facts(pick), |f| realise::describe(&noun, f))
        } else {
            Vec::new()
        };
        let justify = if !rest.is_empty()
            && (contrast.is_empty() || self.rng.chance(JUSTIFY_BESIDE_CONTRAST))
        {
            fill.set(Var::Facts, realise::describe(&noun, &rest));
            Some(RecommendJustify)
        } else if !contrast.is_empty() {
            None
        } else if !visible.is_empty() {
            fill.set(Var::Facts, realise::describe(&noun, &visible));
            Some(RecommendVisible)
        } else {
            Some(RecommendGeneral)
        };
        if !contrast.is_empty() {
            fill.set(Var::Contrast, realise::describe(&noun, &contrast));
        }
        // The wishes are said back only when the item meets one of them.
        let (lead, feedback) = self.lead(first, !wanted.is_empty());
        if let Some(text) = feedback {
            fill.set(Var::Feedback, text);
        }
        // A stated wish it misses, because nothing meets them all, is owned up to.
        let short = self.shortfall(pick).map(|(part, text)| {
            fill.set(Var::Unmet, text);
            part
        });
        let plan = if first {
            let budget = affordable && self.rng.chance(BUDGET_FIRST);
            let invite = self.rng.chance(INVITE_FIRST);
            build(&RECOMMEND, |i| match i {
                0 => lead,
                1 => Some(RecommendPresent),
                2 => justify,
                3 => short,
                4 => budget.then_some(RecommendBudget),
                _ => invite.then_some(RecommendInvite),
            })
        } else {
            let budget =
                affordable && (self.needs.objection.budget || self.rng.chance(BUDGET_AGAIN));
            let invite = self.rng.chance(INVITE_AGAIN);
            let has_contrast = !contrast.is_empty();
            build(&RECOMMEND_AGAIN, |i| match i {
                0 => lead,
                1 => Some(AgainPresent),
                2 => has_contrast.then_some(AgainContrast),
                3 => justify,
                4 => short,
                5 => budget.then_some(AgainBudget),
                _ => invite.then_some(AgainInvite),
            })
        };
        (plan, fill)
    }

    /// The plan of a preference pair's two replies here: the recommendation of `chosen` and of `other` in one plan,
    /// with a fill for each. It claims nothing of the chosen item that could be false of the other (no fit, no
    /// contrast, no budget); the facts it cites are each item's own values of the attributes the shopper stated a
    /// wish for (when both items have one of the same form), and what it says back is the shopper's own words.
    pub(super) fn plan_pair(&mut self, chosen: u32, other: u32) -> (Vec<Part>, Fill, Fill) {
        let first = self.shown.is_empty();
        self.learn_item(chosen);
        self.learn_item(other);
        let mut keys: Vec<&str> = Vec::new();
        let (mut facts_a, mut facts_b) = (Vec::new(), Vec::new());
        for (k, _) in &self.needs.wanted {
            if keys.contains(&k.as_str()) {
                continue;
            }
            keys.push(k);
            if let (Some(a), Some(b)) = (
                Fact::of_item_in(self.cat, self.sizes, chosen, k),
                Fact::of_item_in(self.cat, self.sizes, other, k),
            ) && same_form(&a, &b)
            {
                facts_a.push(a);
                facts_b.push(b);
            }
        }
        let base = self.base_fill();
        let mut fills = [base.clone(), base];
        for (fill, (i, facts)) in fills
            .iter_mut()
            .zip([(chosen, &facts_a), (other, &facts_b)])
        {
            self.fill_item(fill, i);
            if !facts.is_empty() {
                let noun = self.cat.noun(i);
                fill.set(Var::Facts, realise::describe(noun, facts));
            }
        }
        let justify = if facts_a.is_empty() {
            RecommendGeneral
        } else {
            RecommendFacts
        };
        let (lead, feedback) = self.lead(first, true);
        if let Some(text) = feedback {
            for fill in &mut fills {
                fill.set(Var::Feedback, text.clone());
            }
        }
        let invite;
        let plan = if first {
            invite = self.rng.chance(INVITE_FIRST);
            build(&RECOMMEND, |i| match i {
                0 => lead,
                1 => Some(RecommendPresent),
                2 => Some(justify),
                3 | 4 => None,
                _ => invite.then_some(RecommendInvite),
            })
        } else {
            invite = self.rng.chance(INVITE_AGAIN);
            build(&RECOMMEND_AGAIN, |i| match i {
                0 => lead,
                1 => Some(AgainPresent),
                3 => Some(justify),
                6 => invite.then_some(AgainInvite),
                _ => None,
            })
        };
        let [a, b] = fills;
        (plan, a, b)
    }

    /// The title and the price of item `i` in `fill`.
    fn fill_item(&self, fill: &mut Fill, i: u32) {
        let item = self.cat.item(i);
        fill.set(Var::Title, item.title.clone());
        let price = item.price.map(|p| self.money.write(p));
        fill.set(Var::Price, price.unwrap_or_else(|| "a fair price".into()));
    }

    /// How a recommendation opens, and the feedback it says back: the dialogue's first may open (now and then) by
    /// saying the shopper's wishes back, when `meets_wish` (the item meets one of them), else with a plain opener
    /// or none; a later one acknowledges the turn-down, with the shopper's reasons when they can be said afresh.
    pub(super) fn lead(&mut self, first: bool, meets_wish: bool) -> (Option<Part>, Option<String>) {
        if first {
            let wishes = self.reworded(realise::wishes(&self.asked_facts()));
            let wishes = self.fresh(wishes, realise::list);
            if !wishes.is_empty() && meets_wish && self.rng.chance(OPENER) {
                (Some(RecommendOpenerWish), Some(realise::list(&wishes)))
            } else {
                (self.rng.chance(OPENER).then_some(RecommendOpener), None)
            }
        } else {
            let clauses = self.reworded(self.needs.objection.clauses.clone());
            let clauses = self.fresh(clauses, realise::list);
            if clauses.is_empty() {
                // After several items were turned down, no "not that one".
                let ack = if self.last_several {
                    SeveralAck
                } else {
                    AgainAck
                };
                (Some(ack), None)
            } else {
                (Some(AgainAckFeedback), Some(realise::list(&clauses)))
            }
        }
    }

    /// Those of `items` that can be said without repeating a phrase of an earlier turn, in order: each is kept when
    /// the wording of the ones kept so far with it (`say`) repeats none.
    pub(super) fn fresh<T: Clone>(&self, items: Vec<T>, say: impl Fn(&[T]) -> String) -> Vec<T> {
        let mut kept: Vec<T> = Vec::with_capacity(items.len());
        for item in items {
            kept.push(item);
            let text = say(&kept);
            if self.memory.clashes(&grams(&self.memory.mask(&text))) > 0 {
                kept.pop();
            }
        }
        kept
    }

    /// Restated wishes, each opened in one of the bank's ways.
    fn reworded(&mut self, clauses: Vec<String>) -> Vec<String> {
        let bank = self.phrases.system_bank();
        clauses
            .iter()
            .map(|c| bank.reword_wish(c, &mut self.rng))
            .collect()
    }

    /// The fact of a value the shopper stated (lowercase) of `key`, a size said back in their system.
    pub(super) fn value_fact(&self, key: &str, value: &str) -> Option<Fact> {
        Fact::of_value(self.cat, key, value).map(|f| f.sized(|v| self.said_size(v)))
    }

    /// A catalog size the shopper stated, in their system: by the chart of the department they named, else of the
    /// item last shown, else only when every chart agrees (`None`: said as the catalog writes it).
    pub(super) fn said_size(&self, value: &str) -> Option<&'a str> {
        match (self.needs.department, self.shown.last()) {
            (Some(d), _) => self.sizes.for_department(Some(&d.name), value),
            (None, Some(&i)) => self.sizes.for_path(self.cat.path(i), value),
            (None, None) => self.sizes.for_department(None, value),
        }
    }

    /// Every wish the shopper stated that the catalog can word, in the order stated.
    fn asked_facts(&self) -> Vec<Fact> {
        let mut facts: Vec<Fact> = self
            .needs
            .wanted
            .iter()
            .filter_map(|(k, v)| self.value_fact(k, v))
            .collect();
        facts.extend(
            self.needs
                .features
                .iter()
                .map(|f| Fact::Feature(self.cat.feature_form(f))),
        );
        facts
    }
}

/// Whether two facts are worded in the same frame (the same attribute, in the same grammatical form), so that one
/// can stand in for the other in a sentence.
fn same_form(a: &Fact, b: &Fact) -> bool {
    match (a, b) {
        (Fact::Value(k, f), Fact::Value(l, g)) => {
            k == l && f.kind == g.kind && f.np.is_some() == g.np.is_some()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_keeps_its_shape() {
        // A part outside the step's options is replaced by its first; optional steps may be left out.
        let plan = build(&RECOMMEND, |i| match i {
            1 => Some(GreetHello),
            2 => Some(RecommendVisible),
            _ => None,
        });
        assert_eq!(plan, vec![RecommendPresent, RecommendVisible]);
    }
}
