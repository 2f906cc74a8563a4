//! Training files from reviewed conversations. This part: supervised fine-tuning files in TRL's conversational
//! shape, OpenAI's chat fine-tuning shape and ShareGPT, split train/validation/test by a hash of the conversation id.

pub mod sft;

pub use sft::{SftFormat, SftReport, export_sft};
