//! Text variety of one side (user or system) of a dataset, in memory bounded by the sample size and by hashes:
//! distinct-1/2 on a sample of a stated number of tokens (dialogues in a seeded shuffled order until the count is
//! reached: the dialogues with the smallest seeded hashes of their ids, kept in a heap while streaming), utterances
//! repeated verbatim elsewhere (counts by 64-bit hash), the most frequent lines, and skeletons per act (item names,
//! values and numbers masked; distinct skeleton hashes per act).

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::data::VarietySettings;
use super::text::tokens;
use crate::model::Action;

/// A line and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequentLine {
    /// The line as first seen (`None` when its text was not kept: see `kept_line_texts`).
    pub text: Option<String>,
    /// Occurrences in the dataset.
    pub count: u64,
}

/// Utterances and distinct skeletons of one act.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActSkeletons {
    /// Utterances with this act.
    pub utterances: u64,
    /// Distinct skeletons among them.
    pub skeletons: u64,
}

/// The text variety of one side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Variety {
    /// Tokens in the distinct-n sample (the stated count, or every token when the dataset has fewer).
    pub sample_tokens: u64,
    /// Dialogues the sample drew from.
    pub sample_dialogues: u64,
    /// Distinct tokens over tokens, in the sample.
    pub distinct_1: f64,
    /// Distinct bigrams over bigrams (inside an utterance), in the sample.
    pub distinct_2: f64,
    /// Utterances in the dataset.
    pub utterances: u64,
    /// Share of utterances whose text (lowercased, spaces collapsed) occurs more than once in the dataset.
    pub verbatim_repeats: f64,
    /// The same share within the dialogues of the token sample (comparable across datasets of other sizes: the
    /// share grows with the number of dialogues).
    pub sample_verbatim_repeats: f64,
    /// The most frequent lines.
    pub top_lines: Vec<FrequentLine>,
    /// Utterances and distinct skeletons by act.
    pub skeletons: BTreeMap<String, ActSkeletons>,
    /// Distinct skeletons over all acts.
    pub skeletons_total: u64,
}

/// One dialogue's utterances of the side, as tokens, in the sample heap (ordered by its seeded key).
struct Sampled {
    key: u64,
    utterances: Vec<Vec<String>>,
    lines: Vec<u64>,
    tokens: usize,
}

impl PartialEq for Sampled {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Sampled {}
impl PartialOrd for Sampled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Sampled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Gathers one side's variety, one dialogue at a time.
pub struct VarietyBuilder {
    target: usize,
    top: usize,
    keep_texts: usize,
    heap: BinaryHeap<Sampled>,
    heap_tokens: usize,
    counts: HashMap<u64, u32>,
    texts: HashMap<u64, String>,
    utterances: u64,
    skeletons: BTreeMap<Action, (u64, HashSet<u64>)>,
    all_skeletons: HashSet<u64>,
}

/// A line as compared for verbatim repeats: lowercased, spaces collapsed.
fn normal(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn label(a: Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl VarietyBuilder {
    /// A builder with `settings`' sample size and list lengths.
    pub fn new(settings: &VarietySettings) -> Self {
        VarietyBuilder {
            target: settings.sample_tokens,
            top: settings.top_lines,
            keep_texts: settings.kept_line_texts,
            heap: BinaryHeap::new(),
            heap_tokens: 0,
            counts: HashMap::new(),
            texts: HashMap::new(),
            utterances: 0,
            skeletons: BTreeMap::new(),
            all_skeletons: HashSet::new(),
        }
    }

    /// Count one dialogue's utterances of this side: `(act, text, skeleton)` each; `key` is the dialogue's seeded
    /// place in the shuffled order.
    pub fn add(&mut self, key: u64, utterances: &[(Action, &str, String)]) {
        let mut sampled = Vec::new();
        let mut lines = Vec::new();
        let mut n = 0;
        for (act, text, skeleton) in utterances {
            self.utterances += 1;
            let line = normal(text);
            let h = xxhash_rust::xxh3::xxh3_64(line.as_bytes());
            lines.push(h);
            let count = self.counts.entry(h).or_insert(0);
            *count = count.saturating_add(1);
            if *count == 2 && self.texts.len() < self.keep_texts {
                self.texts.insert(h, text.trim().to_string());
            }
            let s = xxhash_rust::xxh3::xxh3_64(skeleton.as_bytes());
            let entry = self.skeletons.entry(*act).or_default();
            entry.0 += 1;
            entry.1.insert(s);
            self.all_skeletons.insert(xxhash_rust::xxh3::xxh3_64(
                format!("{act:?} {skeleton}").as_bytes(),
            ));
            let t = tokens(text);
            n += t.len();
            sampled.push(t);
        }
        if self.target == 0 || n == 0 {
            return;
        }
        // Keep the dialogues with the smallest keys whose tokens reach the target.
        if self.heap_tokens >= self.target && self.heap.peek().is_some_and(|top| key > top.key) {
            return;
        }
        self.heap.push(Sampled {
            key,
            utterances: sampled,
            lines,
            tokens: n,
        });
        self.heap_tokens += n;
        while let Some(top) = self.heap.peek() {
            if self.heap_tokens - top.tokens >= self.target {
                self.heap_tokens -= top.tokens;
                self.heap.pop();
            } else {
                break;
            }
        }
    }

    /// The side's figures.
    pub fn finish(self) -> Variety {
        let mut sample = self.heap.into_sorted_vec();
        sample.sort();
        let (mut unigrams, mut bigrams) = (HashSet::new(), HashSet::new());
        let (mut tokens_taken, mut bigrams_taken) = (0usize, 0usize);
        let mut dialogues = 0u64;
        'outer: for d in &sample {
            dialogues += 1;
            for u in &d.utterances {
                for (j, w) in u.iter().enumerate() {
                    if tokens_taken == self.target {
                        break 'outer;
                    }
                    tokens_taken += 1;
                    unigrams.insert(w.as_str());
                    if j > 0 {
                        bigrams_taken += 1;
                        bigrams.insert((u[j - 1].as_str(), w.as_str()));
                    }
                }
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut in_sample: HashMap<u64, usize> = HashMap::new();
        for d in sample.iter().take(dialogues as usize) {
            for h in &d.lines {
                *in_sample.entry(*h).or_insert(0) += 1;
            }
        }
        let sample_lines: usize = in_sample.values().sum();
        let sample_repeated: usize = in_sample.values().filter(|&&c| c > 1).sum();
        let repeated: u64 = self
            .counts
            .values()
            .filter(|&&c| c > 1)
            .map(|&c| u64::from(c))
            .sum();
        let mut top: Vec<(u64, u32)> = self
            .counts
            .iter()
            .filter(|(_, c)| **c > 1)
            .map(|(h, c)| (*h, *c))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(self.top);
        Variety {
            sample_tokens: tokens_taken as u64,
            sample_dialogues: dialogues,
            distinct_1: ratio(unigrams.len(), tokens_taken),
            distinct_2: ratio(bigrams.len(), bigrams_taken),
            utterances: self.utterances,
            verbatim_repeats: ratio(repeated as usize, self.utterances as usize),
            sample_verbatim_repeats: ratio(sample_repeated, sample_lines),
            top_lines: top
                .into_iter()
                .map(|(h, c)| FrequentLine {
                    text: self.texts.get(&h).cloned(),
                    count: u64::from(c),
                })
                .collect(),
            skeletons: self
                .skeletons
                .into_iter()
                .map(|(a, (n, set))| {
                    (
                        label(a),
                        ActSkeletons {
                            utterances: n,
                            skeletons: set.len() as u64,
                        },
                    )
                })
                .collect(),
            skeletons_total: self.all_skeletons.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tokens: usize) -> VarietySettings {
        VarietySettings {
            sample_tokens: tokens,
            top_lines: 3,
            kept_line_texts: 100,
        }
    }

    #[test]
    fn distinct_n_on_a_fixed_token_count_and_verbatim_repeats() {
        let mut b = VarietyBuilder::new(&settings(6));
        // Shuffled order by key: "hi there" (1), "Hi there friend" (5), "Hi  there" (9).
        b.add(
            5,
            &[(Action::Greet, "Hi there friend", "hi there friend".into())],
        );
        b.add(1, &[(Action::Greet, "hi there", "hi there".into())]);
        b.add(9, &[(Action::Greet, "Hi  there", "hi there".into())]);
        let v = b.finish();
        // The first two hold 5 tokens; the third gives the 6th ("hi") and the sample stops there.
        assert_eq!(v.sample_tokens, 6);
        // Tokens: hi there | hi there friend | hi → 3 distinct of 6.
        assert!((v.distinct_1 - 0.5).abs() < 1e-9, "{}", v.distinct_1);
        // Bigrams inside utterances: (hi there) | (hi there) (there friend) → 2 distinct of 3.
        assert!((v.distinct_2 - 2.0 / 3.0).abs() < 1e-9, "{}", v.distinct_2);
        // "hi there" twice (case and spaces aside) of 3 utterances.
        assert!((v.verbatim_repeats - 2.0 / 3.0).abs() < 1e-9);
        assert!((v.sample_verbatim_repeats - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(v.top_lines[0].count, 2);
        assert_eq!(v.top_lines[0].text.as_deref(), Some("Hi  there"));
        assert_eq!(v.skeletons["greet"].skeletons, 2);
    }

    #[test]
    fn the_sample_does_not_depend_on_the_order_dialogues_arrive_in() {
        let dialogues: Vec<(u64, String)> = (0..50u64)
            .map(|i| {
                (
                    i * 7919 % 101,
                    format!("word{i} common words here {}", i % 3),
                )
            })
            .collect();
        let run = |order: &[(u64, String)]| {
            let mut b = VarietyBuilder::new(&settings(40));
            for (k, t) in order {
                b.add(*k, &[(Action::Recommend, t.as_str(), String::new())]);
            }
            b.finish()
        };
        let forward = run(&dialogues);
        let mut reversed = dialogues.clone();
        reversed.reverse();
        let backward = run(&reversed);
        assert_eq!(forward.sample_tokens, 40);
        assert_eq!(forward.distinct_1, backward.distinct_1);
        assert_eq!(forward.distinct_2, backward.distinct_2);
    }
}
