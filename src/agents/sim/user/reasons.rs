//! Why the shopper turns an item down: which true differences from the target it raises (what it said before, at
//! most one wish of its own named for the first time, else a matter of taste about what the item visibly is), how
//! each is worded, and, when a model decides, which of them the model picks.

use super::SimUser;
use crate::Result;
use crate::agents::compare::{Difference, differences};
use crate::agents::llm::{DifferenceCard, ItemCard};
use crate::agents::sim::phrases::ReasonKind;
use crate::agents::sim::realise::{Fact, Wording};

impl SimUser<'_> {
    /// How a reject would speak of difference `d`: a wish said before, one named now, or (for an attribute that
    /// is none of the profile's wishes) a matter of taste about the item.
    pub(super) fn reason_kind(&self, d: &Difference) -> ReasonKind {
        let reqs = &self.profile.scenario.requirements;
        match d.attribute.as_str() {
            "category" => ReasonKind::Said,
            "price_high" if self.said_budget => ReasonKind::Said,
            "price_high" => ReasonKind::New,
            _ if !d.required => ReasonKind::Dislike,
            key => {
                let said = (0..reqs.len()).any(|i| {
                    self.revealed(i)
                        && reqs[i].attribute == key
                        && (key != "feature" || reqs[i].value.to_lowercase() == d.wanted)
                }) || self
                    .stated
                    .iter()
                    .any(|(k, v, negative)| !negative && k == key && *v == d.wanted);
                if said {
                    ReasonKind::Said
                } else {
                    ReasonKind::New
                }
            }
        }
    }

    /// The differences a reject of `item` raises, with how each is said: what the user said before that the item
    /// misses (the category first), then at most one wish of the profile named for the first time; only when there
    /// is neither, one matter of taste about what the item visibly is. Never a wish the profile does not hold.
    pub(super) fn reasons(&mut self, item: u32) -> Result<Vec<(Difference, ReasonKind)>> {
        let reqs = &self.profile.scenario.requirements;
        let diffs = differences(self.cat, self.target, item, self.budget(), reqs, self.money);
        let mut said = Vec::new();
        let mut new = Vec::new();
        let mut taste = Vec::new();
        for d in diffs {
            match self.reason_kind(&d) {
                ReasonKind::Said => said.push(d),
                ReasonKind::New => new.push(d),
                ReasonKind::Dislike => taste.push(d),
            }
        }
        // Which new wish comes up, and which taste, varies.
        for list in [&mut new, &mut taste] {
            for i in (1..list.len()).rev() {
                let j = self.rng.below(i + 1);
                list.swap(i, j);
            }
        }
        let count = self.cfg.reject_reasons.get();
        let mut chosen: Vec<(Difference, ReasonKind)> = said
            .into_iter()
            .take(count)
            .map(|d| (d, ReasonKind::Said))
            .collect();
        if chosen.len() < count && !new.is_empty() {
            let candidates = std::mem::take(&mut new);
            let pick = self.model_pick(item, &candidates)?;
            if let Some(d) = candidates.into_iter().nth(pick) {
                chosen.push((d, ReasonKind::New));
            }
        }
        if chosen.is_empty() && !taste.is_empty() {
            let pick = self.model_pick(item, &taste)?;
            if let Some(d) = taste.into_iter().nth(pick) {
                chosen.push((d, ReasonKind::Dislike));
            }
        }
        Ok(chosen)
    }

    /// Ask the model which of `differences` (true differences of `item` from the target) to raise.
    fn pick_reasons(
        &self,
        voice: &crate::agents::llm::LlmVoice,
        item: u32,
        differences: &[crate::agents::compare::Difference],
        count: usize,
    ) -> Result<Vec<usize>> {
        let cards: Vec<DifferenceCard> = differences
            .iter()
            .map(|d| DifferenceCard {
                attribute: d.attribute.replace('_', " "),
                wanted: self
                    .shown_value(self.target, &d.attribute)
                    .unwrap_or(&d.wanted)
                    .to_string(),
                got: self
                    .shown_value(item, &d.attribute)
                    .unwrap_or(&d.got)
                    .to_string(),
            })
            .collect();
        voice.pick_reasons(
            &self.conversation,
            self.profile,
            &self.card(self.target),
            &self.card(item),
            &cards,
            count,
        )
    }

    /// Item `i`'s value of `key` as the shopper reads it: as the catalog displays it, a size in the shopper's
    /// system ("UK 8" for the catalog's "US 9", by the item's chart).
    fn shown_value(&self, i: u32, key: &str) -> Option<&str> {
        let shown = self.cat.display_value(i, key)?;
        Some(
            self.sizes
                .for_path(self.cat.path(i), shown)
                .unwrap_or(shown),
        )
    }

    /// Item `i` as a decision prompt shows it, its size in the shopper's system.
    fn card(&self, i: u32) -> ItemCard {
        let m = self.cat.item(i);
        let mut attributes: Vec<String> = self
            .cat
            .attributes(i)
            .map(|(k, _)| {
                let shown = self.shown_value(i, k).unwrap_or("");
                format!("{}: {shown}", k.replace('_', " "))
            })
            .collect();
        attributes.extend(self.cat.features(i).map(str::to_string));
        ItemCard {
            title: m.title.clone(),
            price: m.price.map(|p| self.money.write(p)).unwrap_or_default(),
            category: self.cat.leaf(i).to_string(),
            attributes: attributes.join("; "),
            images: m.image.clone().into_iter().collect(),
        }
    }

    /// The wanted and offered values of a difference, with their forms.
    pub(super) fn reason_slots(
        &self,
        d: &crate::agents::compare::Difference,
        item: u32,
    ) -> (Wording, Wording) {
        let plural = self.cat.noun(item).is_plural();
        match d.attribute.as_str() {
            "category" => (
                Wording::word(self.cat.noun(self.target).plural.clone()),
                Wording::word(self.cat.noun(item).plural.clone()),
            ),
            "price_high" => (
                Wording::word(d.wanted.clone()),
                Wording::word(d.got.clone()),
            ),
            "feature" => (
                Wording::of_fact(&Fact::Feature(self.cat.feature_form(&d.wanted)), plural),
                Wording::default(),
            ),
            key => {
                let wanted = Fact::of_item_in(self.cat, self.sizes, self.target, key)
                    .map(|f| Wording::of_fact(&f, plural))
                    .unwrap_or_else(|| Wording::word(d.wanted.clone()));
                let got = Fact::of_item_in(self.cat, self.sizes, item, key)
                    .map(|f| Wording::of_fact(&f, plural))
                    .unwrap_or_default();
                (wanted, got)
            }
        }
    }

    /// Which of `candidates` to raise: the model's pick when it decides and there is a choice, else the first.
    fn model_pick(&self, item: u32, candidates: &[Difference]) -> Result<usize> {
        Ok(match self.voice.filter(|v| v.decides()) {
            Some(voice) if candidates.len() > 1 => self
                .pick_reasons(voice, item, candidates, 1)?
                .first()
                .copied()
                .unwrap_or(0),
            _ => 0,
        })
    }
}
