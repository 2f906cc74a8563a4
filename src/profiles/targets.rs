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

/// Targets grouped by full category path, with the weighted table that picks a category.
pub struct Targets {
    /// Category paths.
    pub paths: Vec<Vec<String>>,
    /// Items per path.
    pub members: Vec<Vec<Candidate>>,
    table: Weighted,
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
        let (paths, members): (Vec<_>, Vec<_>) = by_path.into_iter().unzip();
        let table = Weighted::new(
            members
                .iter()
                .map(|m: &Vec<Candidate>| (m.len() as f64).powf(exponent)),
        )
        .ok_or_else(|| {
            Error::Config(
                "profiles.category_weight_exponent gives no usable category weights".into(),
            )
        })?;
        Ok(Targets {
            paths,
            members,
            table,
        })
    }

    /// Pick a category by weight, then an item in it uniformly: returns (path index, candidate).
    pub fn pick(&self, rng: &mut Rng) -> (usize, &Candidate) {
        let p = self.table.sample(rng);
        let items = &self.members[p];
        (p, &items[rng.below(items.len())])
    }

    /// Number of categories.
    pub fn categories(&self) -> usize {
        self.paths.len()
    }
}

/// Whether every audience rule set in `mask` admits `persona` (gender listed, age in range).
pub fn audience_allows(rules: &[AudienceRule], mask: u32, persona: &crate::model::Persona) -> bool {
    rules.iter().enumerate().take(32).all(|(i, rule)| {
        if mask & (1 << i) == 0 {
            return true;
        }
        let gender_ok = rule
            .genders
            .as_ref()
            .is_none_or(|g| g.contains(&persona.gender));
        let min_ok = rule.min_age.is_none_or(|m| persona.age >= m);
        let max_ok = rule.max_age.is_none_or(|m| persona.age <= m);
        gender_ok && min_ok && max_ok
    })
}

/// Which audience rules apply to `item`: a keyword equals a path label or a title word (case-insensitive).
pub fn audience_mask(item: &Item, rules: &[AudienceRule]) -> u32 {
    let words: Vec<String> = item
        .title
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .map(|w| w.to_lowercase())
        .collect();
    let labels: Vec<String> = item.categories.iter().map(|c| c.to_lowercase()).collect();
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
