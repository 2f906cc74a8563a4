//! What had been said before a turn: the user's stated preferences and constraints, read from the turns' dialogue-act
//! slots (what the sim agents recorded each turn revealed), and the text of every earlier turn for conversations
//! without slots (imported ones) and for values either side had named.

use crate::model::{Role, Turn};

use super::text::contains_words;

/// Signs that mark a money amount in any of the currencies personas state budgets in.
const CURRENCY_SIGNS: [char; 8] = ['$', '₹', '£', '€', '¥', '₩', '₦', '₵'];

/// Slot attributes that carry context, not a preference.
pub const CONTEXT: [&str; 4] = ["need", "occasion", "reason", "recipient"];

/// What had been said so far in one conversation.
#[derive(Debug, Default)]
pub struct Said {
    /// Whether the conversation carries slots (else the text stands for them).
    pub structured: bool,
    /// (attribute, lowercase value) the user had stated wanting.
    wanted: Vec<(String, String)>,
    /// Lowercase text of the earlier user turns.
    user_text: String,
    /// Lowercase text of every earlier turn.
    all_text: String,
    /// A budget had been stated.
    pub budget: bool,
    /// An occasion (or the reason) had been stated.
    pub occasion: bool,
    /// A recipient had been stated.
    pub recipient: bool,
    /// A preference (a wanted value other than category and budget) had been stated.
    pub preference: bool,
}

/// Whether a slot value is a real value (not the `?` of a question).
fn real(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && v != "?"
}

impl Said {
    /// Nothing said yet; `structured` when any turn of the conversation carries slots.
    pub fn new(turns: &[Turn]) -> Self {
        Said {
            structured: turns.iter().any(|t| !t.slots.is_empty()),
            ..Said::default()
        }
    }

    /// Whether the user had stated wanting `value` for `attribute` (from the slots; from the text of the user's
    /// turns when the conversation has none).
    pub fn user_stated(&self, attribute: &str, value: &str) -> bool {
        let value = value.trim().to_lowercase();
        if self.structured {
            self.wanted
                .iter()
                .any(|(a, v)| *v == value && (a == attribute || attribute.is_empty()))
        } else {
            contains_words(&self.user_text, &value)
        }
    }

    /// Whether any earlier turn named `value` (lowercase), or the user had stated it.
    pub fn named(&self, value: &str) -> bool {
        let value = value.trim().to_lowercase();
        contains_words(&self.all_text, &value) || self.wanted.iter().any(|(_, v)| *v == value)
    }

    /// Take in turn `t` (after the measures of `t` have looked at what came before it).
    pub fn hear(&mut self, t: &Turn) {
        let lower = t.text.to_lowercase();
        self.all_text.push_str(&lower);
        self.all_text.push('\n');
        if t.role != Role::User {
            return;
        }
        self.user_text.push_str(&lower);
        self.user_text.push('\n');
        if self.structured {
            for s in t.slots.iter().filter(|s| !s.negative && real(&s.value)) {
                match s.attribute.as_str() {
                    "budget" => self.budget |= s.value.trim().parse::<f64>().is_ok(),
                    "occasion" | "reason" => self.occasion = true,
                    "recipient" => self.recipient = true,
                    "need" => {}
                    "category" => {}
                    _ => self.preference = true,
                }
                if !CONTEXT.contains(&s.attribute.as_str()) {
                    self.wanted
                        .push((s.attribute.clone(), s.value.trim().to_lowercase()));
                }
            }
        } else {
            // Without slots, a money amount is a budget (occasions and recipients are not read from text), in
            // whichever currency it is written ("$85", "₹8,000", "£70", "850 kr").
            self.budget |= (lower.contains(CURRENCY_SIGNS) || lower.contains(" kr"))
                && lower.chars().any(|c| c.is_ascii_digit());
        }
    }
}
