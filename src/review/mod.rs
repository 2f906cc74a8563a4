//! The review stage: one review per conversation (offline metrics, the judge's scores when a model judges, the
//! keep decision with the failing checks), written append-only and resumable like `generate`; then the kept set
//! (`kept.jsonl`) and the dataset's quality report (`report.md`, `report.json`, `report.html`).

pub mod calibrate;
pub mod dataset;
pub mod diversity;
pub mod import;
pub mod judge;
pub mod metrics;
pub mod realism;
pub mod report;

pub use report::ReviewReport;

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::catalog::MemoryCatalog;
use crate::config::Config;
use crate::io::run_folder::parse_conversation;
use crate::io::{AtomicFile, JsonlWriter, read_jsonl_lines};
use crate::model::{Conversation, Profile, Review};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::{Error, Result, parallel};

use crate::model::keep::KeepRule;
use dataset::{DatasetBuilder, DatasetReport};
use metrics::{Context, MetricSettings};

/// The embedded evaluation settings.
const METRICS: &str = include_str!("../../evaluation/metrics.toml");

/// Where the review stage reads and writes.
#[derive(Debug, Clone)]
pub struct ReviewPaths {
    /// The conversations.
    pub input: PathBuf,
    /// One review per conversation (append-only).
    pub out: PathBuf,
    /// The kept conversations.
    pub kept: PathBuf,
    /// Folder of `report.md`, `report.json`, `report.html`.
    pub report_dir: PathBuf,
    /// The catalog, for grounding (checks that need it are skipped without it).
    pub catalog: Option<PathBuf>,
    /// The profiles, for consistency and coverage.
    pub profiles: Option<PathBuf>,
}

/// Load the metric settings: `evaluation_dir/metrics.toml` when there is one, else the embedded file.
fn settings(config: &Config) -> Result<MetricSettings> {
    let user = config
        .review
        .evaluation_dir
        .as_ref()
        .map(|d| d.join("metrics.toml"));
    crate::data::parse_override(user.as_deref(), METRICS, "evaluation/metrics.toml")
}

/// What shapes a review besides the conversation: the review settings, the metric settings, the judge, and
/// whether a catalog and profiles were there.
fn review_hash(
    config: &Config,
    settings: &MetricSettings,
    realism: &realism::RealismData,
    paths: &ReviewPaths,
) -> Result<String> {
    let parts = serde_json::to_string(&(
        realism.hash,
        &config.review,
        &settings.stopwords,
        settings.accept_min_words,
        &config.roles.judge,
        paths.catalog.as_ref().is_some_and(|p| p.is_file()),
        paths.profiles.as_ref().is_some_and(|p| p.is_file()),
    ))
    .map_err(|e| Error::Run(e.to_string()))?;
    Ok(format!(
        "{:016x}",
        crate::rng::stable_hash(0, &[parts.as_bytes()])
    ))
}

/// Review with a plan built from `config` (with the catalog of `paths.catalog` when there is one): see [`run`].
pub fn review(config: &Config, paths: &ReviewPaths, quiet: bool) -> Result<ReviewReport> {
    let plan = Plan::new(config.clone())?.with_catalog_if_there(paths.catalog.as_deref())?;
    run(&plan, paths, quiet)
}

/// Review every conversation of `paths.input` not reviewed yet under `plan`, then write the kept set and the
/// report.
pub fn run(plan: &Plan, paths: &ReviewPaths, quiet: bool) -> Result<ReviewReport> {
    let config = &plan.config;
    let started = std::time::Instant::now();
    let cfg = &config.review;
    let settings = settings(config)?;
    let realism_data = realism::RealismData::load(
        cfg.evaluation_dir.as_deref(),
        config.profiles.tables_dir.as_deref(),
    )?;
    let stopwords: HashSet<String> = settings
        .stopwords
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    let catalog = match paths.catalog.as_deref().filter(|p| p.is_file()) {
        Some(p) => Some(plan.catalog_for(p)?),
        None => None,
    };
    let profiles = match paths.profiles.as_deref().filter(|p| p.is_file()) {
        Some(p) => crate::io::run_folder::load_profiles(p)?,
        None => HashMap::new(),
    };
    let cache = paths.out.with_file_name(crate::io::names::CACHE);
    let judge = judge::Judge::connect(plan, &cache)?;
    let judge_usage = paths.out.with_file_name("review.usage.csv");
    if let Some(j) = &judge {
        j.begin_stage(&judge_usage)?;
    }
    // A review with every field this run fills, to check the keep rule's field names against.
    let mut sample = Review::default();
    for rubric in judge.iter().flat_map(|j| j.rubrics()) {
        let aspects = rubric
            .aspects
            .iter()
            .map(|a| (a.name.clone(), crate::model::AspectScore::default()))
            .collect();
        sample.judge.insert(
            rubric.name.clone(),
            crate::model::RubricScores {
                aspects,
                ..Default::default()
            },
        );
    }
    let rule = KeepRule::compile(&cfg.keep, &sample)?;
    let prepared = rule.prepare().map_err(Error::Config)?;
    // Reviews made under other settings (keep rule, metrics, judge) are made again: the metrics are cheap and the
    // judge's answers come from the cache.
    let settings_hash = review_hash(config, &settings, &realism_data, paths)?;
    let manifest = paths.out.with_file_name("reviews.manifest.json");
    let previous = std::fs::read_to_string(&manifest).ok();
    if previous.as_deref().map(str::trim) != Some(settings_hash.as_str()) && paths.out.exists() {
        tracing::info!(
            "{}: the review settings changed; reviewing every conversation again",
            paths.out.display()
        );
        std::fs::remove_file(&paths.out).map_err(|e| Error::write(&paths.out, e))?;
    }
    // Reviews already written (a torn last line is dropped).
    let mut done: HashSet<String> = HashSet::new();
    crate::io::resume::recover(&paths.out, |id| {
        done.insert(id.to_string());
        Ok(())
    })?;
    let resumed = done.len() as u64;
    let to_review = count_records(&paths.input)?.saturating_sub(resumed);
    tracing::info!(
        "review: {} reviews found in {}; {to_review} conversations to review",
        resumed,
        paths.out.display()
    );
    if let Some(parent) = paths.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.out)
        .map_err(|e| Error::write(&paths.out, e))?;
    let mut out = JsonlWriter::new(BufWriter::with_capacity(1 << 20, file), &paths.out);
    {
        let mut m = AtomicFile::create(&manifest)?;
        std::io::Write::write_all(&mut m, settings_hash.as_bytes())
            .map_err(|e| Error::write(&manifest, e))?;
        m.commit()?;
    }
    let mut progress = Progress::new("review", to_review, quiet);
    if let Some(j) = &judge {
        progress.watch(j.snapshot_source());
    }
    let mut judge_failures = 0u64;
    let mut stopped: Option<(String, crate::error::StopCause)> = None;
    let mut reviewed = 0u64;
    let ctx = |c: &Conversation| Context {
        catalog: catalog.as_deref(),
        profile: profiles.get(&c.profile_id),
        stopwords: &stopwords,
        settings: &settings,
    };
    let review_one = |c: Conversation| {
        let context = ctx(&c);
        let mut r = metrics::review(&c, &context);
        r.realism = realism::measure(
            &c,
            &realism::RealismContext {
                catalog: context.catalog,
                profile: context.profile,
                data: &realism_data,
            },
        );
        if let Some(j) = &judge {
            r.judge = j.score(&c, context.profile)?;
        }
        let (keep, failed) = prepared.judge(&r);
        r.keep = keep;
        r.failed = failed;
        serde_json::to_string(&r).map_err(|e| Error::Run(e.to_string()))
    };
    // Write one review (or count its failure); says whether the run has been stopped.
    let mut take = |line: Result<String>, out: &mut JsonlWriter<_>| -> Result<bool> {
        match line {
            Ok(line) => {
                out.write_line(&line)?;
                reviewed += 1;
            }
            // Not this conversation's fault: the run stops, and a rerun reviews what is left.
            Err(Error::Stopped(why, cause)) => {
                stopped.get_or_insert((why, cause));
            }
            // Left unreviewed, so that a rerun tries again (what was paid for is in the cache).
            Err(e) => {
                tracing::warn!("{e}");
                judge_failures += 1;
            }
        }
        progress.inc(1);
        Ok(stopped.is_some())
    };
    let outcome = match &judge {
        // With a judge, reviews wait on the network: a continuous pool keeps as many under way as requests should be
        // in flight, and writes them in input order through a bounded reorder buffer (the second pass reads the
        // reviews in step with the conversations).
        Some(j) => {
            let mut lines = crate::io::run_folder::ConversationLines::open(&paths.input)?;
            let jobs = std::iter::from_fn(|| lines.next_undone(|id| done.contains(id)))
                .map(|r| r.map(|(_, c)| c));
            let mut flushed = std::time::Instant::now();
            let pooled = parallel::continuous(
                jobs,
                || j.target_in_flight() + 2,
                parallel::Order::Taken {
                    window: 4 * config.limits.concurrency.get() + 64,
                },
                || (),
                |_, c| review_one(c),
                |line| {
                    let stop = take(line, &mut out)?;
                    if flushed.elapsed() >= std::time::Duration::from_secs(1) {
                        out.flush().map_err(|e| Error::write(&paths.out, e))?;
                        flushed = std::time::Instant::now();
                    }
                    Ok(if stop {
                        parallel::Flow::Stop
                    } else {
                        parallel::Flow::Go
                    })
                },
            );
            out.flush().map_err(|e| Error::write(&paths.out, e))?;
            pooled
        }
        // Offline metrics only: CPU-bound, in large chunks on every core, in input order.
        None => {
            let threads = config.effective_threads();
            let mut chunk: Vec<Conversation> = Vec::new();
            let mut flush = |chunk: &mut Vec<Conversation>,
                             out: &mut JsonlWriter<_>|
             -> Result<()> {
                let lines =
                    parallel::map_jobs(std::mem::take(chunk), threads, || (), |_, c| review_one(c));
                // Without a judge no request is sent, so nothing stops the run.
                for line in lines {
                    take(line, out)?;
                }
                out.flush().map_err(|e| Error::write(&paths.out, e))
            };
            read_jsonl_lines(&paths.input, |line, text| {
                let c = parse_conversation(&paths.input, line, text)?;
                if !done.contains(&c.id) {
                    chunk.push(c);
                }
                if chunk.len() >= 4096 {
                    flush(&mut chunk, &mut out)?;
                }
                Ok(())
            })
            .and_then(|()| flush(&mut chunk, &mut out))
        }
    };
    let outcome = outcome.and_then(|()| match stopped {
        Some((why, cause)) => Err(Error::Stopped(why, cause)),
        None => Ok(()),
    });
    drop(out);
    progress.finish();
    let usage = judge.as_ref().map(|j| j.totals());
    if let Some(j) = &judge {
        // The ledger is kept even when the run stops, so what was paid for is on record.
        j.write_usage(&judge_usage)?;
    }
    outcome?;
    let scales = judge
        .iter()
        .flat_map(|j| j.rubrics())
        .map(|r| (r.name.clone(), r.max_total()))
        .collect();
    let judge_cost = usage.as_ref().map_or(0.0, |u| u.cost_usd);
    let dataset = finish(
        config,
        paths,
        &profiles,
        catalog.as_deref(),
        &realism_data,
        scales,
        judge_cost,
    )?;
    let report = ReviewReport {
        reviewed,
        resumed,
        import: None,
        judge_failures,
        judge_usage: usage,
        keep_rule: rule.text().to_string(),
        seconds: started.elapsed().as_secs_f64(),
        dataset,
    };
    report::write(&report, &paths.report_dir)?;
    Ok(report)
}

/// The records of a JSON Lines file (its lines that are not blank), counted without parsing them.
fn count_records(path: &Path) -> Result<u64> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let (mut n, mut line) = (0u64, Vec::new());
    loop {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::read(path, e))?
            == 0
        {
            return Ok(n);
        }
        n += u64::from(line.iter().any(|b| !b.is_ascii_whitespace()));
    }
}

/// The second pass: read every review, write the kept conversations, and gather the dataset report.
/// The reviews, read alongside the conversations: in step while the two files are in the same order (memory flat
/// in their number), from a map of the rest once they are not (a conversation left unreviewed, a reordered file).
struct ReviewCursor {
    path: PathBuf,
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    line: usize,
    pending: Option<Review>,
    rest: Option<HashMap<String, Review>>,
}

impl ReviewCursor {
    fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
        Ok(ReviewCursor {
            path: path.to_path_buf(),
            lines: std::io::BufRead::lines(std::io::BufReader::with_capacity(1 << 20, file)),
            line: 0,
            pending: None,
            rest: None,
        })
    }

    fn next_review(&mut self) -> Result<Option<Review>> {
        for text in self.lines.by_ref() {
            self.line += 1;
            let text = text.map_err(|e| Error::read(&self.path, e))?;
            if text.trim().is_empty() {
                continue;
            }
            return serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::input(&self.path, Some(self.line), None, e.to_string()));
        }
        Ok(None)
    }

    /// The review of conversation `id`, if there is one.
    fn take(&mut self, id: &str) -> Result<Option<Review>> {
        if let Some(rest) = self.rest.as_mut() {
            return Ok(rest.remove(id));
        }
        if self.pending.is_none() {
            self.pending = self.next_review()?;
        }
        match self.pending.take() {
            Some(r) if r.id == id => Ok(Some(r)),
            pending => {
                let mut rest: HashMap<String, Review> = HashMap::new();
                rest.extend(pending.map(|r| (r.id.clone(), r)));
                while let Some(r) = self.next_review()? {
                    rest.insert(r.id.clone(), r);
                }
                let found = rest.remove(id);
                self.rest = Some(rest);
                Ok(found)
            }
        }
    }
}

fn finish(
    config: &Config,
    paths: &ReviewPaths,
    profiles: &HashMap<String, Profile>,
    catalog: Option<&MemoryCatalog>,
    realism_data: &realism::RealismData,
    scales: std::collections::BTreeMap<String, f64>,
    judge_cost: f64,
) -> Result<DatasetReport> {
    let mut reviews = ReviewCursor::open(&paths.out)?;
    let mut realism = realism::RealismBuilder::new(realism_data, catalog, config.seed);
    let mut builder = DatasetBuilder::new(&config.review, scales);
    builder.add_cost(judge_cost);
    let mut kept = AtomicFile::create(&paths.kept)?;
    {
        let mut writer = JsonlWriter::new(&mut kept, &paths.kept);
        read_jsonl_lines(&paths.input, |line, text| {
            let c = parse_conversation(&paths.input, line, text)?;
            let Some(r) = reviews.take(&c.id)? else {
                return Ok(());
            };
            let r = &r;
            let leaf = catalog.and_then(|cat| {
                cat.position(&c.target_item_id)
                    .map(|i| cat.leaf(i).to_string())
            });
            builder.add(&c, r, profiles.get(&c.profile_id), leaf.as_deref());
            realism.add(&c, r, profiles.get(&c.profile_id));
            if r.keep {
                writer.write_line(text)?;
            }
            Ok(())
        })?;
    }
    kept.commit()?;
    let mut dataset = builder.finish();
    dataset.realism = realism.finish();
    Ok(dataset)
}
