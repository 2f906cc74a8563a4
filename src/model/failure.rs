//! One record a stage could not make (a conversation, a profile), as written to its failures file: the run goes on
//! without it, and the exit status and summary count it.

use serde::{Deserialize, Serialize};

/// One failed record, as written to `failures.jsonl` (conversations) or `profiles.failures.jsonl` (profiles).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    /// The record's id: a conversation id, or a profile id for the profiles stage.
    pub id: String,
    /// Profile id.
    pub profile_id: String,
    /// Stage that failed (`dialogue`, `profiles`).
    pub stage: String,
    /// Error kind.
    pub kind: String,
    /// Message.
    pub message: String,
}
