//! `stats.md`: the summary table of every fit, then each distribution observed against expected, the
//! observed-only figures, and the notes on what cannot be checked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Fit, StatsReport, Test, Verdict};

/// Categories shown per persona table (the rest are summed in one line).
const MAX_ROWS: usize = 20;

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// A p-value as people read it: 3 significant digits, scientific below 0.001.
pub fn p_value(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else if p > 0.0 {
        format!("{p:.1e}")
    } else {
        "0".into()
    }
}

/// The verdict as a word.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::NotApplicable => "n/a (llm agents)",
        Verdict::NoData => "no data",
    }
}

/// The statistic and effect size of a fit, in one cell each.
pub fn figures(f: &Fit) -> (String, String) {
    match &f.test {
        Test::Categorical {
            chi_square,
            total_variation,
            ..
        } => (
            format!("χ² = {:.2} (df {})", chi_square.statistic, chi_square.df),
            format!("TVD {:.4}", total_variation),
        ),
        Test::Rates {
            rates,
            chi_square,
            violations,
        } => {
            let trials: u64 = rates.iter().map(|r| r.trials).sum();
            let gap = rates
                .iter()
                .map(|r| r.trials as f64 * (r.observed_rate() - r.expected_rate).abs())
                .sum::<f64>()
                / trials.max(1) as f64;
            let mut stat = format!("χ² = {:.2} (df {})", chi_square.statistic, chi_square.df);
            if *violations > 0 {
                stat.push_str(&format!(", {violations} forbidden"));
            }
            (stat, format!("mean abs(rate − p) {:.4}", gap))
        }
        Test::Latency {
            d,
            observed_median,
            expected_median,
            ..
        } => (
            format!("KS D = {d:.4}"),
            format!("median {observed_median:.0} vs {expected_median:.0} ms"),
        ),
        Test::Rule { violations, .. } => (format!("{violations} violations"), "-".into()),
    }
}

/// The Markdown report.
pub fn markdown(r: &StatsReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Does the data match the config?\n");
    let i = &r.inputs;
    let _ = writeln!(
        s,
        "{} conversations from `{}`; {} distinct profiles{}.",
        i.conversation_count,
        i.conversations.display(),
        i.profile_count,
        i.profiles
            .as_ref()
            .map(|p| format!(" from `{}`", p.display()))
            .unwrap_or_else(|| " (no profiles file found)".into())
    );
    let _ = writeln!(
        s,
        "Expectations from {} ({}). Agents: user {}, system {}. Every fit is judged at α = {}.\n",
        r.config.source,
        if r.config.dialogue_matches {
            "its dialogue settings are the ones the conversations record"
        } else {
            "its dialogue settings differ from the ones the conversations record"
        },
        r.agents.user.join(", "),
        r.agents.system.join(", "),
        r.alpha
    );
    let m = &r.summary;
    let _ = writeln!(
        s,
        "**{} pass, {} fail, {} not applicable, {} without data.**\n",
        m.passed, m.failed, m.not_applicable, m.no_data
    );
    let _ = writeln!(
        s,
        "| fit | n | statistic | p-value | effect size | verdict |"
    );
    let _ = writeln!(s, "| --- | ---: | --- | ---: | --- | --- |");
    for f in &r.fits {
        let (stat, effect) = figures(f);
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} |",
            f.name,
            f.n,
            stat,
            f.p_value().map_or_else(|| "-".into(), p_value),
            effect,
            verdict(f.verdict)
        );
    }
    for (title, section) in [
        ("Persona and scenario", super::Section::Persona),
        ("Dialogue", super::Section::Dialogue),
        ("Latency", super::Section::Latency),
    ] {
        let _ = writeln!(s, "\n## {title}\n");
        for f in r.fits.iter().filter(|f| f.section == section) {
            detail(&mut s, f);
        }
    }
    observed_only(&mut s, r);
    let _ = writeln!(s, "\n## Notes\n");
    for n in &r.notes {
        let _ = writeln!(s, "- {n}");
    }
    s
}

fn detail(s: &mut String, f: &Fit) {
    let _ = writeln!(s, "### `{}`: {}\n", f.name, verdict(f.verdict));
    let _ = writeln!(s, "{} (n = {}).", f.description, f.n);
    if let Some(note) = &f.note {
        let _ = writeln!(s, "*{note}.*");
    }
    let _ = writeln!(s);
    match &f.test {
        Test::Categorical {
            bins, chi_square, ..
        } => {
            let _ = writeln!(
                s,
                "| value | observed | observed % | expected % | expected |"
            );
            let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: |");
            let total = f.n.max(1) as f64;
            for b in bins.iter().take(MAX_ROWS) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:.1} |",
                    b.label,
                    b.observed,
                    pct(b.observed as f64 / total),
                    pct(b.expected_share),
                    b.expected
                );
            }
            if bins.len() > MAX_ROWS {
                let rest = &bins[MAX_ROWS..];
                let o: u64 = rest.iter().map(|b| b.observed).sum();
                let e: f64 = rest.iter().map(|b| b.expected_share).sum();
                let _ = writeln!(
                    s,
                    "| ({} more) | {o} | {} | {} | {:.1} |",
                    rest.len(),
                    pct(o as f64 / total),
                    pct(e),
                    e * f.n as f64
                );
            }
            if !chi_square.merged.is_empty() {
                let _ = writeln!(
                    s,
                    "\nMerged into one bin (expected counts below 5): {}.",
                    chi_square.merged.join(", ")
                );
            }
        }
        Test::Rates {
            rates, chi_square, ..
        } => {
            let _ = writeln!(s, "| cell | trials | observed | configured | p-value |");
            let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: |");
            for r in rates {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    r.label,
                    r.trials,
                    if r.trials > 0 {
                        format!("{:.4}", r.observed_rate())
                    } else {
                        "-".into()
                    },
                    format_args!("{:.4}", r.expected_rate),
                    r.p_value().map_or_else(|| "-".into(), p_value)
                );
            }
            if !chi_square.merged.is_empty() {
                let _ = writeln!(
                    s,
                    "\nPooled into one cell (fewer than 5 expected either way): {}.",
                    chi_square.merged.join(", ")
                );
            }
        }
        Test::Latency {
            d,
            p_value: p,
            observed_median,
            expected_median,
            observed_sigma,
            expected_sigma,
        } => {
            let _ = writeln!(
                s,
                "KS D = {d:.5}, p = {}; median {observed_median:.0} ms (configured {expected_median:.0}); sigma of \
                 ln(latency) {observed_sigma:.3} (configured {expected_sigma:.3}).",
                p_value(*p)
            );
        }
        Test::Rule { rule, violations } => {
            let _ = writeln!(s, "Rule: {rule}. Violations: {violations}.");
        }
    }
    let _ = writeln!(s);
}

fn histogram<K: std::fmt::Display>(s: &mut String, title: &str, h: &BTreeMap<K, u64>) {
    let total: u64 = h.values().sum();
    let parts: Vec<String> = h
        .iter()
        .map(|(k, n)| format!("{k}: {n} ({})", pct(*n as f64 / total.max(1) as f64)))
        .collect();
    let _ = writeln!(s, "- {title}: {}", parts.join(", "));
}

fn observed_only(s: &mut String, r: &StatsReport) {
    let u = &r.unmodelled;
    let _ = writeln!(s, "## Observed only (no expectation derivable)\n");
    histogram(s, "Outcomes", &u.outcomes);
    histogram(s, "End reasons", &u.end_reasons);
    histogram(s, "Rounds played", &u.rounds);
    histogram(s, "Turns", &u.turns);
    histogram(s, "Reasons per rejection", &u.reject_reasons);
    let _ = writeln!(
        s,
        "- Category question before the first recommendation: {}",
        pct(u.category_question_share)
    );
    if !u.rejected_draws.is_empty() {
        histogram(s, "Rejected profile draws", &u.rejected_draws);
    }
}
