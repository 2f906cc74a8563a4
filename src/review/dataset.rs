//! Dataset-level quality, gathered in one streaming pass over the conversations and their reviews: counts and
//! means of every per-conversation metric, outcome, language, persona and category mixes, judge score statistics,
//! distinct-1/2/3 and self-BLEU over fixed-size samples, exact and near-duplicate conversations (MinHash LSH,
//! linear time), and cost per kept conversation.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::config::ReviewConfig;
use crate::model::{Conversation, Outcome, Profile, Review, Role};
use crate::profiles::dedup::{MinHasher, NearDuplicateIndex};

pub use super::diversity::Distinct;
use super::diversity::{distinct, self_bleu, words};

/// Mean and standard deviation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Values.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (population).
    pub std: f64,
}

/// A running mean and variance (Welford).
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn stat(&self) -> Stat {
        Stat {
            n: self.n,
            mean: self.mean,
            std: if self.n == 0 {
                0.0
            } else {
                (self.m2 / self.n as f64).sqrt()
            },
        }
    }
}

/// The dataset's quality in figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetReport {
    /// Conversations reviewed.
    pub conversations: u64,
    /// Conversations kept by the rule.
    pub kept: u64,
    /// How often each check failed.
    pub failed_checks: BTreeMap<String, u64>,
    /// Turns per conversation.
    pub turns: Stat,
    /// Conversations by turn count.
    pub turns_histogram: BTreeMap<u32, u64>,
    /// Words per user turn.
    pub user_words: Stat,
    /// Words per system turn.
    pub system_words: Stat,
    /// Conversations by outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Rounds to an accept.
    pub rounds_to_accept: Stat,
    /// Share of conversations grounded (`grounding.ok`).
    pub grounded_share: f64,
    /// Mean fit of the recommendations to what was asked.
    pub fit: Stat,
    /// Share of stated reject reasons that are true differences.
    pub true_reasons: Stat,
    /// Share of consistent conversations (`consistency.ok`).
    pub consistent_share: f64,
    /// Recommendations of already rejected items, in all.
    pub repeated_rejected: u64,
    /// System turn to previous user turn similarity.
    pub relevance_to_user: Stat,
    /// System turn to scenario similarity.
    pub relevance_to_scenario: Stat,
    /// Topic drift.
    pub drift: Stat,
    /// Share of accepted conversations accepted at the first recommendation (over-cooperation).
    pub accepted_first_share: f64,
    /// Share of accepts with no stated reason.
    pub accept_without_reason_share: f64,
    /// Conversations by the persona's language mix (`unknown` without a profile).
    pub languages: BTreeMap<String, u64>,
    /// Conversations by the persona's gender.
    pub genders: BTreeMap<String, u64>,
    /// Conversations by the persona's age band.
    pub age_bands: BTreeMap<String, u64>,
    /// Distinct professions among the personas.
    pub professions: usize,
    /// Conversations by the target's leaf category.
    pub categories: BTreeMap<String, u64>,
    /// Judge score statistics: rubric → aspect (and `total`) → mean ± std.
    pub judge: BTreeMap<String, BTreeMap<String, Stat>>,
    /// Judge totals by rubric, rounded, → conversations.
    pub judge_histograms: BTreeMap<String, BTreeMap<i64, u64>>,
    /// distinct-n of user and system utterances over the first `review.diversity_sample` conversations.
    pub distinct_user: Distinct,
    /// See `distinct_user`.
    pub distinct_system: Distinct,
    /// Self-BLEU (BLEU-4, smoothed) of each conversation against the others of the first `review.self_bleu_sample`.
    pub self_bleu: f64,
    /// Conversations in the self-BLEU sample.
    pub self_bleu_sample: usize,
    /// Conversations whose text repeats an earlier one word for word.
    pub exact_duplicates: u64,
    /// Conversations whose text nearly repeats an earlier one (estimated Jaccard ≥ the threshold).
    pub near_duplicates: u64,
    /// Examples of duplicate pairs (later id, earlier id), at most 20.
    pub duplicate_examples: Vec<(String, String)>,
    /// Cost of the conversations and their judging, in USD.
    pub cost_usd: f64,
    /// Cost per kept conversation.
    pub cost_per_kept_usd: f64,
    /// Agreement of the judge's totals with the offline grounding (share of conversations where a high judge
    /// total — the upper half of the scale — and `grounding.ok` agree), by rubric.
    pub judge_grounding_agreement: BTreeMap<String, f64>,
    /// The same as a table, by rubric: (`judge high` | `judge low`) × (`grounded` | `not grounded`) → conversations.
    pub judge_grounding_table: BTreeMap<String, BTreeMap<String, u64>>,
    /// Realism measures (see `review::realism`).
    #[serde(default)]
    pub realism: super::realism::RealismReport,
}

/// Gathers the dataset report one conversation at a time.
pub struct DatasetBuilder {
    report: DatasetReport,
    turns: Running,
    user_words: Running,
    system_words: Running,
    rounds: Running,
    fit: Running,
    true_reasons: Running,
    to_user: Running,
    to_scenario: Running,
    drift: Running,
    judge: BTreeMap<String, BTreeMap<String, Running>>,
    scales: BTreeMap<String, f64>,
    agreement: BTreeMap<String, (u64, u64)>,
    grounded: u64,
    consistent: u64,
    accepted: u64,
    accepted_first: u64,
    reasonless: u64,
    professions: HashSet<String>,
    user_sample: Vec<String>,
    system_sample: Vec<String>,
    bleu_docs: Vec<Vec<String>>,
    seen: HashMap<u128, String>,
    hasher: MinHasher,
    near: NearDuplicateIndex,
    near_ids: Vec<String>,
    near_enabled: bool,
    diversity_sample: usize,
    bleu_sample: usize,
}

fn label<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn age_band(age: u32) -> &'static str {
    match age {
        0..=12 => "0-12",
        13..=17 => "13-17",
        18..=29 => "18-29",
        30..=44 => "30-44",
        45..=59 => "45-59",
        _ => "60+",
    }
}

impl DatasetBuilder {
    /// A builder with `cfg`'s samples; `scales` gives each judged rubric's highest total (for agreement).
    pub fn new(cfg: &ReviewConfig, scales: BTreeMap<String, f64>) -> Self {
        let near = NearDuplicateIndex::new(&cfg.near_duplicates);
        let hasher = MinHasher::new(
            near.signature_len(),
            cfg.near_duplicates.shingle_words.get(),
        );
        DatasetBuilder {
            report: DatasetReport::default(),
            turns: Running::default(),
            user_words: Running::default(),
            system_words: Running::default(),
            rounds: Running::default(),
            fit: Running::default(),
            true_reasons: Running::default(),
            to_user: Running::default(),
            to_scenario: Running::default(),
            drift: Running::default(),
            judge: BTreeMap::new(),
            scales,
            agreement: BTreeMap::new(),
            grounded: 0,
            consistent: 0,
            accepted: 0,
            accepted_first: 0,
            reasonless: 0,
            professions: HashSet::new(),
            user_sample: Vec::new(),
            system_sample: Vec::new(),
            bleu_docs: Vec::new(),
            seen: HashMap::new(),
            hasher,
            near,
            near_ids: Vec::new(),
            near_enabled: cfg.near_duplicates.enabled,
            diversity_sample: cfg.diversity_sample,
            bleu_sample: cfg.self_bleu_sample,
        }
    }

    /// Count one conversation, its review, and the profile it played (when known).
    pub fn add(
        &mut self,
        c: &Conversation,
        r: &Review,
        profile: Option<&Profile>,
        leaf: Option<&str>,
    ) {
        let rep = &mut self.report;
        rep.conversations += 1;
        if r.keep {
            rep.kept += 1;
        }
        for f in &r.failed {
            *rep.failed_checks.entry(f.clone()).or_insert(0) += 1;
        }
        self.turns.add(f64::from(r.shape.turns));
        *rep.turns_histogram.entry(r.shape.turns).or_insert(0) += 1;
        self.user_words.add(r.shape.user_words);
        self.system_words.add(r.shape.system_words);
        *rep.outcomes.entry(r.shape.outcome.clone()).or_insert(0) += 1;
        if c.outcome == Outcome::Accepted {
            self.accepted += 1;
            self.rounds.add(f64::from(c.rounds));
            self.accepted_first += u64::from(r.cooperation.accepted_first);
            self.reasonless += u64::from(r.cooperation.accept_without_reason);
        }
        self.grounded += u64::from(r.grounding.ok);
        self.consistent += u64::from(r.consistency.ok);
        self.fit.add(r.grounding.fit_mean);
        if let Some(t) = r.grounding.true_reasons {
            self.true_reasons.add(t);
        }
        rep.repeated_rejected += u64::from(r.consistency.repeated_rejected);
        self.to_user.add(r.relevance.to_user);
        self.to_scenario.add(r.relevance.to_scenario);
        self.drift.add(r.relevance.drift);
        let (lang, gender, band) = match profile {
            Some(p) => {
                if let Some(prof) = &p.persona.profession {
                    self.professions.insert(prof.clone());
                }
                (
                    p.persona.language_mix.clone(),
                    label(&p.persona.gender),
                    age_band(p.persona.age).to_string(),
                )
            }
            None => ("unknown".into(), "unknown".into(), "unknown".into()),
        };
        *rep.languages.entry(lang).or_insert(0) += 1;
        *rep.genders.entry(gender).or_insert(0) += 1;
        *rep.age_bands.entry(band).or_insert(0) += 1;
        let leaf = leaf
            .map(str::to_string)
            .or_else(|| profile.and_then(|p| p.scenario.category.last().cloned()))
            .unwrap_or_else(|| "unknown".into());
        *rep.categories.entry(leaf.to_lowercase()).or_insert(0) += 1;
        for (rubric, scores) in &r.judge {
            let stats = self.judge.entry(rubric.clone()).or_default();
            for (aspect, s) in &scores.aspects {
                stats.entry(aspect.clone()).or_default().add(s.score);
            }
            stats.entry("total".into()).or_default().add(scores.total);
            *rep.judge_histograms
                .entry(rubric.clone())
                .or_default()
                .entry(scores.total.round() as i64)
                .or_insert(0) += 1;
            if let Some(max) = self.scales.get(rubric) {
                let high = scores.total >= max / 2.0;
                let a = self.agreement.entry(rubric.clone()).or_insert((0, 0));
                a.0 += u64::from(high == r.grounding.ok);
                a.1 += 1;
                let cell = format!(
                    "judge {}, {}",
                    if high { "high" } else { "low" },
                    if r.grounding.ok {
                        "grounded"
                    } else {
                        "not grounded"
                    }
                );
                *rep.judge_grounding_table
                    .entry(rubric.clone())
                    .or_default()
                    .entry(cell)
                    .or_insert(0) += 1;
            }
        }
        rep.cost_usd += c.usage.cost_usd;
        self.samples(c);
        self.duplicates(c);
    }

    fn samples(&mut self, c: &Conversation) {
        if (self.report.conversations as usize) <= self.diversity_sample {
            for t in &c.turns {
                match t.role {
                    Role::User => self.user_sample.push(t.text.clone()),
                    Role::System => self.system_sample.push(t.text.clone()),
                }
            }
        }
        if self.bleu_docs.len() < self.bleu_sample {
            let text: Vec<String> = c.turns.iter().flat_map(|t| words(&t.text)).collect();
            self.bleu_docs.push(text);
        }
    }

    fn duplicates(&mut self, c: &Conversation) {
        let mut text = String::new();
        for t in &c.turns {
            text.push_str(t.text.trim());
            text.push('\n');
        }
        let key = xxhash_rust::xxh3::xxh3_128(text.to_lowercase().as_bytes());
        if let Some(first) = self.seen.get(&key) {
            self.report.exact_duplicates += 1;
            if self.report.duplicate_examples.len() < 20 {
                self.report
                    .duplicate_examples
                    .push((c.id.clone(), first.clone()));
            }
            return;
        }
        self.seen.insert(key, c.id.clone());
        if !self.near_enabled {
            return;
        }
        let sig = self.hasher.signature(&text);
        match self.near.check_and_insert(&sig) {
            Some((other, _)) => {
                self.report.near_duplicates += 1;
                if self.report.duplicate_examples.len() < 20
                    && let Some(first) = self.near_ids.get(other)
                {
                    self.report
                        .duplicate_examples
                        .push((c.id.clone(), first.clone()));
                }
            }
            None => self.near_ids.push(c.id.clone()),
        }
    }

    /// Add the judge's spending (not in the conversations' own usage).
    pub fn add_cost(&mut self, usd: f64) {
        self.report.cost_usd += usd;
    }

    /// The report.
    pub fn finish(mut self) -> DatasetReport {
        let n = self.report.conversations.max(1) as f64;
        let share = |x: u64, of: u64| if of == 0 { 0.0 } else { x as f64 / of as f64 };
        let r = &mut self.report;
        r.turns = self.turns.stat();
        r.user_words = self.user_words.stat();
        r.system_words = self.system_words.stat();
        r.rounds_to_accept = self.rounds.stat();
        r.grounded_share = self.grounded as f64 / n;
        r.consistent_share = self.consistent as f64 / n;
        r.fit = self.fit.stat();
        r.true_reasons = self.true_reasons.stat();
        r.relevance_to_user = self.to_user.stat();
        r.relevance_to_scenario = self.to_scenario.stat();
        r.drift = self.drift.stat();
        r.accepted_first_share = share(self.accepted_first, self.accepted);
        r.accept_without_reason_share = share(self.reasonless, self.accepted);
        r.professions = self.professions.len();
        r.judge = self
            .judge
            .iter()
            .map(|(k, m)| {
                (
                    k.clone(),
                    m.iter().map(|(a, s)| (a.clone(), s.stat())).collect(),
                )
            })
            .collect();
        r.judge_grounding_agreement = self
            .agreement
            .iter()
            .map(|(k, (agree, all))| (k.clone(), share(*agree, *all)))
            .collect();
        r.distinct_user = distinct(&self.user_sample);
        r.distinct_system = distinct(&self.system_sample);
        r.self_bleu_sample = self.bleu_docs.len();
        r.self_bleu = self_bleu(&self.bleu_docs);
        r.cost_per_kept_usd = if r.kept == 0 {
            0.0
        } else {
            r.cost_usd / r.kept as f64
        };
        self.report
    }
}
