//! The main job (`musegen run`) and the stage entry points the CLI calls: sample catalog → profiles, into one output folder with a manifest.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::sample::{self, load_vocabulary};
use crate::catalog::{CategoryCollector, CategoryCount, CategoryMap, Index, IndexWriter};
use crate::config::{Config, RoleName};
use crate::generate::summary::GenerateReport;
use crate::generate::{self, GeneratePaths};
use crate::io::{AtomicFile, JsonlWriter};
use crate::plan::Plan;
use crate::profiles::{self, ProfilesReport};
use crate::progress::Progress;
use crate::{Error, Result};

/// Standard file names inside an output folder (they live in the run-folder layer, `io::run_folder`).
pub use crate::io::names;

/// What building the sample catalog did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleReport {
    /// Items written.
    pub items: usize,
    /// Seed used.
    pub seed: u64,
    /// Seconds taken.
    pub seconds: f64,
    /// Whether an existing identical catalog was reused.
    pub reused: bool,
}

/// Build the sample catalog of `config.catalog.sample_items` items into the index at `target`, and optionally a JSONL copy.
pub fn build_sample_catalog(
    config: &Config,
    target: &Path,
    jsonl: Option<&Path>,
    quiet: bool,
) -> Result<SampleReport> {
    let vocab = load_vocabulary(config.catalog.sample_dir.as_deref())?;
    let count = config.catalog.sample_items.get();
    let mut writer = IndexWriter::create(target)?;
    let mut copy = match jsonl {
        Some(p) => Some((AtomicFile::create(p)?, p.to_path_buf())),
        None => None,
    };
    let mut progress = Progress::new("catalog", count as u64, quiet);
    {
        let mut lines = copy.as_mut().map(|(f, p)| JsonlWriter::new(f, &p.clone()));
        sample::generate(
            &vocab,
            config.seed,
            count,
            config.effective_threads(),
            |item| {
                writer.add(&item)?;
                if let Some(l) = lines.as_mut() {
                    l.write(&item)?;
                }
                progress.inc(1);
                Ok(())
            },
        )?;
    }
    writer.set_meta("source", "sample")?;
    writer.set_meta("sample_key", &crate::catalog::sample::sample_key(config))?;
    writer.commit()?;
    if let Some((f, _)) = copy {
        f.commit()?;
    }
    Ok(SampleReport {
        items: count,
        seed: config.seed,
        seconds: progress.finish().as_secs_f64(),
        reused: false,
    })
}

/// Write every item of the index at `catalog` to `out` as JSON Lines (in index order).
pub fn export_catalog(catalog: &Path, out: &Path) -> Result<usize> {
    let index = Index::open(catalog)?;
    let mut file = AtomicFile::create(out)?;
    let mut n = 0;
    {
        let mut w = JsonlWriter::new(&mut file, out);
        index.for_each(|item| {
            n += 1;
            w.write(&item)
        })?;
    }
    file.commit()?;
    Ok(n)
}

/// Extract the category list and map from the index at `catalog`; write the map to `map_out` when given.
pub fn extract_categories(
    config: &Config,
    catalog: &Path,
    min_items: usize,
    map_out: Option<&Path>,
) -> Result<(CategoryMap, Vec<CategoryCount>)> {
    let index = Index::open(catalog)?;
    let mut collector = CategoryCollector::new(
        config.catalog.category_levels,
        &config.catalog.ignore_categories,
    );
    index.for_each(|item| {
        collector.add(&item);
        Ok(())
    })?;
    let (map, counts) = collector.finish(min_items);
    if let Some(path) = map_out {
        let mut f = AtomicFile::create(path)?;
        serde_json::to_writer_pretty(&mut f, &map)
            .map_err(|e| Error::write(path, std::io::Error::other(e)))?;
        std::io::Write::write_all(&mut f, b"\n").map_err(|e| Error::write(path, e))?;
        f.commit()?;
    }
    Ok((map, counts))
}

/// The run manifest: what produced the files in an output folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// musegen version.
    pub musegen: String,
    /// Hash of the effective config.
    pub config_hash: String,
    /// Seed.
    pub seed: u64,
    /// What identifies the profiles file (seed, profile settings, catalog).
    pub profiles_key: String,
    /// The sample catalog step.
    pub catalog: SampleReport,
    /// The profiles step (absent when reused).
    pub profiles: Option<ProfilesReport>,
    /// The conversations step.
    pub generate: Option<GenerateReport>,
    /// The review step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::review::ReviewReport>,
    /// Observed against configured distributions (`stats.json`, `stats.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<crate::stats::Summary>,
    /// The exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<crate::export::ExportReport>,
    /// What the invocation that last wrote this manifest did with each step; the step reports above describe the
    /// files in the folder, whichever invocation made them.
    #[serde(default)]
    pub this_run: RunSteps,
}

/// What one `musegen run` did with the steps whose files it can reuse.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunSteps {
    /// The sample catalog.
    pub catalog: StepAction,
    /// The profiles.
    pub profiles: StepAction,
}

/// Whether a step made its file or found an identical one.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Made by this invocation.
    #[default]
    Made,
    /// Found in the folder, identical to what this config makes, and kept.
    Reused,
}

/// Run the main job into `dir`: the sample catalog and the profiles (each reused when an identical one is there),
/// then the conversations (resumed when a run was cut short).
pub fn run(
    config: &Config,
    dir: &Path,
    force: bool,
    quiet: bool,
    dry_run: bool,
) -> Result<Manifest> {
    // The plan is checked before anything is written: a bad table or phrase file stops the run here.
    let plan = Plan::new(config.clone())?;
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let catalog = dir.join(names::CATALOG);
    let reusable = Index::open(&catalog)
        .and_then(|i| i.meta("sample_key"))
        .ok()
        .flatten()
        .is_some_and(|k| k == crate::catalog::sample::sample_key(config));
    let previous: Option<Manifest> = std::fs::read_to_string(dir.join(names::MANIFEST))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let catalog_report = if reusable {
        // The report of the step that built the catalog, when the folder's manifest has it.
        match previous.as_ref().map(|m| m.catalog.clone()) {
            Some(r) if r.items == Index::open(&catalog)?.len()? => r,
            _ => SampleReport {
                items: Index::open(&catalog)?.len()?,
                seed: config.seed,
                seconds: 0.0,
                reused: true,
            },
        }
    } else {
        build_sample_catalog(config, &catalog, None, quiet)?
    };
    let profiles_path: PathBuf = dir.join(names::PROFILES);
    let manifest_path = dir.join(names::MANIFEST);
    let profiles_key = crate::profiles::profiles_key(config);
    let reuse_profiles = reusable
        && profiles_path.is_file()
        && previous
            .as_ref()
            .is_some_and(|m| m.profiles_key == profiles_key);
    log_reuse(&catalog, reusable, &profiles_path, reuse_profiles);
    let mut manifest = Manifest {
        musegen: env!("CARGO_PKG_VERSION").to_string(),
        config_hash: config.hash(),
        seed: config.seed,
        profiles_key,
        catalog: catalog_report,
        profiles: None,
        generate: None,
        review: None,
        stats: None,
        export: None,
        this_run: RunSteps {
            catalog: if reusable {
                StepAction::Reused
            } else {
                StepAction::Made
            },
            profiles: if reuse_profiles {
                StepAction::Reused
            } else {
                StepAction::Made
            },
        },
    };
    if reuse_profiles {
        // The profiles file is the one an earlier invocation wrote: its report stays the record of it.
        manifest.profiles = previous.and_then(|m| m.profiles);
    }
    // The catalog in memory once, for every stage that reads it.
    let plan = plan.with_catalog(&catalog)?;
    if dry_run {
        return dry_run_in(&plan, dir, &catalog, reuse_profiles, manifest, quiet);
    }
    // One engine for every role a stage puts on a model, connected before the stages write anything (a missing key
    // stops the run here); its rate limits, budget and cache are the whole run's.
    plan.engine(&RoleName::ALL, &dir.join(names::CACHE))?;
    if !reuse_profiles {
        let conversations = dir.join(names::CONVERSATIONS);
        if conversations.exists() && !force {
            return Err(Error::Config(format!(
                "{} belongs to other profiles (the seed or profile settings changed): pass --force to start the conversations over, or use another --out",
                conversations.display()
            )));
        }
        for stale in [
            names::CONVERSATIONS,
            names::FAILURES,
            names::PROFILE_FAILURES,
            names::REVIEWS,
            names::KEPT,
            names::PAIRS,
            "reviews.manifest.json",
            "conversations.manifest.json",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        manifest.profiles = Some(profiles::generate(
            &plan,
            &catalog,
            &profiles_path,
            config.profiles.count.get(),
            quiet,
            false,
        )?);
    }
    write_manifest(&manifest_path, &manifest)?;
    let paths = GeneratePaths {
        profiles: profiles_path,
        catalog,
        out: dir.join(names::CONVERSATIONS),
        failures: dir.join(names::FAILURES),
    };
    manifest.generate = Some(generate::run(&plan, &paths, force, quiet)?);
    write_manifest(&manifest_path, &manifest)?;
    manifest.review = Some(crate::review::run(&plan, &review_paths(dir), quiet)?);
    write_manifest(&manifest_path, &manifest)?;
    let stats = crate::stats::run(
        &plan,
        &crate::stats::sources(None, dir)?,
        &crate::stats::StatsOptions::default(),
    )?;
    crate::stats::write(&stats, dir)?;
    manifest.stats = Some(stats.summary);
    let sources = crate::export::Sources::resolve(None, dir)?;
    let pairs = crate::pairs::run(&plan, &sources, &dir.join(names::PAIRS), force, quiet)?;
    let mut export = crate::export::export_all(config, &sources, dir)?;
    export.dpo.usage = pairs.usage;
    manifest.export = Some(export);
    write_manifest(&manifest_path, &manifest)?;
    Ok(manifest)
}

/// A dry run of the main job: the profiles it would make (in a scratch file, priced when a model writes them, unless
/// the folder's profiles are reused) and the dialogues' requests, tokens and cost; nothing in `dir` changes but
/// the catalog, which costs nothing to build.
fn dry_run_in(
    plan: &Plan,
    dir: &Path,
    catalog: &Path,
    reuse_profiles: bool,
    mut manifest: Manifest,
    quiet: bool,
) -> Result<Manifest> {
    let config = &plan.config;
    let scratch = dir.join("profiles.dry-run.jsonl");
    let profiles_path = if reuse_profiles {
        dir.join(names::PROFILES)
    } else {
        let count = config.profiles.count.get();
        manifest.profiles = Some(profiles::generate(
            plan, catalog, &scratch, count, quiet, true,
        )?);
        scratch.clone()
    };
    let paths = GeneratePaths {
        profiles: profiles_path,
        catalog: catalog.to_path_buf(),
        out: dir.join(names::CONVERSATIONS),
        failures: dir.join(names::FAILURES),
    };
    let report = generate::dry_run(plan, &paths, quiet);
    let _ = std::fs::remove_file(&scratch);
    manifest.generate = Some(report?);
    Ok(manifest)
}

/// The review stage's files in an output folder.
pub fn review_paths(dir: &Path) -> crate::review::ReviewPaths {
    crate::review::ReviewPaths {
        input: dir.join(names::CONVERSATIONS),
        out: dir.join(names::REVIEWS),
        kept: dir.join(names::KEPT),
        report_dir: dir.to_path_buf(),
        catalog: Some(dir.join(names::CATALOG)),
        profiles: Some(dir.join(names::PROFILES)),
    }
}

fn write_manifest(path: &Path, manifest: &Manifest) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut f, manifest)
        .map_err(|e| Error::write(path, std::io::Error::other(e)))?;
    f.commit()
}

/// Log (with `-v`) whether the run reuses the folder's catalog and profiles or makes them.
fn log_reuse(catalog: &Path, reuse_catalog: bool, profiles: &Path, reuse_profiles: bool) {
    let what = |reuse: bool| {
        if reuse {
            "reused (made with the same settings)"
        } else {
            "made"
        }
    };
    tracing::info!("catalog: {} is {}", catalog.display(), what(reuse_catalog));
    tracing::info!(
        "profiles: {} are {}",
        profiles.display(),
        what(reuse_profiles)
    );
}
