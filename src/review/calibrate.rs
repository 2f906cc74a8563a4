//! Judge calibration: the judge scores a hand-labelled gold set (`evaluation/gold/`: conversations and, per
//! conversation, a person's scores on a rubric's aspects with the reasoning behind them), and its agreement with
//! the labels is reported — Spearman's rank correlation of the totals, quadratic-weighted Cohen's kappa per aspect
//! and on the totals, and agreement on the keep decision.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::judge::Judge;
use crate::model::Conversation;
use crate::{Error, Result};

/// A person's labels for one conversation: rubric → aspect → score, and why.
#[derive(Debug, Clone, Deserialize)]
struct Label {
    id: String,
    #[serde(flatten)]
    rubrics: BTreeMap<String, serde_json::Value>,
}

/// Agreement on one aspect (or on the totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Conversations compared.
    pub n: usize,
    /// Quadratic-weighted Cohen's kappa (judge scores rounded to the scale).
    pub kappa: Option<f64>,
    /// Spearman's rank correlation (absent when either side is constant).
    pub spearman: Option<f64>,
    /// Mean judge score minus mean gold score.
    pub bias: f64,
}

/// The calibration of one rubric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The rubric.
    pub rubric: String,
    /// Per aspect.
    pub aspects: BTreeMap<String, Agreement>,
    /// On the totals.
    pub total: Agreement,
    /// Share of conversations where judge and gold agree on "total at least `keep_at`".
    pub keep_agreement: f64,
    /// The total the keep decision is taken at (two thirds of the way up the scale, rounded up: 4 of 6 for MUSE's
    /// triple, 4 of 5 for a 1–5 rubric).
    pub keep_at: f64,
    /// Per conversation: id, gold total, judge total.
    pub rows: Vec<(String, f64, f64)>,
}

/// Ranks with ties averaged (1-based).
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && xs[order[j + 1]] == xs[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rho: Pearson's correlation of the ranks; `None` when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(&ra), mean(&rb));
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// Quadratic-weighted Cohen's kappa of integer ratings on `low..=high`; `None` when it is undefined (every rating
/// of both raters in one category).
pub fn quadratic_kappa(a: &[i64], b: &[i64], low: i64, high: i64) -> Option<f64> {
    let k = (high - low + 1).max(1) as usize;
    if a.len() != b.len() || a.is_empty() || k < 2 {
        return None;
    }
    let idx = |x: i64| (x.clamp(low, high) - low) as usize;
    let mut observed = vec![vec![0.0; k]; k];
    let (mut ha, mut hb) = (vec![0.0; k], vec![0.0; k]);
    for (&x, &y) in a.iter().zip(b) {
        observed[idx(x)][idx(y)] += 1.0;
        ha[idx(x)] += 1.0;
        hb[idx(y)] += 1.0;
    }
    let n = a.len() as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..k {
            let w = ((i as f64 - j as f64) / (k as f64 - 1.0)).powi(2);
            num += w * observed[i][j];
            den += w * ha[i] * hb[j] / n;
        }
    }
    (den > 0.0).then(|| 1.0 - num / den)
}

fn agreement(gold: &[f64], judge: &[f64], low: i64, high: i64) -> Agreement {
    let g: Vec<i64> = gold.iter().map(|x| x.round() as i64).collect();
    let j: Vec<i64> = judge.iter().map(|x| x.round() as i64).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    Agreement {
        n: gold.len(),
        kappa: quadratic_kappa(&j, &g, low, high),
        spearman: spearman(judge, gold),
        bias: mean(judge) - mean(gold),
    }
}

/// The shipped gold set (`evaluation/gold/`), embedded so that an installed binary has it.
const GOLD_CONVERSATIONS: &str = include_str!("../../evaluation/gold/conversations.jsonl");
const GOLD_LABELS: &str = include_str!("../../evaluation/gold/labels.jsonl");

/// The gold folder a user named: `dir/gold` of `review.evaluation_dir`, when it holds a gold set.
pub fn gold_dir(evaluation_dir: Option<&Path>) -> Option<PathBuf> {
    evaluation_dir
        .map(|d| d.join("gold"))
        .filter(|g| g.join("labels.jsonl").is_file())
}

/// Each non-blank line of `text` (from `path`) parsed, errors naming the line.
fn parse_lines<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<Vec<T>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| Error::input(path, Some(i + 1), None, e.to_string()))
        })
        .collect()
}

/// Let `judge` score every conversation of the gold set (`gold/conversations.jsonl` and `gold/labels.jsonl`, or
/// the shipped one) and compare with the labels, for every rubric that has labels and is judged.
pub fn calibrate(judge: &Judge, gold: Option<&Path>) -> Result<Vec<Calibration>> {
    let (convs_path, labels_path, convs_text, labels_text) = match gold {
        Some(g) => {
            let (c, l) = (g.join("conversations.jsonl"), g.join("labels.jsonl"));
            let ct = std::fs::read_to_string(&c).map_err(|e| Error::read(&c, e))?;
            let lt = std::fs::read_to_string(&l).map_err(|e| Error::read(&l, e))?;
            (c, l, ct, lt)
        }
        None => (
            PathBuf::from("embedded:evaluation/gold/conversations.jsonl"),
            PathBuf::from("embedded:evaluation/gold/labels.jsonl"),
            GOLD_CONVERSATIONS.to_string(),
            GOLD_LABELS.to_string(),
        ),
    };
    let labels: BTreeMap<String, Label> = parse_lines::<Label>(&labels_path, &labels_text)?
        .into_iter()
        .map(|l| (l.id.clone(), l))
        .collect();
    let conversations: Vec<Conversation> = parse_lines(&convs_path, &convs_text)?;
    if let Some(c) = conversations.iter().find(|c| !labels.contains_key(&c.id)) {
        return Err(Error::input(
            &labels_path,
            None,
            Some("id"),
            format!("no label for conversation {}", c.id),
        ));
    }
    let mut out = Vec::new();
    for rubric in judge.rubrics() {
        let labelled: Vec<&Conversation> = conversations
            .iter()
            .filter(|c| labels[&c.id].rubrics.contains_key(&rubric.name))
            .collect();
        if labelled.is_empty() {
            continue;
        }
        let mut gold_scores: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut judge_scores: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let (mut gold_totals, mut judge_totals, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        for c in labelled {
            let given = &labels[&c.id].rubrics[&rubric.name];
            let scored = judge.score_one(rubric, c, None)?;
            let mut g_total = 0.0;
            for a in &rubric.aspects {
                let g = given[&a.name].as_f64().ok_or_else(|| {
                    Error::input(
                        &labels_path,
                        None,
                        Some(&format!("{}.{}", rubric.name, a.name)),
                        format!("conversation {} has no score for {}", c.id, a.name),
                    )
                })?;
                g_total += g;
                gold_scores.entry(a.name.clone()).or_default().push(g);
                let j = scored.aspects.get(&a.name).map_or(f64::NAN, |s| s.score);
                judge_scores.entry(a.name.clone()).or_default().push(j);
            }
            gold_totals.push(g_total);
            judge_totals.push(scored.total);
            rows.push((c.id.clone(), g_total, scored.total));
        }
        let (low, high) = (rubric.scale[0], rubric.scale[1]);
        let n = rubric.aspects.len() as i64;
        let keep_at = (low * n) as f64 + (((high - low) * n) as f64 * 2.0 / 3.0).ceil();
        let agree = gold_totals
            .iter()
            .zip(&judge_totals)
            .filter(|(g, j)| (**g >= keep_at) == (**j >= keep_at))
            .count();
        out.push(Calibration {
            rubric: rubric.name.clone(),
            aspects: rubric
                .aspects
                .iter()
                .map(|a| {
                    (
                        a.name.clone(),
                        agreement(&gold_scores[&a.name], &judge_scores[&a.name], low, high),
                    )
                })
                .collect(),
            total: agreement(&gold_totals, &judge_totals, low * n, high * n),
            keep_agreement: agree as f64 / gold_totals.len().max(1) as f64,
            keep_at,
            rows,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_and_kappa_match_hand_computed_values() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        // Ties: ranks [1.5, 1.5, 3] against [1, 2, 3].
        let rho = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap();
        assert!((rho - 0.866_025_403_784_438_6).abs() < 1e-9, "{rho}");
        assert_eq!(quadratic_kappa(&[0, 1, 2], &[0, 1, 2], 0, 2), Some(1.0));
        // One step off on one of four: observed weight 0.25, expected from the marginals.
        let k = quadratic_kappa(&[0, 1, 2, 2], &[0, 1, 2, 1], 0, 2).unwrap();
        assert!((k - 0.8).abs() < 1e-9, "{k}");
        assert_eq!(quadratic_kappa(&[1, 1], &[1, 1], 0, 2), None);
    }
}
