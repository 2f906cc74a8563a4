//! The `generate` stage: one conversation per session from the profiles, written in id order by one writer to an
//! append-only JSONL file, failures to `failures.jsonl`, resumable after a crash at any instant, with a manifest that
//! refuses to resume under different settings.

mod inputs;
mod llm_setup;
pub mod muse;
pub mod summary;

pub use inputs::{GenerateManifest, dialogue_hash};
use inputs::{ProfileCycle, check_manifest, scan_profiles, write_manifest};
pub use llm_setup::LlmSetup;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::agents::sim::{SimSystem, SimUser, SimWorld};
use crate::config::Config;
use crate::dialogue;
use crate::io::JsonlWriter;
use crate::model::{GenerationMeta, Profile};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::rng::Rng;
use crate::{Error, Result, parallel};

use crate::io::resume::{Done, recover};
use summary::{GenerateReport, SummaryBuilder};

/// Where `generate` reads and writes.
#[derive(Debug, Clone)]
pub struct GeneratePaths {
    /// Profiles to play.
    pub profiles: PathBuf,
    /// Catalog index.
    pub catalog: PathBuf,
    /// Conversations (JSONL, appended).
    pub out: PathBuf,
    /// Failures (JSONL, appended).
    pub failures: PathBuf,
}

impl GeneratePaths {
    /// The usage ledger beside the output (`usage.csv`), written when a language model is used.
    pub fn usage(&self) -> PathBuf {
        self.out.with_file_name("usage.csv")
    }

    /// The LLM response cache beside the output (`cache.db`).
    pub fn cache(&self) -> PathBuf {
        self.out.with_file_name(crate::io::names::CACHE)
    }

    /// The manifest beside the output: `conversations.jsonl` → `conversations.manifest.json`.
    pub fn manifest(&self) -> PathBuf {
        let stem = self
            .out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "conversations".into());
        self.out.with_file_name(format!("{stem}.manifest.json"))
    }
}

pub use crate::model::Failure;

/// The id of the `i`-th conversation of a run.
pub fn conversation_id(i: usize) -> String {
    format!("c{i:08}")
}

fn conversation_index(id: &str) -> Option<usize> {
    id.strip_prefix('c')?.parse().ok()
}

/// Run `generate` with a plan built from `config` for `paths.catalog` (a stage run alone builds the same plan as
/// `musegen run`): see [`run`].
pub fn generate(
    config: &Config,
    paths: &GeneratePaths,
    force: bool,
    quiet: bool,
) -> Result<GenerateReport> {
    let plan = Plan::new(config.clone())?.with_catalog(&paths.catalog)?;
    run(&plan, paths, force, quiet)
}

/// Run `generate` under `plan`: resume what is there, play the rest, and return the summary.
pub fn run(plan: &Plan, paths: &GeneratePaths, force: bool, quiet: bool) -> Result<GenerateReport> {
    generate_with(plan, &plan.config, paths, force, quiet, false)
}

/// Price an LLM run without sending anything or touching the outputs: the conversations are played against a
/// dry-run backend in a scratch folder that is removed afterwards; the report holds the estimated usage and cost.
pub fn dry_run(plan: &Plan, paths: &GeneratePaths, quiet: bool) -> Result<GenerateReport> {
    let config = &plan.config;
    let scratch = std::env::temp_dir().join(format!("musegen-dry-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let scratch_paths = GeneratePaths {
        profiles: paths.profiles.clone(),
        catalog: paths.catalog.clone(),
        out: scratch.join("conversations.jsonl"),
        failures: scratch.join("failures.jsonl"),
    };
    let mut config = config.clone();
    config.limits.cache = false;
    config.limits.rpm = std::num::NonZeroU32::MAX;
    config.limits.tpm = std::num::NonZeroU32::MAX;
    let report = generate_with(plan, &config, &scratch_paths, true, quiet, true);
    let _ = std::fs::remove_dir_all(&scratch);
    report
}

fn generate_with(
    plan: &Plan,
    config: &Config,
    paths: &GeneratePaths,
    force: bool,
    quiet: bool,
    dry: bool,
) -> Result<GenerateReport> {
    let started = std::time::Instant::now();
    let (profile_count, profiles_hash) = scan_profiles(&paths.profiles)?;
    let catalog = plan.catalog_for(&paths.catalog)?;
    let phrases = &plan.phrases;
    let reason_said = plan.tables.reason_said();
    let llm = LlmSetup::new(plan, config, paths, dry)?;
    let world = SimWorld {
        currencies: &plan.currencies,
        sizes: &plan.sizes,
        catalog: &catalog,
        phrases,
        config: &config.dialogue,
        reason_said: &reason_said,
        user_voice: llm.as_ref().and_then(|l| l.user.as_ref()),
        system_voice: llm.as_ref().and_then(|l| l.system.as_ref()),
        system_chain: llm.as_ref().and_then(|l| l.chain.as_ref()),
        config_deadline: config
            .limits
            .conversation_deadline_secs
            .map(std::time::Duration::from_secs_f64),
    };
    let total = if config.dialogue.sessions > 0 {
        config.dialogue.sessions
    } else {
        profile_count
    };
    let manifest = GenerateManifest {
        musegen: env!("CARGO_PKG_VERSION").to_string(),
        config_hash: dialogue_hash(config)?,
        profiles_hash,
        profiles: profile_count,
        catalog_items: catalog.len(),
    };
    check_manifest(&paths.manifest(), &manifest, force)?;

    let mut done = Done::new(total);
    let mut duplicates = 0usize;
    let mut summary = SummaryBuilder::new(total, config.dialogue.diversity_sample);
    for file in [&paths.out, &paths.failures] {
        recover(file, |id| {
            if let Some(i) = conversation_index(id)
                && !done.insert(i)
            {
                duplicates += 1;
            }
            Ok(())
        })?;
    }
    if duplicates > 0 {
        tracing::warn!(
            "{duplicates} conversation ids appear twice in {}",
            paths.out.display()
        );
    }
    let resumed = done.count;
    log_resume_point(paths, total, resumed);
    if resumed > 0 {
        // The report describes the whole output: what earlier invocations wrote counts as well.
        count_existing(paths, &mut summary)?;
    }
    write_manifest(&paths.manifest(), &manifest)?;

    let mut progress = Progress::new("dialogues", (total - resumed.min(total)) as u64, quiet);
    if let Some(l) = &llm {
        progress.watch(crate::manager::Manager::snapshot_source(&l.manager));
    }
    let mut cycle = ProfileCycle::open(&paths.profiles)?;
    let meta = GenerationMeta {
        user_agent: world.user_voice.map_or_else(|| "sim".into(), |v| v.name()),
        system_agent: world
            .system_voice
            .map_or_else(|| "sim".into(), |v| v.name()),
        config_hash: manifest.config_hash.clone(),
        seed: config.seed,
        musegen: manifest.musegen.clone(),
    };
    let play_one = |i: usize, profile: Profile| {
        let id = conversation_id(i);
        tracing::trace!(target: "musegen::generate::start", "{id}");
        // Workers also serialize, so the single writer only appends bytes.
        let played = play(config, &world, &meta, &id, &profile).map(|mut c| {
            // What the conversation cost, from the ledger (requests answered from the cache cost nothing).
            if let Some(l) = &llm {
                let u = l.manager.usage_of(&id);
                c.usage.requests = u.requests as u32;
                c.usage.prompt_tokens = u.prompt_tokens;
                c.usage.completion_tokens = u.completion_tokens;
                c.usage.cache_read_tokens = u.cache_read_tokens;
                c.usage.cache_write_tokens = u.cache_write_tokens;
                c.usage.reasoning_tokens = u.reasoning_tokens;
                c.usage.cost_usd = u.cost_usd;
            }
            c
        });
        tracing::trace!(target: "musegen::generate::end", "{id}");
        let outcome = played.and_then(|c| {
            let line = crate::model::to_json_line(&c)?;
            Ok((c, line))
        });
        Played {
            id,
            profile_id: profile.id,
            outcome,
        }
    };
    let mut writer = Writer {
        paths,
        out: crate::io::append_jsonl(&paths.out)?,
        failures: None,
        summary: &mut summary,
        progress: &mut progress,
        stopped: None,
        manager: llm.as_ref().map(|l| l.manager.as_ref()),
        flushed: std::time::Instant::now(),
        ledger_written: std::time::Instant::now(),
    };
    // One continuous pool plays the conversations: a worker takes the next profile the moment its last
    // conversation ends, while the calling thread writes.
    // - With a language model, conversations wait on the network: the pool keeps as many open as requests should be
    //   in flight (the manager's target, which follows rpm × latency) and writes them as they complete (resume reads
    //   the set of ids written, in any order; the response cache keeps a crash from paying twice).
    // - Sim: CPU-bound, one worker a thread, written in id order through a window (byte-identical output whatever
    //   the thread count, and memory stays flat).
    let threads = config.effective_threads();
    let manager = llm.as_ref().map(|l| l.manager.clone());
    let workers = || match &manager {
        Some(m) => open_conversations(m.target_in_flight()),
        None => threads,
    };
    let order = match manager {
        Some(_) => parallel::Order::Completion,
        None => parallel::Order::Taken {
            window: SIM_WINDOW * threads,
        },
    };
    let mut next = 0usize;
    let done = &done;
    let jobs = std::iter::from_fn(move || {
        while next < total {
            let i = next;
            next += 1;
            match cycle.next_profile() {
                Err(e) => return Some(Err(e)),
                Ok(profile) if !done.contains(i) => return Some(Ok((i, profile))),
                Ok(_) => {}
            }
        }
        None
    });
    let outcome = parallel::continuous(
        jobs,
        workers,
        order,
        || (),
        |_, (i, profile)| play_one(i, profile),
        |played| {
            writer.take(played)?;
            writer.flush_often()?;
            Ok(if writer.stopped.is_some() {
                parallel::Flow::Stop
            } else {
                parallel::Flow::Go
            })
        },
    );
    writer.flush()?;
    outcome?;
    writer.stop()?;
    drop(writer);
    progress.finish();
    let mut report = summary.finish(started.elapsed().as_secs_f64(), resumed);
    report.llm_usage = llm.as_ref().map(|l| l.manager.totals());
    report.dry_run = dry;
    Ok(report)
}

/// Sim conversations played ahead of the one being written, per thread: enough that no worker waits on a slow
/// conversation, few enough that memory stays flat.
const SIM_WINDOW: usize = 256;

/// Conversations to keep open for `in_flight` requests: each has at most one request out at a time, and a few more
/// cover the moments a conversation spends between requests (its own turns, being written).
fn open_conversations(in_flight: usize) -> usize {
    in_flight + in_flight / 16 + 2
}

/// A conversation played, or why not.
struct Played {
    id: String,
    profile_id: String,
    outcome: Result<(crate::model::Conversation, String)>,
}

/// The single writer of `generate`: conversations to the output, failures to their file, the summary and progress.
struct Writer<'a> {
    paths: &'a GeneratePaths,
    out: JsonlWriter<BufWriter<File>>,
    failures: Option<JsonlWriter<BufWriter<File>>>,
    summary: &'a mut SummaryBuilder,
    progress: &'a mut Progress,
    stopped: Option<(String, crate::error::StopCause)>,
    manager: Option<&'a crate::manager::Manager>,
    flushed: std::time::Instant,
    ledger_written: std::time::Instant,
}

impl Writer<'_> {
    /// Write one conversation or its failure record; a conversation stopped by the run stays undone.
    fn take(&mut self, played: Played) -> Result<()> {
        let Played {
            id,
            profile_id,
            outcome,
        } = played;
        match outcome {
            Ok((conversation, line)) => {
                self.out.write_line(&line)?;
                self.summary.add(&conversation);
            }
            Err(Error::Stopped(why, cause)) => {
                // Not this conversation's fault: it stays undone, to be played on resume.
                self.stopped.get_or_insert((why, cause));
                return Ok(());
            }
            Err(e) => {
                let failures = match self.failures.as_mut() {
                    Some(f) => f,
                    None => self
                        .failures
                        .insert(crate::io::append_jsonl(&self.paths.failures)?),
                };
                failures.write(&Failure {
                    id,
                    profile_id,
                    stage: "dialogue".into(),
                    kind: error_kind(&e).into(),
                    message: e.to_string(),
                })?;
                self.summary.fail();
            }
        }
        self.progress.inc(1);
        Ok(())
    }

    /// Flush the files every second, and write the ledger every five (it is rewritten whole, and grows with the
    /// run).
    fn flush_often(&mut self) -> Result<()> {
        if self.flushed.elapsed() >= std::time::Duration::from_secs(1) {
            self.flush_files()?;
        }
        if self.ledger_written.elapsed() >= std::time::Duration::from_secs(5) {
            self.write_ledger()?;
        }
        Ok(())
    }

    fn flush_files(&mut self) -> Result<()> {
        flush(&mut self.out, &self.paths.out)?;
        if let Some(f) = self.failures.as_mut() {
            flush(f, &self.paths.failures)?;
        }
        self.flushed = std::time::Instant::now();
        Ok(())
    }

    fn write_ledger(&mut self) -> Result<()> {
        if let Some(m) = self.manager {
            m.write_usage(&self.paths.usage())?;
        }
        self.ledger_written = std::time::Instant::now();
        Ok(())
    }

    /// Flush both files and write the ledger.
    fn flush(&mut self) -> Result<()> {
        self.flush_files()?;
        self.write_ledger()
    }

    /// The run's stop, once everything before it is written.
    fn stop(&mut self) -> Result<()> {
        match self.stopped.take() {
            Some((why, cause)) => Err(Error::Stopped(why, cause)),
            None => Ok(()),
        }
    }
}

/// Log (with `-v`) where the run starts: how many of the `total` conversations were found done, and the first one
/// left to play.
fn log_resume_point(paths: &GeneratePaths, total: usize, resumed: usize) {
    if resumed == 0 {
        tracing::info!(
            "dialogues: starting {}: {total} conversations to play",
            paths.out.display()
        );
    } else {
        tracing::info!(
            "dialogues: resuming {}: {resumed} of {total} conversation ids found written (conversations and failure \
             records); {} left to play",
            paths.out.display(),
            total.saturating_sub(resumed)
        );
    }
}

/// Count the conversations and failure records already in the output (after [`recover`] cut any torn line).
fn count_existing(paths: &GeneratePaths, summary: &mut SummaryBuilder) -> Result<()> {
    if paths.out.exists() {
        crate::io::read_jsonl_lines(&paths.out, |line, text| {
            let c: crate::model::Conversation = serde_json::from_str(text).map_err(|e| {
                Error::input(
                    &paths.out,
                    Some(line),
                    None,
                    format!("not a conversation: {e}"),
                )
            })?;
            summary.existing(&c);
            Ok(())
        })?;
    }
    if paths.failures.exists() {
        crate::io::read_jsonl_lines(&paths.failures, |_, _| {
            summary.existing_failure();
            Ok(())
        })?;
    }
    Ok(())
}

/// Play conversation `id` for `profile` with the sim agents; its randomness derives from (seed, id) alone.
fn play(
    config: &Config,
    world: &SimWorld,
    meta: &GenerationMeta,
    id: &str,
    profile: &Profile,
) -> Result<crate::model::Conversation> {
    let seed = config.seed;
    let cfg = &config.dialogue;
    let mut user = SimUser::new(
        profile,
        world,
        id,
        Rng::for_record(seed, "dialogue.user", id),
    )?;
    let mut system = SimSystem::new(
        world,
        id,
        world.currencies.for_profile(profile),
        world.sizes.for_profile(profile),
        Rng::for_record(seed, "dialogue.system", id),
    );
    let mut rng = Rng::for_record(seed, "dialogue.manager", id);
    dialogue::converse(
        id,
        profile,
        &mut user,
        &mut system,
        cfg,
        meta.clone(),
        &mut rng,
    )
}

fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::Input { .. } | Error::Read { .. } => "input",
        Error::Config(_) => "config",
        Error::Data { .. } => "data",
        Error::Write { .. } => "write",
        Error::Index { .. } => "index",
        Error::Run(_) => "run",
        Error::Stopped(..) => "stopped",
        Error::Busy { .. } => "busy",
    }
}

fn flush(w: &mut JsonlWriter<BufWriter<File>>, path: &Path) -> Result<()> {
    w.flush().map_err(|e| Error::write(path, e))
}
