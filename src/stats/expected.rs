//! What the config and the persona tables imply: the exact marginal distribution of every persona attribute the
//! profile draw samples (ages uniform within their bucket, professions by age, income bands by profession class,
//! languages by city, reasons by age), the patience of the simulated user, and the opening's length.

use std::collections::BTreeMap;

use crate::config::DialogueConfig;
use crate::model::{Formality, Persona, Verbosity};
use crate::profiles::tables::{MAX_AGE, Tables};

use super::budget::{Affordability, BudgetCheck};
use super::distribution::{lognormal_cdf, normal_cdf};

/// The label of a missing value.
pub const NONE: &str = "none";
/// The label of a value the tables never produce.
pub const OUTSIDE: &str = "(not in the tables)";

/// The persona attributes checked, in report order: (row name, what it is).
pub const ATTRIBUTES: [(&str, &str); 13] = [
    ("persona.gender", "gender"),
    ("persona.age_band", "age bucket of demographics.toml"),
    (
        "persona.profession_class",
        "income class of the profession (child: none)",
    ),
    ("persona.profession", "profession"),
    ("persona.income_band", "income band"),
    ("persona.region", "name region of the city"),
    ("persona.country", "country"),
    ("persona.city", "city"),
    ("persona.language_mix", "language mix"),
    ("persona.style", "shopping style"),
    ("persona.formality", "formality"),
    ("persona.verbosity", "verbosity"),
    ("scenario.purchase_reason", "purchase reason"),
];

/// The label of a formality.
pub fn formality_label(f: Formality) -> &'static str {
    match f {
        Formality::Casual => "casual",
        Formality::Neutral => "neutral",
        Formality::Formal => "formal",
    }
}

/// The label of a verbosity.
pub fn verbosity_label(v: Verbosity) -> &'static str {
    match v {
        Verbosity::Terse => "terse",
        Verbosity::Normal => "normal",
        Verbosity::Chatty => "chatty",
    }
}

/// The persona tables as distributions, and the labels of an observed persona in the same terms.
pub struct PersonaModel<'a> {
    tables: &'a Tables,
    /// P(age = a), a in 0..=MAX_AGE.
    age: Vec<f64>,
    /// The budget check: which draws of a band, reason and age survive it.
    budget: BudgetCheck<'a>,
}

impl<'a> PersonaModel<'a> {
    /// The model of `tables`, without the budget rejections (every target affordable).
    pub fn new(tables: &'a Tables) -> Self {
        Self::with_affordability(tables, Affordability::default())
    }

    /// The model of `tables` for accepted draws: a draw of band b and reason r is kept with probability
    /// `affordable.by_reason[b][r]`.
    pub fn with_affordability(tables: &'a Tables, affordable: Affordability) -> Self {
        let mut age = vec![0.0; MAX_AGE as usize + 1];
        for (&(lo, hi), p) in tables.ages.0.iter().zip(tables.ages.1.probabilities()) {
            let hi = hi.max(lo).min(MAX_AGE);
            if lo > hi {
                continue;
            }
            let each = p / f64::from(hi - lo + 1);
            for a in lo..=hi {
                age[a as usize] += each;
            }
        }
        PersonaModel {
            tables,
            age,
            budget: BudgetCheck::new(tables, affordable),
        }
    }

    /// The professions a persona of age `a` can have and their chances (`None`: no profession, class child).
    fn professions_at(&self, a: usize) -> Vec<(Option<usize>, f64)> {
        let t = self.tables;
        match t.professions_by_age.get(a) {
            Some(Some((idx, table))) if a as u32 >= t.min_working_age => idx
                .iter()
                .zip(table.probabilities())
                .map(|(&i, q)| (Some(i), q))
                .collect(),
            _ => vec![(None, 1.0)],
        }
    }

    fn class_of_row(&self, profession: Option<usize>) -> &'a str {
        profession
            .and_then(|i| self.tables.professions.get(i))
            .map(|r| r.class.as_str())
            .unwrap_or("child")
    }

    /// The share of draws the budget check rejects under this model (0 without affordability).
    pub fn rejected_share(&self) -> f64 {
        1.0 - self
            .kept_by_age()
            .iter()
            .zip(&self.age)
            .map(|(k, p)| k * p)
            .sum::<f64>()
    }

    /// Per age, the chance a draw survives the budget check.
    fn kept_by_age(&self) -> Vec<f64> {
        (0..self.age.len())
            .map(|a| {
                self.professions_at(a)
                    .into_iter()
                    .map(|(prof, q)| {
                        q * self
                            .budget
                            .bands_of(self.class_of_row(prof), a as u32)
                            .iter()
                            .map(|b| b.1)
                            .sum::<f64>()
                    })
                    .sum()
            })
            .collect()
    }

    /// The age bucket label of `age` ("25-34"): the first bucket holding it.
    pub fn age_band(&self, age: u32) -> String {
        self.tables
            .ages
            .0
            .iter()
            .find(|(lo, hi)| (*lo..=*hi).contains(&age))
            .map(|(lo, hi)| format!("{lo}-{hi}"))
            .unwrap_or_else(|| OUTSIDE.to_string())
    }

    fn class_of(&self, profession: Option<&str>) -> String {
        match profession {
            None => "child".to_string(),
            Some(name) => self
                .tables
                .professions
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.class.clone())
                .unwrap_or_else(|| OUTSIDE.to_string()),
        }
    }

    /// The label of every checked attribute of `p` (and its purchase reason), keyed like [`ATTRIBUTES`].
    pub fn labels(&self, p: &Persona, reason: Option<&str>) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        let or_none = |x: Option<&String>| x.cloned().unwrap_or_else(|| NONE.to_string());
        out.insert("persona.gender", p.gender.as_str().to_string());
        out.insert("persona.age_band", self.age_band(p.age));
        out.insert(
            "persona.profession_class",
            self.class_of(p.profession.as_deref()),
        );
        out.insert("persona.profession", or_none(p.profession.as_ref()));
        out.insert("persona.income_band", or_none(p.income_band.as_ref()));
        let row = p.location.as_ref().and_then(|l| {
            self.tables
                .locations
                .iter()
                .find(|r| r.0.city == l.city && r.0.country == l.country)
        });
        let region = match (&p.location, row) {
            (None, _) => NONE.to_string(),
            (Some(_), None) => OUTSIDE.to_string(),
            (Some(_), Some(r)) => r.0.region.clone(),
        };
        out.insert("persona.region", region);
        out.insert(
            "persona.country",
            or_none(p.location.as_ref().map(|l| &l.country)),
        );
        out.insert(
            "persona.city",
            p.location
                .as_ref()
                .map(|l| format!("{}, {}", l.city, l.country))
                .unwrap_or_else(|| NONE.to_string()),
        );
        out.insert("persona.language_mix", p.language_mix.clone());
        out.insert("persona.style", or_none(p.style.as_ref()));
        out.insert("persona.formality", formality_label(p.formality).into());
        out.insert("persona.verbosity", verbosity_label(p.verbosity).into());
        out.insert(
            "scenario.purchase_reason",
            reason.map_or_else(|| NONE.to_string(), str::to_string),
        );
        out
    }

    /// The expected share of every label of every checked attribute, keyed like [`ATTRIBUTES`].
    pub fn expected(&self) -> BTreeMap<&'static str, BTreeMap<String, f64>> {
        let t = self.tables;
        let mut out: BTreeMap<&'static str, BTreeMap<String, f64>> = BTreeMap::new();
        let mut add = |key: &'static str, label: String, p: f64| {
            *out.entry(key).or_default().entry(label).or_insert(0.0) += p;
        };
        for (g, p) in t.genders.0.iter().zip(t.genders.1.probabilities()) {
            add("persona.gender", g.as_str().to_string(), p);
        }
        for (s, p) in t.styles.0.iter().zip(t.styles.1.probabilities()) {
            add("persona.style", s.clone(), p);
        }
        for (v, p) in t.verbosity.0.iter().zip(t.verbosity.1.probabilities()) {
            add("persona.verbosity", verbosity_label(*v).into(), p);
        }
        for ((row, _, langs, lang_table), p) in
            t.locations.iter().zip(t.location_table.probabilities())
        {
            add("persona.region", row.region.clone(), p);
            add("persona.country", row.country.clone(), p);
            add("persona.city", format!("{}, {}", row.city, row.country), p);
            for (lang, q) in langs.iter().zip(lang_table.probabilities()) {
                add("persona.language_mix", lang.clone(), p * q);
            }
        }
        // Accepted draws: each age weighted by the chance its draw survives the budget check.
        let kept = self.kept_by_age();
        let accepted: f64 = self.age.iter().zip(&kept).map(|(p, k)| p * k).sum();
        let accepted = if accepted > 0.0 { accepted } else { 1.0 };
        // The register drawn steps down for the young (`formality_min_age`), so its mix follows the ages kept.
        let registers: Vec<(Formality, f64)> = t
            .formality
            .0
            .iter()
            .copied()
            .zip(t.formality.1.probabilities())
            .collect();
        for (a, &raw) in self.age.iter().enumerate() {
            let q = raw * kept[a] / accepted;
            if q <= 0.0 {
                continue;
            }
            for &(f, p) in &registers {
                let said = t.register_for(f, a as u32);
                add("persona.formality", formality_label(said).into(), q * p);
            }
        }
        // Reasons: each age's draw among those it may have, kept by the budget check of its band and reason (a reason
        // whose categories cost more loses more draws); ages with no eligible reason are redrawn, so the mix is
        // renormalised over the draws kept.
        let mut reason_mass = vec![0.0; t.reasons.len()];
        for (a, &raw) in self.age.iter().enumerate() {
            let reasons = self.budget.reasons_at(a as u32);
            if raw <= 0.0 || reasons.is_empty() {
                continue;
            }
            for (profession, q) in self.professions_at(a) {
                for (band, w) in self.budget.raw_bands(self.class_of_row(profession)) {
                    for &(r, p) in &reasons {
                        reason_mass[r] += raw * q * w * p * self.budget.kept_for(band, r);
                    }
                }
            }
        }
        let total: f64 = reason_mass.iter().sum();
        if total > 0.0 {
            for (r, m) in t
                .reasons
                .iter()
                .zip(&reason_mass)
                .filter(|(_, m)| **m > 0.0)
            {
                add("scenario.purchase_reason", r.id.clone(), m / total);
            }
        }
        for (a, &raw) in self.age.iter().enumerate() {
            if raw <= 0.0 {
                continue;
            }
            let pa = raw * kept[a] / accepted;
            let a32 = a as u32;
            add("persona.age_band", self.age_band(a32), pa);
            for (profession, q) in self.professions_at(a) {
                let row = profession.and_then(|i| t.professions.get(i));
                let class = self.class_of_row(profession);
                let bands = self.budget.bands_of(class, a32);
                let survive: f64 = bands.iter().map(|b| b.1).sum();
                let share = raw * q * survive / accepted;
                add(
                    "persona.profession",
                    row.map_or_else(|| NONE.to_string(), |r| r.name.clone()),
                    share,
                );
                add("persona.profession_class", class.to_string(), share);
                for (band, w) in bands {
                    add(
                        "persona.income_band",
                        band.unwrap_or(NONE).to_string(),
                        raw * q * w / accepted,
                    );
                }
            }
        }
        out
    }
}

/// The distribution of the simulated user's patience for `verbosity`: index = rejections tolerated. Patience is
/// round(normal(mean + shift, sd)), at least 0 and at least `patience_min`.
pub fn patience_pmf(cfg: &DialogueConfig, verbosity: Verbosity) -> Vec<f64> {
    let shift = cfg.patience_by_verbosity[match verbosity {
        Verbosity::Terse => 0,
        Verbosity::Normal => 1,
        Verbosity::Chatty => 2,
    }];
    let mean = cfg.patience_mean + shift;
    let sd = cfg.patience_sd;
    let floor = cfg.patience_min as usize;
    // P(round(X).max(0) <= k) = P(X < k + 0.5) for k >= 0.
    let below = |k: f64| {
        if sd > 0.0 {
            normal_cdf((k + 0.5 - mean) / sd)
        } else if mean < k + 0.5 {
            1.0
        } else {
            0.0
        }
    };
    let mut pmf = Vec::new();
    let mut previous = 0.0;
    for k in 0..400usize {
        let upto = below(k as f64);
        pmf.push(upto - previous);
        previous = upto;
        if k >= floor && 1.0 - upto < 1e-13 {
            break;
        }
    }
    // Patience below the minimum is raised to it.
    if floor > 0 {
        let lifted: f64 = pmf.iter().take(floor).sum();
        for p in pmf.iter_mut().take(floor) {
            *p = 0.0;
        }
        while pmf.len() <= floor {
            pmf.push(0.0);
        }
        pmf[floor] += lifted;
    }
    pmf
}

/// The chance that the `k`-th miss (1-based: a recommendation not accepted) ends the conversation: the user
/// abandons when the misses exceed the patience, so it is P(patience = k − 1 | patience ≥ k − 1).
pub fn abandon_hazard(pmf: &[f64], k: usize) -> f64 {
    let Some(at) = k.checked_sub(1) else {
        return 0.0;
    };
    let tail: f64 = pmf.iter().skip(at).sum();
    if tail <= 1e-15 {
        return 1.0;
    }
    (pmf.get(at).copied().unwrap_or(0.0) / tail).clamp(0.0, 1.0)
}

/// The opening exchanges (the greeting's included) the manager draws: uniform on [max(lo, 1), max(hi, 1)].
pub fn opening_range(cfg: &DialogueConfig) -> (u32, u32) {
    let [lo, hi] = cfg.opening_exchanges;
    let lo = lo.max(1);
    (lo, hi.max(lo))
}

/// The CDF of the simulator's latency draw before it is floored to whole ms: lognormal(median, sigma) clamped to
/// [1, 600 000] ms, as `agents::sim::latency` draws it.
pub fn latency_cdf(x: f64, median: f64, sigma: f64) -> f64 {
    if x <= 1.0 {
        0.0
    } else if x > 600_000.0 {
        1.0
    } else {
        lognormal_cdf(x, median.max(1.0), sigma)
    }
}

/// The configured chit-chat probability of round `round` (1-based): the list's value, its last value past its end.
pub fn chit_chat_probability(cfg: &DialogueConfig, round: u32) -> f64 {
    crate::dialogue::chit_chat_probability(&cfg.chit_chat, round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persona_marginals_sum_to_one_and_follow_the_tables() {
        let tables = Tables::load(None).unwrap();
        let model = PersonaModel::new(&tables);
        let expected = model.expected();
        for (key, _) in ATTRIBUTES {
            let total: f64 = expected[key].values().sum();
            assert!((total - 1.0).abs() < 1e-9, "{key}: {total}");
        }
        // demographics.toml: male 45, female 45, unknown 10.
        assert!((expected["persona.gender"]["male"] - 0.45).abs() < 1e-12);
        // 5-11 has weight 3.5 of 100; under 16 (5-15: 7.5 %) has no profession, so class child ≥ 7.5 %.
        assert!((expected["persona.age_band"]["5-11"] - 0.035).abs() < 1e-12);
        assert!(expected["persona.profession_class"]["child"] >= 0.075 - 1e-12);
        assert!((expected["persona.profession"][NONE] - 0.075).abs() < 1e-9);
        // `work` needs age 16: its share is below its raw weight share.
        let raw: f64 = tables.reasons.iter().map(|r| r.weight).sum();
        let work = tables
            .reasons
            .iter()
            .find(|r| r.id == "work")
            .unwrap()
            .weight
            / raw;
        assert!(expected["scenario.purchase_reason"]["work"] < work);
        assert_eq!(model.age_band(30), "25-34");
        assert_eq!(model.age_band(3), OUTSIDE);
    }

    #[test]
    fn patience_rounds_a_normal_and_respects_the_minimum() {
        let cfg = DialogueConfig::default();
        // Normal users: normal(3, 1.5) rounded, at least 1.
        let pmf = patience_pmf(&cfg, Verbosity::Normal);
        assert!((pmf.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(pmf[0], 0.0);
        let want1 = normal_cdf((1.5 - 3.0) / 1.5);
        assert!((pmf[1] - want1).abs() < 1e-12);
        let want3 = normal_cdf(0.5 / 1.5) - normal_cdf(-0.5 / 1.5);
        assert!((pmf[3] - want3).abs() < 1e-12);
        // No one abandons at the first miss (patience ≥ 1); at the second, those with patience 1 do.
        assert_eq!(abandon_hazard(&pmf, 1), 0.0);
        assert!((abandon_hazard(&pmf, 2) - want1).abs() < 1e-12);
        let fixed = DialogueConfig {
            patience_sd: 0.0,
            ..DialogueConfig::default()
        };
        let pmf = patience_pmf(&fixed, Verbosity::Chatty);
        assert_eq!(pmf[4], 1.0);
        assert_eq!(abandon_hazard(&pmf, 5), 1.0);
        assert_eq!(abandon_hazard(&pmf, 4), 0.0);
    }
}
