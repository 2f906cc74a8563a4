//! Printing the export reports: SFT, preference pairs, and every export at once.

use std::path::Path;

use super::json;
use crate::Result;

pub fn sft(r: &crate::export::SftReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    let counts: Vec<String> = r.samples.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "sft       {} samples per format from {} conversations ({} with nothing to train on)",
        counts.join(", "),
        r.conversations,
        r.skipped
    );
    selection(&r.selection);
    if r.zero_weight > 0 {
        println!(
            "          {} assistant messages with loss weight 0",
            r.zero_weight
        );
    }
    if r.images + r.images_missing > 0 {
        println!(
            "          {} pictures put in, {} left out (file not found)",
            r.images, r.images_missing
        );
    }
    files(&r.files);
    Ok(())
}

pub fn dpo(r: &crate::export::DpoReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    let join = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let c = &r.counts;
    println!(
        "dpo       {} pairs per format from {} conversations; sources: {}",
        join(&r.pairs),
        r.conversations,
        if r.by_source.is_empty() {
            "-".to_string()
        } else {
            join(&r.by_source)
        }
    );
    if !r.by_kind.is_empty() {
        println!("          hard negatives: {}", join(&r.by_kind));
    }
    println!(
        "          {} recommendations: {} unsound (not used), {} without an applicable negative, {} judge ties{}",
        c.recommendations,
        c.unsound,
        c.no_negative,
        c.judge_ties,
        if c.no_llm_voice > 0 {
            format!(
                ", {} of LLM conversations with no LLM recommender configured",
                c.no_llm_voice
            )
        } else {
            String::new()
        }
    );
    if r.images + r.images_missing > 0 {
        println!(
            "          {} pictures put in, {} left out (file not found)",
            r.images, r.images_missing
        );
    }
    if let Some(u) = &r.usage {
        println!(
            "          LLM: {} requests ({} cached), {} prompt + {} completion tokens, ${:.4}",
            u.requests, u.cached, u.prompt_tokens, u.completion_tokens, u.cost_usd
        );
    }
    selection(&r.selection);
    files(&r.files);
    Ok(())
}

/// Every export, one line per family.
pub fn exports(r: &crate::export::ExportReport, dir: &Path, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    let total = |m: &std::collections::BTreeMap<String, usize>| m.values().sum::<usize>();
    let layout = |family: &str| dir.join(family).display().to_string();
    println!(
        "sft       {} samples per format (trl, openai, sharegpt) from {} conversations -> {}/",
        total(&r.sft.samples),
        r.sft.conversations,
        layout(crate::export::layout::SFT)
    );
    let sources: Vec<String> = r
        .dpo
        .by_source
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "dpo       {} pairs per format ({}) -> {}/",
        total(&r.dpo.pairs),
        if sources.is_empty() {
            "none".to_string()
        } else {
            sources.join(", ")
        },
        layout(crate::export::layout::DPO)
    );
    let a = &r.analytics;
    println!(
        "analytics {} conversations, {} turns (sessions {} to {}) -> {}/, {}/, {}/, {}/",
        a.conversations,
        a.turns,
        a.first_session.as_deref().unwrap_or("-"),
        a.last_session.as_deref().unwrap_or("-"),
        layout(crate::export::layout::ANALYTICS),
        layout(crate::export::layout::STAR),
        layout(crate::export::layout::SNOWFLAKE),
        layout(crate::export::layout::STORYBOT)
    );
    println!("card      {}", r.card.display());
    if !r.steps.is_empty() {
        let steps: Vec<String> = r.steps.iter().map(|s| s.line()).collect();
        println!("          {}", steps.join("; "));
    }
    Ok(())
}

/// What the selection left out, when it left anything out.
fn selection(s: &crate::export::select::SelectionReport) {
    if s.filtered + s.duplicates > 0 {
        println!(
            "          of {} read: {} left out by --where, {} duplicates",
            s.read, s.filtered, s.duplicates
        );
    }
}

/// The files written, the empty ones noted.
fn files(paths: &[std::path::PathBuf]) {
    for f in paths {
        let empty = std::fs::metadata(f).is_ok_and(|m| m.len() == 0);
        println!(
            "          -> {}{}",
            f.display(),
            if empty { " (empty)" } else { "" }
        );
    }
}
