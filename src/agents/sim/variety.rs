//! Variety with memory: what one dialogue's speaker has already said — the alternatives of each part it used and its
//! phrases (4-grams of lowercased tokens, values and numbers left out, as the review counts them) — so that a later
//! turn draws other words. One per conversation, owned by its agent: no state is shared between conversations, so
//! output does not depend on the thread count.

/// The character that stands for a value in masked text.
pub const MASK: char = '\u{1}';

/// One speaker's memory within one dialogue.
#[derive(Debug, Default, Clone)]
pub struct Memory {
    /// (part, alternative) pairs used.
    parts: Vec<(u16, u16)>,
    /// Hashes of the phrases used.
    grams: Vec<u64>,
    /// Values the dialogue has named (lowercase, longest first): left out of phrases.
    values: Vec<String>,
}

impl Memory {
    /// Whether alternative `index` of `part` was used.
    pub fn used(&self, part: u16, index: u16) -> bool {
        self.parts.contains(&(part, index))
    }

    /// Record that alternative `index` of `part` was used.
    pub fn use_part(&mut self, part: u16, index: u16) {
        if !self.used(part, index) {
            self.parts.push((part, index));
        }
    }

    /// How many of `grams` were used before.
    pub fn clashes(&self, grams: &[u64]) -> usize {
        grams.iter().filter(|g| self.grams.contains(g)).count()
    }

    /// Record phrases as used.
    pub fn remember(&mut self, grams: &[u64]) {
        for g in grams {
            if !self.grams.contains(g) {
                self.grams.push(*g);
            }
        }
    }

    /// A value of the dialogue (an item's title or attribute value, a feature, a word the shopper stated): phrases
    /// holding it are not phrases of the speaker's own.
    pub fn add_value(&mut self, value: &str) {
        let v = value.trim().to_lowercase();
        if v.chars().any(char::is_alphanumeric) && !self.values.contains(&v) {
            let at = self
                .values
                .iter()
                .position(|x| x.len() < v.len() || (x.len() == v.len() && *x > v))
                .unwrap_or(self.values.len());
            self.values.insert(at, v);
        }
    }

    /// `text` lowercased, with every whole-word occurrence of a known value replaced by [`MASK`].
    pub fn mask(&self, text: &str) -> String {
        let mut lower = text.to_lowercase();
        for v in &self.values {
            let mut from = 0;
            while let Some(at) = find_words(&lower, v, from) {
                let replacement = format!(" {MASK} ");
                lower.replace_range(at..at + v.len(), &replacement);
                from = at + replacement.len();
            }
        }
        lower
    }
}

/// Whether `c` is part of a word, for whole-word matching.
fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// The byte offset of the first whole-word occurrence of `needle` in `hay` at or after `from`.
fn find_words(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let mut start = from;
    while let Some(at) = hay.get(start..).and_then(|h| h.find(needle)) {
        let at = start + at;
        let end = at + needle.len();
        let before = hay[..at].chars().next_back();
        let after = hay[end..].chars().next();
        let bounded_before = before.is_none_or(|c| !is_word(c)) || !needle.starts_with(is_word);
        let bounded_after = after.is_none_or(|c| !is_word(c)) || !needle.ends_with(is_word);
        if bounded_before && bounded_after {
            return Some(at);
        }
        start = at + needle.chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// The phrases of a masked text: hashes of its 4-grams of tokens (lowercased `[a-z0-9']` runs) that hold no value
/// and no number, each once.
pub fn grams(masked: &str) -> Vec<u64> {
    let lower = masked.to_lowercase();
    // `None` stands for a value or a number.
    let mut tokens: Vec<Option<&str>> = Vec::new();
    for (n, piece) in lower.split(MASK).enumerate() {
        if n > 0 {
            tokens.push(None);
        }
        for t in piece
            .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '\''))
            .map(|w| w.trim_matches('\''))
            .filter(|w| !w.is_empty())
        {
            tokens.push((!t.chars().any(|c| c.is_ascii_digit())).then_some(t));
        }
    }
    let mut out: Vec<u64> = Vec::new();
    for w in tokens.windows(4) {
        if w.iter().any(Option::is_none) {
            continue;
        }
        let joined = w.iter().flatten().copied().collect::<Vec<_>>().join(" ");
        let h = xxhash_rust::xxh3::xxh3_64(joined.as_bytes());
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_leave_out_values_and_numbers() {
        let mut m = Memory::default();
        m.add_value("Black");
        m.add_value("padded collar");
        let masked = m.mask("They're black leather, with a padded collar, for $89.99 only");
        assert!(
            masked.contains(MASK) && !masked.contains("black"),
            "{masked}"
        );
        // "they're <v> leather with" and the like hold a value; "with a <v> for" too; "<n> only" a number.
        assert!(grams(&masked).is_empty(), "{masked}");
        assert_eq!(grams("How about this one, then?").len(), 2);
    }

    #[test]
    fn memory_counts_clashes_and_parts() {
        let mut m = Memory::default();
        let a = grams("I think you will like this one");
        m.remember(&a);
        assert_eq!(m.clashes(&grams("Honestly, I think you will like it")), 2);
        assert_eq!(m.clashes(&grams("Here is something else entirely")), 0);
        m.use_part(3, 4);
        assert!(m.used(3, 4) && !m.used(3, 5) && !m.used(4, 4));
    }

    #[test]
    fn longer_values_are_masked_first() {
        let mut m = Memory::default();
        m.add_value("navy");
        m.add_value("navy blue");
        assert_eq!(m.mask("in navy blue"), format!("in  {MASK} "));
    }
}
