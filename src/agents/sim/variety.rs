//! Variety with memory: what one dialogue's speaker has already said — the alternatives of each part it used and its
//! phrases (4-grams of lowercased tokens, values and numbers left out, as the review counts them) — so that a later
//! turn draws other words. One per conversation, owned by its agent: no state is shared between conversations, so
//! output does not depend on the thread count.

/// The character that stands for a value in masked text.
pub const MASK: char = '\u{1}';

/// One speaker's memory within one dialogue.
#[derive(Debug, Default, Clone)]
pub struct Memory {
    /// Per part, a bit per alternative used.
    parts: Vec<u128>,
    /// Hashes of the phrases used.
    grams: std::collections::HashSet<u64, PassThrough>,
    /// Values the dialogue has named (lowercase).
    values: Vec<String>,
    /// The index of each value in `values` with the length of its first word, sorted by that word: the values a
    /// text can hold are looked up by its words.
    by_word: Vec<(u32, u32)>,
    /// A bit per first word of a value, by its hash ([`WordFilter`]): most words of a text open no value, and this
    /// says so without searching `by_word`.
    firsts: WordFilter,
}

/// A set of words that may say "maybe" for a word not in it but never "no" for one in it (one bit per word's hash,
/// 1,024 bits): a dialogue's few dozen values leave most bits clear.
#[derive(Debug, Default, Clone)]
struct WordFilter([u64; 16]);

impl WordFilter {
    /// The bit of `word`: its FNV-1a hash folded to 10 bits.
    fn bit(word: &str) -> (usize, u64) {
        let h = word.bytes().fold(TOKEN_SEED, fnv);
        let b = ((h >> 32) ^ h) as usize & 1023;
        (b >> 6, 1u64 << (b & 63))
    }

    fn insert(&mut self, word: &str) {
        let (i, bit) = Self::bit(word);
        self.0[i] |= bit;
    }

    fn may_hold(&self, word: &str) -> bool {
        let (i, bit) = Self::bit(word);
        self.0[i] & bit != 0
    }
}

/// Most alternatives a part may have (a bit each in the memory).
pub const MAX_ALTERNATIVES: usize = 128;

impl Memory {
    /// Whether alternative `index` of `part` was used.
    pub fn used(&self, part: u16, index: u16) -> bool {
        self.parts
            .get(usize::from(part))
            .is_some_and(|bits| index < 128 && bits & (1u128 << index) != 0)
    }

    /// Record that alternative `index` of `part` was used.
    pub fn use_part(&mut self, part: u16, index: u16) {
        let p = usize::from(part);
        if self.parts.len() <= p {
            self.parts.resize(p + 1, 0);
        }
        if index < 128 {
            self.parts[p] |= 1u128 << index;
        }
    }

    /// How many of `grams` were used before.
    pub fn clashes(&self, grams: &[u64]) -> usize {
        grams.iter().filter(|g| self.grams.contains(g)).count()
    }

    /// Record phrases as used.
    pub fn remember(&mut self, grams: &[u64]) {
        self.grams.extend(grams.iter().copied());
    }

    /// The alternatives of `part` used so far, a bit each.
    pub fn used_bits(&self, part: u16) -> u128 {
        self.parts.get(usize::from(part)).copied().unwrap_or(0)
    }

    /// Whether the phrase `gram` was used.
    pub fn has_gram(&self, gram: u64) -> bool {
        self.grams.contains(&gram)
    }

    /// A value of the dialogue (an item's title or attribute value, a feature, a word the shopper stated): phrases
    /// holding it are not phrases of the speaker's own.
    pub fn add_value(&mut self, value: &str) {
        let v = value.trim();
        let v = if v.is_ascii() {
            v.to_ascii_lowercase()
        } else {
            v.to_lowercase()
        };
        if !v.chars().any(char::is_alphanumeric) {
            return;
        }
        let word = first_word(&v);
        let at = self.first_at(word);
        let known = self.by_word[at..]
            .iter()
            .take_while(|&&k| self.word_of(k) == word)
            .any(|&(k, _)| self.values[k as usize] == v);
        if known {
            return;
        }
        let entry = (self.values.len() as u32, word.len() as u32);
        self.firsts.insert(word);
        self.by_word.insert(at, entry);
        self.values.push(v);
    }

    /// Where values whose first word is `word` start in `by_word`.
    fn first_at(&self, word: &str) -> usize {
        self.by_word.partition_point(|&k| self.word_of(k) < word)
    }

    /// The first word of the value of a `by_word` entry.
    fn word_of(&self, (k, len): (u32, u32)) -> &str {
        &self.values[k as usize][..len as usize]
    }

    /// `text` lowercased, with every whole-word occurrence of a known value replaced by [`MASK`] (at each word, the
    /// longest value starting there).
    pub fn mask(&self, text: &str) -> String {
        let lower = if text.is_ascii() {
            text.to_ascii_lowercase()
        } else {
            text.to_lowercase()
        };
        if self.values.is_empty() {
            return lower;
        }
        let bytes = lower.as_bytes();
        let mut out = String::with_capacity(lower.len() + 8);
        // Text from `copied` on is not in `out` yet; it is copied in runs, up to each value masked.
        let mut copied = 0;
        let mut i = 0;
        let mut after_word = false;
        while i < bytes.len() {
            let (word, step) = if bytes[i].is_ascii() {
                (bytes[i].is_ascii_alphanumeric(), 1)
            } else {
                let c = lower[i..].chars().next().unwrap_or(' ');
                (is_word(c), c.len_utf8())
            };
            if word
                && !after_word
                && let Some(len) = self.value_at(&lower[i..])
            {
                out.push_str(&lower[copied..i]);
                out.push(' ');
                out.push(MASK);
                out.push(' ');
                i += len;
                copied = i;
                after_word = lower[..i].chars().next_back().is_some_and(is_word);
                continue;
            }
            // An apostrophe after a letter goes on with the word: the "s" of "it's" is no value "s" (a size).
            after_word = word || (after_word && bytes[i] == b'\'');
            i += step;
        }
        out.push_str(&lower[copied..]);
        out
    }

    /// The length of the longest known value `rest` opens with, ending at a word boundary.
    fn value_at(&self, rest: &str) -> Option<usize> {
        let word = first_word(rest);
        if !self.firsts.may_hold(word) {
            return None;
        }
        let from = self.first_at(word);
        self.by_word[from..]
            .iter()
            .take_while(|&&k| self.word_of(k) == word)
            .map(|&(k, _)| self.values[k as usize].as_str())
            .filter(|v| {
                rest.starts_with(v)
                    && (!v.ends_with(is_word)
                        || rest[v.len()..].chars().next().is_none_or(|c| !is_word(c)))
            })
            .map(str::len)
            .max()
    }
}

/// Hashing for keys that are already hashes (the phrases' 4-gram hashes): the key is its own hash. Written here
/// because the standard library's hasher would hash them again, and no crate is worth adding for one line.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThrough;

impl std::hash::BuildHasher for PassThrough {
    type Hasher = PassThroughHasher;

    fn build_hasher(&self) -> PassThroughHasher {
        PassThroughHasher(0)
    }
}

/// The hasher of [`PassThrough`]: keeps the last `u64` written.
#[derive(Debug, Default)]
pub struct PassThroughHasher(u64);

impl std::hash::Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Whether `c` is part of a word, for whole-word matching.
fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// The leading run of word characters of `text`.
fn first_word(text: &str) -> &str {
    let bytes = text.as_bytes();
    let mut end = 0;
    while end < bytes.len() {
        if bytes[end].is_ascii() {
            if !bytes[end].is_ascii_alphanumeric() {
                break;
            }
            end += 1;
        } else {
            match text[end..].chars().next() {
                Some(c) if is_word(c) => end += c.len_utf8(),
                _ => break,
            }
        }
    }
    &text[..end]
}

/// The phrases of a masked text: hashes of its 4-grams of tokens (lowercased `[a-z0-9']` runs) that hold no value
/// and no number, each once.
pub fn grams(masked: &str) -> Vec<u64> {
    let mut out = Vec::new();
    grams_into(masked, &mut out);
    out
}

/// [`grams`] into `out` (cleared first), so that a caller checking many drafts reuses one buffer. Tokens are hashed
/// as they are read, and only the last four are kept: no allocation beyond `out`.
pub fn grams_into(masked: &str, out: &mut Vec<u64>) {
    out.clear();
    scan(masked, |h, _, _| {
        if !out.contains(&h) {
            out.push(h);
        }
    });
}

/// Every phrase of a masked text where it occurs, repeats kept, in order: its hash and the byte span of its words
/// (where the first starts, where the last ends), into `out` (cleared first). A phrase whose span lies within a
/// stretch of the text is a phrase of that stretch read alone, when the stretch opens and closes outside a word.
pub fn gram_spans_into(masked: &str, out: &mut Vec<(u64, usize, usize)>) {
    out.clear();
    scan(masked, |h, start, end| out.push((h, start, end)));
}

/// Read `masked`'s tokens and call `emit` with each phrase (hash, start of its first token, end of its last).
///
/// Read by bytes through [`CLASS`]: the mask is one byte, and every byte of a character outside ASCII ends a token as
/// that character would. A token is a run of letters, digits and apostrophes opening with a letter or digit; its
/// hash is FNV-1a over its lowercased bytes, apostrophes after its last letter or digit left out (its span keeps
/// them).
fn scan(masked: &str, mut emit: impl FnMut(u64, usize, usize)) {
    let bytes = masked.as_bytes();
    let mut window = Window::default();
    let mut i = 0;
    while i < bytes.len() {
        let c = CLASS[usize::from(bytes[i])];
        if c < WORD {
            if c == MASK_BYTE {
                window.run = 0;
            }
            i += 1;
            continue;
        }
        let start = i;
        let mut hash = TOKEN_SEED;
        let mut number = false;
        let mut quotes = 0;
        while i < bytes.len() {
            let c = CLASS[usize::from(bytes[i])];
            if c >= WORD {
                for _ in 0..quotes {
                    hash = fnv(hash, b'\'');
                }
                quotes = 0;
                hash = fnv(hash, c);
                number |= c <= b'9';
            } else if c == QUOTE {
                quotes += 1;
            } else {
                break;
            }
            i += 1;
        }
        if number {
            window.run = 0;
        } else {
            window.push(hash, start, i, &mut emit);
        }
    }
}

/// A byte's class for [`scan`]: a letter or digit as itself lowercased (every such byte is at least [`WORD`]), or
/// one of [`SEPARATOR`], [`MASK_BYTE`], [`QUOTE`].
const CLASS: [u8; 256] = {
    let mut t = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        let c = (b as u8).to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            t[b] = c;
        }
        b += 1;
    }
    t[b'\'' as usize] = QUOTE;
    t[MASK as usize] = MASK_BYTE;
    t
};
/// A byte outside any token.
const SEPARATOR: u8 = 0;
/// The mask: a value stood here.
const MASK_BYTE: u8 = 1;
/// An apostrophe: within a token, kept only when a letter or digit follows.
const QUOTE: u8 = 2;
/// The least class of a letter or digit (`'0'`).
const WORD: u8 = b'0';

/// FNV-1a's offset basis, a token's hash before its first byte.
const TOKEN_SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: `hash` with byte `b` read.
fn fnv(hash: u64, b: u8) -> u64 {
    (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

/// The last four tokens read: `run` counts the words read since the last value or number (or the start), and
/// `last` holds the hashes and starts of the latest of them, the newest at `run % 4`.
#[derive(Default)]
struct Window {
    last: [u64; 4],
    starts: [usize; 4],
    run: usize,
}

impl Window {
    /// Push a word; when the last four hold no value or number, their phrase is emitted.
    fn push(&mut self, t: u64, start: usize, end: usize, emit: &mut impl FnMut(u64, usize, usize)) {
        self.run += 1;
        self.last[self.run % 4] = t;
        self.starts[self.run % 4] = start;
        if self.run < 4 {
            return;
        }
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
        for k in 1..=4 {
            let t = self.last[(self.run + k) % 4];
            h = (h ^ t).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
        }
        emit(h, self.starts[(self.run + 1) % 4], end);
    }
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
    fn phrases_within_a_part_are_the_part_read_alone() {
        let parts = [
            " Here's one I'd pick for you, honestly.",
            " It's \u{1} and it's built to last a long while!",
            " Would that work for what you have in mind?",
            " Don't worry, it'll hold up well enough.",
        ];
        let text: String = parts.concat();
        let mut spans = Vec::new();
        gram_spans_into(&text, &mut spans);
        let mut start = 0;
        for part in parts {
            let end = start + part.len();
            let within = once(spans.iter().filter(|&&(_, s, e)| s >= start && e <= end));
            assert_eq!(within, grams(part), "{part}");
            start = end;
        }
        // The joins make phrases of their own, and every phrase of the whole is there.
        assert!(spans.len() > parts.iter().map(|p| grams(p).len()).sum::<usize>());
        assert_eq!(once(spans.iter()), grams(&text));
    }

    /// The phrases of `spans`, each once, in order.
    fn once<'a>(spans: impl Iterator<Item = &'a (u64, usize, usize)>) -> Vec<u64> {
        let mut out = Vec::new();
        for &(g, _, _) in spans {
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out
    }

    #[test]
    fn longer_values_are_masked_first() {
        let mut m = Memory::default();
        m.add_value("navy");
        m.add_value("navy blue");
        assert_eq!(m.mask("in navy blue"), format!("in  {MASK} "));
    }

    #[test]
    fn a_value_inside_a_contraction_is_no_value() {
        // The size "S" hid "because it's made of" from the memory: "it's" read as "it'" and a value.
        let mut m = Memory::default();
        m.add_value("s");
        m.add_value("arcwave");
        assert_eq!(
            m.mask("It's S, Arcwave's"),
            format!("it's  {MASK} ,  {MASK} 's")
        );
    }
}
