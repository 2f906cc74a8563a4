//! The vocabulary of the composer: the variables a part may hold, what a set of parts is ([`Parts`]), the macro that
//! declares one, and the parts of a recommender's turn (`prompts/sim/system.toml`).

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
    /// The shopper's purchase reason ("attending an event").
    Reason,
    /// A wish as the shopper states it ("in navy", "with a padded collar").
    Requirement,
    /// The shopper's reasons for turning an item down, as clauses ("I was picturing navy, not black").
    Reasons,
    /// The item in the shopper's hand, with its article ("the scarf", "the sneakers").
    Item,
    /// The verb that agrees with the item ("is", "are").
    Is,
    /// What the shopper likes about an item, as a clause with its subject ("they're black leather").
    Liked,
    /// The shopper's style, before a noun ("minimalist").
    Style,
    /// The shopper's city.
    City,
    /// The second item's title, in a turn showing several ("Women's Wool Coat").
    Title2,
    /// The second item's price.
    Price2,
    /// A fact of the second item, as one clause with its pronoun.
    Facts2,
    /// The third item's title, in a turn showing three.
    Title3,
    /// The third item's price.
    Price3,
    /// A fact of the third item, as one clause with its pronoun.
    Facts3,
    /// The stated wishes no item left meets with the rest, said back ("you'd prefer polyester").
    Unmet,
}

/// Number of variables.
pub(super) const VARS: usize = 26;

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
        Var::Reason,
        Var::Requirement,
        Var::Reasons,
        Var::Item,
        Var::Is,
        Var::Liked,
        Var::Style,
        Var::City,
        Var::Title2,
        Var::Price2,
        Var::Facts2,
        Var::Title3,
        Var::Price3,
        Var::Facts3,
        Var::Unmet,
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
            Var::Reason => "reason",
            Var::Requirement => "requirement",
            Var::Reasons => "reasons",
            Var::Item => "item",
            Var::Is => "is",
            Var::Liked => "liked",
            Var::Style => "style",
            Var::City => "city",
            Var::Title2 => "title2",
            Var::Price2 => "price2",
            Var::Facts2 => "facts2",
            Var::Title3 => "title3",
            Var::Price3 => "price3",
            Var::Facts3 => "facts3",
            Var::Unmet => "unmet",
        }
    }

    /// Whether the value is itself a value of the dialogue (an item's name, a number, the shopper's own words), which
    /// phrase memory ignores as the review does; other values are wording and count as text.
    pub(super) fn is_value(self) -> bool {
        matches!(
            self,
            Var::Title
                | Var::Price
                | Var::Need
                | Var::Occasion
                | Var::Budget
                | Var::City
                | Var::Title2
                | Var::Price2
                | Var::Title3
                | Var::Price3
        )
    }

    /// Whether a sentence may open with it (the title and the city carry their own capital, a budget its sign).
    pub(super) fn capitalised(self) -> bool {
        matches!(
            self,
            Var::Title | Var::City | Var::Budget | Var::Title2 | Var::Title3
        )
    }
}

/// A set of parts a speaker's turns are composed from: one group of alternatives each (`[table] key = [...]`).
pub trait Parts: Copy + Eq + std::fmt::Debug + 'static {
    /// Every part, in file order.
    const ALL: &'static [Self];
    /// Its position in [`Parts::ALL`] (its group in the bank and in the memory).
    fn index(self) -> usize;
    /// Its table and key in the file.
    fn key(self) -> (&'static str, &'static str);
    /// The variables a plan gives this part (its alternatives may use these and no others).
    fn vars(self) -> &'static [Var];
}

/// Declares an enum of parts with their table, key and variables, and its [`Parts`] implementation.
macro_rules! parts {
    ($(#[$edoc:meta])* $name:ident { $( $(#[$doc:meta])* $variant:ident => $table:literal . $key:literal [$($var:ident),*], )* }) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$doc])* $variant, )*
        }

        impl $crate::agents::sim::compose::Parts for $name {
            const ALL: &'static [$name] = &[$($name::$variant,)*];

            fn index(self) -> usize {
                self as usize
            }

            fn key(self) -> (&'static str, &'static str) {
                match self {
                    $( $name::$variant => ($table, $key), )*
                }
            }

            fn vars(self) -> &'static [$crate::agents::sim::compose::Var] {
                use $crate::agents::sim::compose::Var;
                match self {
                    $( $name::$variant => &[$(Var::$var),*], )*
                }
            }
        }
    };
}

parts! {
    /// A part of a system turn: one group of alternatives in `system.toml`.
    Part {
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
    /// Leading in to several items with what the shopper asked for (the first recommendation).
    SeveralOpenerWish => "recommend_several"."opener_wish" [Feedback],
    /// Acknowledging a turn-down before several items, or of several items.
    SeveralAck => "recommend_several"."ack" [],
    /// Leading in to two items shown at once.
    SeveralIntroTwo => "recommend_several"."intro_two" [],
    /// Leading in to three items shown at once.
    SeveralIntroThree => "recommend_several"."intro_three" [],
    /// The first of several items, with its title, price and one fact.
    SeveralFirst => "recommend_several"."first" [Title, Price, Facts],
    /// The second of several items.
    SeveralSecond => "recommend_several"."second" [Title2, Price2, Facts2],
    /// The third of three items.
    SeveralThird => "recommend_several"."third" [Title3, Price3, Facts3],
    /// An invitation to pick one of two.
    SeveralInviteTwo => "recommend_several"."invite_two" [],
    /// An invitation to pick one of three.
    SeveralInviteThree => "recommend_several"."invite_three" [],
    /// Acknowledging a turn-down, restating its reasons.
    AgainAckFeedback => "recommend_again"."ack_feedback" [Feedback],
    /// Acknowledging a turn-down that gave no reason.
    AgainAck => "recommend_again"."ack" [],
    /// Another item presented.
    AgainPresent => "recommend_again"."present" [Title, Price],
    /// How it differs from the last item.
    AgainContrast => "recommend_again"."contrast" [Contrast],
    /// The wishes the item misses because no item left meets them all ("I know you'd prefer polyester, but I couldn't
    /// find one that does that as well").
    AgainShortfall => "recommend_again"."shortfall" [Unmet],
    /// The wishes the item misses, offered as a trade-off ("I know you'd prefer polyester; it isn't, but ...").
    AgainTradeoff => "recommend_again"."tradeoff" [Unmet],
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
    /// Good wishes speaking of one item taken ("I hope you love it.").
    AcceptWishIt => "close_accept"."wish_it" [],
    /// Good wishes speaking of an item that takes plural agreement ("I hope you love them.").
    AcceptWishThem => "close_accept"."wish_them" [],
    /// Regret that nothing suited.
    AbandonRegret => "close_abandon"."regret" [],
    /// Parting words.
    AbandonParting => "close_abandon"."parting" [],
    /// Parting words with the occasion.
    AbandonPartingOccasion => "close_abandon"."parting_occasion" [Occasion],
    /// Nothing left to show.
    EmptyRegret => "close_empty"."regret" [Category],
    }
}
