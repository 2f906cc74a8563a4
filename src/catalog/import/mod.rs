//! Catalog import from MUSE item-profile JSON (or MUSE `user_scenarios.json`), JSON Lines and CSV, with a count and reason for every skipped row.

mod csv_rows;
mod fields;
mod json_doc;
mod record;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

pub use fields::{Skip, item_from_object};

use super::index::IndexWriter;
use crate::io::read_jsonl_lines;
use crate::model::Item;
use crate::{Error, Result};
pub use record::RawRecord;

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Pick by extension (`.csv`, `.jsonl`/`.ndjson`, `.json`), else by the first character.
    Auto,
    /// One JSON document: MUSE's `id -> item` object, a list of items, or MUSE `user_scenarios.json` (its `target_item`s).
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// A skipped row.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Line of the row.
    pub line: usize,
    /// Its id, when it had one.
    pub id: Option<String>,
    /// The field at fault.
    pub field: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    /// Records read.
    pub read: usize,
    /// Items kept.
    pub kept: usize,
    /// Items already in the catalog (append mode) and left as they were.
    pub already_present: usize,
    /// Skipped rows, in file order.
    pub skipped: Vec<Skipped>,
    /// Skipped rows per reason kind.
    pub skipped_by_reason: BTreeMap<String, usize>,
}

/// Import options.
pub struct ImportOptions {
    /// Format (or auto).
    pub format: ImportFormat,
    /// Longest text field.
    pub max_field_chars: usize,
    /// Any skipped row fails the import.
    pub strict: bool,
}

/// Read `path` and add its items to `writer`, returning the report. The caller commits the writer.
pub fn import_into(
    path: &Path,
    writer: &mut IndexWriter,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let format = resolve_format(path, opts.format)?;
    let mut report = ImportReport::default();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut handle = |rec: RawRecord| -> Result<()> {
        report.read += 1;
        let is_csv = format == ImportFormat::Csv;
        let outcome = item_from_object(
            rec.id_hint.as_deref(),
            &rec.fields,
            opts.max_field_chars,
            is_csv,
        );
        let skip = match outcome {
            Ok(item) => match first_line.get(&item.id) {
                Some(line) => Some((
                    Some(item.id.clone()),
                    Skip {
                        field: "id".into(),
                        reason: format!("duplicate id `{}` (first seen at line {line})", item.id),
                    },
                )),
                None if writer.contains(&item.id)? => {
                    report.already_present += 1;
                    first_line.insert(item.id.clone(), rec.line);
                    None
                }
                None => {
                    first_line.insert(item.id.clone(), rec.line);
                    writer.add(&item)?;
                    report.kept += 1;
                    None
                }
            },
            Err(skip) => Some((rec.id_hint.clone(), skip)),
        };
        if let Some((id, skip)) = skip {
            if opts.strict {
                return Err(Error::input(
                    path,
                    Some(rec.line),
                    Some(&skip.field),
                    skip.reason,
                ));
            }
            let kind = reason_kind(&skip.reason);
            *report.skipped_by_reason.entry(kind).or_insert(0) += 1;
            report.skipped.push(Skipped {
                line: rec.line,
                id,
                field: skip.field,
                reason: skip.reason,
            });
        }
        Ok(())
    };
    match format {
        ImportFormat::Csv => csv_rows::read(path, &mut handle)?,
        ImportFormat::Jsonl => read_jsonl_lines(path, |line, text| {
            let value: Value = serde_json::from_str(text).map_err(|e| {
                Error::input(path, Some(line), None, format!("malformed JSON: {e}"))
            })?;
            match value {
                Value::Object(fields) => handle(RawRecord {
                    line,
                    id_hint: None,
                    fields,
                }),
                other => Err(Error::input(
                    path,
                    Some(line),
                    None,
                    format!("expected one JSON object per line, got {}", short(&other)),
                )),
            }
        })?,
        ImportFormat::Json | ImportFormat::Auto => json_doc::read(path, &mut handle)?,
    }
    if report.read == 0 {
        return Err(Error::input(
            path,
            None,
            None,
            "no records: the file is empty",
        ));
    }
    if report.kept + report.already_present == 0 {
        let why = report
            .skipped
            .first()
            .map(|s| format!(" (line {}: {}: {})", s.line, s.field, s.reason))
            .unwrap_or_default();
        return Err(Error::input(
            path,
            None,
            None,
            format!("no usable items{why}"),
        ));
    }
    Ok(report)
}

/// Import a whole file into a new index at `target` (or add to it with `append`); nothing is written unless the import succeeds.
pub fn import_file(
    path: &Path,
    target: &Path,
    append: bool,
    opts: &ImportOptions,
) -> Result<ImportReport> {
    let mut writer = if append {
        IndexWriter::append(target)?
    } else {
        IndexWriter::create(target)?
    };
    let report = import_into(path, &mut writer, opts)?;
    writer.set_meta("source", &path.display().to_string())?;
    writer.commit()?;
    Ok(report)
}

/// Write `items` (already validated) into the index at `target`, leaving existing ids untouched; returns how many were new.
pub fn add_items(target: &Path, items: &[Item]) -> Result<usize> {
    let mut writer = IndexWriter::append(target)?;
    let mut added = 0;
    for item in items {
        if !writer.contains(&item.id)? {
            writer.add(item)?;
            added += 1;
        }
    }
    writer.commit()?;
    Ok(added)
}

fn resolve_format(path: &Path, format: ImportFormat) -> Result<ImportFormat> {
    if format != ImportFormat::Auto {
        return Ok(format);
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "csv" => ImportFormat::Csv,
        "jsonl" | "ndjson" => ImportFormat::Jsonl,
        "json" => ImportFormat::Json,
        _ => sniff(path)?,
    })
}

fn sniff(path: &Path) -> Result<ImportFormat> {
    use std::io::Read;
    let mut head = [0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Error::read(path, e))?;
    let first = head[..n].iter().find(|b| !b.is_ascii_whitespace());
    Ok(match first {
        Some(b'[') => ImportFormat::Json,
        Some(b'{') => {
            let text = String::from_utf8_lossy(&head[..n]);
            let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if serde_json::from_str::<Value>(first_line).is_ok() {
                ImportFormat::Jsonl
            } else {
                ImportFormat::Json
            }
        }
        _ => ImportFormat::Csv,
    })
}

fn reason_kind(reason: &str) -> String {
    let cut = reason
        .find(|c: char| c == '(' || c == '`' || c == '"' || c.is_ascii_digit())
        .unwrap_or(reason.len());
    let kind = reason[..cut].trim().trim_end_matches(':').trim();
    if kind.is_empty() {
        reason.to_string()
    } else {
        kind.to_string()
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}
