//! Serde types shared by every stage: catalog items, the profiles that ground a conversation, and conversations.

mod conversation;
mod item;
mod profile;

pub use conversation::{
    Action, Conversation, EndReason, GenerationMeta, Outcome, Role, Slot, Turn, Usage,
};
pub use item::Item;
pub use profile::{
    Budget, Formality, Gender, Location, Persona, Profile, Requirement, Scenario, Verbosity,
};
