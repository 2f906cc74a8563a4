//! The realism measures for a dataset: shares of the per-conversation findings (from the reviews) and text variety
//! per side (from the conversations), gathered in one streaming pass in bounded memory.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::data::{RealismData, Reference};
use super::text::{mask_phrases, masked_tokens};
use super::variety::{Variety, VarietyBuilder};
use crate::catalog::MemoryCatalog;
use crate::model::{Conversation, Profile, RealismFlag, Review, Role};

/// Profiles of one occasion class and how many of them target a category that does not fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OccasionFitCount {
    /// Conversations whose profile's occasion is of this class.
    pub profiles: u64,
    /// Of those, the ones whose target's category does not fit.
    pub misfits: u64,
    /// `misfits / profiles`.
    pub share: f64,
}

/// The dataset's realism figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RealismReport {
    /// Conversations counted.
    pub conversations: u64,
    /// Rejects.
    pub rejects: u64,
    /// Rejects citing at least one preference.
    pub rejects_citing: u64,
    /// Share of rejects citing a preference never stated before (of all rejects).
    pub rejects_unstated_share: f64,
    /// Share of rejects citing preferences, none of them stated before (of all rejects).
    pub rejects_only_unstated_share: f64,
    /// Share of rejects citing an attribute outside the profile's requirements (of all rejects).
    pub rejects_outside_requirements_share: f64,
    /// Accepts.
    pub accepts: u64,
    /// Share of accepts praising a value never stated.
    pub accepts_unstated_praise_share: f64,
    /// Recommendations.
    pub recommendations: u64,
    /// Share of recommendations from another department than the target's.
    pub other_department_share: f64,
    /// Share of those the user objected to.
    pub other_department_objected_share: f64,
    /// Self-purchase accepts contradicting the persona (count).
    pub self_purchase_mismatches: u64,
    /// Share of accepts at the first recommendation.
    pub first_offer_accept_share: f64,
    /// Accepts before any preference was stated (count).
    pub blind_accepts: u64,
    /// Share of conversations in which the user leaked the target.
    pub target_leak_share: f64,
    /// Turns with an unfounded reference, by kind (`budget`, `occasion`, `recipient`, `question`).
    pub unfounded_references: BTreeMap<String, u64>,
    /// Share of conversations with at least one unfounded reference.
    pub unfounded_share: f64,
    /// Occasion–category fit by occasion class.
    pub occasion_fit: BTreeMap<String, OccasionFitCount>,
    /// Distinct storylines (profile, target, recommended items).
    pub storylines: u64,
    /// Share of conversations repeating a phrase of their own.
    pub repeated_phrase_share: f64,
    /// Mean repeated phrases per conversation.
    pub repeated_phrases_mean: f64,
    /// Share of conversations holding a broken fill.
    pub broken_fill_share: f64,
    /// Turns with a broken fill, by kind.
    pub broken_fills: BTreeMap<String, u64>,
    /// Text variety of the user side.
    pub user: Variety,
    /// Text variety of the system side.
    pub system: Variety,
    /// Human or target references shown beside the figures.
    pub references: Vec<Reference>,
}

/// Gathers the realism report one conversation (and its review) at a time.
pub struct RealismBuilder<'a> {
    catalog: Option<&'a MemoryCatalog>,
    seed: u64,
    report: RealismReport,
    totals: Totals,
    storylines: HashSet<u64>,
    user: VarietyBuilder,
    system: VarietyBuilder,
}

#[derive(Default)]
struct Totals {
    rejects_unstated: u64,
    rejects_only_unstated: u64,
    rejects_outside: u64,
    praise: u64,
    other_department: u64,
    objected: u64,
    first_offer: u64,
    leaking: u64,
    unfounded: u64,
    repeating: u64,
    repeated: u64,
    broken: u64,
}

fn share(x: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { x as f64 / of as f64 }
}

impl<'a> RealismBuilder<'a> {
    /// A builder reading `data`; `catalog` masks item names in skeletons; `seed` shuffles the token sample.
    pub fn new(data: &'a RealismData, catalog: Option<&'a MemoryCatalog>, seed: u64) -> Self {
        RealismBuilder {
            catalog,
            seed,
            report: RealismReport {
                references: data.reference.clone(),
                ..RealismReport::default()
            },
            totals: Totals::default(),
            storylines: HashSet::new(),
            user: VarietyBuilder::new(&data.variety),
            system: VarietyBuilder::new(&data.variety),
        }
    }

    /// Count conversation `c`, its review `r`, and its profile.
    pub fn add(&mut self, c: &Conversation, r: &Review, profile: Option<&Profile>) {
        let x = &r.realism;
        let (rep, t) = (&mut self.report, &mut self.totals);
        rep.conversations += 1;
        rep.rejects += u64::from(x.rejects);
        rep.rejects_citing += u64::from(x.rejects_citing);
        t.rejects_unstated += u64::from(x.rejects_unstated);
        t.rejects_only_unstated += u64::from(x.rejects_only_unstated);
        t.rejects_outside += u64::from(x.rejects_outside_requirements);
        rep.accepts += u64::from(x.accepts);
        t.praise += u64::from(x.accepts_unstated_praise);
        rep.recommendations += u64::from(x.recommendations);
        t.other_department += u64::from(x.other_department);
        t.objected += u64::from(x.other_department_objected);
        rep.self_purchase_mismatches += u64::from(x.self_purchase_mismatch);
        t.first_offer += u64::from(x.first_offer_accept);
        rep.blind_accepts += u64::from(x.blind_accept);
        t.leaking += u64::from(x.target_leaks > 0);
        t.unfounded += u64::from(x.unfounded_references > 0);
        t.repeating += u64::from(x.repeated_phrases > 0);
        t.repeated += u64::from(x.repeated_phrases);
        t.broken += u64::from(x.broken_fills > 0);
        for f in &x.findings {
            let kind = match f.flag {
                RealismFlag::UnfoundedBudget => "budget",
                RealismFlag::UnfoundedOccasion => "occasion",
                RealismFlag::UnfoundedRecipient => "recipient",
                RealismFlag::UnfoundedQuestion => "question",
                RealismFlag::BrokenFill => {
                    let kind = f.detail.split(':').next().unwrap_or("").to_string();
                    *rep.broken_fills.entry(kind).or_insert(0) += 1;
                    continue;
                }
                _ => continue,
            };
            *rep.unfounded_references.entry(kind.into()).or_insert(0) += 1;
        }
        if !x.occasion_class.is_empty() {
            let e = rep
                .occasion_fit
                .entry(x.occasion_class.clone())
                .or_default();
            e.profiles += 1;
            e.misfits += u64::from(x.occasion_misfit);
        }
        self.storylines
            .insert(u64::from_str_radix(&x.storyline, 16).unwrap_or(0));
        self.variety(c, profile);
    }

    fn variety(&mut self, c: &Conversation, profile: Option<&Profile>) {
        let key = crate::rng::stable_hash(self.seed, &[b"realism-sample", c.id.as_bytes()]);
        let phrases = mask_phrases(c, profile, self.catalog);
        for (role, builder) in [
            (Role::User, &mut self.user),
            (Role::System, &mut self.system),
        ] {
            let lines: Vec<_> = c
                .turns
                .iter()
                .filter(|t| t.role == role)
                .map(|t| {
                    (
                        t.action,
                        t.text.as_str(),
                        masked_tokens(&t.text, &phrases).join(" "),
                    )
                })
                .collect();
            builder.add(key, &lines);
        }
    }

    /// The report.
    pub fn finish(self) -> RealismReport {
        let mut rep = self.report;
        let t = &self.totals;
        let n = rep.conversations;
        rep.rejects_unstated_share = share(t.rejects_unstated, rep.rejects);
        rep.rejects_only_unstated_share = share(t.rejects_only_unstated, rep.rejects);
        rep.rejects_outside_requirements_share = share(t.rejects_outside, rep.rejects);
        rep.accepts_unstated_praise_share = share(t.praise, rep.accepts);
        rep.other_department_share = share(t.other_department, rep.recommendations);
        rep.other_department_objected_share = share(t.objected, t.other_department);
        rep.first_offer_accept_share = share(t.first_offer, rep.accepts);
        rep.target_leak_share = share(t.leaking, n);
        rep.unfounded_share = share(t.unfounded, n);
        rep.repeated_phrase_share = share(t.repeating, n);
        rep.repeated_phrases_mean = share(t.repeated, n);
        rep.broken_fill_share = share(t.broken, n);
        for v in rep.occasion_fit.values_mut() {
            v.share = share(v.misfits, v.profiles);
        }
        rep.storylines = self.storylines.len() as u64;
        rep.user = self.user.finish();
        rep.system = self.system.finish();
        rep
    }
}

/// One row of the report's realism table: measure, the dataset's figure, and the reference (empty when none).
pub type Row = (String, String, String);

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

impl RealismReport {
    fn reference(&self, measure: &str, show: impl Fn(f64) -> String) -> String {
        self.references
            .iter()
            .find(|r| r.measure == measure)
            .map(|r| format!("{} ({})", show(r.value), r.source))
            .unwrap_or_default()
    }

    /// The rows the report opens with; flags are shown against their target, 0.
    pub fn rows(&self) -> Vec<Row> {
        let zero = || "0 (target)".to_string();
        let mut rows: Vec<Row> = vec![
            (
                "Rejects citing only never-stated preferences".into(),
                format!(
                    "{} (any never-stated: {}; of {} rejects, {} citing a preference)",
                    pct(self.rejects_only_unstated_share),
                    pct(self.rejects_unstated_share),
                    self.rejects,
                    self.rejects_citing
                ),
                zero(),
            ),
            (
                "Rejects citing an attribute outside the requirements".into(),
                format!(
                    "{} (of {} rejects)",
                    pct(self.rejects_outside_requirements_share),
                    self.rejects
                ),
                zero(),
            ),
            (
                "Accepts praising a value never stated".into(),
                format!(
                    "{} (of {} accepts)",
                    pct(self.accepts_unstated_praise_share),
                    self.accepts
                ),
                zero(),
            ),
            (
                "Recommendations from another department / objected to".into(),
                format!(
                    "{} of {} / {}",
                    pct(self.other_department_share),
                    self.recommendations,
                    pct(self.other_department_objected_share)
                ),
                "0 / 100 % (target)".into(),
            ),
            (
                "Self-purchase accepts contradicting the persona".into(),
                self.self_purchase_mismatches.to_string(),
                zero(),
            ),
            (
                "First-offer accepts / blind accepts".into(),
                format!(
                    "{} / {}",
                    pct(self.first_offer_accept_share),
                    self.blind_accepts
                ),
                String::new(),
            ),
            (
                "Dialogues leaking the target".into(),
                pct(self.target_leak_share),
                zero(),
            ),
            (
                "Dialogues with an unfounded reference".into(),
                format!(
                    "{} ({})",
                    pct(self.unfounded_share),
                    self.unfounded_references
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                zero(),
            ),
        ];
        for (class, f) in &self.occasion_fit {
            rows.push((
                format!(
                    "Profiles whose occasion is of class `{class}` and whose target does not fit"
                ),
                format!("{} ({} of {})", pct(f.share), f.misfits, f.profiles),
                zero(),
            ));
        }
        rows.push((
            "Distinct storylines".into(),
            format!("{} of {}", self.storylines, self.conversations),
            format!("{} (target)", self.conversations),
        ));
        for (side, v) in [("system", &self.system), ("user", &self.user)] {
            rows.push((
                format!("distinct-1 / distinct-2, {side}"),
                format!(
                    "{:.3} / {:.3} ({} tokens, {} dialogues)",
                    v.distinct_1, v.distinct_2, v.sample_tokens, v.sample_dialogues
                ),
                self.reference(&format!("distinct_2_{side}"), |x| {
                    format!("distinct-2 {x:.2}")
                }),
            ));
            rows.push((
                format!("Utterances repeated verbatim, {side}"),
                format!(
                    "{} in the token sample's dialogues, {} in the dataset",
                    pct(v.sample_verbatim_repeats),
                    pct(v.verbatim_repeats)
                ),
                self.reference(&format!("verbatim_repeats_{side}"), pct),
            ));
            rows.push((
                format!("Skeletons, {side}"),
                format!(
                    "{} ({})",
                    v.skeletons_total,
                    v.skeletons
                        .iter()
                        .map(|(a, s)| format!("{a} {}/{}", s.skeletons, s.utterances))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                String::new(),
            ));
        }
        rows.push((
            "Dialogues repeating a phrase of their own".into(),
            format!(
                "{} ({:.2} phrases per dialogue)",
                pct(self.repeated_phrase_share),
                self.repeated_phrases_mean
            ),
            String::new(),
        ));
        rows.push((
            "Dialogues with a broken fill".into(),
            format!(
                "{} ({})",
                pct(self.broken_fill_share),
                self.broken_fills
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            zero(),
        ));
        rows
    }
}
