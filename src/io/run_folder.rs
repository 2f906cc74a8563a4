//! The run folder: the name of every file a run writes, and the typed readers of its conversations, profiles and
//! reviews, used by every stage that reads a run folder (review, stats, the exports). A stage that reads a run
//! resolves it with [`Sources`]: a run folder (its kept set, or its conversations when nothing was reviewed, with
//! the profiles, catalog, reviews and manifest beside them) or one conversations file (its folder holding the rest).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::read_jsonl_lines;
use crate::model::{Conversation, Profile, Review};
use crate::{Error, Result};

/// Standard file names inside a run folder.
pub mod names {
    /// The catalog index.
    pub const CATALOG: &str = "catalog.db";
    /// The profiles.
    pub const PROFILES: &str = "profiles.jsonl";
    /// The category → item ids map.
    pub const CATEGORY_MAP: &str = "category2items.json";
    /// The conversations.
    pub const CONVERSATIONS: &str = "conversations.jsonl";
    /// Conversations that failed.
    pub const FAILURES: &str = "failures.jsonl";
    /// Profiles whose scenario writer failed.
    pub const PROFILE_FAILURES: &str = "profiles.failures.jsonl";
    /// The run manifest.
    pub const MANIFEST: &str = "manifest.json";
    /// One review per conversation.
    pub const REVIEWS: &str = "reviews.jsonl";
    /// The conversations the keep rule kept.
    pub const KEPT: &str = "kept.jsonl";
    /// Outside conversations, converted for the review.
    pub const IMPORTED: &str = "imported.jsonl";
    /// The preference pairs, one line per conversation (`musegen pairs`).
    pub const PAIRS: &str = "pairs.jsonl";
    /// The ledger of the language-model requests the preference pairs took.
    pub const PAIRS_USAGE: &str = "pairs.usage.csv";
    /// The response cache every stage that sends requests shares.
    pub const CACHE: &str = "cache.db";
}

/// The files an export reads; the optional ones are `None` when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    /// The conversations to export.
    pub conversations: PathBuf,
    /// The profiles the users played.
    pub profiles: Option<PathBuf>,
    /// The catalog index.
    pub catalog: Option<PathBuf>,
    /// One review per conversation.
    pub reviews: Option<PathBuf>,
    /// The run manifest.
    pub manifest: Option<PathBuf>,
}

impl Sources {
    /// Resolve `input` (a run folder or a conversations file; `dir` when not given). A folder gives its
    /// `kept.jsonl` when the review wrote it, else its `conversations.jsonl`.
    pub fn resolve(input: Option<&Path>, dir: &Path) -> Result<Sources> {
        let input = input.unwrap_or(dir);
        let (folder, conversations) = if input.is_dir() {
            let kept = input.join(names::KEPT);
            let file = if kept.is_file() {
                kept
            } else {
                input.join(names::CONVERSATIONS)
            };
            (input.to_path_buf(), file)
        } else {
            let folder = input
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            (folder, input.to_path_buf())
        };
        if !conversations.is_file() {
            return Err(Error::input(
                &conversations,
                None,
                None,
                "no conversations to export (run `musegen generate` first, or name a file with --in)",
            ));
        }
        let beside = |name: &str| Some(folder.join(name)).filter(|p| p.is_file());
        Ok(Sources {
            conversations,
            profiles: beside(names::PROFILES),
            catalog: beside(names::CATALOG),
            reviews: beside(names::REVIEWS),
            manifest: beside(names::MANIFEST),
        })
    }

    /// Call `f` with every conversation, in file order.
    pub fn for_each_conversation(&self, f: impl FnMut(Conversation) -> Result<()>) -> Result<()> {
        for_each_conversation(&self.conversations, f)
    }

    /// The profiles by id (empty without a profiles file).
    pub fn profiles(&self) -> Result<HashMap<String, Profile>> {
        self.profiles
            .as_deref()
            .map(load_profiles)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The reviews by conversation id (empty without a reviews file).
    pub fn reviews(&self) -> Result<HashMap<String, Review>> {
        self.reviews
            .as_deref()
            .map(load_reviews)
            .transpose()
            .map(Option::unwrap_or_default)
    }
}

/// Reviews by conversation id.
pub fn load_reviews(path: &Path) -> Result<HashMap<String, Review>> {
    let mut out = HashMap::new();
    read_jsonl_lines(path, |line, text| {
        let r: Review = serde_json::from_str(text)
            .map_err(|e| Error::input(path, Some(line), None, format!("not a review: {e}")))?;
        out.insert(r.id.clone(), r);
        Ok(())
    })?;
    Ok(out)
}

/// A JSON file of the run folder (the manifest, a report) read as `T`, which may be a partial view of it (the
/// fields a reader needs); `None` when the file is absent. A file that does not parse is an input error naming it.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::read(path, e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::input(path, Some(e.line()), None, format!("not as expected: {e}")))
}

/// Parse one conversation line of `path`.
pub fn parse_conversation(path: &Path, line: usize, text: &str) -> Result<Conversation> {
    serde_json::from_str(text)
        .map_err(|e| Error::input(path, Some(line), None, format!("not a conversation: {e}")))
}

/// Call `f` with every conversation of `path`, in file order.
pub fn for_each_conversation(
    path: &Path,
    mut f: impl FnMut(Conversation) -> Result<()>,
) -> Result<()> {
    read_jsonl_lines(path, |line, text| f(parse_conversation(path, line, text)?))
}

/// The conversations of a file, read one at a time (for a pool that takes its jobs lazily).
pub struct ConversationLines {
    path: PathBuf,
    lines: std::io::Lines<std::io::BufReader<std::fs::File>>,
    line: usize,
}

impl ConversationLines {
    /// Open the conversations file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
        Ok(ConversationLines {
            path: path.to_path_buf(),
            lines: std::io::BufRead::lines(std::io::BufReader::with_capacity(1 << 20, file)),
            line: 0,
        })
    }

    /// The next conversation whose id is not `done`, with its line number; an error names a broken line.
    pub fn next_undone(
        &mut self,
        done: impl Fn(&str) -> bool,
    ) -> Option<Result<(usize, Conversation)>> {
        for text in self.lines.by_ref() {
            self.line += 1;
            let text = match text {
                Ok(t) => t,
                Err(e) => return Some(Err(Error::read(&self.path, e))),
            };
            if text.trim().is_empty() {
                continue;
            }
            match parse_conversation(&self.path, self.line, &text) {
                Ok(c) if done(&c.id) => continue,
                other => return Some(other.map(|c| (self.line, c))),
            }
        }
        None
    }
}

/// Profiles by id.
pub fn load_profiles(path: &Path) -> Result<HashMap<String, Profile>> {
    let mut out = HashMap::new();
    read_jsonl_lines(path, |line, text| {
        let p: Profile = serde_json::from_str(text)
            .map_err(|e| Error::input(path, Some(line), None, e.to_string()))?;
        out.insert(p.id.clone(), p);
        Ok(())
    })?;
    Ok(out)
}
