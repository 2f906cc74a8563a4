//! The shapes of the recommender's turns: the steps of each plan, in order, each one of a few parts (the plan picks
//! by what is known) or none when optional. The steps a shape always has bound the chance of any one whole line, by
//! construction: the product of their alternatives, which loading checks against [`MAX_LINE_SHARE`].

use super::{Bank, Part, Parts, SystemBank};
use Part::*;

/// The largest share of its kind of turn any one whole line may take.
pub const MAX_LINE_SHARE: f64 = 0.005;

/// Alternatives of each part assumed used earlier in the dialogue when the bound is checked (a dialogue of the
/// default six rounds uses a part at most this often).
pub const REUSE: usize = 6;

/// One step of a plan: one of `options` (the plan picks by what is known), or none when `optional`.
pub struct Step<P: 'static = Part> {
    /// The parts that can fill the step.
    pub options: &'static [P],
    /// Whether the step may be left out.
    pub optional: bool,
}

/// A step the shape always has.
pub const fn one<P>(options: &'static [P]) -> Step<P> {
    Step {
        options,
        optional: false,
    }
}

/// A step that may be left out.
pub const fn maybe<P>(options: &'static [P]) -> Step<P> {
    Step {
        options,
        optional: true,
    }
}

/// The steps of one kind of turn, in order.
pub struct Shape<P: 'static = Part> {
    /// The kind of turn.
    pub name: &'static str,
    /// Its steps.
    pub steps: &'static [Step<P>],
}

impl<P: Parts> Shape<P> {
    /// The largest probability of any one whole line of this shape, when each part left `used` of its alternatives
    /// out (used earlier in the dialogue): the product, over the steps it always has, of the largest chance of one
    /// alternative of any part the step may take. Optional steps and values (titles, prices) only divide it further.
    pub fn max_line_probability(&self, bank: &Bank<P>, used: usize) -> f64 {
        self.steps
            .iter()
            .filter(|s| !s.optional)
            .map(|s| {
                s.options
                    .iter()
                    .map(|&p| bank.max_line_probability(&[p], used))
                    .fold(0.0, f64::max)
            })
            .product()
    }
}

/// The shape of greet turns.
pub const GREET: Shape = Shape {
    name: "greet",
    steps: &[one(&[GreetHello]), maybe(&[GreetWelcome]), one(&[GreetAsk])],
};
/// The shape of opening turns.
pub const OPENING: Shape = Shape {
    name: "opening",
    steps: &[
        one(&[OpeningNeed, OpeningReact]),
        one(&[OpeningAskContext, OpeningAskRecipient]),
    ],
};
/// The shape of chat turns.
pub const CHAT: Shape = Shape {
    name: "chit_chat",
    steps: &[
        one(&[ChatOccasion, ChatRecipient, ChatCategory, ChatPlain]),
        one(&[ChatOnward]),
    ],
};
/// The shape of after reject turns.
pub const AFTER_REJECT: Shape = Shape {
    name: "chit_chat_after_reject",
    steps: &[one(&[RejectSympathy]), one(&[RejectOnward])],
};
/// The shape of ask category turns.
pub const ASK_CATEGORY: Shape = Shape {
    name: "ask_category",
    steps: &[one(&[CategoryAckNeed, CategoryAck]), one(&[CategoryAsk])],
};
/// The shape of clarify budget turns.
pub const CLARIFY_BUDGET: Shape = Shape {
    name: "clarify_budget",
    steps: &[one(&[BudgetAck, BudgetAckWish]), one(&[BudgetAsk])],
};
/// The shape of clarify preference turns.
pub const CLARIFY_PREFERENCE: Shape = Shape {
    name: "clarify_preference",
    steps: &[
        one(&[PreferenceAckBudget, PreferenceAck]),
        one(&[PreferenceAsk]),
    ],
};
/// The shape of recommend turns.
pub const RECOMMEND: Shape = Shape {
    name: "recommend",
    steps: &[
        maybe(&[RecommendOpener, RecommendOpenerWish]),
        one(&[RecommendPresent]),
        one(&[
            RecommendJustify,
            RecommendVisible,
            RecommendGeneral,
            RecommendFacts,
        ]),
        maybe(&[AgainShortfall, AgainTradeoff]),
        maybe(&[RecommendBudget]),
        maybe(&[RecommendInvite]),
    ],
};
/// The shape of recommend again turns.
pub const RECOMMEND_AGAIN: Shape = Shape {
    name: "recommend_again",
    steps: &[
        one(&[AgainAckFeedback, AgainAck, SeveralAck]),
        one(&[AgainPresent]),
        maybe(&[AgainContrast]),
        maybe(&[
            RecommendJustify,
            RecommendVisible,
            RecommendGeneral,
            RecommendFacts,
        ]),
        maybe(&[AgainShortfall, AgainTradeoff]),
        maybe(&[AgainBudget]),
        maybe(&[AgainInvite]),
    ],
};
/// The shape of recommend turns showing two or three items: a lead (as the first recommendation's, or the
/// acknowledgement of a turn-down), an intro, each item with one fact, an invitation to pick.
pub const RECOMMEND_SEVERAL: Shape = Shape {
    name: "recommend_several",
    steps: &[
        maybe(&[SeveralOpenerWish, AgainAckFeedback, SeveralAck]),
        one(&[SeveralIntroTwo, SeveralIntroThree]),
        one(&[SeveralFirst]),
        one(&[SeveralSecond]),
        maybe(&[SeveralThird]),
        maybe(&[AgainShortfall, AgainTradeoff]),
        maybe(&[SeveralInviteTwo, SeveralInviteThree]),
    ],
};
/// The shape of answers to the shopper's question about the item shown.
pub const ANSWER: Shape = Shape {
    name: "answer",
    steps: &[
        one(&[AnswerCheck]),
        one(&[AnswerYes, AnswerYesBare, AnswerNo, AnswerNoBare]),
        maybe(&[AnswerOffer]),
    ],
};
/// The shape of close accept turns.
pub const CLOSE_ACCEPT: Shape = Shape {
    name: "close_accept",
    steps: &[
        one(&[AcceptCheer]),
        maybe(&[AcceptDone]),
        one(&[
            AcceptWishOccasion,
            AcceptWishRecipient,
            AcceptWish,
            AcceptWishIt,
            AcceptWishThem,
        ]),
    ],
};
/// The shape of close abandon turns.
pub const CLOSE_ABANDON: Shape = Shape {
    name: "close_abandon",
    steps: &[
        one(&[AbandonRegret]),
        one(&[AbandonParting, AbandonPartingOccasion]),
    ],
};
/// The shape of close empty turns.
pub const CLOSE_EMPTY: Shape = Shape {
    name: "close_empty",
    steps: &[
        one(&[EmptyRegret]),
        one(&[AbandonParting, AbandonPartingOccasion]),
    ],
};

/// Every shape a plan can take.
pub const SHAPES: [&Shape; 14] = [
    &GREET,
    &OPENING,
    &CHAT,
    &AFTER_REJECT,
    &ASK_CATEGORY,
    &CLARIFY_BUDGET,
    &CLARIFY_PREFERENCE,
    &RECOMMEND,
    &RECOMMEND_AGAIN,
    &RECOMMEND_SEVERAL,
    &ANSWER,
    &CLOSE_ACCEPT,
    &CLOSE_ABANDON,
    &CLOSE_EMPTY,
];

/// A plan of `shape`, with `pick(step)` choosing each step's part (`None` leaves an optional step out); a choice
/// outside the step's options, or none for a step the shape always has, takes the step's first option, so a plan
/// always has its shape.
pub fn build<P: Parts>(shape: &Shape<P>, mut pick: impl FnMut(usize) -> Option<P>) -> Vec<P> {
    let mut plan = Vec::with_capacity(shape.steps.len());
    for (i, step) in shape.steps.iter().enumerate() {
        match pick(i).filter(|p| step.options.contains(p)) {
            Some(p) => plan.push(p),
            None if !step.optional => plan.push(step.options[0]),
            None => {}
        }
    }
    plan
}

/// Check that no whole line of the recommender's shapes can take more than [`MAX_LINE_SHARE`] of its kind of turn
/// with `bank`, each part having lost [`REUSE`] alternatives.
pub fn check(bank: &SystemBank) -> std::result::Result<(), String> {
    check_shapes(bank, SHAPES.iter().map(|&s| (s, REUSE)), "")
}

/// Check `shapes` (each with how many of its parts' alternatives a dialogue can use before it) against `bank`: no
/// whole line may take more than [`MAX_LINE_SHARE`] of its kind of turn; `who` ("formal ", …) names the bank in the
/// message.
pub fn check_shapes<'s, P: Parts + 's>(
    bank: &Bank<P>,
    shapes: impl IntoIterator<Item = (&'s Shape<P>, usize)>,
    who: &str,
) -> std::result::Result<(), String> {
    for (shape, used) in shapes {
        let p = shape.max_line_probability(bank, used);
        if p > MAX_LINE_SHARE {
            return Err(format!(
                "the {who}{} turn has too few alternatives: one whole line could be {:.2} % of them (at most \
                 {:.1} %); add alternatives to its parts",
                shape.name,
                p * 100.0,
                MAX_LINE_SHARE * 100.0
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bound on any one line's share holds by construction for the embedded bank: for every shape, with each
    /// part having lost as many alternatives as a dialogue of the default length can use, no whole line is more
    /// likely than 0.5 % of its kind of turn.
    #[test]
    fn no_line_can_exceed_half_a_percent_of_its_turns() {
        let bank = crate::agents::sim::PhraseBank::load(None, &[]).unwrap();
        let bank = bank.system_bank();
        let mut worst: f64 = 0.0;
        for shape in SHAPES {
            let p = shape.max_line_probability(bank, REUSE);
            assert!(p <= MAX_LINE_SHARE, "{}: {p}", shape.name);
            worst = worst.max(p);
        }
        assert!(worst > 0.0);
    }
}
