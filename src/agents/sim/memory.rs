//! What one speaker has said in a conversation, as word 4-grams: a phrase drawn from the banks that repeats one of
//! them is drawn again, so nobody says the same phrase twice in one dialogue.

use std::collections::HashSet;

/// Words per remembered phrase.
const N: usize = 4;

/// The phrases (word 4-grams, lowercase, hashed) one speaker has used.
#[derive(Debug, Default, Clone)]
pub struct Memory {
    grams: HashSet<u64>,
}

impl Memory {
    /// How many of `text`'s 4-grams were said before.
    pub fn repeats(&self, text: &str) -> usize {
        grams(text).filter(|g| self.grams.contains(g)).count()
    }

    /// Remember the 4-grams of `text`.
    pub fn remember(&mut self, text: &str) {
        self.grams.extend(grams(text));
    }
}

/// The hashed word 4-grams of `text`: words are lowercase runs of letters, digits and apostrophes. Each word is
/// hashed once and a gram's hash combines its four words' (no string is built per gram: this runs on every draw of
/// every user turn).
fn grams(text: &str) -> impl Iterator<Item = u64> {
    let lower = text.to_lowercase();
    let mut ring = [0u64; N];
    let mut seen = 0usize;
    let mut out = Vec::new();
    for word in lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|w| !w.is_empty())
    {
        ring[seen % N] = xxhash_rust::xxh3::xxh3_64(word.as_bytes());
        seen += 1;
        if seen >= N {
            let mut h = 0x9e37_79b9_7f4a_7c15u64;
            for k in 0..N {
                h = (h ^ ring[(seen + k) % N])
                    .wrapping_mul(0x0100_0000_01b3)
                    .rotate_left(23);
            }
            out.push(h);
        }
    }
    out.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_said_before_is_a_repeat_whatever_its_case_and_punctuation() {
        let mut m = Memory::default();
        m.remember("Thanks for letting me know, that helps.");
        assert_eq!(m.repeats("Oh! thanks FOR letting me know again"), 2);
        assert_eq!(m.repeats("Thanks for the tip."), 0);
        assert_eq!(m.repeats("too short"), 0);
    }
}
