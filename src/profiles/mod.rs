//! Scenario-grounded profiles: persona sampling, target choice weighted by category size, plausibility rules,
//! budgets, requirements from the target's attributes, narratives, and a linear-time near-duplicate filter.

pub mod dedup;
pub mod draw;
mod key;
pub mod muse;
pub mod tables;
pub mod targets;
pub mod writer;

pub use key::profiles_key;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::Index;
use crate::io::{AtomicFile, JsonlWriter};
use crate::model::{Failure, Profile};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::{Error, Result, parallel};

use dedup::{MinHasher, NearDuplicateIndex};
use draw::{Drawer, Rejection};
use targets::Targets;
use writer::{ScenarioWriter, WriterReport, Written};

/// The profiles stage's failures file, beside the profiles: one line per profile whose scenario writer request
/// failed (after its retries, a re-ask, or at the token cap); the stage goes on without it.
pub const FAILURES: &str = crate::io::names::PROFILE_FAILURES;

/// What a profiles run did.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ProfilesReport {
    /// Profiles written.
    pub written: usize,
    /// Rejected draws by reason (audience, budget, no_requirements, near_duplicate).
    pub rejected: BTreeMap<String, usize>,
    /// Categories targets were drawn from.
    pub categories: usize,
    /// Profiles per purchase reason.
    pub reasons: BTreeMap<String, usize>,
    /// Seconds taken.
    pub seconds: f64,
    /// Profiles left out because their scenario writer request failed (each in `profiles.failures.jsonl`).
    #[serde(default)]
    pub failed: usize,
    /// What the LLM scenario writer did, when one wrote the scenarios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<WriterReport>,
}

/// One profile as a worker produced it: the profile, the attempt that made it, and the rejections on the way.
struct Drawn {
    n: usize,
    profile: Result<Profile>,
    attempt: u32,
    rejections: Vec<Rejection>,
    signature: Vec<u32>,
    /// The scenario writer's requirement picks that were replaced, and whether its narrative was unusable.
    replaced: usize,
    narrative_kept: bool,
    /// The scenario writer's request failed: a failure record for this profile, not a stop of the stage.
    writer_failed: bool,
}

impl Drawn {
    fn failed(n: usize, error: Error, attempt: u32, rejections: Vec<Rejection>) -> Self {
        Drawn {
            n,
            profile: Err(error),
            attempt,
            rejections,
            signature: Vec::new(),
            replaced: 0,
            narrative_kept: false,
            writer_failed: false,
        }
    }
}

/// Generate `count` profiles from the catalog at `catalog` into `out` (written whole or not at all). With `dry`,
/// an LLM scenario writer sends nothing: its requests are priced and the tables' scenarios stay.
pub fn generate(
    plan: &Plan,
    catalog: &Path,
    out: &Path,
    count: usize,
    quiet: bool,
    dry: bool,
) -> Result<ProfilesReport> {
    let config = &plan.config;
    let cfg = &config.profiles;
    let tables = &plan.tables;
    let index = Index::open(catalog)?;
    let targets =
        Targets::from_index(&index, &tables.audience_rules, cfg.category_weight_exponent)?;
    let drawer = Drawer::new(
        tables,
        &targets,
        cfg,
        config.seed,
        &plan.currencies,
        &plan.sizes,
    );
    let mut near = if cfg.dedup.enabled {
        NearDuplicateIndex::with_capacity(&cfg.dedup, count)
    } else {
        NearDuplicateIndex::new(&cfg.dedup)
    };
    let hasher = MinHasher::new(near.signature_len(), cfg.dedup.shingle_words.get());
    let mut report = ProfilesReport {
        categories: targets.categories(),
        ..Default::default()
    };
    let mut file = AtomicFile::create(out)?;
    let mut jsonl = JsonlWriter::new(&mut file, out);
    let mut progress = Progress::new("profiles", count as u64, quiet);
    let max = cfg.max_attempts.get();
    let mut failures: Vec<Failure> = Vec::new();
    // With a language model writing the scenarios, draws wait on the network: run as many as may be in flight.
    let cache = match out.parent() {
        Some(dir) => dir.join(crate::io::names::CACHE),
        None => Path::new(crate::io::names::CACHE).to_path_buf(),
    };
    let writer = ScenarioWriter::connect(plan, &cache, dry)?;
    if writer.is_some() {
        report.writer = Some(WriterReport::default());
    }
    if let Some(w) = &writer {
        progress.watch(w.snapshot_source());
    }
    let first_accepted = |idx: &Index, n: usize, from: u32| -> Drawn {
        let mut rejections = Vec::new();
        for attempt in from..max {
            let profile = match drawer.draw(idx, n, attempt) {
                Ok(Ok(profile)) => profile,
                Ok(Err(r)) => {
                    rejections.push(r);
                    continue;
                }
                Err(e) => return Drawn::failed(n, e, attempt, rejections),
            };
            let (profile, replaced, narrative_kept) = match &writer {
                None => (profile, 0, false),
                Some(w) => match rewrite(w, &drawer, idx, profile, attempt) {
                    Ok(Written::Implausible(why)) => {
                        tracing::debug!("profile {n} attempt {attempt} implausible: {why}");
                        rejections.push(Rejection::Implausible);
                        continue;
                    }
                    Ok(Written::Profile {
                        profile,
                        replaced,
                        narrative_kept,
                    }) => (*profile, replaced, narrative_kept),
                    // A request that failed for this profile alone (not a stop of the run).
                    Err(e @ Error::Run(_)) => {
                        let mut drawn = Drawn::failed(n, e, attempt, rejections);
                        drawn.writer_failed = true;
                        return drawn;
                    }
                    Err(e) => return Drawn::failed(n, e, attempt, rejections),
                },
            };
            let signature = if cfg.dedup.enabled {
                hasher.signature(&profile.scenario.narrative)
            } else {
                Vec::new()
            };
            return Drawn {
                n,
                profile: Ok(profile),
                attempt,
                rejections,
                signature,
                replaced,
                narrative_kept,
                writer_failed: false,
            };
        }
        let error = exhausted(n, max, &rejections);
        Drawn::failed(n, error, max, rejections)
    };
    let draw_first = |idx: &mut Result<Index>, n: usize| match idx {
        Ok(idx) => first_accepted(idx, n, 0),
        Err(e) => Drawn::failed(n, Error::Run(e.to_string()), 0, Vec::new()),
    };
    let mut keep = |mut drawn: Drawn| -> Result<()> {
        // Every rejection on the way to this profile, near-duplicates included, for the report and the error.
        let mut history: Vec<Rejection> = Vec::new();
        loop {
            history.extend(&drawn.rejections);
            let profile = match drawn.profile {
                Ok(p) => p,
                Err(e) if drawn.writer_failed => {
                    count_rejections(&mut report, &history);
                    let id = draw::profile_id(drawn.n);
                    failures.push(Failure {
                        id: id.clone(),
                        profile_id: id,
                        stage: "profiles".into(),
                        kind: "run".into(),
                        message: e.to_string(),
                    });
                    report.failed += 1;
                    progress.inc(1);
                    return Ok(());
                }
                Err(_) if drawn.attempt >= max => {
                    count_rejections(&mut report, &history);
                    return Err(exhausted(drawn.n, max, &history));
                }
                Err(e) => return Err(e),
            };
            if cfg.dedup.enabled && near.check_and_insert(&drawn.signature).is_some() {
                history.push(Rejection::NearDuplicate);
                drawn = first_accepted(&index, drawn.n, drawn.attempt + 1);
                continue;
            }
            count_rejections(&mut report, &history);
            if let Some(w) = report.writer.as_mut() {
                w.written += 1;
                w.requirements_replaced += drawn.replaced;
                w.narratives_kept += usize::from(drawn.narrative_kept);
            }
            let reason = profile.scenario.purchase_reason.clone().unwrap_or_default();
            *report.reasons.entry(reason).or_insert(0) += 1;
            jsonl.write(&profile)?;
            report.written += 1;
            progress.inc(1);
            return Ok(());
        }
    };
    let outcome = match &writer {
        // With a language model writing the scenarios, draws wait on the network: a continuous pool keeps as many
        // under way as requests should be in flight, handed on in profile order through a bounded reorder buffer
        // (the near-duplicate check and the ids depend on that order).
        Some(w) => parallel::continuous(
            (0..count).map(Ok),
            || w.target_in_flight() + 2,
            parallel::Order::Taken {
                window: 4 * config.limits.concurrency.get() + 64,
            },
            || Index::open(catalog),
            draw_first,
            |drawn| keep(drawn).map(|()| parallel::Flow::Go),
        ),
        None => parallel::map_ordered_with(
            count,
            config.effective_threads(),
            2048,
            || Index::open(catalog),
            draw_first,
            keep,
        ),
    };
    if let Some(w) = &writer {
        // The ledger is kept even when the run stops, so what was paid for is on record.
        if !dry {
            w.write_usage(&out.with_file_name("profiles.usage.csv"))?;
        }
        if let Some(r) = report.writer.as_mut() {
            r.implausible = report.rejected.get("implausible").copied().unwrap_or(0);
            r.usage = w.totals();
        }
    }
    outcome?;
    drop(jsonl);
    file.commit()?;
    if !dry {
        write_failures(&out.with_file_name(FAILURES), &failures)?;
    }
    report.seconds = progress.finish().as_secs_f64();
    Ok(report)
}

/// Write the failures file whole, or remove an earlier one when nothing failed (the profiles are new).
fn write_failures(path: &Path, failures: &[Failure]) -> Result<()> {
    if failures.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::write(path, e)),
            _ => Ok(()),
        };
    }
    let mut file = AtomicFile::create(path)?;
    {
        let mut jsonl = JsonlWriter::new(&mut file, path);
        for f in failures {
            jsonl.write(f)?;
        }
    }
    file.commit()
}

/// Let the scenario writer judge and rewrite a drawn profile, offering the target's attributes as requirements.
fn rewrite(
    writer: &ScenarioWriter,
    drawer: &Drawer<'_>,
    index: &Index,
    profile: Profile,
    attempt: u32,
) -> Result<Written> {
    let item = index.get(&profile.target_item_id)?.ok_or_else(|| {
        Error::Run(format!(
            "target {} vanished from the catalog",
            profile.target_item_id
        ))
    })?;
    let candidates: Vec<(String, String)> = drawer
        .requirement_pool(&item)
        .into_iter()
        .map(|(attribute, value, _)| (attribute, value))
        .collect();
    writer.write(profile, &item, &candidates, attempt)
}

fn count_rejections(report: &mut ProfilesReport, rejections: &[Rejection]) {
    for r in rejections {
        *report.rejected.entry(r.as_str().to_string()).or_insert(0) += 1;
    }
}

fn exhausted(n: usize, max: u32, rejections: &[Rejection]) -> Error {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rejections {
        *counts.entry(r.as_str()).or_insert(0) += 1;
    }
    let why: Vec<String> = counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    Error::Run(format!(
        "profile {}: no plausible draw in {max} attempts ({}); the catalog may not suit the persona tables — raise profiles.max_attempts or check profiles/rules.toml",
        draw::profile_id(n),
        why.join(", ")
    ))
}
