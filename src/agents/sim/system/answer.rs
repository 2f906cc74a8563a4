//! The recommender's answer to the shopper's question about the item shown ("Is it leather?"): whether the item has
//! what was asked, from the catalog, with what it has.

use super::SimSystem;
use super::say::Say;
use crate::Result;
use crate::agents::sim::phrases::SystemContext;
use crate::agents::sim::realise::{self, Fact};
use crate::model::{Action, Slot, Turn};

impl SimSystem<'_> {
    /// The answer to the user's question (the last turn) about the item shown: whether it has the value asked
    /// about, with what it has.
    pub(super) fn answer(&mut self, history: &[Turn]) -> Result<Turn> {
        let question = history.last().filter(|t| t.action == Action::Ask);
        let item = question
            .and_then(|t| t.items.first())
            .and_then(|id| self.cat.position(id))
            .or_else(|| self.shown.last().copied());
        let asked = question.and_then(|t| t.slots.first());
        let (Some(item), Some(asked)) = (item, asked) else {
            let text = self.speak("chit_chat", Self::context, &[], |s| {
                s.plan(Say::Chat {
                    after_reject: false,
                })
            })?;
            return Ok(self.turn(Action::ChitChat, text, Vec::new()));
        };
        let key = asked.attribute.as_str();
        let value = asked.value.to_lowercase();
        let (has, fact) = if key == "feature" {
            let has = self.cat.has_feature(item, &value);
            (
                has,
                has.then(|| Fact::Feature(self.cat.feature_form(&value))),
            )
        } else {
            let has = self.cat.value(item, key) == Some(value.as_str());
            (has, Fact::of_item_in(self.cat, self.sizes, item, key))
        };
        let facts = fact
            .map(|f| realise::describe(self.cat.noun(item), &[f]))
            .unwrap_or_default();
        let act = if has { "answer_yes" } else { "answer_no" };
        let id = self.cat.item(item).id.clone();
        let title = self.cat.item(item).title.clone();
        let context = |s: &Self| SystemContext {
            title: title.clone(),
            highlights: facts.clone(),
            ..s.context()
        };
        let text = self.speak(act, context, &[], |s| s.plan_answer(has, &facts))?;
        let slots = match self.cat.value(item, key) {
            Some(v) if key != "feature" => vec![Slot {
                attribute: key.to_string(),
                value: v.to_string(),
                negative: false,
            }],
            _ => Vec::new(),
        };
        let mut turn = self.turn(Action::Answer, text, slots);
        turn.items = vec![id];
        Ok(turn)
    }
}
