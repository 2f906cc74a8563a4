//! Import of MUSE `user_scenarios.json` (profile string, scenario, requirements, target item) into profile records, with the target items for the catalog.

use std::path::Path;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::catalog::import::{Skipped, item_from_object};
use crate::error::line_of;
use crate::model::{Gender, Item, Persona, Profile, Requirement, Scenario};
use crate::{Error, Result};

/// The profiles and target items read from a MUSE scenarios file, and the records skipped.
#[derive(Debug, Default)]
pub struct MuseImport {
    /// Profiles, in file order.
    pub profiles: Vec<Profile>,
    /// Their target items.
    pub items: Vec<Item>,
    /// Records that could not be used.
    pub skipped: Vec<Skipped>,
}

/// Read `path`; `max_chars` bounds text fields of the target items.
pub fn read(path: &Path, max_chars: usize) -> Result<MuseImport> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Error::input(path, Some(line), None, "not valid UTF-8")
    })?;
    if text.trim().is_empty() {
        return Err(Error::input(
            path,
            None,
            None,
            "no records: the file is empty",
        ));
    }
    let list: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        Error::input(
            path,
            Some(e.line().max(1)),
            None,
            format!("expected a JSON list of MUSE scenarios: {e}"),
        )
    })?;
    let mut out = MuseImport::default();
    for (i, raw) in list.iter().enumerate() {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = line_of(text, offset);
        match record(raw, i, max_chars) {
            Ok((profile, item)) => {
                out.profiles.push(profile);
                out.items.push(item);
            }
            Err((field, reason)) => out.skipped.push(Skipped {
                line,
                id: None,
                field,
                reason,
            }),
        }
    }
    if out.profiles.is_empty() {
        let why = out
            .skipped
            .first()
            .map(|s| format!(" (line {}: field `{}`: {})", s.line, s.field, s.reason))
            .unwrap_or_default();
        return Err(Error::input(
            path,
            None,
            None,
            format!("no usable MUSE scenarios{why}"),
        ));
    }
    Ok(out)
}

type Failure = (String, String);

fn fail(field: &str, reason: impl Into<String>) -> Failure {
    (field.to_string(), reason.into())
}

fn record(
    raw: &RawValue,
    i: usize,
    max_chars: usize,
) -> std::result::Result<(Profile, Item), Failure> {
    let value: Value =
        serde_json::from_str(raw.get()).map_err(|e| fail("record", e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| fail("record", "expected an object"))?;
    let text = |key: &str| -> std::result::Result<String, Failure> {
        match obj.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Some(Value::String(_)) | None | Some(Value::Null) => Err(fail(key, "missing")),
            Some(_) => Err(fail(key, "expected text")),
        }
    };
    let persona = parse_persona(&text("profile")?)?;
    let narrative = text("scenario")?;
    let requirement = text("requirements")?;
    let target = obj
        .get("target_item")
        .and_then(Value::as_object)
        .ok_or_else(|| fail("target_item", "missing or not an object"))?;
    let item = item_from_object(None, target, max_chars, false)
        .map_err(|s| (format!("target_item.{}", s.field), s.reason))?;
    let profile = Profile {
        id: format!("muse{:05}", i + 1),
        persona,
        scenario: Scenario {
            purchase_reason: None,
            occasion: None,
            recipient: None,
            need: None,
            narrative,
            requirements: vec![Requirement {
                attribute: "text".into(),
                value: requirement.clone(),
                text: requirement,
            }],
            budget: None,
            category: item.categories.clone(),
            written_by: None,
        },
        target_item_id: item.id.clone(),
    };
    Ok((profile, item))
}

const KEYS: [&str; 4] = ["Name:", "Gender:", "Age:", "Profession:"];

/// Parse MUSE's profile string: `'Name: Andrea Clark, Gender: female, Age: 64,Profession: Secretary/administrator`.
/// Fields are cut at the next known key, so professions with commas ("Engineer, maintenance") survive.
pub fn parse_persona(profile: &str) -> std::result::Result<Persona, Failure> {
    let mut starts: Vec<(usize, &str)> = KEYS
        .iter()
        .filter_map(|k| profile.find(k).map(|at| (at, *k)))
        .collect();
    starts.sort();
    let field = |key: &str| -> Option<String> {
        let pos = starts.iter().position(|(_, k)| *k == key)?;
        let begin = starts[pos].0 + key.len();
        let end = starts.get(pos + 1).map(|s| s.0).unwrap_or(profile.len());
        let v = profile[begin..end]
            .trim()
            .trim_matches(|c: char| c == ',' || c == '\'' || c == '"' || c.is_whitespace());
        (!v.is_empty()).then(|| v.to_string())
    };
    let name = field("Name:").ok_or_else(|| fail("profile", "no `Name:` in the profile string"))?;
    let gender_text = field("Gender:").unwrap_or_default();
    let gender = Gender::parse(&gender_text)
        .ok_or_else(|| fail("profile", format!("unknown gender `{gender_text}`")))?;
    let age_text =
        field("Age:").ok_or_else(|| fail("profile", "no `Age:` in the profile string"))?;
    let age: u32 = age_text
        .parse()
        .map_err(|_| fail("profile", format!("age `{age_text}` is not a whole number")))?;
    Ok(Persona {
        name,
        gender,
        age,
        profession: field("Profession:"),
        location: None,
        income_band: None,
        style: None,
        language_mix: "en".into(),
        formality: Default::default(),
        verbosity: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_strings_parse_with_commas_in_professions() {
        let p = parse_persona("'Name: Katherine Evans, Gender: female, Age: 29,Profession: Restaurant manager, fast food").unwrap();
        assert_eq!(p.name, "Katherine Evans");
        assert_eq!(p.gender, Gender::Female);
        assert_eq!(p.age, 29);
        assert_eq!(
            p.profession.as_deref(),
            Some("Restaurant manager, fast food")
        );
        let child = parse_persona("Name: Sam Lee, Gender: unknown, Age: 9").unwrap();
        assert_eq!(child.profession, None);
        assert!(parse_persona("Name: X, Gender: female, Age: old").is_err());
        assert!(parse_persona("Gender: female, Age: 3").is_err());
    }
}
