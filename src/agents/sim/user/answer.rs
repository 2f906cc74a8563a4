//! How the shopper answers the recommender's questions (the category with its department, the budget, its next
//! wish) and asks about an item before deciding.

use super::{SimUser, slot};
use crate::Result;
use crate::agents::sim::phrases::{UserAct, UserContext};
use crate::agents::sim::realise::{self, Fact};
use crate::model::{Action, Requirement, Turn};

impl SimUser<'_> {
    pub(super) fn answer(&mut self, asked: &str) -> Result<Turn> {
        let mut ctx = self.base.clone();
        match asked {
            "category" => {
                let mut slots = vec![slot("category", self.cat.leaf(self.target))];
                // The shopper names the department with the category ("women's jeans"), as people do, so the
                // recommender keeps to it.
                if let Some(said) = self
                    .cat
                    .department(self.target)
                    .and_then(|d| d.said.as_deref())
                {
                    ctx.category = format!("{said} {}", ctx.category);
                    slots.push(slot("department", said));
                }
                self.say(
                    UserAct::InformCategory,
                    Action::Answer,
                    &ctx,
                    slots,
                    Vec::new(),
                )
            }
            "budget" if self.budget().is_some() => {
                let b = self.budget().unwrap_or_default();
                self.said_budget = true;
                self.say(
                    UserAct::AnswerBudget,
                    Action::Answer,
                    &ctx,
                    vec![slot("budget", &format!("{b}"))],
                    Vec::new(),
                )
            }
            _ => match self.agenda.pop() {
                Some(i) => {
                    let r = &self.profile.scenario.requirements[i];
                    ctx.requirement = self.requirement_text(r);
                    let slots = vec![slot(&r.attribute, &r.value.to_lowercase())];
                    self.say(
                        UserAct::AnswerPreference,
                        Action::Answer,
                        &ctx,
                        slots,
                        Vec::new(),
                    )
                }
                None => self.say(
                    UserAct::NoPreference,
                    Action::Answer,
                    &ctx,
                    Vec::new(),
                    Vec::new(),
                ),
            },
        }
    }

    /// Ask whether `item` meets requirement `i` (said for the first time) before deciding.
    pub(super) fn ask(&mut self, item: u32, i: usize) -> Result<Turn> {
        self.ask_about(item, i, None)
    }

    /// Ask whether `item` meets requirement `i`, referring to it as `reference` ("the second one") when several
    /// items were shown, else by its noun ("the scarf").
    pub(super) fn ask_about(
        &mut self,
        item: u32,
        i: usize,
        reference: Option<String>,
    ) -> Result<Turn> {
        self.asked.push(item);
        self.agenda.retain(|&j| j != i);
        let r = &self.profile.scenario.requirements[i];
        let several = reference.is_some();
        let mut ctx = UserContext {
            item: reference.unwrap_or_else(|| self.cat.noun(item).definite()),
            noun: (!several).then(|| self.cat.noun(item).clone()),
            several,
            title: self.several_title(item, several),
            ..self.base.clone()
        };
        ctx.requirement = self.requirement_text(r);
        let slots = vec![slot(&r.attribute, &r.value.to_lowercase())];
        if r.attribute != "budget" && r.attribute != "category" {
            self.stated
                .push((r.attribute.clone(), r.value.to_lowercase(), false));
        }
        self.say(
            UserAct::Ask,
            Action::Ask,
            &ctx,
            slots,
            vec![self.cat.item(item).id.clone()],
        )
    }

    /// A requirement as the shopper states it: realised from the target's value of the attribute (so a genre is
    /// "an urban fantasy", a size "a US 9", or "a UK 8" as a shopper in London says it), or the profile's own words for free-text requirements.
    pub(super) fn requirement_text(&mut self, r: &Requirement) -> String {
        let fact = match r.attribute.as_str() {
            "text" => None,
            "feature" => Some(Fact::Feature(
                self.cat.feature_form(&r.value.to_lowercase()),
            )),
            key => Fact::of_item_in(self.cat, self.sizes, self.target, key),
        };
        match fact {
            Some(f) => {
                let variant = self.rng.below(12);
                realise::requirement(&r.attribute, &f, variant)
            }
            None => r.text.clone(),
        }
    }
}
