//! The realism measures' data: department words, references that need an earlier statement, broken-fill patterns
//! and the text-variety sample (`evaluation/realism.toml`), and the occasion–category fit table
//! (`profiles/occasion_fit.toml`); each embedded, each replaceable by a file of the user's.

use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use crate::{Error, Result};

/// The embedded `evaluation/realism.toml`.
const REALISM: &str = include_str!("../../../evaluation/realism.toml");
/// The embedded `profiles/occasion_fit.toml`.
const OCCASION_FIT: &str = include_str!("../../../profiles/occasion_fit.toml");

pub use crate::catalog::department::{AgeGroup, Department, DepartmentGender};

/// Reference patterns by kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceText {
    budget: Vec<String>,
    occasion: Vec<String>,
    recipient: Vec<String>,
    question: Vec<String>,
}

/// One kind of broken fill, as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FillText {
    kind: String,
    #[serde(default)]
    example: String,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    exceptions: Vec<String>,
    #[serde(default)]
    name_attributes: Vec<String>,
}

/// A human or target figure a dataset figure is shown next to.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// The figure's key in the report (`distinct_2_system` …).
    pub measure: String,
    /// The reference value (a share or a ratio).
    pub value: f64,
    /// Where it comes from.
    pub source: String,
}

/// The text-variety settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarietySettings {
    /// Tokens per side in the distinct-n sample.
    pub sample_tokens: usize,
    /// Most frequent lines listed per side.
    pub top_lines: usize,
    /// Texts of repeated lines kept to name the most frequent ones (bounded memory).
    pub kept_line_texts: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RealismText {
    objections: Vec<String>,
    references: ReferenceText,
    broken_fills: Vec<FillText>,
    variety: VarietySettings,
    #[serde(default)]
    reference: Vec<Reference>,
}

pub use crate::profiles::tables::fit::{CategoryClass, OccasionClass, OccasionFit};

/// A compiled kind of broken fill.
#[derive(Debug)]
pub struct FillKind {
    /// Kind (`category_as_noun` …).
    pub kind: String,
    /// An example of it.
    pub example: String,
    /// Patterns.
    pub patterns: Vec<Regex>,
    /// Words after the match's first word that make it no error (for `a` before a vowel letter).
    pub exceptions: Vec<String>,
    /// Attributes whose capitalised values must not appear lowercased.
    pub name_attributes: Vec<String>,
}

/// Compiled reference patterns by kind.
#[derive(Debug, Default)]
pub struct References {
    /// A budget referred to.
    pub budget: Vec<Regex>,
    /// An occasion referred to.
    pub occasion: Vec<Regex>,
    /// A recipient referred to.
    pub recipient: Vec<Regex>,
    /// A question referred to.
    pub question: Vec<Regex>,
}

/// Everything the realism measures read, compiled once.
#[derive(Debug)]
pub struct RealismData {
    /// Departments.
    pub departments: Vec<Department>,
    /// Objection patterns.
    pub objections: Vec<Regex>,
    /// Reference patterns.
    pub references: References,
    /// Broken-fill kinds.
    pub fills: Vec<FillKind>,
    /// Text-variety settings.
    pub variety: VarietySettings,
    /// Human and target references for the report.
    pub reference: Vec<Reference>,
    /// The occasion–category fit table.
    pub fit: OccasionFit,
    /// Hash of both files' text (a change reviews everything again).
    pub hash: u64,
}

fn compile(patterns: &[String], origin: &str, what: &str) -> Result<Vec<Regex>> {
    patterns
        .iter()
        .map(|p| {
            Regex::new(p).map_err(|e| {
                Error::Config(format!(
                    "{origin}: {what}: pattern `{p}` is not a regular expression: {e}"
                ))
            })
        })
        .collect()
}

fn read(user: Option<&Path>, embedded: &str) -> Result<(String, String)> {
    match user.filter(|p| p.is_file()) {
        Some(p) => Ok((
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| Error::read(p, e))?,
        )),
        None => Ok((String::new(), embedded.to_string())),
    }
}

impl RealismData {
    /// Load `evaluation_dir/realism.toml` and `tables_dir/occasion_fit.toml` when there are such files, else the
    /// embedded ones.
    pub fn load(evaluation_dir: Option<&Path>, tables_dir: Option<&Path>) -> Result<Self> {
        let realism_path = evaluation_dir.map(|d| d.join("realism.toml"));
        let fit_path = tables_dir.map(|d| d.join("occasion_fit.toml"));
        let text: RealismText = crate::data::parse_override(
            realism_path.as_deref(),
            REALISM,
            "evaluation/realism.toml",
        )?;
        let fit: OccasionFit = crate::data::parse_override(
            fit_path.as_deref(),
            OCCASION_FIT,
            "profiles/occasion_fit.toml",
        )?;
        let (origin, raw) = read(realism_path.as_deref(), REALISM)?;
        let origin = if origin.is_empty() {
            "embedded:evaluation/realism.toml".to_string()
        } else {
            origin
        };
        let (_, raw_fit) = read(fit_path.as_deref(), OCCASION_FIT)?;
        let r = &text.references;
        let references = References {
            budget: compile(&r.budget, &origin, "references.budget")?,
            occasion: compile(&r.occasion, &origin, "references.occasion")?,
            recipient: compile(&r.recipient, &origin, "references.recipient")?,
            question: compile(&r.question, &origin, "references.question")?,
        };
        let fills = text
            .broken_fills
            .iter()
            .map(|f| {
                Ok(FillKind {
                    kind: f.kind.clone(),
                    example: f.example.clone(),
                    patterns: compile(&f.patterns, &origin, &format!("broken_fills `{}`", f.kind))?,
                    exceptions: f.exceptions.iter().map(|w| w.to_lowercase()).collect(),
                    name_attributes: f.name_attributes.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RealismData {
            departments: crate::catalog::department::embedded().to_vec(),
            objections: compile(&text.objections, &origin, "objections")?,
            references,
            fills,
            variety: text.variety,
            reference: text.reference,
            fit,
            hash: crate::rng::stable_hash(0, &[raw.as_bytes(), raw_fit.as_bytes()]),
        })
    }

    /// The embedded data (cannot fail on a built crate: a test checks it).
    pub fn embedded() -> Result<Self> {
        Self::load(None, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_compiles() {
        let d = RealismData::embedded().unwrap();
        assert!(d.departments.iter().any(|x| x.name == "women"));
        assert!(d.fills.iter().any(|f| f.kind == "category_as_noun"));
        assert_eq!(d.variety.sample_tokens, 20_000);
        assert!(d.fit.occasions.iter().any(|o| o.class == "formal"));
    }

    #[test]
    fn a_bad_pattern_names_the_file_and_the_kind() {
        let dir = std::env::temp_dir().join(format!("musegen-realism-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = REALISM.replace("\\\\bwhen i said\\\\b", "(unclosed");
        assert_ne!(text, REALISM);
        std::fs::write(dir.join("realism.toml"), text).unwrap();
        let err = RealismData::load(Some(&dir), None).unwrap_err().to_string();
        assert!(err.contains("realism.toml"), "{err}");
        assert!(err.contains("references.budget"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
