//! Printing stage reports for people (plain text) or programs (`--json`).

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::Result;
use crate::catalog::import::ImportReport;
use crate::catalog::stats::CatalogStats;
use crate::catalog::{CategoryCount, CategoryMap, Hit};
use crate::config::LoadedConfig;
use crate::generate::summary::GenerateReport;
use crate::pipeline::{Manifest, SampleReport};
use crate::profiles::ProfilesReport;
use crate::profiles::muse::MuseImport;
use crate::progress::rate;

mod export;

pub use export::{dpo, exports, sft};

pub(super) fn json<T: Serialize>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| crate::Error::Run(e.to_string()))?;
    println!("{}", crate::secret::scrub(&text));
    Ok(())
}

/// A one-line report, or its JSON.
pub fn line<T: Serialize>(as_json: bool, text: &str, value: &T) -> Result<()> {
    if as_json {
        json(value)
    } else {
        println!("{text}");
        Ok(())
    }
}

pub fn run(m: &Manifest, dir: &Path, as_json: bool) -> Result<()> {
    use crate::pipeline::StepAction;
    if as_json {
        return json(m);
    }
    let c = &m.catalog;
    println!(
        "catalog   {} items (seed {}){} -> {}",
        c.items,
        c.seed,
        if m.this_run.catalog == StepAction::Reused {
            ", reused".to_string()
        } else {
            format!(
                " in {} ({})",
                rate::duration(c.seconds),
                rate::rate(c.items as u64, c.seconds)
            )
        },
        dir.join(crate::io::names::CATALOG).display()
    );
    let dry = m.generate.as_ref().is_some_and(|g| g.dry_run);
    let written = |name: &str| {
        if dry {
            std::path::PathBuf::from("(dry run: not written)")
        } else {
            dir.join(name)
        }
    };
    match (&m.profiles, m.this_run.profiles) {
        (Some(p), StepAction::Made) => profiles(p, &written(crate::io::names::PROFILES), false)?,
        (p, _) => println!(
            "profiles  reused{} -> {}",
            p.as_ref()
                .map(|p| format!(" ({} profiles)", p.written))
                .unwrap_or_default(),
            dir.join(crate::io::names::PROFILES).display()
        ),
    }
    if let Some(g) = &m.generate {
        generate(g, &dir.join(crate::io::names::CONVERSATIONS), false)?;
    }
    if let Some(r) = &m.review {
        review(r, &crate::pipeline::review_paths(dir), false)?;
    }
    if let Some(s) = &m.stats {
        println!(
            "stats     {} pass, {} fail, {} not applicable, {} without data (observed vs configured) -> {}",
            s.passed,
            s.failed,
            s.not_applicable,
            s.no_data,
            dir.join("stats.md").display()
        );
    }
    if let Some(e) = &m.export {
        exports(e, dir, false)?;
    }
    println!(
        "manifest  {}",
        written(crate::io::names::MANIFEST).display()
    );
    Ok(())
}

pub fn config(loaded: &LoadedConfig) -> Result<()> {
    let from = loaded
        .source
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "built-in defaults".into());
    println!(
        "# effective config (from {from} and --set overrides); hash {}",
        loaded.config.hash()
    );
    // Header values, key-shaped values and URL credentials are hidden, as in the dataset card.
    print!("{}", loaded.config.to_toml_shown()?);
    Ok(())
}

pub fn import(r: &ImportReport, from: &Path, target: &Path, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    println!(
        "read {} records from {}: kept {}, skipped {}{}",
        r.read,
        from.display(),
        r.kept,
        r.skipped.len(),
        if r.already_present > 0 {
            format!(", already in catalog {}", r.already_present)
        } else {
            String::new()
        }
    );
    for (reason, n) in &r.skipped_by_reason {
        println!("  skipped {n:>6}  {reason}");
    }
    for s in r.skipped.iter().take(20) {
        println!(
            "  {}:{}: field `{}`: {}",
            from.display(),
            s.line,
            s.field,
            s.reason
        );
    }
    if r.skipped.len() > 20 {
        println!("  … {} more (use --json for all)", r.skipped.len() - 20);
    }
    println!("index -> {}", target.display());
    Ok(())
}

pub fn sample(r: &SampleReport, target: &Path, as_json: bool) -> Result<()> {
    line(
        as_json,
        &format!(
            "wrote {} sample items (seed {}) in {} ({}) -> {}",
            r.items,
            r.seed,
            rate::duration(r.seconds),
            rate::rate(r.items as u64, r.seconds),
            target.display()
        ),
        r,
    )
}

pub fn stats(s: &CatalogStats, as_json: bool) -> Result<()> {
    if as_json {
        return json(s);
    }
    println!("items            {}", s.items);
    if let Some(src) = &s.source {
        println!("source           {src}");
    }
    println!("category paths   {}", s.category_paths);
    println!("leaf categories  {}", s.leaf_categories);
    println!("priced           {}", s.priced);
    if let Some((lo, med, hi)) = s.price_min_median_max {
        println!("price            min {lo:.2}  median {med:.2}  max {hi:.2}");
    }
    if let Some(r) = s.rating_mean {
        println!("rating (mean)    {r:.2}");
    }
    println!("with images      {}", s.with_images);
    for (root, n) in &s.roots {
        println!("  {n:>8}  {root}");
    }
    Ok(())
}

pub fn search(hits: &[Hit], took: Duration, as_json: bool) -> Result<()> {
    if as_json {
        return json(&hits);
    }
    for (i, h) in hits.iter().enumerate() {
        let price = h
            .item
            .price
            .map(|p| format!("${p:.2}"))
            .unwrap_or_else(|| "-".into());
        let rating = h
            .item
            .rating
            .map(|r| format!("{r:.1}★"))
            .unwrap_or_default();
        println!(
            "{:>2}. [{}] {}  {price} {rating}",
            i + 1,
            h.item.id,
            h.item.title
        );
        println!("      {}", h.item.category_path());
    }
    println!(
        "{} results in {:.1} ms",
        hits.len(),
        took.as_secs_f64() * 1000.0
    );
    Ok(())
}

pub fn categories(
    map: &CategoryMap,
    counts: &[CategoryCount],
    min: usize,
    path: &Path,
    as_json: bool,
) -> Result<()> {
    if as_json {
        return json(&counts);
    }
    for c in counts {
        println!("{:>7}  {}", c.items, c.category);
    }
    println!(
        "{} categories with at least {min} items; map -> {}",
        map.len(),
        path.display()
    );
    Ok(())
}

pub fn profiles(r: &ProfilesReport, out: &Path, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    let rejected: usize = r.rejected.values().sum();
    println!(
        "profiles  {} from {} categories -> {}",
        rate::summary(r.written as u64, "written", r.seconds),
        r.categories,
        out.display()
    );
    let detail: Vec<String> = r.rejected.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "          rejected draws {rejected}{}",
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        }
    );
    let reasons: Vec<String> = r.reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("          reasons: {}", reasons.join(", "));
    if r.failed > 0 {
        println!(
            "          failed {}: the scenario writer's request failed (see {})",
            r.failed,
            crate::profiles::FAILURES
        );
    }
    if let Some(w) = &r.writer {
        println!(
            "          scenario writer: {} written, {} judged implausible and redrawn, {} requirements replaced, {} narratives kept from the tables",
            w.written, w.implausible, w.requirements_replaced, w.narratives_kept
        );
        println!(
            "          llm: {} requests ({} cached, {} retried), {} prompt + {} completion tokens, ${:.4}",
            w.usage.requests,
            w.usage.cached,
            w.usage.retries,
            w.usage.prompt_tokens,
            w.usage.completion_tokens,
            w.usage.cost_usd
        );
    }
    Ok(())
}

pub fn muse_import(
    m: &MuseImport,
    added: usize,
    catalog: &Path,
    out: &Path,
    as_json: bool,
) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "profiles": m.profiles.len(),
            "items_added": added,
            "skipped": m.skipped,
        }));
    }
    println!(
        "imported {} MUSE profiles -> {}",
        m.profiles.len(),
        out.display()
    );
    println!(
        "added {added} target items ({} already present) -> {}",
        m.items.len() - added,
        catalog.display()
    );
    for s in &m.skipped {
        println!(
            "  skipped line {}: field `{}`: {}",
            s.line, s.field, s.reason
        );
    }
    Ok(())
}

pub fn review(
    r: &crate::review::ReviewReport,
    paths: &crate::review::ReviewPaths,
    as_json: bool,
) -> Result<()> {
    if as_json {
        return json(r);
    }
    let d = &r.dataset;
    if let Some(i) = &r.import {
        println!(
            "import    {} read as {:?}, {} imported, {} skipped ({} duplicate ids)",
            i.read,
            i.format.unwrap_or(crate::review::import::Format::Musegen),
            i.imported,
            i.skipped_count,
            i.duplicate_ids
        );
        for s in i.skipped.iter().take(10) {
            println!("          skipped {}: {}", s.at, s.reason);
        }
    }
    println!(
        "review    {} reviewed ({} resumed) in {} ({}) -> {}",
        r.reviewed,
        r.resumed,
        rate::duration(r.seconds),
        rate::rate(r.reviewed, r.seconds),
        paths.out.display()
    );
    println!(
        "          kept {} of {} by `{}` -> {}",
        d.kept,
        d.conversations,
        r.keep_rule,
        paths.kept.display()
    );
    if !d.failed_checks.is_empty() {
        let failed: Vec<String> = d
            .failed_checks
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        println!("          failed checks: {}", failed.join(", "));
    }
    println!(
        "          grounded {:.1}%, consistent {:.1}%, fit {:.2}, true reasons {:.2}, drift {:.2}",
        100.0 * d.grounded_share,
        100.0 * d.consistent_share,
        d.fit.mean,
        d.true_reasons.mean,
        d.drift.mean
    );
    println!(
        "          distinct-2 user {:.3} system {:.3}, self-BLEU {:.3} ({} conversations), duplicates {} exact {} near",
        d.distinct_user.distinct_2,
        d.distinct_system.distinct_2,
        d.self_bleu,
        d.self_bleu_sample,
        d.exact_duplicates,
        d.near_duplicates
    );
    for (rubric, aspects) in &d.judge {
        if let Some(t) = aspects.get("total") {
            println!(
                "          judge {rubric}: total {:.2} ± {:.2}",
                t.mean, t.std
            );
        }
    }
    if let Some(u) = &r.judge_usage {
        println!(
            "          judge llm: {} requests ({} cached, {} retried), {} prompt + {} completion tokens, ${:.4}{}",
            u.requests,
            u.cached,
            u.retries,
            u.prompt_tokens,
            u.completion_tokens,
            u.cost_usd,
            if r.judge_failures > 0 {
                format!("; {} conversations not scored", r.judge_failures)
            } else {
                String::new()
            }
        );
    }
    println!("report    {}", paths.report_dir.join("report.md").display());
    Ok(())
}

pub fn calibration(c: &[crate::review::calibrate::Calibration], as_json: bool) -> Result<()> {
    if as_json {
        return json(&c);
    }
    let show = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    for r in c {
        println!(
            "calibration {} on {} gold conversations: total Spearman {}, quadratic kappa {}, bias {:+.2}; keep (total >= {}) agreement {:.1}%",
            r.rubric,
            r.total.n,
            show(r.total.spearman),
            show(r.total.kappa),
            r.total.bias,
            r.keep_at,
            100.0 * r.keep_agreement
        );
        for (name, a) in &r.aspects {
            println!(
                "          {name}: quadratic kappa {}, Spearman {}, bias {:+.2}",
                show(a.kappa),
                show(a.spearman),
                a.bias
            );
        }
    }
    if c.is_empty() {
        println!("calibration: none of the judged rubrics has gold labels");
    }
    Ok(())
}

pub fn generate(r: &GenerateReport, out: &Path, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    if r.dry_run {
        println!(
            "dry run: nothing was sent and no dialogue was written; usage below is an estimate"
        );
    }
    if let Some(u) = &r.llm_usage {
        println!(
            "llm       {} requests ({} cached, {} retried, {} failed), {} prompt + {} completion tokens, ${:.4}",
            u.requests,
            u.cached,
            u.retries,
            u.failures,
            u.prompt_tokens,
            u.completion_tokens,
            u.cost_usd
        );
    }
    let t = &r.this_run;
    println!(
        "dialogues {} written ({} resumed, {} failed) in {} ({}) -> {}",
        t.written,
        t.resumed,
        t.failed,
        rate::duration(t.seconds),
        rate::rate(t.written as u64, t.seconds),
        if r.dry_run {
            "(dry run: not written)".to_string()
        } else {
            out.display().to_string()
        }
    );
    if t.resumed > 0 {
        println!(
            "          the output holds {} conversations and {} failure records of {}; the figures below are theirs",
            r.conversations, r.failures, r.total
        );
    }
    let outcomes: Vec<String> = r.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("          outcomes: {}", outcomes.join(", "));
    let reasons: Vec<String> = r
        .end_reasons
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!("          end reasons: {}", reasons.join(", "));
    println!(
        "          success {:.1}%, turns mean {:.1}, rounds to accept {}, accepted at first recommendation {}",
        r.success_rate * 100.0,
        r.turns_mean,
        r.rounds_to_accept_mean
            .map(|x| format!("{x:.2}"))
            .unwrap_or_else(|| "-".into()),
        r.first_recommendation_accept_share
            .map(|x| format!("{:.1}%", x * 100.0))
            .unwrap_or_else(|| "-".into())
    );
    let hist: Vec<String> = r
        .turns_histogram
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    println!("          turns histogram: {}", hist.join(" "));
    let (u, s) = (&r.user_diversity, &r.system_diversity);
    println!(
        "          diversity over {} conversations: user distinct-1 {:.3} distinct-2 {:.3} verbatim {:.1}%; system distinct-1 {:.3} distinct-2 {:.3} verbatim {:.1}%",
        r.diversity_sample,
        u.distinct_1,
        u.distinct_2,
        u.verbatim_share * 100.0,
        s.distinct_1,
        s.distinct_2,
        s.verbatim_share * 100.0
    );
    Ok(())
}
