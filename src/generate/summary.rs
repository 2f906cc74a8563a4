//! The end-of-run summary of `generate`: outcomes, turns, success, rounds to accept, speed, and how varied the
//! utterances are (distinct-1/2 and the share of verbatim-repeated utterances over a sample).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::{Action, Conversation, Outcome, Role};

/// Lexical diversity of one side's utterances over a sample.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Diversity {
    /// Utterances in the sample.
    pub utterances: usize,
    /// Distinct unigrams / all unigrams.
    pub distinct_1: f64,
    /// Distinct bigrams / all bigrams.
    pub distinct_2: f64,
    /// Share of utterances whose exact text occurs more than once in the sample.
    pub verbatim_share: f64,
}

/// What one `generate` invocation did (the rest of [`GenerateReport`] describes the whole output).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct GenerateRun {
    /// Conversations written by this invocation.
    pub written: usize,
    /// Conversations (and failure records) found already done when it started.
    pub resumed: usize,
    /// Conversations that failed in this invocation (see the failures file).
    pub failed: usize,
    /// Seconds taken.
    pub seconds: f64,
    /// Conversations written per second.
    pub per_second: f64,
}

/// The conversations of an output: the figures of the whole output (what is in the files, whichever invocations
/// wrote it), and what this invocation did (`this_run`). A rerun that finds everything done reports the same
/// whole-output figures as the run that wrote them.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct GenerateReport {
    /// Conversations the output is to hold in all.
    pub total: usize,
    /// Conversations in the output file.
    pub conversations: usize,
    /// Records in the failures file.
    pub failures: usize,
    /// Conversations per outcome.
    pub outcomes: BTreeMap<String, usize>,
    /// Conversations per end reason.
    pub end_reasons: BTreeMap<String, usize>,
    /// Mean turns per conversation.
    pub turns_mean: f64,
    /// Conversations per turn count.
    pub turns_histogram: BTreeMap<usize, usize>,
    /// Accepted / conversations.
    pub success_rate: f64,
    /// Mean rounds among accepted conversations.
    pub rounds_to_accept_mean: Option<f64>,
    /// Share of accepts that came on the first recommendation (an over-cooperative user shows here).
    pub first_recommendation_accept_share: Option<f64>,
    /// Conversations in the diversity sample (the first ones of the file).
    pub diversity_sample: usize,
    /// User utterance diversity.
    pub user_diversity: Diversity,
    /// System utterance diversity.
    pub system_diversity: Diversity,
    /// LLM requests, tokens and cost of the output (the ledger keeps earlier invocations' rows; absent when every
    /// role is `sim`).
    pub llm_usage: Option<crate::manager::UsageRow>,
    /// True when nothing was sent (`--dry-run`): tokens and cost are estimates and nothing was written.
    pub dry_run: bool,
    /// What this invocation did.
    pub this_run: GenerateRun,
}

/// Accumulates the report while conversations stream past: first those already in the output, then new ones.
pub struct SummaryBuilder {
    report: GenerateReport,
    turns: usize,
    accepted_rounds: u64,
    accepted: usize,
    first_accepts: usize,
    sample_limit: usize,
    user_texts: Vec<String>,
    system_texts: Vec<String>,
}

impl SummaryBuilder {
    /// A builder sampling the first `sample_limit` conversations for diversity.
    pub fn new(total: usize, sample_limit: usize) -> Self {
        SummaryBuilder {
            report: GenerateReport {
                total,
                ..GenerateReport::default()
            },
            turns: 0,
            accepted_rounds: 0,
            accepted: 0,
            first_accepts: 0,
            sample_limit,
            user_texts: Vec::new(),
            system_texts: Vec::new(),
        }
    }

    /// Count one conversation found in the output (written by an earlier invocation).
    pub fn existing(&mut self, c: &Conversation) {
        let r = &mut self.report;
        r.conversations += 1;
        *r.outcomes.entry(label(&c.outcome)).or_insert(0) += 1;
        *r.end_reasons.entry(label(&c.end_reason)).or_insert(0) += 1;
        *r.turns_histogram.entry(c.turns.len()).or_insert(0) += 1;
        self.turns += c.turns.len();
        if c.outcome == Outcome::Accepted {
            self.accepted += 1;
            self.accepted_rounds += u64::from(c.rounds);
            if c.turns
                .iter()
                .filter(|t| t.action == Action::Recommend)
                .count()
                == 1
            {
                self.first_accepts += 1;
            }
        }
        if r.diversity_sample < self.sample_limit {
            r.diversity_sample += 1;
            for t in &c.turns {
                match t.role {
                    Role::User => self.user_texts.push(t.text.clone()),
                    Role::System => self.system_texts.push(t.text.clone()),
                }
            }
        }
    }

    /// Count one conversation written by this invocation.
    pub fn add(&mut self, c: &Conversation) {
        self.existing(c);
        self.report.this_run.written += 1;
    }

    /// Count one failure record found in the failures file.
    pub fn existing_failure(&mut self) {
        self.report.failures += 1;
    }

    /// Count one failure of this invocation.
    pub fn fail(&mut self) {
        self.report.failures += 1;
        self.report.this_run.failed += 1;
    }

    /// The finished report; `resumed` records were found done when the invocation started.
    pub fn finish(mut self, seconds: f64, resumed: usize) -> GenerateReport {
        let r = &mut self.report;
        let n = r.conversations.max(1) as f64;
        r.turns_mean = self.turns as f64 / n;
        r.success_rate = self.accepted as f64 / n;
        if self.accepted > 0 {
            r.rounds_to_accept_mean = Some(self.accepted_rounds as f64 / self.accepted as f64);
            r.first_recommendation_accept_share =
                Some(self.first_accepts as f64 / self.accepted as f64);
        }
        r.this_run.resumed = resumed;
        r.this_run.seconds = seconds;
        r.this_run.per_second = if seconds > 0.0 {
            r.this_run.written as f64 / seconds
        } else {
            0.0
        };
        r.user_diversity = diversity(&self.user_texts);
        r.system_diversity = diversity(&self.system_texts);
        self.report
    }
}

fn label<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// distinct-1, distinct-2 (lowercased word n-grams) and the verbatim-repeat share of `texts`.
pub fn diversity(texts: &[String]) -> Diversity {
    if texts.is_empty() {
        return Diversity::default();
    }
    // Words and word pairs as hashes of their lowercased text (distinct counts only; no string is kept).
    let mut unigrams: HashSet<u64> = HashSet::new();
    let mut bigrams: HashSet<u64> = HashSet::new();
    let (mut n1, mut n2) = (0usize, 0usize);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut lower = String::new();
    for t in texts {
        *counts.entry(t.as_str()).or_insert(0) += 1;
        let mut previous: Option<u64> = None;
        for w in t
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
        {
            lower.clear();
            lower.extend(w.chars().flat_map(char::to_lowercase));
            let h = xxhash_rust::xxh3::xxh3_64(lower.as_bytes());
            n1 += 1;
            unigrams.insert(h);
            if let Some(p) = previous {
                n2 += 1;
                bigrams.insert(xxhash_rust::xxh3::xxh3_64_with_seed(&h.to_le_bytes(), p));
            }
            previous = Some(h);
        }
    }
    let repeated: usize = counts.values().filter(|&&c| c > 1).sum();
    Diversity {
        utterances: texts.len(),
        distinct_1: unigrams.len() as f64 / n1.max(1) as f64,
        distinct_2: bigrams.len() as f64 / n2.max(1) as f64,
        verbatim_share: repeated as f64 / texts.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diversity_counts_ngrams_and_repeats() {
        let texts: Vec<String> = ["a b c", "a b c", "a d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let d = diversity(&texts);
        assert_eq!(d.utterances, 3);
        assert!((d.distinct_1 - 4.0 / 8.0).abs() < 1e-9);
        assert!((d.distinct_2 - 3.0 / 5.0).abs() < 1e-9);
        assert!((d.verbatim_share - 2.0 / 3.0).abs() < 1e-9);
    }
}
