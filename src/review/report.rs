//! What a review run did ([`ReviewReport`]) and the dataset quality report: `report.json` (everything, for tools), `report.md` (opening with a summary table like
//! MUSE's quality report) and a self-contained `report.html` whose charts are inline SVG (no script, no network).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::dataset::{DatasetReport, Stat};
use crate::io::AtomicFile;
use crate::{Error, Result};

/// What a review run did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReviewReport {
    /// Reviews written now.
    pub reviewed: u64,
    /// Reviews found from an earlier run.
    pub resumed: u64,
    /// The import of outside conversations, when the input was not musegen's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<super::import::ImportReport>,
    /// Conversations the judge could not score (left unreviewed: a rerun tries them again).
    pub judge_failures: u64,
    /// The judge's requests, tokens and cost, when a model judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_usage: Option<crate::manager::UsageRow>,
    /// The keep rule.
    pub keep_rule: String,
    /// Seconds taken.
    pub seconds: f64,
    /// The dataset's quality.
    pub dataset: DatasetReport,
}

/// Write `report.json`, `report.md` and `report.html` into `dir` (each whole or not at all).
pub fn write(report: &ReviewReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Run(e.to_string()))?;
    save(&dir.join("report.json"), &(json + "\n"))?;
    save(&dir.join("report.md"), &markdown(report))?;
    save(&dir.join("report.html"), &html(report))
}

fn save(path: &Path, text: &str) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| Error::write(path, e))?;
    f.commit()
}

fn pm(s: &Stat) -> String {
    format!("{:.2} ± {:.2}", s.mean, s.std)
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

fn mix(m: &BTreeMap<String, u64>, total: u64) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .take(8)
        .map(|(k, n)| format!("{k} {}", pct(**n as f64 / total.max(1) as f64)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of the summary table: (measure, value).
fn summary(r: &ReviewReport) -> Vec<(String, String)> {
    let d = &r.dataset;
    let mut rows = vec![
        (
            "Total conversations".to_string(),
            d.conversations.to_string(),
        ),
        (
            "Kept".into(),
            format!(
                "{} ({})",
                d.kept,
                pct(d.kept as f64 / d.conversations.max(1) as f64)
            ),
        ),
        ("Average turns".into(), pm(&d.turns)),
        (
            "Words per user / system turn".into(),
            format!("{:.1} / {:.1}", d.user_words.mean, d.system_words.mean),
        ),
        (
            "Language distribution".into(),
            mix(&d.languages, d.conversations),
        ),
        ("Outcomes".into(), mix(&d.outcomes, d.conversations)),
        ("Rounds to accept".into(), pm(&d.rounds_to_accept)),
        (
            "Accepted at the first recommendation".into(),
            pct(d.accepted_first_share),
        ),
        (
            "Accepts without a reason".into(),
            pct(d.accept_without_reason_share),
        ),
        ("Grounded (`grounding.ok`)".into(), pct(d.grounded_share)),
        ("Recommendation fit to what was asked".into(), pm(&d.fit)),
        ("True reject reasons".into(), pm(&d.true_reasons)),
        (
            "Consistent (`consistency.ok`)".into(),
            pct(d.consistent_share),
        ),
        (
            "Relevance to the user turn / scenario".into(),
            format!(
                "{} / {}",
                pm(&d.relevance_to_user),
                pm(&d.relevance_to_scenario)
            ),
        ),
        ("Topic drift".into(), pm(&d.drift)),
        (
            "distinct-1/2/3, user".into(),
            format!(
                "{:.3} / {:.3} / {:.3} ({} utterances)",
                d.distinct_user.distinct_1,
                d.distinct_user.distinct_2,
                d.distinct_user.distinct_3,
                d.distinct_user.utterances
            ),
        ),
        (
            "distinct-1/2/3, system".into(),
            format!(
                "{:.3} / {:.3} / {:.3} ({} utterances)",
                d.distinct_system.distinct_1,
                d.distinct_system.distinct_2,
                d.distinct_system.distinct_3,
                d.distinct_system.utterances
            ),
        ),
        (
            "Self-BLEU".into(),
            format!("{:.3} (sample of {})", d.self_bleu, d.self_bleu_sample),
        ),
        (
            "Exact / near duplicates".into(),
            format!("{} / {}", d.exact_duplicates, d.near_duplicates),
        ),
        (
            "Categories / professions covered".into(),
            format!("{} / {}", d.categories.len(), d.professions),
        ),
        (
            "Cost, total / per kept conversation".into(),
            format!("${:.4} / ${:.6}", d.cost_usd, d.cost_per_kept_usd),
        ),
    ];
    for (rubric, aspects) in &d.judge {
        for (aspect, s) in aspects {
            rows.push((format!("Judge {rubric}: {aspect}"), pm(s)));
        }
    }
    rows
}

fn markdown(r: &ReviewReport) -> String {
    let d = &r.dataset;
    let mut md = String::from(
        "# Dataset quality report\n\n## Realism\n\n| measure | value | human or target reference |\n| --- | --- | --- |\n",
    );
    for (k, v, reference) in d.realism.rows() {
        let _ = writeln!(md, "| {k} | {v} | {reference} |");
    }
    for (title, v) in [("system", &d.realism.system), ("user", &d.realism.user)] {
        if v.top_lines.is_empty() {
            continue;
        }
        let _ = writeln!(
            md,
            "\nMost frequent {title} lines:\n\n| line | times |\n| --- | --- |"
        );
        for l in &v.top_lines {
            let text = l.text.as_deref().unwrap_or("(text not kept)");
            let _ = writeln!(md, "| {} | {} |", text.replace('|', "\\|"), l.count);
        }
    }
    md.push_str("\n## Summary\n\n| measure | value |\n| --- | --- |\n");
    for (k, v) in summary(r) {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let _ = writeln!(md, "\nKeep rule: `{}`.", r.keep_rule);
    if !d.failed_checks.is_empty() {
        md.push_str("\n## Failed checks\n\n| check | conversations |\n| --- | --- |\n");
        for (k, n) in &d.failed_checks {
            let _ = writeln!(md, "| `{k}` | {n} |");
        }
    }
    md.push_str("\n## Turns per conversation\n\n| turns | conversations |\n| --- | --- |\n");
    for (t, n) in &d.turns_histogram {
        let _ = writeln!(md, "| {t} | {n} |");
    }
    md.push_str("\n## Categories (targets)\n\n| category | conversations |\n| --- | --- |\n");
    let mut cats: Vec<(&String, &u64)> = d.categories.iter().collect();
    cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (c, n) in cats.iter().take(30) {
        let _ = writeln!(md, "| {c} | {n} |");
    }
    if cats.len() > 30 {
        let _ = writeln!(md, "| … {} more | |", cats.len() - 30);
    }
    if !d.duplicate_examples.is_empty() {
        md.push_str("\n## Duplicate examples\n\n| conversation | repeats |\n| --- | --- |\n");
        for (a, b) in &d.duplicate_examples {
            let _ = writeln!(md, "| {a} | {b} |");
        }
    }
    for (rubric, agree) in &d.judge_grounding_agreement {
        let _ = writeln!(
            md,
            "\nJudge `{rubric}` and grounding agree on {}.",
            pct(*agree)
        );
    }
    md
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG.
fn bars(title: &str, rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let height = 22 * rows.len() + 30;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"{height}\" role=\"img\">",
        escape(title)
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 10 + 22 * i;
        let w = (400.0 * *n as f64 / max).round();
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"170\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"#4c78a8\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{n}</text>",
            y + 12,
            escape(label),
            175.0 + w,
            y + 12
        );
    }
    svg.push_str("</svg></figure>\n");
    svg
}

fn chart_rows<K: ToString>(
    m: &BTreeMap<K, u64>,
    limit: usize,
    by_count: bool,
) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = m.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    if by_count {
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    v.truncate(limit);
    v
}

fn html(r: &ReviewReport) -> String {
    let d: &DatasetReport = &r.dataset;
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dataset quality report</title><style>body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}figure{margin:1.5em 0}figcaption{font-weight:bold}</style></head><body><h1>Dataset quality report</h1><h2>Realism</h2><table><tr><th>measure</th><th>value</th><th>human or target reference</th></tr>",
    );
    for (k, v, reference) in d.realism.rows() {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&k),
            escape(&v),
            escape(&reference)
        );
    }
    page.push_str("</table>\n");
    for (title, v) in [("system", &d.realism.system), ("user", &d.realism.user)] {
        let rows: Vec<(String, u64)> = v
            .top_lines
            .iter()
            .map(|l| {
                let text = l.text.as_deref().unwrap_or("(text not kept)");
                let short: String = text.chars().take(28).collect();
                (short, l.count)
            })
            .collect();
        if !rows.is_empty() {
            page.push_str(&bars(&format!("Most frequent {title} lines"), &rows));
        }
    }
    page.push_str("<h2>Summary</h2><table><tr><th>measure</th><th>value</th></tr>");
    for (k, v) in summary(r) {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    page.push_str("</table>\n");
    page.push_str(&bars("Outcomes", &chart_rows(&d.outcomes, 10, true)));
    page.push_str(&bars(
        "Turns per conversation",
        &chart_rows(&d.turns_histogram, 40, false),
    ));
    page.push_str(&bars(
        "Categories (top 25)",
        &chart_rows(&d.categories, 25, true),
    ));
    page.push_str(&bars("Languages", &chart_rows(&d.languages, 10, true)));
    if !d.failed_checks.is_empty() {
        page.push_str(&bars(
            "Failed checks",
            &chart_rows(&d.failed_checks, 20, true),
        ));
    }
    for (rubric, hist) in &d.judge_histograms {
        page.push_str(&bars(
            &format!("Judge {rubric}: total score"),
            &chart_rows(hist, 20, false),
        ));
    }
    for (rubric, table) in &d.judge_grounding_table {
        page.push_str(&bars(
            &format!("Judge {rubric} (upper half of the scale or not) against grounding"),
            &chart_rows(table, 4, false),
        ));
    }
    for (rubric, agree) in &d.judge_grounding_agreement {
        let _ = write!(
            page,
            "<p>Judge <code>{}</code> and grounding agree on {}.</p>",
            escape(rubric),
            pct(*agree)
        );
    }
    let _ = writeln!(
        page,
        "<p>Keep rule: <code>{}</code></p></body></html>",
        escape(&r.keep_rule)
    );
    page
}
