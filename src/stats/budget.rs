//! The budget check of the profile draw as probabilities: the share of a band's target draws it can afford
//! ([`Affordability`], from the catalog's targets), and from it the chance that a draw of an income band, a purchase
//! reason and an age survives the check (a draw that fails it is redrawn), which the persona marginals of
//! [`super::expected`] weigh their draws by.

use std::collections::BTreeMap;

use crate::profiles::tables::Tables;

/// The chance that a draw's target is affordable in each income band: the share of target draws (category
/// weight = items ^ `exponent`, then an item uniformly) priced at most the band's `max_item_price` (or unpriced),
/// overall and for each purchase reason (which draws only among the categories it suits). Draws that fail it are
/// rejected and redrawn, so accepted personas lean away from the low bands, and accepted reasons away from those
/// whose categories cost more.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Affordability {
    /// Per band, over every category.
    pub by_band: BTreeMap<String, f64>,
    /// Per band, per reason (indexed like `tables.reasons`), over the categories the reason suits.
    pub by_reason: BTreeMap<String, Vec<f64>>,
}

/// The [`Affordability`] of the catalog's `targets` for the bands and reasons of `tables`.
pub fn affordability(
    targets: &crate::profiles::targets::Targets,
    tables: &Tables,
    exponent: f64,
) -> Affordability {
    let weights: Vec<f64> = targets
        .members
        .iter()
        .map(|m| (m.len() as f64).powf(exponent))
        .collect();
    // The share of draws among the categories `keep` admits that `band` can afford (1 when none is admitted).
    let share = |band: &crate::profiles::tables::Band, keep: &dyn Fn(usize) -> bool| {
        let (mut total, mut fits) = (0.0, 0.0);
        for (p, (m, w)) in targets.members.iter().zip(&weights).enumerate() {
            if m.is_empty() || !keep(p) {
                continue;
            }
            let affordable = m
                .iter()
                .filter(|c| c.price.is_none_or(|p| p <= band.max_item_price))
                .count();
            total += w;
            fits += w * affordable as f64 / m.len() as f64;
        }
        if total > 0.0 { fits / total } else { 1.0 }
    };
    let mut out = Affordability::default();
    for band in &tables.bands {
        out.by_band
            .insert(band.name.clone(), share(band, &|_| true));
        let per_reason = tables
            .reasons
            .iter()
            .map(|r| share(band, &|p| r.suits_path(&targets.paths[p])))
            .collect();
        out.by_reason.insert(band.name.clone(), per_reason);
    }
    out
}

/// The budget check in the terms of the persona tables: the income bands a class draws, the reasons an age draws,
/// and the chance each draw survives the check.
pub(super) struct BudgetCheck<'a> {
    tables: &'a Tables,
    /// Per income band (and reason), the chance a draw is not rejected for its budget (1 when unknown).
    affordable: Affordability,
}

impl<'a> BudgetCheck<'a> {
    /// The check of `tables` with the chances of `affordable` (empty: every target affordable).
    pub(super) fn new(tables: &'a Tables, affordable: Affordability) -> Self {
        BudgetCheck { tables, affordable }
    }

    /// The income bands of `class` with their chances as drawn (before the budget check).
    pub(super) fn raw_bands(&self, class: &str) -> Vec<(Option<&'a str>, f64)> {
        let t = self.tables;
        match t.band_by_class.get(class) {
            Some((idx, table)) => idx
                .iter()
                .zip(table.probabilities())
                .filter_map(|(&b, w)| Some((Some(t.bands.get(b)?.name.as_str()), w)))
                .collect(),
            None => vec![(None, 1.0)],
        }
    }

    /// The income bands of `class` with their chances, each times the chance a draw at age `age` survives the
    /// budget check.
    pub(super) fn bands_of(&self, class: &str, age: u32) -> Vec<(Option<&'a str>, f64)> {
        self.raw_bands(class)
            .into_iter()
            .map(|(band, w)| (band, w * self.kept(band, age)))
            .collect()
    }

    /// The reasons a persona of `age` may draw, with their chances (none when no reason admits the age).
    pub(super) fn reasons_at(&self, age: u32) -> Vec<(usize, f64)> {
        let reasons = &self.tables.reasons;
        let eligible: f64 = reasons
            .iter()
            .filter(|r| r.min_age <= age)
            .map(|r| r.weight)
            .sum();
        if eligible <= 0.0 {
            return Vec::new();
        }
        (0..reasons.len())
            .filter(|&i| reasons[i].min_age <= age)
            .map(|i| (i, reasons[i].weight / eligible))
            .collect()
    }

    /// The chance a draw of `band` and `reason` survives the budget check (1 when unknown).
    pub(super) fn kept_for(&self, band: Option<&str>, reason: usize) -> f64 {
        band.and_then(|b| self.affordable.by_reason.get(b))
            .and_then(|per| per.get(reason).copied())
            .unwrap_or(1.0)
    }

    /// The chance a draw of `band` at `age` survives the budget check, over the reasons the age may draw.
    fn kept(&self, band: Option<&str>, age: u32) -> f64 {
        let reasons = self.reasons_at(age);
        if reasons.is_empty() {
            return band
                .and_then(|b| self.affordable.by_band.get(b).copied())
                .unwrap_or(1.0);
        }
        reasons
            .iter()
            .map(|&(r, p)| p * self.kept_for(band, r))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::expected::{ATTRIBUTES, PersonaModel};

    #[test]
    fn a_draw_survives_by_its_band_and_reason_and_an_unknown_band_always_does() {
        let tables = Tables::load(None).unwrap();
        let n = tables.reasons.len();
        let mut per_reason = vec![1.0; n];
        per_reason[0] = 0.25;
        let check = BudgetCheck::new(
            &tables,
            Affordability {
                by_band: [("low".to_string(), 0.5)].into_iter().collect(),
                by_reason: [("low".to_string(), per_reason)].into_iter().collect(),
            },
        );
        assert_eq!(check.kept_for(Some("low"), 0), 0.25);
        assert_eq!(check.kept_for(Some("low"), 1), 1.0);
        assert_eq!(check.kept_for(Some("high"), 0), 1.0);
        assert_eq!(check.kept_for(None, 0), 1.0);
        // An adult draws among every reason; the band's survival is the reasons' mix of their chances.
        let reasons = check.reasons_at(40);
        assert!((reasons.iter().map(|r| r.1).sum::<f64>() - 1.0).abs() < 1e-12);
        let p0 = reasons.iter().find(|r| r.0 == 0).map_or(0.0, |r| r.1);
        assert!(p0 > 0.0, "{reasons:?}");
        let want = 1.0 - 0.75 * p0;
        for class in tables.band_by_class.keys() {
            let raw = check.raw_bands(class);
            for ((band, w), (same, kept)) in raw.iter().zip(check.bands_of(class, 40)) {
                assert_eq!(*band, same);
                let survive = if *band == Some("low") { want } else { 1.0 };
                assert!((kept - w * survive).abs() < 1e-12, "{class} {band:?}");
            }
        }
    }

    #[test]
    fn budget_rejections_shift_the_accepted_mix_away_from_low_bands() {
        let tables = Tables::load(None).unwrap();
        let plain = PersonaModel::new(&tables).expected();
        assert!(PersonaModel::new(&tables).rejected_share().abs() < 1e-12);
        let affordable = Affordability {
            by_band: [("low".to_string(), 0.5)].into_iter().collect(),
            by_reason: [("low".to_string(), vec![0.5; tables.reasons.len()])]
                .into_iter()
                .collect(),
        };
        let model = PersonaModel::with_affordability(&tables, affordable);
        let kept = model.expected();
        for (key, _) in ATTRIBUTES {
            let total: f64 = kept[key].values().sum();
            assert!((total - 1.0).abs() < 1e-9, "{key}: {total}");
        }
        let low = plain["persona.income_band"]["low"];
        let rejected = model.rejected_share();
        assert!((rejected - 0.5 * low).abs() < 1e-12, "{rejected}");
        let want = 0.5 * low / (1.0 - rejected);
        assert!((kept["persona.income_band"]["low"] - want).abs() < 1e-12);
        // Students and children are mostly low band: they lose share too; gender is independent of the band.
        assert!(
            kept["persona.profession_class"]["student"]
                < plain["persona.profession_class"]["student"]
        );
        assert_eq!(kept["persona.gender"], plain["persona.gender"]);
        // The same chance for every reason leaves the reason mix alone.
        for (reason, p) in &plain["scenario.purchase_reason"] {
            let q = kept["scenario.purchase_reason"][reason];
            assert!((p - q).abs() < 1e-3, "{reason}: {p} vs {q}");
        }
    }

    #[test]
    fn a_reason_whose_targets_cost_more_loses_draws_to_the_budget_check() {
        let tables = Tables::load(None).unwrap();
        let plain = PersonaModel::new(&tables).expected();
        let gift = tables.reasons.iter().position(|r| r.id == "gift").unwrap();
        // Every band can afford every target, but for a gift only half the time.
        let mut per_reason = vec![1.0; tables.reasons.len()];
        per_reason[gift] = 0.5;
        let affordable = Affordability {
            by_band: BTreeMap::new(),
            by_reason: tables
                .bands
                .iter()
                .map(|b| (b.name.clone(), per_reason.clone()))
                .collect(),
        };
        let model = PersonaModel::with_affordability(&tables, affordable);
        let kept = model.expected();
        let total: f64 = kept["scenario.purchase_reason"].values().sum();
        assert!((total - 1.0).abs() < 1e-9);
        let p = plain["scenario.purchase_reason"]["gift"];
        let want = 0.5 * p / (1.0 - 0.5 * p);
        let got = kept["scenario.purchase_reason"]["gift"];
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        assert!(
            kept["scenario.purchase_reason"]["attend"]
                > plain["scenario.purchase_reason"]["attend"]
        );
    }
}
