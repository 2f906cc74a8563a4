//! A recommendation showing two or three items at once (`dialogue.items_per_turn`), as a shop assistant lays out a
//! few options: how many to show (drawn only when the setting allows more than one, so a one-item setting keeps
//! every draw as before), and the plan of the turn: each item with its title, price and one fact that justifies it
//! (a wish it meets, else what can be seen of it), a fact worded differently for each item where it can be.

use super::SimSystem;
use crate::Result;
use crate::agents::sim::compose::shapes::{RECOMMEND_SEVERAL, build};
use crate::agents::sim::compose::{Fill, Part, Var};
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
    /// number a weight, else that number (with no draw); one when a language model phrases the turn.
    pub(super) fn items_to_show(&mut self) -> usize {
        if self.single || self.voice.is_some() {
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

    /// The recommendation turn showing `picks` (two or three catalog items, best first), with their pictures.
    pub(super) fn phrase_several(
        &mut self,
        picks: &[u32],
        first: bool,
        query: String,
    ) -> Result<Turn> {
        let (parts, fill) = self.plan_several(picks, first);
        let bank = self.phrases.system_bank();
        let text = bank.compose(&parts, &fill, &mut self.memory, &mut self.rng)?;
        let mut turn = self.turn(Action::Recommend, text, Vec::new());
        turn.items = picks.iter().map(|&i| self.cat.item(i).id.clone()).collect();
        turn.images = picks
            .iter()
            .filter_map(|&i| self.cat.item(i).image.clone())
            .collect();
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
            let price_text = item.price.map(|p| self.money.write(p));
            fill.set(price, price_text.unwrap_or_else(|| "a fair price".into()));
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
            .unwrap_or_else(|| format!("it's one of our best-rated {}", noun.plural))
    }
}
