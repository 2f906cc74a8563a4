//! The preference-pair stage (`musegen pairs`): per sound recommendation of each conversation, the recommender
//! replayed to that turn phrases a rejected reply (a grounded hard negative, or a fresh reply the pairwise judge ranks
//! against the real one), written to `pairs.jsonl` one line per conversation, in the conversations' order. The file
//! is append-only and resumable (a torn last line is dropped, the conversations already there are skipped), refuses
//! to resume under other settings or from other conversations unless forced, and every model request goes through
//! one request manager (cached, so a rerun pays nothing; its ledger in `pairs.usage.csv`). `export dpo` renders the
//! file into the training formats.

mod maker;
pub mod read;
mod record;

pub use maker::PairMaker;
pub use read::PairsReader;
pub use record::{ConversationPairs, Pair, PairCounts, conversation_key};

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::agents::sim::SimWorld;
use crate::config::{AgentKind, Config, PairSource, RoleName};
use crate::generate::LlmSetup;
use crate::io::{Sources, names, read_jsonl_lines};
use crate::manager::{Manager, UsageRow};
use crate::model::Conversation;
use crate::plan::Plan;
use crate::progress::Progress;
use crate::review::judge::Judge;
use crate::{Error, Result, parallel};

/// What the stage did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairsReport {
    /// The file written.
    pub file: PathBuf,
    /// Conversations in it (one line each).
    pub conversations: usize,
    /// Of which were there already (an earlier, cut run).
    pub resumed: usize,
    /// Pairs in it.
    pub pairs: usize,
    /// Pairs per source.
    pub by_source: BTreeMap<String, usize>,
    /// What making them found.
    pub counts: PairCounts,
    /// The language-model requests the pairs took (negatives phrased by a model, the judge), over every run that
    /// wrote the file.
    pub usage: Option<UsageRow>,
}

/// The key of the settings that shape the pairs: the dialogue settings, roles and phrase banks the recommender is
/// replayed with (as `generate` hashes them), the pair settings, the judge and its rubrics, and the profile tables
/// (reason and attribute labels).
pub fn settings_key(config: &Config) -> Result<String> {
    let dialogue = crate::generate::dialogue_hash(config)?;
    let parts = serde_json::to_string(&(
        &dialogue,
        &config.export.dpo,
        &config.roles.judge,
        &config.review,
        &config.profiles.tables_dir,
    ))
    .map_err(|e| Error::Run(e.to_string()))?;
    Ok(format!(
        "{:016x}",
        crate::rng::stable_hash(0, &[parts.as_bytes()])
    ))
}

/// The usage ledger of the stage, beside `pairs`.
pub fn usage_path(pairs: &Path) -> PathBuf {
    pairs.with_file_name(names::PAIRS_USAGE)
}

/// The response cache of the run folder of `sources` (where `generate` and `review` cache theirs).
fn cache_of(sources: &Sources) -> PathBuf {
    sources
        .conversations
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(crate::io::names::CACHE)
}

/// Make the pairs of every conversation of `sources` into `out` (`pairs.jsonl`), resuming what is there. A file made
/// under other settings, or from other conversations, is refused, or started over when `force`.
pub fn make_pairs(
    config: &Config,
    sources: &Sources,
    out: &Path,
    force: bool,
) -> Result<PairsReport> {
    let plan = Plan::new(config.clone())?.with_catalog(&catalog_of(sources)?)?;
    run(&plan, sources, out, force, true)
}

/// [`make_pairs`] under `plan` (the catalog in memory, the phrase banks and tables it holds), with a progress line
/// unless `quiet`.
pub fn run(
    plan: &Plan,
    sources: &Sources,
    out: &Path,
    force: bool,
    quiet: bool,
) -> Result<PairsReport> {
    let catalog = catalog_of(sources)?;
    let models = Models::connect(plan, &cache_of(sources), &usage_path(out), &catalog)?;
    make(plan, sources, out, force, models, quiet)
}

/// [`make_pairs`] with the pairwise judge given (the recommender's hard negatives of conversations a model played
/// are left out: `no_llm_voice`); its ledger is written beside `out` too.
pub fn make_pairs_judged_by(
    config: &Config,
    sources: &Sources,
    out: &Path,
    force: bool,
    judge: Judge,
) -> Result<PairsReport> {
    let models = Models {
        manager: None,
        llm: None,
        judge: Some(judge),
    };
    let plan = Plan::new(config.clone())?.with_catalog(&catalog_of(sources)?)?;
    make(&plan, sources, out, force, models, true)
}

/// The catalog of `sources`, which the pairs need.
fn catalog_of(sources: &Sources) -> Result<PathBuf> {
    sources.catalog.clone().ok_or_else(|| {
        Error::input(
            &sources.conversations,
            None,
            None,
            "preference pairs need the catalog (catalog.db beside the conversations)",
        )
    })
}

fn make(
    plan: &Plan,
    sources: &Sources,
    out: &Path,
    force: bool,
    models: Models,
    quiet: bool,
) -> Result<PairsReport> {
    let config = &plan.config;
    let catalog_path = catalog_of(sources)?;
    let key = settings_key(config)?;
    let mut report = PairsReport {
        file: out.to_path_buf(),
        ..PairsReport::default()
    };
    let done = match existing(out, &key, &mut report).and_then(|done| same_set(sources, out, done))
    {
        Ok(done) => done,
        Err(e @ Error::Config(_)) if force => {
            tracing::warn!("{e}; starting {} over (--force)", out.display());
            remove(out)?;
            report = PairsReport {
                file: out.to_path_buf(),
                ..PairsReport::default()
            };
            HashMap::new()
        }
        Err(e) => return Err(e),
    };
    report.resumed = done.len();

    let catalog = plan.catalog_for(&catalog_path)?;
    let phrases = &plan.phrases;
    let reason_said = plan.tables.reason_said();
    let usage = usage_path(out);
    let sim = SimWorld {
        catalog: &catalog,
        phrases,
        config: &config.dialogue,
        reason_said: &reason_said,
        user_voice: None,
        system_voice: None,
        system_chain: None,
        config_deadline: None,
        currencies: &plan.currencies,
        sizes: &plan.sizes,
    };
    let llm_world = models.llm.as_ref().map(|l| SimWorld {
        system_voice: l.system.as_ref(),
        system_chain: l.chain.as_ref(),
        ..sim
    });
    let maker = PairMaker {
        sim: &sim,
        llm: llm_world.as_ref(),
        judge: models.judge.as_ref(),
        cfg: &config.export.dpo,
    };
    let profiles = sources.profiles()?;
    let on_model = models.llm.is_some() || models.judge.is_some();
    let mut writer = crate::io::append_jsonl(out)?;
    // The conversations left to pair are not counted ahead: the line shows the count and rate as they go.
    let mut progress = Progress::new("pairs", 0, quiet);
    if let Some(m) = &models.manager {
        progress.watch(crate::manager::Manager::snapshot_source(m));
    }
    let pair_one = |c: Conversation| {
        let made = maker.pairs(&c, profiles.get(&c.profile_id));
        (c.id.clone(), conversation_key(&c), made)
    };
    // Write the line of one conversation; the first error stops the stage (the lines written stay, and a rerun makes
    // the rest: a pairs file resumes from the set of conversations it holds).
    let mut flushed = std::time::Instant::now();
    let mut take = |(id, conversation, made): Made, report: &mut PairsReport| -> Result<()> {
        let (pairs, counts) = made?;
        let line = ConversationPairs {
            id,
            conversation,
            settings: key.clone(),
            counts,
            pairs,
        };
        tally(report, &line);
        writer.write(&line)?;
        progress.inc(1);
        if flushed.elapsed() >= std::time::Duration::from_secs(1) {
            writer.flush().map_err(|e| Error::write(out, e))?;
            // The ledger is kept as the stage goes, so what was paid for is on record.
            models.write_usage(&usage)?;
            flushed = std::time::Instant::now();
        }
        Ok(())
    };
    let outcome = if on_model {
        // Requests wait on the network: a continuous pool as wide as the manager wants requests in flight, each
        // conversation's line written as it completes.
        let target = || {
            let manager = models.manager.as_ref().map(|m| m.target_in_flight());
            let judge = models.judge.as_ref().map(Judge::target_in_flight);
            manager.or(judge).unwrap_or(1) + 2
        };
        let mut lines = crate::io::run_folder::ConversationLines::open(&sources.conversations)?;
        let jobs = std::iter::from_fn(|| lines.next_undone(|id| done.contains_key(id)))
            .map(|r| r.map(|(_, c)| c));
        let mut failed = Ok(());
        let pooled = parallel::continuous(
            jobs,
            target,
            parallel::Order::Completion,
            || (),
            |_, c| pair_one(c),
            |made| {
                Ok(match take(made, &mut report) {
                    Ok(()) => parallel::Flow::Go,
                    Err(e) => {
                        failed = Err(e);
                        parallel::Flow::Stop
                    }
                })
            },
        );
        pooled.and(failed)
    } else {
        // Offline: CPU-bound, in chunks on every core, in the conversations' order (byte-identical whatever the
        // thread count).
        let threads = config.effective_threads();
        let chunk = threads * 64;
        let mut batch: Vec<Conversation> = Vec::new();
        let mut flush = |batch: &mut Vec<Conversation>, report: &mut PairsReport| -> Result<()> {
            let results =
                parallel::map_jobs(std::mem::take(batch), threads, || (), |_, c| pair_one(c));
            for made in results {
                take(made, report)?;
            }
            Ok(())
        };
        sources
            .for_each_conversation(|c| {
                if done.contains_key(&c.id) {
                    return Ok(());
                }
                batch.push(c);
                if batch.len() >= chunk {
                    flush(&mut batch, &mut report)?;
                }
                Ok(())
            })
            .and_then(|()| flush(&mut batch, &mut report))
    };
    writer.flush().map_err(|e| Error::write(out, e))?;
    // The ledger is kept even when the stage stops, so what was paid for is on record.
    models.write_usage(&usage)?;
    progress.finish();
    outcome?;
    report.usage = models.totals();
    Ok(report)
}

/// The conversation ids already in `out` (after dropping a torn last line), their pairs tallied into `report`; an
/// error when a line was made under other settings.
fn existing(out: &Path, key: &str, report: &mut PairsReport) -> Result<Vec<(String, String)>> {
    crate::io::resume::recover(out, |_| Ok(()))?;
    let mut done = Vec::new();
    if !out.is_file() {
        return Ok(done);
    }
    read_jsonl_lines(out, |line, text| {
        let record: ConversationPairs = serde_json::from_str(text)
            .map_err(|e| Error::input(out, Some(line), None, format!("not a pairs line: {e}")))?;
        if record.settings != key {
            return Err(Error::Config(format!(
                "{} was made under other settings (the pair, dialogue or judge settings, the phrase banks or the \
                 profile tables changed): run with the same config, or pass --force to make the pairs again",
                out.display()
            )));
        }
        tally(report, &record);
        done.push((record.id, record.conversation));
        Ok(())
    })?;
    Ok(done)
}

/// `done` as a set when the conversations of `sources` all read and hold every conversation of `done` as it was
/// paired (in any order: a model's conversations replayed from the cache come back in another order); an error
/// otherwise (a broken conversation line, or pairs made from other conversations).
fn same_set(
    sources: &Sources,
    out: &Path,
    done: Vec<(String, String)>,
) -> Result<HashMap<String, String>> {
    let mut lines: HashMap<&str, usize> = HashMap::with_capacity(done.len());
    for (line, (id, _)) in done.iter().enumerate() {
        lines.insert(id.as_str(), line + 1);
    }
    // Every line is read, so that a broken conversation line stops the stage before it writes anything.
    sources.for_each_conversation(|c| {
        let Some(line) = lines.remove(c.id.as_str()) else {
            return Ok(());
        };
        if done[line - 1].1 == conversation_key(&c) {
            Ok(())
        } else {
            Err(other_conversations(
                out,
                line,
                &c.id,
                "another version of it",
            ))
        }
    })?;
    // What is left was paired from conversations these do not have.
    if let Some((id, line)) = lines.into_iter().min_by_key(|(_, line)| *line) {
        return Err(other_conversations(out, line, id, "no such conversation"));
    }
    Ok(done.into_iter().collect())
}

/// The error of a pairs file whose `line` holds the pairs of conversation `id` where the conversations have `what`.
fn other_conversations(out: &Path, line: usize, id: &str, what: &str) -> Error {
    Error::Config(format!(
        "{}:{line} holds the pairs of {id} where the conversations have {what}: the pairs were made from other \
         conversations; pass --force to make them again",
        out.display()
    ))
}

/// One conversation's id, its key (what the pairs were made from), and its pairs and their counts.
type Made = (String, String, Result<(Vec<Pair>, PairCounts)>);

/// Count `line` into `report`.
fn tally(report: &mut PairsReport, line: &ConversationPairs) {
    report.conversations += 1;
    report.pairs += line.pairs.len();
    report.counts.add(&line.counts);
    for p in &line.pairs {
        *report
            .by_source
            .entry(p.source.key().to_string())
            .or_insert(0) += 1;
    }
}

/// The language models of the stage: one request manager for the recommender (hard negatives of conversations a
/// model played) and the pairwise judge.
struct Models {
    manager: Option<Arc<Manager>>,
    llm: Option<LlmSetup>,
    judge: Option<Judge>,
}

impl Models {
    fn connect(plan: &Plan, cache: &Path, usage: &Path, catalog: &Path) -> Result<Self> {
        let config = &plan.config;
        let recommender = config.roles.system_agent.agent == AgentKind::Llm;
        let judging = config.export.dpo.sources.contains(&PairSource::Judge)
            && config.roles.judge.agent == AgentKind::Llm;
        let mut roles = Vec::new();
        if recommender {
            roles.extend(LlmSetup::ROLES);
        }
        if judging {
            roles.push(RoleName::Judge);
        }
        let Some(engine) = plan.engine(&roles, cache)? else {
            return Ok(Models {
                manager: None,
                llm: None,
                judge: None,
            });
        };
        // A resumed run's ledger starts from what the earlier runs spent.
        engine.manager().begin_stage(Some(usage))?;
        let llm = recommender
            .then(|| LlmSetup::over(config, &engine, catalog))
            .transpose()?;
        let judge = judging.then(|| Judge::over(&engine, config)).transpose()?;
        Ok(Models {
            manager: Some(engine.manager().clone()),
            llm,
            judge,
        })
    }
}

impl Models {
    /// Write the ledger to `path` (nothing without a model).
    fn write_usage(&self, path: &Path) -> Result<()> {
        match (&self.manager, &self.judge) {
            (Some(m), _) => m.write_usage(path),
            (None, Some(j)) => j.write_usage(path),
            (None, None) => Ok(()),
        }
    }

    /// The ledger's totals (`None` without a model).
    fn totals(&self) -> Option<UsageRow> {
        match (&self.manager, &self.judge) {
            (Some(m), _) => Some(m.totals()),
            (None, Some(j)) => Some(j.totals()),
            (None, None) => None,
        }
    }
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::write(path, e)),
        _ => Ok(()),
    }
}
