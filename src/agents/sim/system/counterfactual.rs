//! The recommender at an earlier point of a finished conversation: what it had learnt, shown and asked before a
//! turn, so that it can phrase another reply in the same context — a fresh recommendation (a resample, for the
//! pairwise judge to rank) or a grounded hard negative: a real catalog item that breaks what the user revealed,
//! phrased exactly as this recommender phrases its recommendations.

use super::SimSystem;
use crate::Result;
use crate::config::NegativeKind;
use crate::model::{Action, Role, Turn};

impl SimSystem<'_> {
    /// Put the recommender where it stood after `history`: the needs it had read, the items it had shown and the
    /// questions it had asked.
    pub fn replay(&mut self, history: &[Turn]) {
        self.absorb(history);
        self.shown = history
            .iter()
            .filter(|t| t.role == Role::System && t.action == Action::Recommend)
            .flat_map(|t| t.items.iter())
            .filter_map(|id| self.cat.position(id))
            .collect();
        self.last_several = history
            .iter()
            .rev()
            .find(|t| t.role == Role::System && t.action == Action::Recommend)
            .is_some_and(|t| t.items.len() > 1);
        // Its replies stand beside a one-item turn: one item each.
        self.single = true;
        for t in history
            .iter()
            .filter(|t| t.role == Role::System && t.action == Action::Clarify)
        {
            for s in &t.slots {
                let topic = match s.attribute.as_str() {
                    "category" => "category",
                    "budget" => "budget",
                    _ => "preference",
                };
                if !self.asked.contains(&topic) {
                    self.asked.push(topic);
                }
            }
        }
        // At a recommendation, the optional questions were settled before it.
        self.decided = vec!["budget", "preference"];
        // What it said before is in its memory, so that a reply phrased here does not repeat it.
        for &i in &self.shown.clone() {
            self.learn_item(i);
        }
        for t in history.iter().filter(|t| t.role == Role::System) {
            let said = crate::agents::sim::variety::grams(&self.memory.mask(&t.text));
            self.memory.remember(&said);
        }
        if self.voice.is_some() {
            self.history = history.to_vec();
        }
    }

    /// A fresh recommendation in the replayed context (another draw of the same recommender).
    pub fn resample(&mut self) -> Result<Option<Turn>> {
        let turn = self.recommend()?;
        Ok((turn.action == Action::Recommend).then_some(turn))
    }

    /// A recommendation that is wrong in the way `kind` says, phrased as this recommender phrases them; `None` when
    /// the replayed context allows no such item (no budget stated, nothing rejected yet, no item breaking a wish).
    pub fn negative(&mut self, kind: NegativeKind, history: &[Turn]) -> Result<Option<Turn>> {
        let Some(pick) = self.negative_item(kind, history) else {
            return Ok(None);
        };
        let first = self.shown.is_empty();
        let query = self.query();
        let turn = self.phrase_recommendation(pick, first, query)?;
        Ok(Some(turn))
    }

    /// A sim preference pair at the replayed point, for the recommendation of `chosen` (an item id): the
    /// recommendation of `chosen` and of the negative of `kind`, worded alike (one plan, the same alternatives),
    /// each citing its own item's facts, with the negative's id. `None` when the context allows no negative of
    /// `kind`, the chosen item is not in the catalog, or a language model voices this recommender.
    pub fn negative_pair(
        &mut self,
        kind: NegativeKind,
        history: &[Turn],
        chosen: &str,
    ) -> Result<Option<(String, String, String)>> {
        if self.voice.is_some() {
            return Ok(None);
        }
        let (Some(chosen), Some(other)) =
            (self.cat.position(chosen), self.negative_item(kind, history))
        else {
            return Ok(None);
        };
        let (plan, a, b) = self.plan_pair(chosen, other);
        let bank = self.phrases.system_bank();
        let (a, b) = bank.compose_pair(&plan, &a, &b, &mut self.memory, &mut self.rng)?;
        Ok(Some((a, b, self.cat.item(other).id.clone())))
    }

    /// The catalog position of the negative of `kind`: the best-scoring item of the category that is wrong in
    /// exactly that way (ties broken by the seeded RNG).
    pub(super) fn negative_item(&mut self, kind: NegativeKind, history: &[Turn]) -> Option<u32> {
        if kind == NegativeKind::RepeatRejected {
            return history.windows(2).rev().find_map(|w| {
                // The item the turn-down is about (of several shown, the one it names first).
                (w[0].action == Action::Recommend && w[1].action == Action::Reject)
                    .then(|| {
                        w[1].items
                            .first()
                            .or(w[0].items.first())
                            .and_then(|id| self.cat.position(id))
                    })
                    .flatten()
            });
        }
        let leaf = self.needs.category.clone()?;
        let r = self.resolved();
        let budget = self.needs.budget;
        let affordable =
            |i: u32| budget.is_none_or(|b| self.cat.item(i).price.is_none_or(|p| p <= b));
        let breaks = |i: u32| {
            r.wanted.iter().any(|(k, v)| !self.cat.has_pair(i, *k, *v))
                || r.unwanted.iter().any(|(k, v)| self.cat.has_pair(i, *k, *v))
                || r.features.iter().any(|f| !self.cat.has_feature_id(i, *f))
        };
        let wrong = |i: u32| match kind {
            NegativeKind::OverBudget => budget.is_some() && !affordable(i) && !breaks(i),
            _ => affordable(i) && breaks(i),
        };
        let scored: Vec<(f64, u32)> = self
            .cat
            .in_leaf(&leaf)
            .iter()
            .copied()
            .filter(|i| !self.shown.contains(i) && wrong(*i) && self.in_department(*i))
            .map(|i| (self.score(&r, i), i))
            .collect();
        self.pick_best(scored, usize::MAX)
    }
}
