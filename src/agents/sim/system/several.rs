//! A recommendation showing two or three items at once (`dialogue.items_per_turn`), as a shop assistant lays out a
//! few options: how many to show (drawn only when the setting allows more than one, so a one-item setting keeps
//! every draw as before), and the plan of the turn: each item with its title, price and one fact that justifies it
//! (a wish it meets, else what can be seen of it), a fact worded differently for each item where it can be.

use super::SimSystem;
use crate::Result;
use crate::agents::sim::compose::shapes::{RECOMMEND_SEVERAL, build};
use crate::agents::sim::compose::{Fill, Part, Var};
use crate::agents::sim::phrases::ShownItem;
use crate::agents::sim::realise::{self, Fact};
use crate::model::{Action, Turn};
use crate::rng::Weighted;
use Part::*;

/// Chance of the invitation to pick, in the dialogue's first recommendation and in a later one.
const INVITE_FIRST: f64 = 0.4;
const INVITE_AGAIN: f64 = 0.35;

/// The variables of the first, second and third item.
const ITEM_VARS: [(Var, Var, Var); 3] = [
    (Var::Title, Var::Price, Var::Facts),
    (Var::Title2, Var::Price2, Var::Facts2),
    (Var::Title3, Var::Price3, Var::Facts3),
];

impl SimSystem<'_> {
    /// How many items this recommendation shows: drawn from `dialogue.items_per_turn` when it gives more than one
    /// number a weight, else that number (with no draw); one for a replayed recommender. (A language model that
    /// decides, `decide = "llm"`, picks one item a turn through its retrieval chain and never comes here.)
    pub(super) fn items_to_show(&mut self) -> usize {
        if self.single {
            return 1;
        }
        if !self.cfg.items_drawn() {
            return self.cfg.items_fixed();
        }
        Weighted::new(self.cfg.items_per_turn).map_or(1, |w| w.sample(&mut self.rng) + 1)
    }

    /// Whether item `i` has a fact to cite: a wish it meets, or what can be seen of it.
    pub(super) fn citable(&self, i: u32) -> bool {
        !self.wanted_facts(i, None).is_empty() || !self.visible_facts(i).is_empty()
    }

    /// The recommendation turn showing `picks` (two or three catalog items, best first), with their pictures: composed
    /// from the phrase bank, or phrased by the language model from every item's title, price and justifying fact.
    pub(super) fn phrase_several(
        &mut self,
        picks: &[u32],
        first: bool,
        query: String,
    ) -> Result<Turn> {
        let act = if first {
            "recommend_several"
        } else {
            "recommend_several_again"
        };
        let images: Vec<String> = picks
            .iter()
            .filter_map(|&i| self.cat.item(i).image.clone())
            .collect();
        let context = |s: &Self| {
            let mut ctx = s.context();
            let mut said: Vec<String> = Vec::with_capacity(picks.len());
            let mut meets_wish = false;
            for &i in picks {
                let fact = s.justifying_fact(i, &said, &mut meets_wish);
                said.push(fact.clone());
                ctx.items.push(ShownItem {
                    title: s.cat.item(i).title.clone(),
                    price: s.price_said(i),
                    fact,
                });
            }
            ctx
        };
        let text = self.speak(act, context, &images, |s| s.plan_several(picks, first))?;
        let mut turn = self.turn(Action::Recommend, text, Vec::new());
        turn.items = picks.iter().map(|&i| self.cat.item(i).id.clone()).collect();
        turn.images = images;
        turn.query = Some(query);
        Ok(turn)
    }

    /// The plan of a turn showing `picks`: the lead (the wishes said back, or the turn-down acknowledged), the
    /// intro for their number, each item with one fact, and now and then an invitation to pick.
    pub(super) fn plan_several(&mut self, picks: &[u32], first: bool) -> (Vec<Part>, Fill) {
        for &i in picks {
            self.learn_item(i);
        }
        let mut fill = self.base_fill();
        let mut said: Vec<String> = Vec::with_capacity(picks.len());
        let mut meets_wish = false;
        for (&i, &(title, price, facts)) in picks.iter().zip(ITEM_VARS.iter()) {
            let item = self.cat.item(i);
            fill.set(title, item.title.clone());
            fill.set(price, self.price_said(i));
            let fact = self.justifying_fact(i, &said, &mut meets_wish);
            said.push(fact.clone());
            fill.set(facts, fact);
        }
        // Leads that speak of one item are left for ones that speak of several.
        let (lead, feedback) = match self.lead(first, meets_wish) {
            (Some(RecommendOpenerWish), feedback) => (Some(SeveralOpenerWish), feedback),
            (Some(AgainAck), feedback) => (Some(SeveralAck), feedback),
            (Some(RecommendOpener), _) => (None, None),
            other => other,
        };
        if let Some(text) = feedback {
            fill.set(Var::Feedback, text);
        }
        let three = picks.len() >= 3;
        // A stated wish the best of them misses, because nothing meets them all, is owned up to.
        let short = self.shortfall(picks[0]).map(|(part, text)| {
            fill.set(Var::Unmet, text);
            part
        });
        let invite = self
            .rng
            .chance(if first { INVITE_FIRST } else { INVITE_AGAIN });
        let plan = build(&RECOMMEND_SEVERAL, |step| match step {
            0 => lead,
            1 => Some(if three {
                SeveralIntroThree
            } else {
                SeveralIntroTwo
            }),
            2 => Some(SeveralFirst),
            3 => Some(SeveralSecond),
            4 => three.then_some(SeveralThird),
            5 => short,
            _ => invite.then_some(if three {
                SeveralInviteThree
            } else {
                SeveralInviteTwo
            }),
        });
        (plan, fill)
    }

    /// The one fact that justifies item `i` among several: a wish it meets (setting `meets_wish`), else its colour
    /// or material; the first worded unlike the facts `said` of the items before it and repeating no phrase of an
    /// earlier turn, else the first worded unlike them, else the first said again with "too" ("it has a secure
    /// clasp too": two items sharing the wish they meet).
    fn justifying_fact(&self, i: u32, said: &[String], meets_wish: &mut bool) -> String {
        let noun = self.cat.noun(i);
        let wanted: Vec<Fact> = self
            .wanted_facts(i, None)
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        *meets_wish |= !wanted.is_empty();
        let (mut unsaid, mut again) = (None, None);
        for fact in wanted.into_iter().chain(self.visible_facts(i)) {
            let text = realise::describe(noun, std::slice::from_ref(&fact));
            if text.is_empty() {
                continue;
            }
            if said.contains(&text) {
                again.get_or_insert(text);
                continue;
            }
            if !self
                .fresh(vec![fact], |f| realise::describe(noun, f))
                .is_empty()
            {
                return text;
            }
            unsaid.get_or_insert(text);
        }
        unsaid
            .or_else(|| again.map(|t| format!("{t} too")))
            .unwrap_or_else(|| self.best_rated(i))
    }
}

impl SimSystem<'_> {
    /// The rejected replies of a sim preference pair at a recommendation of several items, replayed to just before
    /// it: `said` (the turn as the recommender said it, showing `items`, catalog ids in their order) with the item the
    /// shopper went on to take, `taken`, swapped for the negative of `kind` — its title, its price and the fact cited
    /// for it replaced by the negative's — the other items and every other word unchanged. The negative's id and
    /// the replies, one per fact of the negative that could stand in (one of the same attribute first); `None` when
    /// the context allows no negative of `kind`, or the taken item's title, price and fact cannot be told apart in
    /// `said` (its title said once, then its price, then the fact, before the next item's title).
    pub fn swap_taken(
        &mut self,
        kind: crate::config::NegativeKind,
        history: &[Turn],
        said: &str,
        items: &[String],
        taken: &str,
    ) -> Option<(String, Vec<String>)> {
        let picks: Vec<u32> = items
            .iter()
            .map(|id| self.cat.position(id))
            .collect::<Option<_>>()?;
        let place = items.iter().position(|id| id == taken)?;
        let a = picks[place];
        // The negative is none of the items the turn shows.
        for &i in &picks {
            if !self.shown.contains(&i) {
                self.shown.push(i);
            }
        }
        let n = self.negative_item(kind, history)?;
        if picks.contains(&n) {
            return None;
        }
        // Where the taken item's part of the turn lies: from its title to the next item's title.
        let title = self.cat.item(a).title.as_str();
        if title.is_empty() || said.matches(title).count() != 1 {
            return None;
        }
        let start = said.find(title)?;
        let end = picks
            .get(place + 1)
            .and_then(|&next| said[start..].find(self.cat.item(next).title.as_str()))
            .map_or(said.len(), |at| start + at);
        let part = &said[start..end];
        let price = self.price_said(a);
        let price_at = title.len() + part[title.len()..].find(price.as_str())?;
        let after_price = price_at + price.len();
        // The fact cited for it: of the facts it could be justified by, the one said first after its price.
        let noun = self.cat.noun(a);
        let (fact_at, (fact, fact_text)) = self
            .wanted_facts(a, None)
            .into_iter()
            .map(|(_, f)| f)
            .chain(self.visible_facts(a))
            .map(|f| {
                let text = realise::describe(noun, std::slice::from_ref(&f));
                (Some(f), text)
            })
            .chain(std::iter::once((None, self.best_rated(a))))
            .filter(|(_, text)| !text.is_empty())
            .filter_map(|f| part[after_price..].find(f.1.as_str()).map(|at| (at, f)))
            .min_by_key(|(at, f)| (*at, std::cmp::Reverse(f.1.len())))?;
        let fact_at = after_price + fact_at;
        // The negative's facts that could stand in: its value of the same attribute first, then a wish it meets, then
        // what can be seen of it, then the general praise.
        let same = match &fact {
            Some(Fact::Value(key, _)) => Fact::of_item_in(self.cat, self.sizes, n, key),
            _ => None,
        };
        let noun = self.cat.noun(n);
        let mut facts: Vec<String> = Vec::new();
        for f in same
            .into_iter()
            .chain(self.wanted_facts(n, None).into_iter().map(|(_, f)| f))
            .chain(self.visible_facts(n))
        {
            let text = realise::describe(noun, std::slice::from_ref(&f));
            if !text.is_empty() && !facts.contains(&text) {
                facts.push(text);
            }
        }
        facts.push(self.best_rated(n));
        let (head, tail) = (&said[..start], &said[end..]);
        // A fact said again of the taken item ("it's navy too") is not said again of the negative's.
        let after_fact = &part[fact_at + fact_text.len()..];
        let after_fact = after_fact.strip_prefix(" too").unwrap_or(after_fact);
        let item = self.cat.item(n);
        let replies = facts
            .iter()
            .map(|f| {
                format!(
                    "{head}{}{}{}{}{f}{}{tail}",
                    item.title,
                    &part[title.len()..price_at],
                    self.price_said(n),
                    &part[after_price..fact_at],
                    after_fact,
                )
            })
            .filter(|r| r != said)
            .collect();
        Some((item.id.clone(), replies))
    }

    /// Item `i`'s price as said to the shopper.
    fn price_said(&self, i: u32) -> String {
        self.cat
            .item(i)
            .price
            .map(|p| self.money.write(p))
            .unwrap_or_else(|| "a fair price".into())
    }

    /// The praise said of an item among several when no fact of it can be cited.
    fn best_rated(&self, i: u32) -> String {
        format!("it's one of our best-rated {}", self.cat.noun(i).plural)
    }
}
