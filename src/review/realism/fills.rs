//! Broken template fills: each kind's patterns (`evaluation/realism.toml`) over every turn, and names (brands,
//! authors of the items the conversation mentions) written in lowercase.

use super::data::RealismData;
use super::text::find_words;
use crate::catalog::MemoryCatalog;
use crate::model::{Conversation, RealismFinding, RealismFlag};

/// One finding per (turn, kind), its detail `kind: the words`.
pub fn broken_fills(
    c: &Conversation,
    data: &RealismData,
    catalog: Option<&MemoryCatalog>,
) -> Vec<RealismFinding> {
    let names = names(c, data, catalog);
    let mut out = Vec::new();
    for (i, t) in c.turns.iter().enumerate() {
        for kind in &data.fills {
            let mut hit: Option<String> = None;
            for p in &kind.patterns {
                hit = p
                    .find_iter(&t.text)
                    .map(|m| m.as_str())
                    .find(|m| !excepted(m, &kind.exceptions))
                    .map(str::to_string);
                if hit.is_some() {
                    break;
                }
            }
            if hit.is_none() && !kind.name_attributes.is_empty() {
                hit = names
                    .iter()
                    .filter(|(key, _)| kind.name_attributes.contains(key))
                    .map(|(_, name)| name.to_lowercase())
                    .find(|lower| find_words(&t.text, lower, 0).is_some());
            }
            if let Some(words) = hit {
                out.push(RealismFinding {
                    turn: Some(i as u32),
                    flag: RealismFlag::BrokenFill,
                    detail: format!("{}: {words}", kind.kind),
                });
            }
        }
    }
    out
}

/// Whether the word after a match's first word is an exception (`a useful`, `a one-piece`).
fn excepted(matched: &str, exceptions: &[String]) -> bool {
    if exceptions.is_empty() {
        return false;
    }
    let next = matched
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_lowercase();
    let word: String = next.chars().take_while(|c| c.is_alphabetic()).collect();
    exceptions.contains(&word)
}

/// (attribute, name as written) of the items the conversation mentions, for names that hold a capital letter.
fn names(
    c: &Conversation,
    data: &RealismData,
    catalog: Option<&MemoryCatalog>,
) -> Vec<(String, String)> {
    let Some(cat) = catalog else {
        return Vec::new();
    };
    let keys: Vec<&String> = data.fills.iter().flat_map(|k| &k.name_attributes).collect();
    if keys.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let ids = c
        .mentioned_items
        .iter()
        .chain(c.turns.iter().flat_map(|t| &t.items))
        .chain(std::iter::once(&c.target_item_id));
    for id in ids {
        let Some(i) = cat.position(id) else { continue };
        for key in &keys {
            if let Some(name) = cat.display_value(i, key)
                && name.chars().any(char::is_uppercase)
                && name.chars().filter(|c| c.is_alphabetic()).count() >= 3
            {
                let pair = (key.to_string(), name.to_string());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    }
    out
}
