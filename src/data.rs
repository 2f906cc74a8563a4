//! Data tables embedded at build time (sample-catalog vocabularies, persona tables), overridable file by file from a user's folder.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::{Error, Result, error::line_of};

/// One data file: its display name (file name, or path when overridden) and its text.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// File name such as `footwear.toml`.
    pub file_name: String,
    /// Where it came from, for error messages (`embedded:profiles/names.toml` or a path).
    pub origin: String,
    /// The TOML text.
    pub text: String,
}

macro_rules! embed {
    ($dir:literal, [$($name:literal),* $(,)?]) => {
        &[$(($name, include_str!(concat!("../", $dir, "/", $name)))),*]
    };
}

/// The sample catalog's domain vocabularies (`catalog/sample/*.toml`).
pub const SAMPLE_DOMAINS: &[(&str, &str)] = embed!(
    "catalog/sample",
    [
        "fashion.toml",
        "footwear.toml",
        "accessories.toml",
        "electronics.toml",
        "home.toml",
        "books.toml",
    ]
);

/// The persona and scenario tables (`profiles/*.toml`).
pub const PROFILE_TABLES: &[(&str, &str)] = embed!(
    "profiles",
    [
        "demographics.toml",
        "names.toml",
        "locations.toml",
        "professions.toml",
        "income.toml",
        "persona.toml",
        "reasons.toml",
        "narrative.toml",
        "requirements.toml",
        "rules.toml",
        "occasion_fit.toml",
        "currencies.toml",
        "sizes.toml",
    ]
);

/// The judge's rubrics (`evaluation/rubrics/*.toml`).
pub const RUBRICS: &[(&str, &str)] = embed!(
    "evaluation/rubrics",
    ["muse_filter.toml", "coherence.toml", "relevance.toml"]
);

/// The offline simulator's phrase banks (`prompts/sim/*.toml`).
pub const SIM_PHRASES: &[(&str, &str)] =
    embed!("prompts/sim", ["user.toml", "system.toml", "codemix.toml"]);

/// The LLM agents' prompts (`prompts/llm/*.toml`).
pub const LLM_PROMPTS: &[(&str, &str)] = embed!(
    "prompts/llm",
    [
        "user.toml",
        "system.toml",
        "scenario.toml",
        "retrieval.toml",
        "structured.toml"
    ]
);

/// The embedded files of `embedded`, each replaced by a file of the same name in `override_dir`;
/// with `allow_new`, other `*.toml` files of the folder are added too (in name order).
pub fn load_set(
    embedded: &[(&str, &str)],
    set_name: &str,
    override_dir: Option<&Path>,
    allow_new: bool,
) -> Result<Vec<DataFile>> {
    let mut files: Vec<DataFile> = embedded
        .iter()
        .map(|(name, text)| DataFile {
            file_name: (*name).to_string(),
            origin: format!("embedded:{set_name}/{name}"),
            text: (*text).to_string(),
        })
        .collect();
    let Some(dir) = override_dir else {
        return Ok(files);
    };
    let entries = std::fs::read_dir(dir).map_err(|e| Error::read(dir, e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for path in paths {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).map_err(|e| Error::read(&path, e))?;
        let origin = path.display().to_string();
        match files.iter_mut().find(|f| f.file_name == file_name) {
            Some(f) => {
                f.text = text;
                f.origin = origin;
            }
            None if allow_new => files.push(DataFile {
                file_name,
                origin,
                text,
            }),
            None => tracing::warn!("{origin}: not a known {set_name} table, ignored"),
        }
    }
    Ok(files)
}

/// The prompt files of `prompts/{sub}` (`sim` or `llm`): the embedded set, each file replaced by the one of the same
/// name in `prompts_dir/{sub}/` when the user has that folder.
pub fn prompt_set(prompts_dir: Option<&Path>, sub: PromptSet) -> Result<Vec<DataFile>> {
    let (embedded, name, folder) = match sub {
        PromptSet::Sim => (SIM_PHRASES, "prompts/sim", "sim"),
        PromptSet::Llm => (LLM_PROMPTS, "prompts/llm", "llm"),
    };
    let dir = prompts_dir.map(|d| d.join(folder));
    load_set(embedded, name, dir.as_deref().filter(|d| d.is_dir()), false)
}

/// The two sets of prompt files under `prompts/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptSet {
    /// `prompts/sim`: the simulator's phrase banks.
    Sim,
    /// `prompts/llm`: the language-model prompts.
    Llm,
}

/// Parse a data file, turning a TOML error into one naming the file, line and problem.
pub fn parse<T: DeserializeOwned>(file: &DataFile) -> Result<T> {
    toml::from_str(&file.text).map_err(|e| {
        let line = e.span().map(|s| line_of(&file.text, s.start));
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        Error::data(
            format!("{}{at}", file.origin),
            e.message().trim().to_string(),
        )
    })
}

/// The LLM prompt file `name` (embedded `prompts/llm/NAME`, or `prompts_dir/llm/NAME` when the user has one),
/// parsed, with its origin for error messages.
pub fn llm_prompts<T: DeserializeOwned>(
    prompts_dir: Option<&Path>,
    name: &str,
) -> Result<(T, String)> {
    let files = prompt_set(prompts_dir, PromptSet::Llm)?;
    let file = find(&files, name)?;
    Ok((parse(file)?, file.origin.clone()))
}

/// The profile table `name` (the embedded `profiles/NAME`, or `tables_dir/NAME` when the user has one), parsed,
/// with its origin for error messages.
pub fn profile_table<T: DeserializeOwned>(
    tables_dir: Option<&Path>,
    name: &str,
) -> Result<(T, String)> {
    let files = load_set(PROFILE_TABLES, "profiles", tables_dir, false)?;
    let file = find(&files, name)?;
    Ok((parse(file)?, file.origin.clone()))
}

/// Parse the data file `user` when it exists (a user's replacement), else the `embedded` text (shown in errors as
/// `embedded:{embedded_name}`).
pub fn parse_override<T: DeserializeOwned>(
    user: Option<&Path>,
    embedded: &str,
    embedded_name: &str,
) -> Result<T> {
    let file = match user.filter(|p| p.is_file()) {
        Some(p) => DataFile {
            file_name: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            origin: p.display().to_string(),
            text: std::fs::read_to_string(p).map_err(|e| Error::read(p, e))?,
        },
        None => DataFile {
            file_name: embedded_name
                .rsplit('/')
                .next()
                .unwrap_or(embedded_name)
                .to_string(),
            origin: format!("embedded:{embedded_name}"),
            text: embedded.to_string(),
        },
    };
    parse(&file)
}

/// Find the file named `name` in a loaded set.
pub fn find<'a>(files: &'a [DataFile], name: &str) -> Result<&'a DataFile> {
    files
        .iter()
        .find(|f| f.file_name == name)
        .ok_or_else(|| Error::data(name, "missing"))
}
