//! The vocabulary of the composer: the variables a part may hold and the parts of a recommender's turn, each one
//! group of alternatives in `prompts/sim/system.toml`.

/// A variable a part may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// The item's title, capitalised ("Men's Trail Runner").
    Title,
    /// The item's price ("$89.99").
    Price,
    /// The plural of the category's head noun ("hiking boots").
    Category,
    /// The shopper's general need, with its article ("a new pair of shoes").
    Need,
    /// The occasion the shopper named, read after "for".
    Occasion,
    /// The budget the shopper gave ("$120").
    Budget,
    /// Who the shopper buys for, as the recommender says it ("your sister").
    Recipient,
    /// What the shopper asked for, restated as clauses addressed to them ("you'd prefer black").
    Feedback,
    /// Facts of the item as one clause with its pronoun ("it's black leather, with a padded collar").
    Facts,
    /// Facts in which the item differs from the last one shown, as one clause ("it's black").
    Contrast,
    /// A later mention of the item ("the black scarf", "the sneakers").
    Ref,
}

/// Number of variables.
pub(super) const VARS: usize = 11;

impl Var {
    pub(super) const ALL: [Var; VARS] = [
        Var::Title,
        Var::Price,
        Var::Category,
        Var::Need,
        Var::Occasion,
        Var::Budget,
        Var::Recipient,
        Var::Feedback,
        Var::Facts,
        Var::Contrast,
        Var::Ref,
    ];

    /// The name templates use.
    pub fn name(self) -> &'static str {
        match self {
            Var::Title => "title",
            Var::Price => "price",
            Var::Category => "category",
            Var::Need => "need",
            Var::Occasion => "occasion",
            Var::Budget => "budget",
            Var::Recipient => "recipient",
            Var::Feedback => "feedback",
            Var::Facts => "facts",
            Var::Contrast => "contrast",
            Var::Ref => "ref",
        }
    }

    /// Whether the value is itself a value of the dialogue (an item's name, a number, the shopper's own words), which
    /// phrase memory ignores as the review does; other values are wording and count as text.
    pub(super) fn is_value(self) -> bool {
        matches!(
            self,
            Var::Title | Var::Price | Var::Need | Var::Occasion | Var::Budget
        )
    }

    /// Whether a sentence may open with it (only the title carries its own capital).
    pub(super) fn capitalised(self) -> bool {
        self == Var::Title
    }
}

macro_rules! parts {
    ($( $(#[$doc:meta])* $variant:ident => $table:literal . $key:literal [$($var:ident),*], )*) => {
        /// A part of a system turn: one group of alternatives in `system.toml` (`[table] key = [...]`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Part {
            $( $(#[$doc])* $variant, )*
        }

        impl Part {
            /// Every part, in file order.
            pub const ALL: &'static [Part] = &[$(Part::$variant,)*];

            /// Its table and key in `system.toml`.
            pub fn key(self) -> (&'static str, &'static str) {
                match self {
                    $( Part::$variant => ($table, $key), )*
                }
            }

            /// The variables the plan gives this part (its alternatives may use these and no others).
            pub fn vars(self) -> &'static [Var] {
                match self {
                    $( Part::$variant => &[$(Var::$var),*], )*
                }
            }
        }
    };
}

parts! {
    /// A greeting.
    GreetHello => "greet"."hello" [],
    /// A welcome after the greeting.
    GreetWelcome => "greet"."welcome" [],
    /// The opening question, answered by the shopper's first turn (their need).
    GreetAsk => "greet"."ask" [],
    /// A reaction to the need the shopper named.
    OpeningNeed => "opening"."react_need" [Need],
    /// A reaction when the need was not caught.
    OpeningReact => "opening"."react" [],
    /// A question the shopper's context answers (what it is for, who it is for).
    OpeningAskContext => "opening"."ask_context" [],
    /// The same when the occasion is known: who it is for.
    OpeningAskRecipient => "opening"."ask_recipient" [Occasion],
    /// Small talk about the occasion the shopper named.
    ChatOccasion => "chit_chat"."occasion" [Occasion],
    /// Small talk about the person the shopper buys for.
    ChatRecipient => "chit_chat"."recipient" [Recipient],
    /// Small talk about the category.
    ChatCategory => "chit_chat"."category" [Category],
    /// Small talk about nothing the shopper said.
    ChatPlain => "chit_chat"."plain" [],
    /// A statement that moves on.
    ChatOnward => "chit_chat"."onward" [],
    /// Sympathy after the shopper turned an item down.
    RejectSympathy => "after_reject"."sympathy" [],
    /// Moving on after a turn-down.
    RejectOnward => "after_reject"."onward" [Category],
    /// Acknowledging the need before asking for the category.
    CategoryAckNeed => "ask_category"."ack_need" [Need],
    /// Acknowledging without a need.
    CategoryAck => "ask_category"."ack" [],
    /// Asking which kind of item.
    CategoryAsk => "ask_category"."ask" [],
    /// Acknowledging the category before asking for a budget.
    BudgetAck => "clarify_budget"."ack" [Category],
    /// Acknowledging the wish just stated before asking for a budget.
    BudgetAckWish => "clarify_budget"."ack_wish" [Feedback],
    /// Asking for a budget.
    BudgetAsk => "clarify_budget"."ask" [Category],
    /// Acknowledging the budget before asking for preferences.
    PreferenceAckBudget => "clarify_preference"."ack_budget" [Budget],
    /// Acknowledging the category before asking for preferences.
    PreferenceAck => "clarify_preference"."ack" [Category],
    /// Asking for preferences.
    PreferenceAsk => "clarify_preference"."ask" [Category],
    /// Leading in to the first recommendation.
    RecommendOpener => "recommend"."opener" [],
    /// Leading in with what the shopper asked for.
    RecommendOpenerWish => "recommend"."opener_wish" [Feedback],
    /// The item presented with its title and price.
    RecommendPresent => "recommend"."present" [Title, Price],
    /// Why it fits: the facts the shopper asked for.
    RecommendJustify => "recommend"."justify" [Facts],
    /// What can be seen of it, when it has none of the facts asked for.
    RecommendVisible => "recommend"."visible" [Facts],
    /// The facts of the item on the points the shopper raised, said plainly with no claim that they fit (both
    /// replies of a preference pair, each citing its own item's).
    RecommendFacts => "recommend"."facts" [Facts],
    /// A general reason, when no fact can be cited.
    RecommendGeneral => "recommend"."general" [Category],
    /// It keeps to the budget.
    RecommendBudget => "recommend"."budget" [Budget],
    /// An invitation to react.
    RecommendInvite => "recommend"."invite" [],
    /// Acknowledging a turn-down, restating its reasons.
    AgainAckFeedback => "recommend_again"."ack_feedback" [Feedback],
    /// Acknowledging a turn-down that gave no reason.
    AgainAck => "recommend_again"."ack" [],
    /// Another item presented.
    AgainPresent => "recommend_again"."present" [Title, Price],
    /// How it differs from the last item.
    AgainContrast => "recommend_again"."contrast" [Contrast],
    /// It keeps to the budget the last one broke.
    AgainBudget => "recommend_again"."budget" [Budget],
    /// An invitation to react to another item.
    AgainInvite => "recommend_again"."invite" [],
    /// A lead-in to the answer to the shopper's question about the item shown.
    AnswerCheck => "answer"."check" [],
    /// Yes, with what the item has of what was asked.
    AnswerYes => "answer"."yes" [Facts],
    /// Yes, with no fact to cite.
    AnswerYesBare => "answer"."yes_bare" [],
    /// No, with what the item has instead.
    AnswerNo => "answer"."no" [Facts],
    /// No, with no fact to cite.
    AnswerNoBare => "answer"."no_bare" [],
    /// An offer to look further, after a no.
    AnswerOffer => "answer"."offer" [],
    /// Pleasure at the choice.
    AcceptCheer => "close_accept"."cheer" [],
    /// The item taken, referred to.
    AcceptDone => "close_accept"."done" [Ref],
    /// Good wishes for the occasion.
    AcceptWishOccasion => "close_accept"."wish_occasion" [Occasion],
    /// Good wishes for the person it is for.
    AcceptWishRecipient => "close_accept"."wish_recipient" [Recipient],
    /// Good wishes.
    AcceptWish => "close_accept"."wish" [],
    /// Regret that nothing suited.
    AbandonRegret => "close_abandon"."regret" [],
    /// Parting words.
    AbandonParting => "close_abandon"."parting" [],
    /// Parting words with the occasion.
    AbandonPartingOccasion => "close_abandon"."parting_occasion" [Occasion],
    /// Nothing left to show.
    EmptyRegret => "close_empty"."regret" [Category],
}
