//! Training and analytics files from reviewed conversations, into the subfolders of [`layout`]: supervised
//! fine-tuning files and preference pairs in TRL's conversational shape, OpenAI's fine-tuning shapes and ShareGPT,
//! split train/validation/test by a hash of the conversation id.

pub mod all;
pub mod analytics;
pub mod card;
pub mod chat;
pub mod dpo;
pub mod grounds;
pub mod layout;
pub mod select;
pub mod sft;
pub mod steps;
pub mod writer;

/// What an export reads: a run folder or a conversations file (the run-folder layer resolves it).
pub use crate::io::Sources;
pub use all::{ExportReport, export_all};
pub use analytics::{AnalyticsReport, export_analytics};
pub use chat::ChatFormat;
pub use dpo::{DpoOptions, DpoReport, export_dpo};
pub use sft::{SftOptions, SftReport, export_sft};
