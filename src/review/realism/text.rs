//! Text helpers of the realism measures: tokens (lowercased `[a-z0-9']` runs), whole-word search, and masking of
//! item names, values and numbers (for skeletons and for phrases outside item values).

use crate::catalog::MemoryCatalog;
use crate::model::{Conversation, Profile};

/// The mask that stands for an item name or a value in a skeleton.
pub const MASK: &str = "<v>";
/// The mask that stands for a number.
pub const NUMBER: &str = "<n>";

/// Lowercased `[a-z0-9']` runs of `text` (a token with no letter or digit, a lone quote, is dropped).
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// Whether `needle` occurs in `hay` as whole words (not inside a longer word). Case as given.
pub fn contains_words(hay: &str, needle: &str) -> bool {
    find_words(hay, needle, 0).is_some()
}

/// The byte offset of the first whole-word occurrence of `needle` in `hay` at or after `from`.
pub fn find_words(hay: &str, needle: &str, from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut start = from;
    while let Some(at) = hay.get(start..).and_then(|h| h.find(needle)) {
        let at = start + at;
        let end = at + needle.len();
        let mut back = hay[..at].chars().rev();
        let before = back.next();
        let after = hay[end..].chars().next();
        // An apostrophe after a letter goes on with the word: the "s" of "it's" is no word "s" (a size).
        let inside_contraction = before == Some('\'') && back.next().is_some_and(is_word);
        let bounded_before = (before.is_none_or(|c| !is_word(c)) && !inside_contraction)
            || !needle.starts_with(is_word);
        let bounded_after = after.is_none_or(|c| !is_word(c)) || !needle.ends_with(is_word);
        if bounded_before && bounded_after {
            return Some(at);
        }
        start = at + needle.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// What to mask in one conversation's utterances: the names of the items it mentions (and the target), their
/// category, attribute names and values (also as the realiser says them), the slot values and the profile's need, occasion and recipient; all lowercase, longest
/// first.
pub fn mask_phrases(
    c: &Conversation,
    profile: Option<&Profile>,
    cat: Option<&MemoryCatalog>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim().to_lowercase();
        // A value said back under another article ("a graduation ceremony" -> "the graduation ceremony") is still
        // the value: its rest is masked too.
        let bare = ["a ", "an ", "the "]
            .iter()
            .find_map(|a| s.strip_prefix(a))
            .map(str::to_string);
        for s in std::iter::once(s).chain(bare) {
            if s.chars().any(char::is_alphanumeric) && !out.contains(&s) {
                out.push(s);
            }
        }
    };
    let sizes = crate::catalog::sizes::Sizes::embedded();
    if let Some(cat) = cat {
        let ids = c
            .mentioned_items
            .iter()
            .chain(c.turns.iter().flat_map(|t| &t.items))
            .chain(std::iter::once(&c.target_item_id));
        let mut seen: Vec<u32> = Vec::new();
        for id in ids {
            let Some(i) = cat.position(id) else { continue };
            if seen.contains(&i) {
                continue;
            }
            seen.push(i);
            push(&cat.item(i).title);
            let leaf = cat.leaf(i);
            push(leaf);
            // The singular the simulator makes of a leaf ("hiking boot"), roughly: masking only.
            if let Some(stem) = leaf.strip_suffix('s') {
                push(stem);
            }
            for (k, v) in cat.attributes(i) {
                // The attribute's name is the catalog's word too ("the heel height").
                push(&k.replace('_', " "));
                push(v);
                // As the realiser says it ("s/m" is said "a small/medium").
                if let Some(form) = cat.value_form(k, v) {
                    push(&form.word);
                    if let Some(np) = &form.np {
                        push(np);
                    }
                }
                // A size as a shopper of any country says it ("UK 8" for "US 9"): the value too.
                for local in sizes.iter().flat_map(|s| s.forms(cat.path(i), v)) {
                    push(local);
                }
            }
            for f in cat.features(i) {
                push(f);
            }
        }
    }
    for s in c.turns.iter().flat_map(|t| &t.slots) {
        if s.value != "?" {
            push(&s.value);
        }
    }
    if let Some(p) = profile {
        let s = &p.scenario;
        for v in [&s.need, &s.occasion, &s.recipient].into_iter().flatten() {
            push(v);
        }
        for r in &s.requirements {
            push(&r.value);
        }
        if let Some(city) = p.persona.location.as_ref().map(|l| &l.city) {
            push(city);
        }
    }
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out
}

/// `text` lowercased with every whole-word occurrence of `phrases` replaced by [`MASK`], then as tokens with every
/// number (a token holding a digit) replaced by [`NUMBER`].
pub fn masked_tokens(text: &str, phrases: &[String]) -> Vec<String> {
    // A price in a currency written with letters ("ARS 21,591", "850 kr") is one number: its letters are not words.
    let text = crate::catalog::money::bare_amounts(text);
    let mut lower = text.to_lowercase();
    for p in phrases {
        let mut from = 0;
        while let Some(at) = find_words(&lower, p, from) {
            lower.replace_range(at..at + p.len(), " \u{1} ");
            from = at + 3;
        }
    }
    let mut out = Vec::new();
    for piece in lower.split('\u{1}').enumerate() {
        if piece.0 > 0 {
            out.push(MASK.to_string());
        }
        out.extend(tokens(piece.1).into_iter().map(|t| {
            if t.chars().any(|c| c.is_ascii_digit()) {
                NUMBER.to_string()
            } else {
                t
            }
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_lowercase_runs_with_apostrophes() {
        assert_eq!(
            tokens("I'd like $85, NOT 'that' one!"),
            ["i'd", "like", "85", "not", "that", "one"]
        );
    }

    #[test]
    fn a_price_in_letters_is_one_number() {
        let masked = |t: &str| masked_tokens(t, &[]).join(" ");
        assert_eq!(
            masked("It goes for ARS 21,591."),
            masked("It goes for $21,591.")
        );
        assert_eq!(
            masked("The price is CA$59.83"),
            masked("The price is $59.83")
        );
        assert_eq!(masked("It's 1,050 kr, sadly"), masked("It's $1,050, sadly"));
        // Only the currency table's marks are money: a size system or a code written into a word stays words.
        assert_ne!(masked("I need a US 9"), masked("I need a 9"));
        let feature = vec!["uv400 protection".to_string()];
        assert_eq!(masked_tokens("UV400 protection", &feature), [MASK]);
    }

    #[test]
    fn whole_words_only() {
        assert!(contains_words("it's canvas, sadly", "canvas"));
        assert!(!contains_words("it's recycled canvases", "canvas"));
        assert!(contains_words("the scarves & wrap.", "scarves & wrap"));
        assert_eq!(find_words("red bred red", "red", 1), Some(9));
        // Read over 20,000 dialogues: the size "S" masked inside "it's" made "the first one. It's" the phrase
        // "the first one it".
        assert!(!contains_words("the first one. it's mainly", "s"));
        assert!(contains_words("a size 's', please", "s"));
        assert!(contains_words("arcwave's best", "arcwave"));
    }

    #[test]
    fn masking_hides_values_and_numbers() {
        let phrases = vec!["recycled canvas".to_string(), "canvas".to_string()];
        assert_eq!(
            masked_tokens("Canvas, not recycled canvas, at $50.99", &phrases),
            ["<v>", "not", "<v>", "at", "<n>", "<n>"]
        );
    }
}
