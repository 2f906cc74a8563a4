//! Where the exports go inside an output folder: one subfolder per family, so the folder doubles as a Hugging Face
//! dataset repository whose `README.md` (the dataset card) names the files of each config.

use std::path::{Path, PathBuf};

/// Supervised fine-tuning files: `sft/{format}_{split}.jsonl`.
pub const SFT: &str = "sft";
/// Preference pairs: `dpo/{format}_{split}.jsonl`, with `dpo/meta_{split}.jsonl` line by line beside them.
pub const DPO: &str = "dpo";
/// The turn log and the flat tables: `analytics/turns.jsonl`, `analytics/chats.csv`, `analytics/messages.csv`.
pub const ANALYTICS: &str = "analytics";
/// The star schema: `star/*.csv` and `star/schema.sql`.
pub const STAR: &str = "star";
/// The snowflake schema: `snowflake/*.csv` and `snowflake/schema.sql`.
pub const SNOWFLAKE: &str = "snowflake";
/// The StoryBot shape: `storybot/conversations.json`.
pub const STORYBOT: &str = "storybot";
/// The dataset card.
pub const CARD: &str = "README.md";
/// The three splits, in order.
pub const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// `dir/family/{stem}_{split}.jsonl`.
pub fn split_file(dir: &Path, family: &str, stem: &str, split: &str) -> PathBuf {
    dir.join(family).join(format!("{stem}_{split}.jsonl"))
}
