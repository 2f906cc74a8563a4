//! The shopper's parts (`prompts/sim/user.toml`, one set per register: `[casual.*]`, `[neutral.*]`, `[formal.*]`)
//! and the shapes of its turns. What the shopper says (which wish, which reasons, whether "finally" may be said) is
//! decided in `user.rs`; a plan only picks which parts word it. As for the recommender, the steps a shape always has
//! bound the chance of any one whole line, which loading checks against [`MAX_LINE_SHARE`](super::shapes::MAX_LINE_SHARE).

use super::Bank;
use super::shapes::{Shape, check_shapes, maybe, one};
use UserPart::*;

parts! {
    /// A part of a shopper's turn: one group of alternatives per register in `user.toml`.
    UserPart {
    /// A greeting that opens the shopper's first turn.
    OpenHello => "open"."hello" [],
    /// The need.
    OpenNeed => "open"."need" [Need],
    /// The need and the occasion.
    OpenNeedOccasion => "open"."need_occasion" [Need, Occasion],
    /// A closing word of the first turn (a request for help).
    OpenTail => "open"."tail" [],
    /// What the purchase is for: the occasion, in a frame any occasion takes ("It's for …").
    ContextOccasion => "context"."occasion" [Occasion],
    /// The occasion the item is used at or for ("I'd use it for …").
    ContextOccasionUse => "context"."occasion_use" [Occasion],
    /// The occasion as a date the shopper gets ready for ("I'm getting ready for …").
    ContextOccasionReady => "context"."occasion_ready" [Occasion],
    /// What the purchase is for: the reason.
    ContextReason => "context"."reason" [Reason],
    /// What the purchase is for: both.
    ContextBoth => "context"."both" [Occasion, Reason],
    /// Who it is for: someone else.
    ContextRecipient => "context"."recipient" [Recipient],
    /// Who it is for: the shopper.
    ContextSelf => "context"."self" [],
    /// Where the shopper lives.
    ContextCity => "context"."city" [City],
    /// A lead-in to an answer to a clarifying question.
    AnswerLead => "answer"."lead" [],
    /// The category.
    CategoryCore => "inform_category"."core" [Category],
    /// A word after the category.
    CategoryTail => "inform_category"."tail" [],
    /// The budget.
    BudgetCore => "answer_budget"."core" [Budget, Category],
    /// A word after the budget.
    BudgetTail => "answer_budget"."tail" [],
    /// One wish.
    PreferenceCore => "answer_preference"."core" [Requirement],
    /// A word after the wish.
    PreferenceTail => "answer_preference"."tail" [],
    /// No further wish.
    NoPreferenceCore => "no_preference"."core" [],
    /// A word after it.
    NoPreferenceTail => "no_preference"."tail" [],
    /// A word after it, with the budget.
    NoPreferenceBudget => "no_preference"."budget" [Budget],
    /// A word after it, with the category.
    NoPreferenceCategory => "no_preference"."category" [Category],
    /// A reaction to the recommender's small talk.
    ChatReact => "chit_chat"."react" [],
    /// A reaction to the recommender's sympathy after a turn-down (thanks, an apology for being particular).
    ChatReactReject => "chit_chat"."react_reject" [],
    /// Small talk about the shopper's city.
    ChatCity => "chit_chat"."city" [City],
    /// Small talk about the occasion.
    ChatOccasion => "chit_chat"."occasion" [Occasion],
    /// Small talk about the shopper's style.
    ChatStyle => "chit_chat"."style" [Style],
    /// Small talk about nothing said.
    ChatPlain => "chit_chat"."plain" [],
    /// A first reaction to an item turned down.
    RejectLead => "reject"."lead" [],
    /// The reasons.
    RejectReasons => "reject"."reasons" [Reasons],
    /// A request for something else.
    RejectNext => "reject"."next" [],
    /// Turning down three items shown at once, naming the closest (the reasons follow about it).
    RejectSeveral => "reject"."several" [Item],
    /// Turning down two items shown at once ("neither of those"), naming the closer.
    RejectPair => "reject"."pair" [Item],
    /// Pleasure at an item taken.
    AcceptLead => "accept"."lead" [],
    /// The same after an item was turned down ("finally").
    AcceptFinally => "accept"."finally" [],
    /// The same at the first item ("that was quick").
    AcceptQuick => "accept"."quick" [],
    /// What the shopper likes about it.
    AcceptLiked => "accept"."liked" [Liked],
    /// Taking it, named.
    AcceptTake => "accept"."take" [Item, Is],
    /// Taking it.
    AcceptTakeIt => "accept"."take_it" [],
    /// A first reaction to an item asked about.
    AskLead => "ask"."lead" [],
    /// The wish asked about.
    AskWish => "ask"."wish" [Requirement],
    /// The question.
    AskCheck => "ask"."check" [],
    /// The question, naming the item.
    AskCheckItem => "ask"."check_item" [Item, Is],
    /// A first word of giving up.
    AbandonLead => "abandon"."lead" [],
    /// Nothing found within the budget.
    AbandonBudget => "abandon"."budget" [Budget],
    /// Giving up on an item that meets every wish said: what the shopper still does not like about it.
    AbandonTaste => "abandon"."taste" [Reasons],
    /// Giving up on an item that misses a wish: which, as a reject says it.
    AbandonWish => "abandon"."wish" [Reasons],
    /// Leaving it.
    AbandonLeave => "abandon"."leave" [],
    /// Leaving it, with the category.
    AbandonLeaveCategory => "abandon"."leave_category" [Category],
    /// Thanks on leaving.
    AbandonThanks => "abandon"."thanks" [],
    /// Warm thanks answering the recommender's closing after an item was taken.
    FarewellPleased => "farewell_accepted"."pleased" [],
    /// What the shopper does next, after an item was taken (checking out, coming back).
    FarewellNext => "farewell_accepted"."next" [],
    /// A calm word answering the recommender's closing when nothing was taken (no praise, no thanks).
    FarewellOkay => "farewell_abandoned"."okay" [],
    /// Thanks for the recommender's time, when nothing was taken and the shopper did not thank on leaving.
    FarewellThanks => "farewell_abandoned"."thanks" [],
    /// A goodbye, whatever the outcome.
    FarewellBye => "farewell"."bye" [],
    }
}

/// The shopper's bank of one register.
pub type UserBank = Bank<UserPart>;

/// The shape of the first turn.
pub const OPEN: Shape<UserPart> = Shape {
    name: "open",
    steps: &[
        one(&[OpenHello]),
        one(&[OpenNeed, OpenNeedOccasion]),
        maybe(&[OpenTail]),
    ],
};
/// The shape of the turn saying what the purchase is for.
pub const CONTEXT: Shape<UserPart> = Shape {
    name: "context",
    steps: &[
        one(&[
            ContextOccasion,
            ContextOccasionUse,
            ContextOccasionReady,
            ContextReason,
            ContextBoth,
        ]),
        one(&[ContextRecipient, ContextSelf]),
        maybe(&[ContextCity]),
    ],
};
/// The shape of the answer naming the category.
pub const CATEGORY: Shape<UserPart> = Shape {
    name: "inform_category",
    steps: &[
        one(&[AnswerLead]),
        one(&[CategoryCore]),
        maybe(&[CategoryTail]),
    ],
};
/// The shape of the answer giving the budget.
pub const BUDGET: Shape<UserPart> = Shape {
    name: "answer_budget",
    steps: &[one(&[AnswerLead]), one(&[BudgetCore]), maybe(&[BudgetTail])],
};
/// The shape of the answer giving one wish.
pub const PREFERENCE: Shape<UserPart> = Shape {
    name: "answer_preference",
    steps: &[
        one(&[AnswerLead]),
        one(&[PreferenceCore]),
        maybe(&[PreferenceTail]),
    ],
};
/// The shape of the answer with no further wish.
pub const NO_PREFERENCE: Shape<UserPart> = Shape {
    name: "no_preference",
    steps: &[
        one(&[AnswerLead]),
        one(&[NoPreferenceCore]),
        maybe(&[NoPreferenceTail, NoPreferenceBudget, NoPreferenceCategory]),
    ],
};
/// The shape of small talk.
pub const CHAT: Shape<UserPart> = Shape {
    name: "chit_chat",
    steps: &[
        one(&[ChatReact, ChatReactReject]),
        one(&[ChatCity, ChatOccasion, ChatStyle, ChatPlain]),
    ],
};
/// The shape of a turn-down.
pub const REJECT: Shape<UserPart> = Shape {
    name: "reject",
    steps: &[
        one(&[RejectLead]),
        one(&[RejectReasons]),
        maybe(&[RejectNext]),
    ],
};
/// The shape of turning down several items shown at once.
pub const REJECT_SEVERAL: Shape<UserPart> = Shape {
    name: "reject_several",
    steps: &[
        one(&[RejectSeveral, RejectPair]),
        one(&[RejectReasons]),
        maybe(&[RejectNext]),
    ],
};
/// The shape of taking an item.
pub const ACCEPT: Shape<UserPart> = Shape {
    name: "accept",
    steps: &[
        one(&[AcceptLead, AcceptFinally, AcceptQuick]),
        maybe(&[AcceptLiked]),
        one(&[AcceptTake, AcceptTakeIt]),
    ],
};
/// The shape of taking one of several items shown at once: which one, then (now and then) what the shopper likes.
pub const ACCEPT_SEVERAL: Shape<UserPart> = Shape {
    name: "accept_several",
    steps: &[
        one(&[AcceptLead, AcceptFinally, AcceptQuick]),
        one(&[AcceptTake]),
        maybe(&[AcceptLiked]),
    ],
};
/// The shape of a question about the item shown.
pub const ASK: Shape<UserPart> = Shape {
    name: "ask",
    steps: &[
        one(&[AskLead]),
        one(&[AskWish]),
        one(&[AskCheck, AskCheckItem]),
    ],
};
/// The shape of giving up.
pub const ABANDON: Shape<UserPart> = Shape {
    name: "abandon",
    steps: &[
        one(&[AbandonLead]),
        maybe(&[AbandonBudget, AbandonTaste, AbandonWish]),
        one(&[AbandonLeave, AbandonLeaveCategory]),
        maybe(&[AbandonThanks]),
    ],
};

/// The shape of the shopper's goodbye after taking an item.
pub const FAREWELL_ACCEPTED: Shape<UserPart> = Shape {
    name: "farewell_accepted",
    steps: &[
        one(&[FarewellPleased]),
        maybe(&[FarewellNext]),
        one(&[FarewellBye]),
    ],
};
/// The shape of the shopper's goodbye when nothing was taken.
pub const FAREWELL_ABANDONED: Shape<UserPart> = Shape {
    name: "farewell_abandoned",
    steps: &[
        one(&[FarewellOkay]),
        maybe(&[FarewellThanks]),
        one(&[FarewellBye]),
    ],
};

/// Every shape of the shopper's turns, with how often such a turn can come in one dialogue of the default six
/// rounds (its parts' alternatives assumed used that often when the bound is checked; the answers share their
/// lead-in).
pub const SHAPES: [(&Shape<UserPart>, usize); 15] = [
    (&OPEN, 0),
    (&CONTEXT, 0),
    (&CATEGORY, 6),
    (&BUDGET, 6),
    (&PREFERENCE, 6),
    (&NO_PREFERENCE, 6),
    (&CHAT, 4),
    (&REJECT, 6),
    (&REJECT_SEVERAL, 3),
    (&ACCEPT, 0),
    (&ACCEPT_SEVERAL, 0),
    (&ASK, 3),
    (&ABANDON, 0),
    (&FAREWELL_ACCEPTED, 0),
    (&FAREWELL_ABANDONED, 0),
];

/// Check that no whole line of any shape can take more than [`MAX_LINE_SHARE`](super::shapes::MAX_LINE_SHARE) of its kind of turn with `bank`
/// (`register` names it in the message).
pub fn check(bank: &UserBank, register: &str) -> std::result::Result<(), String> {
    check_shapes(bank, SHAPES, &format!("{register} "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::sim::compose::shapes::MAX_LINE_SHARE;
    use crate::model::Formality;

    /// The bound holds for the embedded bank in every register, and would fail for a register whose parts were cut.
    #[test]
    fn no_shopper_line_can_exceed_half_a_percent_of_its_turns() {
        let bank = crate::agents::sim::PhraseBank::load(None, &[]).unwrap();
        for (formality, name) in [
            (Formality::Casual, "casual"),
            (Formality::Neutral, "neutral"),
            (Formality::Formal, "formal"),
        ] {
            let parts = bank.user_parts(formality, 30);
            assert!(check(parts, name).is_ok(), "{name}");
            for (shape, used) in SHAPES {
                assert!(shape.max_line_probability(parts, used) <= MAX_LINE_SHARE);
            }
            // With every part's alternatives but ten used, the reject could repeat: the check would say so.
            assert!(
                REJECT.max_line_probability(parts, parts.len(RejectLead) - 10) > MAX_LINE_SHARE
            );
        }
    }
}
