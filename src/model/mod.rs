//! Serde types shared by every stage: catalog items, the profiles that ground a conversation, conversations, and
//! their reviews.

mod conversation;
mod currency;
mod failure;
mod item;
mod json_line;
pub mod keep;
mod profile;
mod review;
mod usage;

pub use conversation::{
    Action, Conversation, EndReason, GenerationMeta, Outcome, Role, Slot, Turn, Usage,
};
pub use currency::CurrencyCode;
pub use failure::Failure;
pub use item::Item;
pub use json_line::to_json_line;
pub use profile::{
    Budget, Formality, Gender, Location, Persona, Profile, Requirement, Scenario, Verbosity,
};
pub use review::{
    AspectScore, Consistency, Cooperation, Grounding, Realism, RealismFinding, RealismFlag,
    Relevance, Review, RubricScores, Shape,
};
pub use usage::UsageRow;
