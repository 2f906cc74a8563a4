//! Training and analytics files from reviewed conversations: supervised fine-tuning files in TRL's conversational
//! shape, OpenAI's chat fine-tuning shape and ShareGPT, split train/validation/test by a hash of the conversation
//! id, into the subfolders of [`layout`].

pub mod analytics;
pub mod layout;
pub mod sft;
pub mod source;

pub use analytics::{AnalyticsReport, export_analytics};
pub use sft::{SftFormat, SftReport, export_sft};
pub use source::Sources;
