//! The two sides of a conversation: the `UserAgent` (the simulated shopper) and the `SystemAgent` (the recommender),
//! and their offline family `sim`. The LLM family implements the same traits.

pub mod compare;
pub mod llm;
/// Prices as people write them (they live with the catalog, which the exports read too).
pub use crate::catalog::money;
pub mod retrieval;
pub mod sim;

use crate::Result;
use crate::model::Turn;

/// What the conversation manager asks the system side to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemAct {
    /// Open the conversation.
    Greet,
    /// Small talk during the opening, drawing out context.
    OpeningChat,
    /// Small talk in a round, steering back to shopping.
    ChitChat,
    /// Recommend an item; the agent may first ask a clarifying question, or close when nothing is left to show.
    Recommend,
    /// Answer the user's question about the item shown (the last turn).
    AnswerQuestion,
    /// Close after the user accepted.
    CloseAccepted,
    /// Close after the user gave up or the rounds ran out.
    CloseAbandoned,
}

/// The simulated shopper.
pub trait UserAgent {
    /// The user's reply to the last system turn of `history`.
    fn reply(&mut self, history: &[Turn]) -> Result<Turn>;
    /// Family and model, recorded in each conversation's metadata.
    fn name(&self) -> String;
}

/// The recommender.
pub trait SystemAgent {
    /// The system's next turn for `act`. For [`SystemAct::Recommend`] the turn may be a clarifying question
    /// (action `Clarify`) or, with nothing left to show, a closing (action `Close`).
    fn next(&mut self, act: SystemAct, history: &[Turn]) -> Result<Turn>;
    /// Family and model, recorded in each conversation's metadata.
    fn name(&self) -> String;
}
