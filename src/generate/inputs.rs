//! What a `generate` run is made of and checks on resume: its manifest (the hashes of the dialogue settings, the
//! profiles and the catalog size) and its profiles, counted and hashed up front, then read round-robin.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::io::AtomicFile;
use crate::model::Profile;
use crate::rng::stable_hash;
use crate::{Error, Result};

/// What shaped an output file: resuming it under different settings is refused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GenerateManifest {
    /// musegen version.
    pub musegen: String,
    /// Hash of the seed, the dialogue settings and the phrase banks.
    pub config_hash: String,
    /// Hash of the profiles file.
    pub profiles_hash: String,
    /// Profiles in it.
    pub profiles: usize,
    /// Items in the catalog.
    pub catalog_items: usize,
}

/// Count and check the profiles file (every line must be a profile), and hash its bytes.
pub(super) fn scan_profiles(path: &Path) -> Result<(usize, String)> {
    let file = File::open(path).map_err(|e| Error::read(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut line = String::new();
    let (mut count, mut line_no) = (0usize, 0usize);
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|e| {
            Error::input(path, Some(line_no + 1), None, format!("cannot read: {e}"))
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        hasher.update(line.as_bytes());
        if line.trim().is_empty() {
            continue;
        }
        serde_json::from_str::<Profile>(&line)
            .map_err(|e| Error::input(path, Some(line_no), None, format!("not a profile: {e}")))?;
        count += 1;
    }
    if count == 0 {
        return Err(Error::input(
            path,
            None,
            None,
            "no profiles: the file is empty",
        ));
    }
    Ok((count, format!("{:016x}", hasher.digest())))
}

/// Hash of everything that shapes a conversation besides the profiles: seed, dialogue settings, phrase banks.
pub fn dialogue_hash(config: &Config) -> Result<String> {
    let mut d = config.dialogue.clone();
    d.sessions = 0;
    d.diversity_sample = 0;
    // The mixes the user speaks are the profiles' setting, but they shape the dialogues too.
    let roles = (&config.roles.user_agent, &config.roles.system_agent);
    let mixes = &config.profiles.language_mixes;
    // Prices are quoted in the shopper's currency at the configured rates.
    let settings = serde_json::to_string(&(config.seed, &d, roles, mixes, &config.currency))
        .map_err(|e| Error::Run(e.to_string()))?;
    use crate::data::{PromptSet, prompt_set};
    let files = prompt_set(config.prompts_dir.as_deref(), PromptSet::Sim)?;
    let llm_files = prompt_set(config.prompts_dir.as_deref(), PromptSet::Llm)?;
    let mut parts: Vec<&[u8]> = vec![settings.as_bytes()];
    parts.extend(files.iter().map(|f| f.text.as_bytes()));
    // The dialogue agents' prompts only (the scenario writer's shaped the profiles, which are hashed apart).
    parts.extend(
        llm_files
            .iter()
            .filter(|f| f.file_name != "scenario.toml")
            .map(|f| f.text.as_bytes()),
    );
    Ok(format!("{:016x}", stable_hash(0, &parts)))
}

pub(super) fn check_manifest(path: &Path, now: &GenerateManifest, force: bool) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let Ok(before) = serde_json::from_str::<GenerateManifest>(&text) else {
        return Ok(());
    };
    let mut changed = Vec::new();
    if before.config_hash != now.config_hash {
        changed.push("the dialogue settings or phrase banks");
    }
    if before.profiles_hash != now.profiles_hash {
        changed.push("the profiles");
    }
    if before.catalog_items != now.catalog_items {
        changed.push("the catalog");
    }
    if changed.is_empty() || force {
        if !changed.is_empty() {
            tracing::warn!("resuming with changed {} (--force)", changed.join(", "));
        }
        return Ok(());
    }
    Err(Error::Config(format!(
        "{} was started with other inputs ({} changed): run with the same config and files, pass --force to resume anyway, or remove the output to start over",
        path.display(),
        changed.join(", ")
    )))
}

pub(super) fn write_manifest(path: &Path, manifest: &GenerateManifest) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut f, manifest)
        .map_err(|e| Error::write(path, std::io::Error::other(e)))?;
    f.write_all(b"\n").map_err(|e| Error::write(path, e))?;
    f.commit()
}

/// Profiles read in order, starting over at the end: session i plays profile i mod count.
pub(super) struct ProfileCycle {
    path: PathBuf,
    reader: BufReader<File>,
    line: String,
}

impl ProfileCycle {
    pub(super) fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::read(path, e))?;
        Ok(ProfileCycle {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 20, file),
            line: String::new(),
        })
    }

    pub(super) fn next_profile(&mut self) -> Result<Profile> {
        let mut wrapped = false;
        loop {
            self.line.clear();
            let n = self
                .reader
                .read_line(&mut self.line)
                .map_err(|e| Error::read(&self.path, e))?;
            if n == 0 {
                if wrapped {
                    return Err(Error::input(&self.path, None, None, "no profiles"));
                }
                wrapped = true;
                let file = File::open(&self.path).map_err(|e| Error::read(&self.path, e))?;
                self.reader = BufReader::with_capacity(1 << 20, file);
                continue;
            }
            if self.line.trim().is_empty() {
                continue;
            }
            return serde_json::from_str(&self.line)
                .map_err(|e| Error::input(&self.path, None, None, format!("not a profile: {e}")));
        }
    }
}
