//! Which plan a recommender turn about no item in particular follows (the plans are in `plan.rs`).

/// Which plan a system turn follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Say {
    /// The greeting.
    Greet,
    /// Small talk (after a turn-down, or the opening question when nothing is known of the purchase yet).
    Chat {
        /// The shopper's last turn turned an item down.
        after_reject: bool,
    },
    /// A clarifying question on `topic` ("category", "budget", "preference").
    Clarify(&'static str),
    /// Closing after an accept.
    CloseAccepted,
    /// Closing after the shopper gave up.
    CloseAbandoned,
    /// Closing with nothing left to show.
    CloseEmpty,
}
