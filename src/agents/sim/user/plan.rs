//! Which parts word a shopper's turn (the shapes are in `compose::user`): what the turn says was decided before
//! (the act and its values in the context); the plan only picks among the parts that say it — never one naming
//! something the context lacks (no recipient part without a recipient, no "finally" before a miss, no "that was
//! quick" after one) — and leaves optional parts out for a terse persona.

use super::SimUser;
use crate::agents::sim::compose::shapes::{Shape, build};
use crate::agents::sim::compose::user::{UserPart, UserPart::*, *};
use crate::agents::sim::compose::{Fill, Var};
use crate::agents::sim::phrases::{UserAct, UserContext};
use crate::model::Verbosity;

/// Chances of the optional parts, for a persona of normal verbosity (a chatty one has half as much again, a terse
/// one none).
const OPEN_TAIL: f64 = 0.15;
const ANSWER_TAIL: f64 = 0.15;
const NO_PREFERENCE_TAIL: f64 = 0.3;
const REJECT_NEXT: f64 = 0.2;
const ABANDON_THANKS: f64 = 0.4;
const ABANDON_BUDGET: f64 = 0.15;
/// Chance that an accept says what the shopper likes (always chatty or not: the accept's reason).
const LIKED: f64 = 0.6;
/// Chance that an accept after a miss says so ("finally"), and that one at the first item says that was quick.
const FINALLY: f64 = 0.5;
const QUICK: f64 = 0.3;
/// Chance that the turn saying what the purchase is for says where the shopper lives.
const CITY: f64 = 0.15;
/// Chance that the first turn names the occasion.
const OCCASION: f64 = 0.5;
/// Chance that a goodbye after nothing was taken thanks the recommender for their time (only when the shopper did
/// not give up in its last turn, which thanks often enough on its own).
const FAREWELL_THANKS: f64 = 0.5;
/// Chance that a goodbye after taking an item says what the shopper does next ("Off to check out now.").
const FAREWELL_NEXT: f64 = 0.4;

impl SimUser<'_> {
    /// Whether an optional part of base chance `p` is said.
    fn optional(&mut self, p: f64) -> bool {
        let p = match self.profile.persona.verbosity {
            Verbosity::Terse => 0.0,
            Verbosity::Normal => p,
            Verbosity::Chatty => (p * 1.5).min(1.0),
        };
        self.wording.chance(p)
    }

    /// The plan of the English turn for `act` with `ctx`, and its fill.
    pub(super) fn plan(&mut self, act: UserAct, ctx: &UserContext) -> (Vec<UserPart>, Fill) {
        let fill = self.fill(ctx);
        let plan = match act {
            UserAct::Open => {
                // Only a date the shopper gets ready for is named up front: the recommender says it back in frames
                // of getting ready ("Have a lovely time preparing for …").
                let occasion =
                    !ctx.occasion.is_empty() && self.wording.chance(OCCASION) && ctx.frames.ready;
                let tail = self.optional(OPEN_TAIL);
                build(&OPEN, |i| match i {
                    0 => Some(OpenHello),
                    1 => Some(if occasion { OpenNeedOccasion } else { OpenNeed }),
                    _ => tail.then_some(OpenTail),
                })
            }
            UserAct::Context => {
                // The reason is one of a few labels ("attending an event"): said in half the turns, and in all of
                // them when the first turn named the occasion (said again, it would read as news).
                let why = [ContextOccasion, ContextOccasion, ContextReason, ContextBoth]
                    [self.wording.below(4)];
                let why = if self.occasion_said {
                    ContextReason
                } else {
                    why
                };
                // The occasion in a frame it takes: any takes the plain one; only a date one gets ready for, or one
                // the item is used at, the others.
                let why = if why == ContextOccasion {
                    let frames = [
                        Some(ContextOccasion),
                        ctx.frames.used.then_some(ContextOccasionUse),
                        ctx.frames.ready.then_some(ContextOccasionReady),
                    ];
                    let open = frames.iter().flatten().count();
                    frames
                        .into_iter()
                        .flatten()
                        .nth(self.wording.below(open))
                        .unwrap_or(ContextOccasion)
                } else {
                    why
                };
                let who = if ctx.recipient.is_empty() {
                    ContextSelf
                } else {
                    ContextRecipient
                };
                let city = !ctx.city.is_empty() && self.optional(CITY);
                build(&CONTEXT, |i| match i {
                    0 => Some(why),
                    1 => Some(who),
                    _ => city.then_some(ContextCity),
                })
            }
            UserAct::InformCategory => self.answer_plan(&CATEGORY, CategoryCore, CategoryTail),
            UserAct::AnswerBudget => self.answer_plan(&BUDGET, BudgetCore, BudgetTail),
            UserAct::AnswerPreference => {
                self.answer_plan(&PREFERENCE, PreferenceCore, PreferenceTail)
            }
            UserAct::NoPreference => {
                let tail = self
                    .optional(NO_PREFERENCE_TAIL)
                    .then(|| match self.wording.below(3) {
                        1 if !ctx.budget.is_empty() => NoPreferenceBudget,
                        2 => NoPreferenceCategory,
                        _ => NoPreferenceTail,
                    });
                build(&NO_PREFERENCE, |i| match i {
                    0 => Some(AnswerLead),
                    1 => Some(NoPreferenceCore),
                    _ => tail,
                })
            }
            UserAct::ChitChat => {
                // Small talk about the occasion is about getting ready for it.
                let mut topics = vec![ChatStyle, ChatPlain];
                if ctx.frames.ready {
                    topics.insert(0, ChatOccasion);
                }
                if !ctx.city.is_empty() {
                    topics.push(ChatCity);
                }
                let topic = topics[self.wording.below(topics.len())];
                // Sympathy after a turn-down is thanked, a remark agreed with.
                let react = if ctx.after_reject {
                    ChatReactReject
                } else {
                    ChatReact
                };
                build(&CHAT, |i| Some([react, topic][i]))
            }
            UserAct::Reject => {
                let next = self.optional(REJECT_NEXT);
                let shape = if ctx.several {
                    &REJECT_SEVERAL
                } else {
                    &REJECT
                };
                build(shape, |i| match i {
                    0 if ctx.several && ctx.shown == 2 => Some(RejectPair),
                    0 if ctx.several => Some(RejectSeveral),
                    0 => Some(RejectLead),
                    1 => Some(RejectReasons),
                    _ => next.then_some(RejectNext),
                })
            }
            UserAct::Accept => {
                let lead = match ctx.later {
                    true if self.wording.chance(FINALLY) => AcceptFinally,
                    false if self.wording.chance(QUICK) => AcceptQuick,
                    _ => AcceptLead,
                };
                let liked = !ctx.liked.is_empty() && self.wording.chance(LIKED);
                let take = if self.wording.chance(0.5) {
                    AcceptTake
                } else {
                    AcceptTakeIt
                };
                // Of several items shown, the user first says which it takes, then what it likes about it.
                if ctx.several {
                    build(&ACCEPT_SEVERAL, |i| match i {
                        0 => Some(lead),
                        1 => Some(AcceptTake),
                        _ => liked.then_some(AcceptLiked),
                    })
                } else {
                    build(&ACCEPT, |i| match i {
                        0 => Some(lead),
                        1 => liked.then_some(AcceptLiked),
                        _ => Some(take),
                    })
                }
            }
            UserAct::Ask => {
                // Of several items shown, the user says which it asks about.
                let check = if self.wording.chance(0.5) && !ctx.several {
                    AskCheck
                } else {
                    AskCheckItem
                };
                build(&ASK, |i| Some([AskLead, AskWish, check][i]))
            }
            UserAct::Abandon => {
                let leave = if self.wording.chance(0.5) {
                    AbandonLeave
                } else {
                    AbandonLeaveCategory
                };
                // Only a budget the shopper has said ("Remaining within $120 has proved difficult" reads wrong
                // when the recommender never heard of $120), and one an item broke ("Seems like ₹7,500 doesn't get
                // me much here" after items at ₹2,489 and ₹3,070 blames the budget for nothing).
                let budget = self.said_budget
                    && self.priced_out
                    && !ctx.budget.is_empty()
                    && self.optional(ABANDON_BUDGET);
                let thanks = self.optional(ABANDON_THANKS);
                // Giving up on an item that meets every wish said, the shopper says what it still dislikes; on
                // one that misses a wish, which.
                let why = !ctx.reasons.is_empty();
                build(&ABANDON, |i| match i {
                    0 => Some(AbandonLead),
                    1 if why && ctx.matched => Some(AbandonTaste),
                    1 if why => Some(AbandonWish),
                    1 => budget.then_some(AbandonBudget),
                    2 => Some(leave),
                    _ => thanks.then_some(AbandonThanks),
                })
            }
            UserAct::FarewellAccepted => {
                let next = self.optional(FAREWELL_NEXT);
                build(&FAREWELL_ACCEPTED, |i| match i {
                    0 => Some(FarewellPleased),
                    1 => next.then_some(FarewellNext),
                    _ => Some(FarewellBye),
                })
            }
            UserAct::FarewellAbandoned => {
                let thanks = !self.gave_up && self.optional(FAREWELL_THANKS);
                build(&FAREWELL_ABANDONED, |i| match i {
                    0 => Some(FarewellOkay),
                    1 => thanks.then_some(FarewellThanks),
                    _ => Some(FarewellBye),
                })
            }
        };
        (plan, fill)
    }

    /// An answer's plan: a lead-in, its `core`, and now and then its `tail`.
    fn answer_plan(
        &mut self,
        shape: &Shape<UserPart>,
        core: UserPart,
        tail: UserPart,
    ) -> Vec<UserPart> {
        let said = self.optional(ANSWER_TAIL);
        build(shape, |i| match i {
            0 => Some(AnswerLead),
            1 => Some(core),
            _ => said.then_some(tail),
        })
    }

    /// The values of `ctx` the parts may use (those it has).
    fn fill(&self, ctx: &UserContext) -> Fill {
        let mut fill = Fill::default();
        let is = match &ctx.noun {
            Some(n) if n.is_plural() => "are",
            _ => "is",
        };
        for (var, value) in [
            (Var::Need, ctx.need.as_str()),
            (Var::Occasion, &ctx.occasion),
            (Var::Reason, &ctx.reason),
            (Var::Recipient, &ctx.recipient),
            (Var::Category, &ctx.category),
            (Var::Budget, &ctx.budget),
            (Var::Requirement, &ctx.requirement),
            (Var::Reasons, &ctx.reasons),
            (Var::Item, &ctx.item),
            (Var::Is, is),
            (Var::Liked, &ctx.liked),
            (Var::Style, &ctx.style),
            (Var::City, &ctx.city),
        ] {
            if !value.is_empty() {
                fill.set(var, value);
            }
        }
        fill
    }
}
