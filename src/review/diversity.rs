//! Diversity of a sample of texts: distinct-1/2/3, BLEU-4, and self-BLEU in time linear in the sample's n-grams.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// distinct-n over a sample of utterances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distinct {
    /// Utterances in the sample.
    pub utterances: usize,
    /// Distinct unigrams over all unigrams.
    pub distinct_1: f64,
    /// Distinct bigrams over all bigrams.
    pub distinct_2: f64,
    /// Distinct trigrams over all trigrams.
    pub distinct_3: f64,
}

/// Lowercase words of `text`.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// distinct-1/2/3 of `texts`.
pub fn distinct(texts: &[String]) -> Distinct {
    let mut sets: [HashSet<Vec<String>>; 3] = Default::default();
    let mut totals = [0usize; 3];
    for t in texts {
        let w = words(t);
        for n in 1..=3 {
            for gram in w.windows(n) {
                totals[n - 1] += 1;
                sets[n - 1].insert(gram.to_vec());
            }
        }
    }
    let ratio = |i: usize| {
        if totals[i] == 0 {
            0.0
        } else {
            sets[i].len() as f64 / totals[i] as f64
        }
    };
    Distinct {
        utterances: texts.len(),
        distinct_1: ratio(0),
        distinct_2: ratio(1),
        distinct_3: ratio(2),
    }
}

/// n-gram counts of `words`.
fn ngrams(words: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut m = HashMap::new();
    for g in words.windows(n) {
        *m.entry(g).or_insert(0) += 1;
    }
    m
}

/// BLEU-4 of `hypothesis` against `references` (clipped n-gram precision, add-one smoothing for n > 1, brevity
/// penalty against the closest reference length).
pub fn bleu(hypothesis: &[String], references: &[&[String]]) -> f64 {
    if hypothesis.is_empty() || references.is_empty() {
        return 0.0;
    }
    let mut log_p = 0.0;
    for n in 1..=4 {
        let hyp = ngrams(hypothesis, n);
        let total: usize = hyp.values().sum();
        let mut max_ref: HashMap<&[String], usize> = HashMap::new();
        for r in references {
            for (g, c) in ngrams(r, n) {
                let e = max_ref.entry(g).or_insert(0);
                *e = (*e).max(c);
            }
        }
        let clipped: usize = hyp
            .iter()
            .map(|(g, c)| (*c).min(max_ref.get(g).copied().unwrap_or(0)))
            .sum();
        let (num, den) = if n == 1 {
            (clipped as f64, total as f64)
        } else {
            (clipped as f64 + 1.0, total as f64 + 1.0)
        };
        if num == 0.0 || den == 0.0 {
            return 0.0;
        }
        log_p += (num / den).ln() / 4.0;
    }
    let h = hypothesis.len() as f64;
    let closest = references
        .iter()
        .map(|r| r.len() as f64)
        .min_by(|a, b| (a - h).abs().total_cmp(&(b - h).abs()))
        .unwrap_or(h);
    let bp = if h >= closest {
        1.0
    } else {
        (1.0 - closest / h).exp()
    };
    bp * log_p.exp()
}

/// The two highest counts of an n-gram over the documents, and the document of the highest.
#[derive(Clone, Copy, Default)]
struct Top2 {
    best: usize,
    best_doc: usize,
    second: usize,
}

/// Mean BLEU-4 of each document against all the others. Linear in the sample's n-grams: for every n-gram the two
/// highest counts over the documents are kept, so the clipping count "over every other document" is a lookup.
pub fn self_bleu(docs: &[Vec<String>]) -> f64 {
    if docs.len() < 2 {
        return 0.0;
    }
    let counts: Vec<[HashMap<&[String], usize>; 4]> = docs
        .iter()
        .map(|d| [ngrams(d, 1), ngrams(d, 2), ngrams(d, 3), ngrams(d, 4)])
        .collect();
    let mut tops: [HashMap<&[String], Top2>; 4] = Default::default();
    for (doc, maps) in counts.iter().enumerate() {
        for (n, map) in maps.iter().enumerate() {
            for (g, &c) in map {
                let t = tops[n].entry(*g).or_default();
                if c > t.best {
                    t.second = t.best;
                    t.best = c;
                    t.best_doc = doc;
                } else if c > t.second {
                    t.second = c;
                }
            }
        }
    }
    let mut lengths: Vec<(usize, usize)> =
        docs.iter().enumerate().map(|(i, d)| (d.len(), i)).collect();
    lengths.sort_unstable();
    let mut total = 0.0;
    for (i, maps) in counts.iter().enumerate() {
        let h = docs[i].len() as f64;
        if h == 0.0 {
            continue;
        }
        let mut log_p = 0.0;
        let mut zero = false;
        for (n, map) in maps.iter().enumerate() {
            let all: usize = map.values().sum();
            let clipped: usize = map
                .iter()
                .map(|(g, &c)| {
                    let t = tops[n].get(g).copied().unwrap_or_default();
                    let other = if t.best_doc == i { t.second } else { t.best };
                    c.min(other)
                })
                .sum();
            let (num, den) = if n == 0 {
                (clipped as f64, all as f64)
            } else {
                (clipped as f64 + 1.0, all as f64 + 1.0)
            };
            if num == 0.0 || den == 0.0 {
                zero = true;
                break;
            }
            log_p += (num / den).ln() / 4.0;
        }
        if zero {
            continue;
        }
        let closest = lengths
            .iter()
            .filter(|(_, j)| *j != i)
            .map(|(l, _)| *l as f64)
            .min_by(|a, b| (a - h).abs().total_cmp(&(b - h).abs()))
            .unwrap_or(h);
        let bp = if h >= closest {
            1.0
        } else {
            (1.0 - closest / h).exp()
        };
        total += bp * log_p.exp();
    }
    total / docs.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn bleu_is_one_for_a_copy_and_low_for_unrelated_text() {
        let a = w("the quick brown fox jumps over the lazy dog today");
        let b = w("a slow green turtle walked under a busy bridge yesterday");
        assert!((bleu(&a, &[&a]) - 1.0).abs() < 1e-9);
        assert!(bleu(&a, &[&b]) < 0.1);
        assert!(self_bleu(&[a.clone(), a.clone()]) > 0.99);
        assert!(self_bleu(&[a.clone(), b.clone()]) < 0.1);
        // The fast self-BLEU agrees with BLEU against the other documents.
        let c = w("the quick brown fox walked under a busy bridge today");
        let docs = [a.clone(), b.clone(), c.clone()];
        let slow = (bleu(&a, &[&b, &c]) + bleu(&b, &[&a, &c]) + bleu(&c, &[&a, &b])) / 3.0;
        assert!(
            (self_bleu(&docs) - slow).abs() < 1e-9,
            "{} vs {slow}",
            self_bleu(&docs)
        );
    }

    #[test]
    fn distinct_counts_unique_ngrams() {
        let d = distinct(&["a b a b".into()]);
        assert!((d.distinct_1 - 0.5).abs() < 1e-9);
        assert!((d.distinct_2 - 2.0 / 3.0).abs() < 1e-9);
        assert!((d.distinct_3 - 1.0).abs() < 1e-9);
    }
}
