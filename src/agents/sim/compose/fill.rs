//! A turn's fill: the values of its variables, and their masked twins for phrase memory.

use super::parts::{VARS, Var};
use crate::agents::sim::variety::{MASK, Memory};

/// The values of one turn's variables: the text said, and (worked out when a draft is first checked) the same with
/// what the review counts as values masked, for phrase memory. The masking uses the memory of the turn being
/// composed: a speaker learns the dialogue's values before it plans a turn, never between planning and saying it.
#[derive(Debug, Default, Clone)]
pub struct Fill {
    said: [Option<String>; VARS],
    masked: [std::cell::OnceCell<std::borrow::Cow<'static, str>>; VARS],
}

impl Fill {
    /// Set `var` to `text`.
    pub fn set(&mut self, var: Var, text: impl Into<String>) -> &mut Self {
        let i = var as usize;
        self.said[i] = Some(text.into());
        self.masked[i] = std::cell::OnceCell::new();
        self
    }

    /// The text of `var`.
    pub(super) fn said(&self, var: Var) -> Option<&str> {
        self.said[var as usize].as_deref()
    }

    /// The masked twin of `var`'s text: a value wholly masked; wording masked where it holds one of `memory`'s
    /// values.
    pub(super) fn masked(&self, var: Var, memory: &Memory) -> Option<&str> {
        let i = var as usize;
        let said = self.said[i].as_deref()?;
        Some(self.masked[i].get_or_init(|| {
            if var.is_value() {
                std::borrow::Cow::Borrowed(MASKED_VALUE)
            } else {
                std::borrow::Cow::Owned(memory.mask(said))
            }
        }))
    }
}

/// A value as masked text: the mask between spaces.
const MASKED_VALUE: &str = " \u{1} ";
const _: () = assert!(MASK as u32 == 1, "MASKED_VALUE holds MASK");
