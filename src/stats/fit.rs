//! The goodness-of-fit tests: Pearson's chi-square over categories (bins with expected counts below 5 merged),
//! total variation distance as the effect size, a chi-square over a set of binomial rates, and the one-sample
//! Kolmogorov–Smirnov distance of integer data against a continuous model.

use serde::{Deserialize, Serialize};

use super::distribution::{chi_square_sf, ks_p_value};

/// The smallest expected count a chi-square bin may have; smaller bins are merged.
pub const MIN_EXPECTED: f64 = 5.0;

/// One category: what was observed and what the config implies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Category label.
    pub label: String,
    /// Observed count.
    pub observed: u64,
    /// Expected share (0 for a category the config never produces).
    pub expected_share: f64,
    /// Expected count (share × total).
    pub expected: f64,
}

/// The result of a chi-square test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChiSquare {
    /// Pearson's statistic.
    pub statistic: f64,
    /// Degrees of freedom (bins after merging − 1, or the number of rates).
    pub df: u32,
    /// P(χ²(df) ≥ statistic).
    pub p_value: f64,
    /// Labels merged into one bin because their expected counts were below 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
    /// Observations in categories the config gives no chance at all (any makes the fit fail).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub outside_support: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Observed counts against expected shares: `(label, observed, expected share)`; the shares are normalised.
pub fn bins(rows: &[(String, u64, f64)]) -> Vec<Bin> {
    let total: u64 = rows.iter().map(|r| r.1).sum();
    let mass: f64 = rows.iter().map(|r| r.2.max(0.0)).sum();
    rows.iter()
        .map(|(label, observed, share)| {
            let share = if mass > 0.0 {
                share.max(0.0) / mass
            } else {
                0.0
            };
            Bin {
                label: label.clone(),
                observed: *observed,
                expected_share: share,
                expected: share * total as f64,
            }
        })
        .collect()
}

/// Pearson's chi-square of `bins`. Bins with expected counts below 5 are pooled (smallest first) into one bin,
/// which joins the smallest remaining bin while it is still below 5; bins the config never produces are left out
/// of the statistic and counted in `outside_support`.
pub fn chi_square(bins: &[Bin]) -> ChiSquare {
    let outside_support: u64 = bins
        .iter()
        .filter(|b| b.expected_share <= 0.0)
        .map(|b| b.observed)
        .sum();
    let mut cells: Vec<(Vec<String>, f64, f64)> = bins
        .iter()
        .filter(|b| b.expected_share > 0.0)
        .map(|b| (vec![b.label.clone()], b.observed as f64, b.expected))
        .collect();
    // Smallest expected first, ties by label, so the merging is deterministic.
    cells.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
    let mut merged = Vec::new();
    let small = cells.iter().take_while(|c| c.2 < MIN_EXPECTED).count();
    if small > 0 && cells.len() > 1 {
        let mut pool: Vec<(Vec<String>, f64, f64)> = cells.drain(..small).collect();
        let mut labels: Vec<String> = pool.iter_mut().flat_map(|c| c.0.drain(..)).collect();
        let mut observed: f64 = pool.iter().map(|c| c.1).sum();
        let mut expected: f64 = pool.iter().map(|c| c.2).sum();
        while expected < MIN_EXPECTED && !cells.is_empty() {
            let next = cells.remove(0);
            labels.extend(next.0);
            observed += next.1;
            expected += next.2;
        }
        if labels.len() > 1 {
            merged = labels.clone();
        }
        cells.push((labels, observed, expected));
    }
    let statistic: f64 = cells
        .iter()
        .filter(|c| c.2 > 0.0)
        .map(|c| (c.1 - c.2).powi(2) / c.2)
        .sum();
    let df = cells.len().saturating_sub(1) as u32;
    let p_value = if df == 0 {
        1.0
    } else {
        chi_square_sf(statistic, f64::from(df))
    };
    merged.sort();
    ChiSquare {
        statistic,
        df,
        p_value,
        merged,
        outside_support,
    }
}

/// Total variation distance between the observed shares and the expected ones: half the sum of the absolute
/// differences, in [0, 1] (0.02 means 2 % of the mass sits in the wrong categories).
pub fn total_variation(bins: &[Bin]) -> f64 {
    let total: u64 = bins.iter().map(|b| b.observed).sum();
    if total == 0 {
        return 0.0;
    }
    0.5 * bins
        .iter()
        .map(|b| (b.observed as f64 / total as f64 - b.expected_share).abs())
        .sum::<f64>()
}

/// One binomial cell: `trials` chances, `successes` of them taken, each with probability `p` under the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// What the cell counts ("round 2", "terse, 3rd miss" …).
    pub label: String,
    /// Chances.
    pub trials: u64,
    /// Taken.
    pub successes: u64,
    /// Configured probability.
    pub expected_rate: f64,
}

impl Rate {
    /// A cell from its `(trials, successes)` counts and the configured probability.
    pub fn new(
        label: impl Into<String>,
        (trials, successes): (u64, u64),
        expected_rate: f64,
    ) -> Self {
        Rate {
            label: label.into(),
            trials,
            successes,
            expected_rate,
        }
    }

    /// Observed rate (0 without trials).
    pub fn observed_rate(&self) -> f64 {
        if self.trials == 0 {
            0.0
        } else {
            self.successes as f64 / self.trials as f64
        }
    }

    /// The p-value of this cell alone (its one-degree-of-freedom chi-square); with a probability of 0 or 1, 1 when
    /// the count agrees and 0 when it does not; `None` without trials.
    pub fn p_value(&self) -> Option<f64> {
        if self.trials == 0 {
            return None;
        }
        let n = self.trials as f64;
        let p = self.expected_rate.clamp(0.0, 1.0);
        if p <= 0.0 || p >= 1.0 {
            let want = if p >= 1.0 { self.trials } else { 0 };
            return Some(if self.successes == want { 1.0 } else { 0.0 });
        }
        let z2 = (self.successes as f64 - n * p).powi(2) / (n * p * (1.0 - p));
        Some(chi_square_sf(z2, 1.0))
    }
}

/// The result of testing a set of binomial rates together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateTest {
    /// The chi-square over the cells (Σ (O − np)² / np(1−p), one degree of freedom per cell or pooled cell).
    pub chi_square: ChiSquare,
    /// Cells whose configured probability is 0 or 1 but whose count says otherwise (any makes the fit fail).
    pub violations: u64,
}

/// Test `rates` together: cells with 0 < p < 1 and at least 5 expected successes and failures contribute one
/// degree of freedom each; smaller ones are pooled into one cell (its variance the sum of theirs); cells with p of
/// 0 or 1 are checked exactly.
pub fn rates(rates: &[Rate]) -> RateTest {
    let mut violations = 0;
    let mut statistic = 0.0;
    let mut df = 0u32;
    let (mut pool_o, mut pool_e, mut pool_var) = (0.0, 0.0, 0.0);
    let mut pooled: Vec<String> = Vec::new();
    for r in rates.iter().filter(|r| r.trials > 0) {
        let n = r.trials as f64;
        let p = r.expected_rate.clamp(0.0, 1.0);
        let o = r.successes as f64;
        if p <= 0.0 || p >= 1.0 {
            let want = if p >= 1.0 { r.trials } else { 0 };
            violations += r.successes.abs_diff(want);
            continue;
        }
        let e = n * p;
        let var = n * p * (1.0 - p);
        if e < MIN_EXPECTED || n - e < MIN_EXPECTED {
            pool_o += o;
            pool_e += e;
            pool_var += var;
            pooled.push(r.label.clone());
            continue;
        }
        statistic += (o - e).powi(2) / var;
        df += 1;
    }
    if pool_var > 0.0 {
        statistic += (pool_o - pool_e).powi(2) / pool_var;
        df += 1;
    }
    let p_value = if df == 0 {
        1.0
    } else {
        chi_square_sf(statistic, f64::from(df))
    };
    RateTest {
        chi_square: ChiSquare {
            statistic,
            df,
            p_value,
            merged: if pooled.len() > 1 { pooled } else { Vec::new() },
            outside_support: 0,
        },
        violations,
    }
}

/// The one-sample Kolmogorov–Smirnov distance of integer `values` (sorted ascending) that are the floor of draws
/// from the continuous `cdf`: the model CDF of ⌊X⌋ at k is F(k + 1), so the distance is the largest of
/// |Fn(k⁻) − F(k)| and |Fn(k) − F(k + 1)| over the observed values k. Returns (D, asymptotic p-value).
pub fn ks_floor(values: &[u32], cdf: impl Fn(f64) -> f64) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (0.0, 1.0);
    }
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < n {
        let k = values[i];
        let mut j = i;
        while j < n && values[j] == k {
            j += 1;
        }
        let below = i as f64 / n as f64;
        let upto = j as f64 / n as f64;
        let k = f64::from(k);
        d = d
            .max((below - cdf(k)).abs())
            .max((upto - cdf(k + 1.0)).abs());
        i = j;
    }
    (d, ks_p_value(d, n))
}

/// The median of sorted `values` (0 when empty).
pub fn median(values: &[u32]) -> f64 {
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => f64::from(values[n / 2]),
        n => 0.5 * (f64::from(values[n / 2 - 1]) + f64::from(values[n / 2])),
    }
}

/// The standard deviation of ln(v + 0.5) over `values` (the log-spread of floored lognormal draws).
pub fn log_sigma(values: &[u32]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let logs: Vec<f64> = values.iter().map(|&v| (f64::from(v) + 0.5).ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64;
    var.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::distribution::lognormal_cdf;

    fn rows(v: &[(&str, u64, f64)]) -> Vec<Bin> {
        bins(
            &v.iter()
                .map(|(l, o, p)| (l.to_string(), *o, *p))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn chi_square_of_a_fair_die_by_hand() {
        // 60 rolls: 5, 8, 9, 8, 10, 20 → χ² = Σ (O−10)²/10 = 13.4 with 5 df, p ≈ 0.0199.
        let b = rows(&[
            ("1", 5, 1.0),
            ("2", 8, 1.0),
            ("3", 9, 1.0),
            ("4", 8, 1.0),
            ("5", 10, 1.0),
            ("6", 20, 1.0),
        ]);
        let c = chi_square(&b);
        assert!((c.statistic - 13.4).abs() < 1e-9);
        assert_eq!(c.df, 5);
        assert!((c.p_value - 0.019_905).abs() < 1e-5, "{}", c.p_value);
        assert!(c.merged.is_empty());
        // TVD: ½ Σ |O/60 − 1/6| = ½ (5+2+1+2+0+10)/60.
        assert!((total_variation(&b) - 10.0 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn small_bins_merge_and_impossible_ones_count_apart() {
        // Expected counts 90, 6, 2, 1, 1: the three below 5 pool to 4 (still < 5), so the 6 joins them.
        let b = rows(&[
            ("a", 88, 0.90),
            ("b", 7, 0.06),
            ("c", 3, 0.02),
            ("d", 1, 0.01),
            ("e", 1, 0.01),
            ("z", 0, 0.0),
        ]);
        let c = chi_square(&b);
        assert_eq!(c.df, 1);
        assert_eq!(c.merged, vec!["b", "c", "d", "e"]);
        let want = (88.0f64 - 90.0).powi(2) / 90.0 + (12.0f64 - 10.0).powi(2) / 10.0;
        assert!((c.statistic - want).abs() < 1e-9);
        assert_eq!(c.outside_support, 0);
        let b = rows(&[("a", 50, 0.5), ("b", 45, 0.5), ("z", 5, 0.0)]);
        assert_eq!(chi_square(&b).outside_support, 5);
    }

    #[test]
    fn rates_pool_small_cells_and_check_certain_ones() {
        let r = |label: &str, trials, successes, p| Rate {
            label: label.into(),
            trials,
            successes,
            expected_rate: p,
        };
        // One cell: (55 − 50)² / 25 = 1 with 1 df.
        let t = rates(&[r("a", 100, 55, 0.5)]);
        assert!((t.chi_square.statistic - 1.0).abs() < 1e-12);
        assert_eq!(t.chi_square.df, 1);
        assert!((t.chi_square.p_value - 0.317_310_5).abs() < 1e-6);
        // p = 0 with one success is a violation; two small cells pool into one degree of freedom.
        let t = rates(&[
            r("a", 100, 55, 0.5),
            r("z", 40, 1, 0.0),
            r("s1", 4, 1, 0.5),
            r("s2", 6, 4, 0.5),
        ]);
        assert_eq!(t.violations, 1);
        assert_eq!(t.chi_square.df, 2);
        assert_eq!(t.chi_square.merged, vec!["s1", "s2"]);
        let pooled = (5.0f64 - 5.0).powi(2) / 2.5;
        assert!((t.chi_square.statistic - (1.0 + pooled)).abs() < 1e-12);
    }

    #[test]
    fn ks_of_floored_draws_against_their_own_model_is_small() {
        // Deterministic "draws": the floor of the lognormal quantiles at (i + 0.5)/n.
        let n = 2000;
        let mut v: Vec<u32> = (0..n)
            .map(|i| {
                let u = (i as f64 + 0.5) / n as f64;
                // Invert by bisection.
                let (mut lo, mut hi) = (1.0f64, 100_000.0f64);
                for _ in 0..100 {
                    let mid = 0.5 * (lo + hi);
                    if lognormal_cdf(mid, 1000.0, 0.5) < u {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                lo.floor() as u32
            })
            .collect();
        v.sort_unstable();
        let (d, p) = ks_floor(&v, |x| lognormal_cdf(x, 1000.0, 0.5));
        assert!(d < 0.002, "{d}");
        assert!(p > 0.99);
        // Against a model with twice the median the distance is large and the p-value tiny.
        let (d, p) = ks_floor(&v, |x| lognormal_cdf(x, 2000.0, 0.5));
        assert!(d > 0.4, "{d}");
        assert!(p < 1e-12);
        assert!((median(&v) - 1000.0).abs() < 2.0);
        assert!((log_sigma(&v) - 0.5).abs() < 0.01);
    }

    #[test]
    fn ks_of_one_value_by_hand() {
        // One observation 0 of a uniform(0, 10) floored: F(0) = 0, F(1) = 0.1 → D = max(0, |1 − 0.1|) = 0.9.
        let (d, _) = ks_floor(&[0], |x| (x / 10.0).clamp(0.0, 1.0));
        assert!((d - 0.9).abs() < 1e-12);
    }
}
