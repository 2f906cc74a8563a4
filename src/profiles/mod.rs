//! Scenario-grounded profiles: persona sampling, target choice weighted by category size, plausibility rules,
//! budgets, requirements from the target's attributes, narratives, and a linear-time near-duplicate filter.

pub mod dedup;
pub mod draw;
pub mod muse;
pub mod tables;
pub mod targets;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::Index;
use crate::config::Config;
use crate::io::{AtomicFile, JsonlWriter};
use crate::model::Profile;
use crate::progress::Progress;
use crate::{Error, Result, parallel};

use dedup::{MinHasher, NearDuplicateIndex};
use draw::{Drawer, Rejection};
use tables::Tables;
use targets::Targets;

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
}

/// One profile as a worker produced it: the profile, the attempt that made it, and the rejections on the way.
struct Drawn {
    n: usize,
    profile: Result<Profile>,
    attempt: u32,
    rejections: Vec<Rejection>,
    signature: Vec<u32>,
}

/// Generate `count` profiles from the catalog at `catalog` into `out` (written whole or not at all).
pub fn generate(
    config: &Config,
    catalog: &Path,
    out: &Path,
    count: usize,
    quiet: bool,
) -> Result<ProfilesReport> {
    let cfg = &config.profiles;
    let tables = Tables::load(cfg.tables_dir.as_deref())?;
    let index = Index::open(catalog)?;
    let targets =
        Targets::from_index(&index, &tables.audience_rules, cfg.category_weight_exponent)?;
    let drawer = Drawer::new(&tables, &targets, cfg, config.seed);
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
    let mut writer = JsonlWriter::new(&mut file, out);
    let mut progress = Progress::new("profiles", count as u64, quiet);
    let max = cfg.max_attempts.get();
    let first_accepted = |idx: &Index, n: usize, from: u32| -> Drawn {
        let mut rejections = Vec::new();
        for attempt in from..max {
            match drawer.draw(idx, n, attempt) {
                Ok(Ok(profile)) => {
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
                    };
                }
                Ok(Err(r)) => rejections.push(r),
                Err(e) => {
                    return Drawn {
                        n,
                        profile: Err(e),
                        attempt,
                        rejections,
                        signature: Vec::new(),
                    };
                }
            }
        }
        Drawn {
            n,
            profile: Err(exhausted(n, max, &rejections)),
            attempt: max,
            rejections,
            signature: Vec::new(),
        }
    };
    parallel::map_ordered_with(
        count,
        config.effective_threads(),
        2048,
        || Index::open(catalog),
        |idx, n| match idx {
            Ok(idx) => first_accepted(idx, n, 0),
            Err(e) => Drawn {
                n,
                profile: Err(Error::Run(e.to_string())),
                attempt: 0,
                rejections: Vec::new(),
                signature: Vec::new(),
            },
        },
        |mut drawn| {
            // Every rejection on the way to this profile, near-duplicates included, for the report and the error.
            let mut history: Vec<Rejection> = Vec::new();
            loop {
                history.extend(&drawn.rejections);
                let profile = match drawn.profile {
                    Ok(p) => p,
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
                let reason = profile.scenario.purchase_reason.clone().unwrap_or_default();
                *report.reasons.entry(reason).or_insert(0) += 1;
                writer.write(&profile)?;
                report.written += 1;
                progress.inc(1);
                return Ok(());
            }
        },
    )?;
    drop(writer);
    file.commit()?;
    report.seconds = progress.finish().as_secs_f64();
    Ok(report)
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
