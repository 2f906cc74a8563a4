//! Where an export reads from: a run folder (its kept set, or its conversations when nothing was reviewed, with
//! the profiles, catalog, reviews and manifest beside them) or one conversations file (its folder holding the rest).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::io::read_jsonl_lines;
use crate::model::{Conversation, Profile, Review};
use crate::pipeline::names;
use crate::{Error, Result};

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
        let Some(path) = self.reviews.as_deref() else {
            return Ok(HashMap::new());
        };
        let mut out = HashMap::new();
        read_jsonl_lines(path, |line, text| {
            let r: Review = serde_json::from_str(text)
                .map_err(|e| Error::input(path, Some(line), None, format!("not a review: {e}")))?;
            out.insert(r.id.clone(), r);
            Ok(())
        })?;
        Ok(out)
    }
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
