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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::agents::sim::SimWorld;
use crate::config::{AgentKind, Config, PairSource, RoleName};
use crate::generate::LlmSetup;
use crate::io::{Sources, names, read_jsonl_lines};
use crate::manager::{Cache, Manager, Routes, UsageRow};
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
        .join("cache.db")
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
    let models = Models::connect(&plan.config, &cache_of(sources), &usage_path(out), &catalog)?;
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
    let done =
        match existing(out, &key, &mut report).and_then(|done| same_start(sources, out, done)) {
            Ok(done) => done,
            Err(e @ Error::Config(_)) if force => {
                tracing::warn!("{e}; starting {} over (--force)", out.display());
                remove(out)?;
                report = PairsReport {
                    file: out.to_path_buf(),
                    ..PairsReport::default()
                };
                Vec::new()
            }
            Err(e) => return Err(e),
        };
    report.resumed = done.len();

    let catalog = plan.catalog_for(&catalog_path)?;
    let phrases = &plan.phrases;
    let reason_labels = plan.tables.reason_labels();
    let usage = usage_path(out);
    let sim = SimWorld {
        catalog: &catalog,
        phrases,
        config: &config.dialogue,
        reason_labels: &reason_labels,
        user_voice: None,
        system_voice: None,
        system_chain: None,
        config_deadline: None,
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
    let threads = if models.llm.is_some() || models.judge.is_some() {
        config.limits.concurrency.get()
    } else {
        config.effective_threads()
    };
    let mut writer = crate::io::append_jsonl(out)?;
    // The conversations left to pair are not counted ahead: the line shows the count and rate as they go.
    let mut progress = Progress::new("pairs", 0, quiet);
    if let Some(m) = &models.manager {
        progress.watch(crate::manager::Manager::snapshot_source(m));
    }
    let mut batch: Vec<Conversation> = Vec::new();
    let mut flush = |batch: &mut Vec<Conversation>, report: &mut PairsReport| -> Result<()> {
        let results = parallel::map_jobs(
            std::mem::take(batch),
            threads,
            || (),
            |_, c| {
                let made = maker.pairs(&c, profiles.get(&c.profile_id));
                (c.id.clone(), conversation_key(&c), made)
            },
        );
        let mut outcome = Ok(());
        for (id, conversation, made) in results {
            // The lines stay in order: after a failed conversation nothing is written, so a rerun starts there.
            let (pairs, counts) = match made {
                Ok(made) => made,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            };
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
        }
        writer.flush().map_err(|e| Error::write(out, e))?;
        // The ledger is kept even when the run stops, so what was paid for is on record.
        models.write_usage(&usage)?;
        outcome
    };
    let chunk = threads * 64;
    let mut position = 0usize;
    sources.for_each_conversation(|c| {
        let at = position;
        position += 1;
        if let Some((id, key)) = done.get(at) {
            return if *id == c.id && *key == conversation_key(&c) {
                Ok(())
            } else {
                Err(other_conversations(out, at + 1, id, &c.id))
            };
        }
        batch.push(c);
        if batch.len() >= chunk {
            flush(&mut batch, &mut report)?;
        }
        Ok(())
    })?;
    flush(&mut batch, &mut report)?;
    progress.finish();
    if done.len() > position {
        return Err(other_conversations(
            out,
            position + 1,
            &done[position].0,
            "nothing",
        ));
    }
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

/// `done` when the conversations of `sources` all read and start with those, in that order; an error otherwise (a
/// broken conversation line, or pairs made from other conversations).
fn same_start(
    sources: &Sources,
    out: &Path,
    done: Vec<(String, String)>,
) -> Result<Vec<(String, String)>> {
    // Every line is read, so that a broken conversation line stops the stage before it writes anything.
    let mut at = 0usize;
    sources.for_each_conversation(|c| {
        let Some((id, key)) = done.get(at) else {
            return Ok(());
        };
        at += 1;
        if c.id == *id && conversation_key(&c) == *key {
            Ok(())
        } else {
            Err(other_conversations(out, at, id, &c.id))
        }
    })?;
    if at < done.len() {
        return Err(other_conversations(out, at + 1, &done[at].0, "nothing"));
    }
    Ok(done)
}

/// The error of a pairs file whose `line` is not for the conversation at the same place.
fn other_conversations(out: &Path, line: usize, has: &str, expected: &str) -> Error {
    Error::Config(format!(
        "{}:{line} holds the pairs of {has} where the conversations have {expected} (or another version of it): \
         the pairs were made from other conversations; pass --force to make them again",
        out.display()
    ))
}

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
    fn connect(config: &Config, cache: &Path, usage: &Path, catalog: &Path) -> Result<Self> {
        let recommender = config.roles.system_agent.agent == AgentKind::Llm;
        let judging = config.export.dpo.sources.contains(&PairSource::Judge)
            && config.roles.judge.agent == AgentKind::Llm;
        let mut roles = Vec::new();
        if recommender {
            roles.extend([RoleName::UserAgent, RoleName::SystemAgent]);
        }
        if judging {
            roles.push(RoleName::Judge);
        }
        let Some(routes) = Routes::connect(config, &roles, false)? else {
            return Ok(Models {
                manager: None,
                llm: None,
                judge: None,
            });
        };
        let cache = if config.limits.cache {
            Some(Cache::open(cache)?)
        } else {
            None
        };
        let manager = Arc::new(routes.manager(config, cache));
        // A resumed run's ledger starts from what the earlier runs spent.
        manager.load_usage(usage)?;
        let llm = recommender
            .then(|| LlmSetup::over(config, manager.clone(), catalog))
            .transpose()?;
        let judge = judging
            .then(|| Judge::over(manager.clone(), config))
            .transpose()?;
        Ok(Models {
            manager: Some(manager),
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
