//! A compact view of the catalog for target choice: category → item map with weights, and what the plausibility rules need per item.

use std::collections::BTreeMap;

use super::tables::AudienceRule;
use crate::catalog::Index;
use crate::model::Item;
use crate::rng::{Rng, Weighted};
use crate::{Error, Result};

/// One candidate target, kept small so 100,000s fit in memory.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Item id.
    pub id: String,
    /// Price, when known.
    pub price: Option<f64>,
    /// Bit i set: audience rule i applies to this item.
    pub audience: u32,
}

/// Targets grouped by full category path, with each category's weight and the audience rules its path triggers.
pub struct Targets {
    /// Category paths.
    pub paths: Vec<Vec<String>>,
    /// Items per path.
    pub members: Vec<Vec<Candidate>>,
    /// Audience rules triggered by each path's labels alone.
    pub path_masks: Vec<u32>,
    weights: Vec<f64>,
}

impl Targets {
    /// Read the index once; category weight = items ^ `exponent`.
    pub fn from_index(index: &Index, rules: &[AudienceRule], exponent: f64) -> Result<Self> {
        let mut by_path: BTreeMap<Vec<String>, Vec<Candidate>> = BTreeMap::new();
        index.for_each(|item| {
            let candidate = Candidate {
                audience: audience_mask(&item, rules),
                price: item.price,
                id: item.id,
            };
            by_path.entry(item.categories).or_default().push(candidate);
            Ok(())
        })?;
        if by_path.is_empty() {
            return Err(Error::input(
                &index.path,
                None,
                None,
                "the catalog has no items to choose targets from",
            ));
        }
        let (paths, members): (Vec<Vec<String>>, Vec<Vec<Candidate>>) = by_path.into_iter().unzip();
        let weights: Vec<f64> = members
            .iter()
            .map(|m| (m.len() as f64).powf(exponent))
            .collect();
        if Weighted::new(weights.iter().copied()).is_none() {
            return Err(Error::Config(
                "profiles.category_weight_exponent gives no usable category weights".into(),
            ));
        }
        let path_masks = paths.iter().map(|p| labels_mask(p, "", rules)).collect();
        Ok(Targets {
            paths,
            members,
            path_masks,
            weights,
        })
    }

    /// Pick a category by weight among those `keep` accepts, then an item in it uniformly:
    /// returns (path index, candidate), or `None` when no category qualifies.
    pub fn pick_where(
        &self,
        rng: &mut Rng,
        keep: impl Fn(usize) -> bool,
    ) -> Option<(usize, &Candidate)> {
        let table = Weighted::new(
            self.weights
                .iter()
                .enumerate()
                .map(|(i, w)| if keep(i) { *w } else { 0.0 }),
        )?;
        let p = table.sample(rng);
        let items = &self.members[p];
        Some((p, &items[rng.below(items.len())]))
    }

    /// Number of categories.
    pub fn categories(&self) -> usize {
        self.paths.len()
    }
}

/// Whether every audience rule set in `mask` admits `persona` (gender listed, age in range).
pub fn audience_allows(rules: &[AudienceRule], mask: u32, persona: &crate::model::Persona) -> bool {
    allows(rules, mask, persona.gender, persona.age)
}

/// Whether every audience rule set in `mask` admits someone of `gender` and `age`.
pub fn allows(rules: &[AudienceRule], mask: u32, gender: crate::model::Gender, age: u32) -> bool {
    rules.iter().enumerate().take(32).all(|(i, rule)| {
        if mask & (1 << i) == 0 {
            return true;
        }
        let gender_ok = rule.genders.as_ref().is_none_or(|g| g.contains(&gender));
        let min_ok = rule.min_age.is_none_or(|m| age >= m);
        let max_ok = rule.max_age.is_none_or(|m| age <= m);
        gender_ok && min_ok && max_ok
    })
}

/// Whether every audience rule set in `mask` lets a shopper of `age` buy it, for themself or as a gift.
pub fn buyer_allows(rules: &[AudienceRule], mask: u32, age: u32) -> bool {
    rules
        .iter()
        .enumerate()
        .take(32)
        .all(|(i, rule)| mask & (1 << i) == 0 || rule.buyer_min_age.is_none_or(|m| age >= m))
}

/// Which audience rules apply to `item`: a keyword equals a path label or a title word (case-insensitive).
pub fn audience_mask(item: &Item, rules: &[AudienceRule]) -> u32 {
    labels_mask(&item.categories, &item.title, rules)
}

/// Whether any rule set in `mask` is for the young (has a maximum age): kids' and baby categories.
pub fn is_for_the_young(rules: &[AudienceRule], mask: u32) -> bool {
    rules
        .iter()
        .enumerate()
        .take(32)
        .any(|(i, r)| mask & (1 << i) != 0 && r.max_age.is_some())
}

fn labels_mask(categories: &[String], title: &str, rules: &[AudienceRule]) -> u32 {
    let words: Vec<String> = title
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .map(|w| w.to_lowercase())
        .collect();
    let labels: Vec<String> = categories.iter().map(|c| c.to_lowercase()).collect();
    let mut mask = 0;
    for (i, rule) in rules.iter().enumerate().take(32) {
        let hit = rule.keywords.iter().any(|k| {
            let k = k.to_lowercase();
            labels.contains(&k) || words.contains(&k)
        });
        if hit {
            mask |= 1 << i;
        }
    }
    mask
}
