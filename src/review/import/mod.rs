//! Conversations from elsewhere, brought into the review: ShareGPT (`conversations` of `from`/`value`), OpenAI chat
//! JSONL (`messages`), MUSE `detail_convs` and plain `convs` (a folder of `conv_N.json`, or one file), the StoryBot
//! `conversations.json` shape (`messages_list`; the bot is the account whose screen name is the bot's), and CSV chat
//! logs with a JSON `conversation_log` column. Each record becomes a musegen conversation (acts unknown unless the
//! source says them); a malformed record is skipped and counted with its line (or file), a repeated id too. A file
//! that cannot be read at all is an input error naming it.

use std::collections::HashSet;
use std::path::Path;

use crate::io::{AtomicFile, JsonlWriter};

mod chat;
mod format;
mod muse;
mod sink;
use crate::model::GenerationMeta;
use crate::{Error, Result};
use chat::{chat_records, csv_log, storybot};
pub use format::Format;
use muse::muse;
use sink::Sink;
pub use sink::{ImportReport, Skipped};

/// Import `input` (of `format`) into `out` as musegen conversations; `bot` names the StoryBot account.
pub fn import(input: &Path, format: Format, bot: Option<&str>, out: &Path) -> Result<ImportReport> {
    let mut file = AtomicFile::create(out)?;
    let mut sink = Sink {
        writer: JsonlWriter::new(&mut file, out),
        ids: HashSet::new(),
        report: ImportReport {
            format: Some(format),
            ..ImportReport::default()
        },
        meta: GenerationMeta {
            user_agent: format!("import:{}", format.label()),
            system_agent: format!("import:{}", format.label()),
            config_hash: String::new(),
            seed: 0,
            musegen: env!("CARGO_PKG_VERSION").to_string(),
        },
    };
    match format {
        Format::Musegen => {
            return Err(Error::Config("musegen conversations need no import".into()));
        }
        Format::Sharegpt | Format::Openai => chat_records(input, format, &mut sink)?,
        Format::MuseDetail | Format::MuseConvs => muse(input, format, &mut sink)?,
        Format::Storybot => storybot(input, bot, &mut sink)?,
        Format::Csv => csv_log(input, &mut sink)?,
    }
    let report = sink.report;
    drop(sink.writer);
    file.commit()?;
    Ok(report)
}
