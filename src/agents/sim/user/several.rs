//! The shopper's decision on a recommendation of several items at once: every item shown is judged as a single one
//! would be (each equivalent with its own draw), and the user takes the target when it is among them, else the
//! first it would take — saying which by a short reference ("the second one", "the navy one"), never the title;
//! when none suits, it turns them all down with its reasons about the closest (the one with the fewest
//! differences from what it pictures). It may first ask about one of them (the one it leans to, else the closest).

use super::{SimUser, mentions};
use crate::Result;
use crate::agents::compare::differences;

use crate::catalog::ValueKind;
use crate::config::UserGoal;
use crate::model::Turn;

/// Chance that the user refers to an item by its colour ("the navy one") when that tells it apart.
const BY_COLOUR: f64 = 0.5;

/// How the user refers to the n-th of the items shown.
const ORDINALS: [&str; 3] = ["the first one", "the second one", "the third one"];

impl SimUser<'_> {
    /// The decision on `items` (catalog positions, as shown in the recommendation `offer`), after the recommender's
    /// turn `said` (the recommendation, or its answer to a question).
    pub(super) fn judge_several(&mut self, items: &[u32], offer: &str, said: &str) -> Result<Turn> {
        let takes: Vec<bool> = items
            .iter()
            .map(|&i| {
                let fits = self.fits(i);
                let equivalent = self.leans_to(i);
                fits && (i == self.target
                    || equivalent
                    || self.cfg.user_goal == UserGoal::Preferences)
            })
            .collect();
        let curious = self.rng.chance(self.cfg.ask_rate);
        // The target when shown (it always fits), else the first the user would take.
        let pick = items
            .iter()
            .position(|&i| i == self.target)
            .filter(|&n| takes[n])
            .or_else(|| takes.iter().position(|&t| t));
        // The one it leans to, else the one it asked about (its answer decided it), else the closest.
        let asked = items.iter().position(|i| self.asked.contains(i));
        let closest = pick.or(asked).unwrap_or_else(|| self.closest(items));
        let said = said.to_lowercase();
        let unanswered = self.agenda.iter().rev().copied().find(|&j| {
            let v = self.profile.scenario.requirements[j].value.to_lowercase();
            !mentions(&said, &v)
        });
        // One question per turn, about the item the user leans to (or the closest).
        if !items.iter().any(|i| self.asked.contains(i))
            && let Some(next) = unanswered.or_else(|| self.agenda.last().copied())
            && ((pick.is_some() && !self.stated_a_wish()) || curious)
        {
            let reference = self.refer(items, closest, offer);
            return self.ask_about(items[closest], next, Some(reference));
        }
        if let Some(n) = pick {
            let reference = self.refer(items, n, offer);
            return self.take(items[n], reference, None, true);
        }
        // Giving up on the one it asked about, when that one meets every wish, the user says why (as for one item).
        let fitting = asked.map(|n| items[n]).filter(|&i| self.fits(i));
        if let Some(turn) = self.give_up(fitting.map(|i| (i, true)))? {
            return Ok(turn);
        }
        // The turn-down names every item shown, the one its reasons are about first.
        let mut ids = vec![self.cat.item(items[closest]).id.clone()];
        ids.extend(
            items
                .iter()
                .enumerate()
                .filter(|&(n, _)| n != closest)
                .map(|(_, &i)| self.cat.item(i).id.clone()),
        );
        let reference = self.refer(items, closest, offer);
        self.turn_down(items[closest], Some((reference, ids)))
    }

    /// The position in `items` of the one closest to what the user pictures: the fewest differences from the
    /// target (the first of those tied).
    fn closest(&self, items: &[u32]) -> usize {
        let reqs = &self.profile.scenario.requirements;
        let budget = self.budget();
        let mut best = (usize::MAX, 0);
        for (n, &i) in items.iter().enumerate() {
            let d = differences(self.cat, self.target, i, budget, reqs, self.money)
                .iter()
                .filter(|d| d.required || matches!(d.attribute.as_str(), "category" | "price_high"))
                .count();
            if d < best.0 {
                best = (d, n);
            }
        }
        best.1
    }

    /// The title of `item` when it is one of `several` shown (for a language model voicing the turn), else empty.
    pub(super) fn several_title(&self, item: u32, several: bool) -> String {
        if several {
            self.cat.item(item).title.clone()
        } else {
            String::new()
        }
    }

    /// How the user refers to the `n`-th of `items`: by its colour when the recommender's `offer` said it and no
    /// other item shown has it (now and then; a colour never said would be a value the user brings up unasked),
    /// else by its place ("the second one").
    fn refer(&mut self, items: &[u32], n: usize, offer: &str) -> String {
        let colour = |i: u32| {
            self.cat.attributes(i).find_map(|(k, _)| {
                self.cat
                    .form(i, k)
                    .filter(|f| f.kind == ValueKind::Colour && !f.word.contains(' '))
                    .map(|f| f.word.to_lowercase())
            })
        };
        let own = colour(items[n]);
        let offer = offer.to_lowercase();
        let unique = own.as_ref().is_some_and(|c| {
            mentions(&offer, c)
                && items
                    .iter()
                    .enumerate()
                    .all(|(m, &i)| m == n || colour(i).as_ref() != Some(c))
        });
        match own {
            Some(c) if unique && self.wording.chance(BY_COLOUR) => format!("the {c} one"),
            _ => ORDINALS[n.min(ORDINALS.len() - 1)].to_string(),
        }
    }
}
