//! Serde types shared by every stage: items of the catalog and the profiles that ground a conversation.

mod item;
mod profile;

pub use item::Item;
pub use profile::{
    Budget, Formality, Gender, Location, Persona, Profile, Requirement, Scenario, Verbosity,
};
