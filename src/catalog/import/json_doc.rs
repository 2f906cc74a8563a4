//! Reading one JSON document of items: MUSE's `id -> item` object, a list of items, or MUSE `user_scenarios.json` records holding a `target_item`.

use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::record::RawRecord;
use crate::error::line_of;
use crate::{Error, Result};

/// Read the document and hand every record to `handle`, with the line it starts on.
pub fn read(path: &Path, handle: &mut dyn FnMut(RawRecord) -> Result<()>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        Error::input(path, Some(line), None, "not valid UTF-8")
    })?;
    if text.trim().is_empty() {
        return Err(Error::input(
            path,
            None,
            None,
            "no records: the file is empty",
        ));
    }
    let syntax = |e: serde_json::Error| {
        Error::input(
            path,
            Some(e.line().max(1)),
            None,
            format!("malformed JSON: {e}"),
        )
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let list: Vec<&RawValue> = serde_json::from_str(text).map_err(syntax)?;
        for raw in list {
            let line = line_at(text, raw);
            let value: Value = serde_json::from_str(raw.get()).map_err(syntax)?;
            let Value::Object(mut fields) = value else {
                return Err(Error::input(
                    path,
                    Some(line),
                    None,
                    "expected an object for each list element",
                ));
            };
            if let Some(Value::Object(target)) = fields.remove("target_item") {
                handle(RawRecord {
                    line,
                    id_hint: None,
                    fields: target,
                })?;
            } else {
                handle(RawRecord {
                    line,
                    id_hint: None,
                    fields,
                })?;
            }
        }
        Ok(())
    } else if trimmed.starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        let entries = de.deserialize_map(EntriesVisitor).map_err(syntax)?;
        de.end().map_err(syntax)?;
        for (id, raw) in entries {
            let line = line_at(text, raw);
            let value: Value = serde_json::from_str(raw.get()).map_err(syntax)?;
            let Value::Object(fields) = value else {
                return Err(Error::input(
                    path,
                    Some(line),
                    Some(&id),
                    "expected an item object as the value of each id",
                ));
            };
            handle(RawRecord {
                line,
                id_hint: Some(id),
                fields,
            })?;
        }
        Ok(())
    } else {
        Err(Error::input(
            path,
            Some(1),
            None,
            "expected a JSON object or list",
        ))
    }
}

fn line_at(text: &str, raw: &RawValue) -> usize {
    let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    line_of(text, offset)
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of id -> item")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
            out.push((k, v));
        }
        Ok(out)
    }
}
