//! The options every command takes, and what they resolve to: the effective config (file, `--set`, typed flags),
//! the output folder and its standard paths, and the folder's one-writer lock.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::Result;
use crate::config::{self, Config, LoadedConfig};
use crate::io::{FolderLock, names};

/// Options every command takes.
#[derive(Debug, Args)]
pub(super) struct Global {
    /// Config file (default: ./musegen.toml when present, else the built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    pub(super) config: Option<PathBuf>,
    /// Override any config key, e.g. --set profiles.count=100 (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub(super) sets: Vec<String>,
    /// Run seed (same as --set seed=N).
    #[arg(long, global = true)]
    pub(super) seed: Option<u64>,
    /// Worker threads, 0 = one per core (same as --set threads=N); output never depends on it.
    #[arg(long, global = true)]
    pub(super) threads: Option<usize>,
    /// Output folder for the standard file names (catalog.db, profiles.jsonl, conversations.jsonl …);
    /// a path ending in .jsonl names `generate`'s output file instead (its folder holds the rest).
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub(super) out: PathBuf,
    /// More log output: -v each stage's decisions (resume points, limits, routes, cache hits, adaptive changes),
    /// -vv every request too, -vvv trace.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(super) verbose: u8,
    /// Only errors; no progress bars or lines.
    #[arg(short, long, global = true)]
    pub(super) quiet: bool,
    /// Also write the log to this file (appended): timestamped (RFC 3339, UTC), uncoloured, secrets hidden, at
    /// least what -v shows.
    #[arg(long, global = true, value_name = "PATH")]
    pub(super) log_file: Option<PathBuf>,
    /// Seconds between two plain progress lines when stderr is not a terminal (on a terminal the panel is redrawn
    /// every second).
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10.0)]
    pub(super) progress_every: f64,
    /// Print reports as JSON on stdout.
    #[arg(long, global = true)]
    pub(super) json: bool,
    /// Send every LLM request even if an answer is cached (same as --set limits.cache=false).
    #[arg(long, global = true)]
    pub(super) no_cache: bool,
    /// Estimate the LLM requests, tokens and cost of the dialogues without sending anything or writing them.
    #[arg(long, global = true)]
    pub(super) dry_run: bool,
    /// Stop starting LLM requests once this many USD are spent (same as --set limits.max_cost_usd=X).
    #[arg(long, global = true, value_name = "USD")]
    pub(super) max_cost: Option<f64>,
}

impl Global {
    /// The effective config: the file, the `--set` overrides, then the typed flags, checked.
    pub(super) fn loaded(&self) -> Result<LoadedConfig> {
        self.load_with(|_| Ok(()))
    }

    /// [`Global::loaded`] with a command's own typed flags applied by `set` (they win over `--set`, as the global
    /// flags do), then checked again.
    pub(super) fn load_with(
        &self,
        set: impl FnOnce(&mut Config) -> Result<()>,
    ) -> Result<LoadedConfig> {
        let mut loaded = config::load(self.config.as_deref(), &self.sets)?;
        let c = &mut loaded.config;
        if let Some(seed) = self.seed {
            c.seed = seed;
        }
        if let Some(t) = self.threads {
            c.threads = t;
        }
        if self.no_cache {
            c.limits.cache = false;
        }
        if let Some(usd) = self.max_cost {
            c.limits.max_cost_usd = Some(usd);
        }
        set(c)?;
        c.validate()?;
        Ok(loaded)
    }

    /// The output folder: `--out`, or its parent when `--out` names a .jsonl file.
    pub(super) fn dir(&self) -> PathBuf {
        if self.out.extension().is_some_and(|e| e == "jsonl") {
            self.out.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            self.out.clone()
        }
    }

    pub(super) fn path(&self, explicit: &Option<PathBuf>, name: &str) -> PathBuf {
        explicit.clone().unwrap_or_else(|| self.dir().join(name))
    }

    /// Take the output folder `dir` for this process (one writer per folder), or fail at once naming the holder.
    /// Commands that only read take no lock.
    pub(super) fn lock(&self, dir: &Path, command: &str) -> Result<FolderLock> {
        FolderLock::acquire(dir, command)
    }

    /// The folder that holds the file `path` (the current folder for a bare file name).
    pub(super) fn folder_of(path: &Path) -> PathBuf {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The conversations file: `--out` when it names a .jsonl file, else DIR/conversations.jsonl.
    pub(super) fn conversations(&self) -> PathBuf {
        if self.out.extension().is_some_and(|e| e == "jsonl") {
            self.out.clone()
        } else {
            self.out.join(names::CONVERSATIONS)
        }
    }
}
