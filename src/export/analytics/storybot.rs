//! The StoryBot shape `storybot/conversations.json`: a JSON array with one `{"messages_list": [...]}` per
//! conversation (a user who played several conversations has several), each message
//! `{message, ref_conversation_id, ref_user_id, transaction_datetime_utc, screen_name}`. The recommender speaks as
//! `export.analytics.storybot_bot_name`, the shopper under the persona's name (the user id without a profile);
//! times are the synthetic clock's, so sorting by them (as the StoryBot importer does) keeps the turn order.
//! `musegen review --in storybot/conversations.json --from storybot` reads it back.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use super::timeline::rfc3339;
use super::{AnalyticsReport, Inputs};
use crate::export::layout;
use crate::io::AtomicFile;
use crate::model::Role;
use crate::{Error, Result};

/// One StoryBot message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message<'a> {
    /// The utterance.
    pub message: &'a str,
    /// The conversation's id.
    pub ref_conversation_id: &'a str,
    /// The user's id (the conversation's id when it has no profile).
    pub ref_user_id: &'a str,
    /// When it was sent (RFC 3339 UTC, milliseconds).
    pub transaction_datetime_utc: String,
    /// Who sent it.
    pub screen_name: &'a str,
}

#[derive(Serialize)]
struct Conversation<'a> {
    messages_list: Vec<Message<'a>>,
}

/// Write `dir/storybot/conversations.json` (whole or not at all).
pub fn export_storybot(inputs: &Inputs, dir: &Path) -> Result<AnalyticsReport> {
    let path = dir.join(layout::STORYBOT).join("conversations.json");
    let mut file = AtomicFile::create(&path)?;
    let mut report = AnalyticsReport::default();
    let mut first = true;
    file.write_all(b"[").map_err(|e| Error::write(&path, e))?;
    inputs.for_each_chat_untokenized(|chat| {
        let c = chat.conversation;
        report.add_conversation(c.turns.len(), &rfc3339(chat.start_ms));
        let user_id = chat.user_id().unwrap_or(&c.id);
        let user_name = chat
            .persona()
            .map(|p| p.name.as_str())
            .filter(|n| !n.trim().is_empty() && *n != inputs.bot_name)
            .unwrap_or(user_id);
        let messages_list = c
            .turns
            .iter()
            .enumerate()
            .map(|(i, t)| Message {
                message: &t.text,
                ref_conversation_id: &c.id,
                ref_user_id: user_id,
                transaction_datetime_utc: rfc3339(chat.times[i]),
                screen_name: match t.role {
                    Role::System => &inputs.bot_name,
                    Role::User => user_name,
                },
            })
            .collect();
        let line = serde_json::to_string(&Conversation { messages_list })
            .map_err(|e| Error::write(&path, std::io::Error::other(e)))?;
        let sep: &[u8] = if first { b"\n" } else { b",\n" };
        first = false;
        file.write_all(sep)
            .and_then(|_| file.write_all(line.as_bytes()))
            .map_err(|e| Error::write(&path, e))
    })?;
    file.write_all(b"\n]\n")
        .map_err(|e| Error::write(&path, e))?;
    file.commit()?;
    let n = report.conversations;
    report.add_file(dir, &path, n);
    Ok(report)
}
