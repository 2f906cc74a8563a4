//! Reading CSV catalogs: a header row, one item per row; list cells as JSON arrays or separated text, extra columns kept as details.

use std::path::Path;

use serde_json::{Map, Value};

use super::record::RawRecord;
use crate::{Error, Result};

/// Read every row of `path` and hand it to `handle` with its line number.
pub fn read(path: &Path, handle: &mut dyn FnMut(RawRecord) -> Result<()>) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_path(path)
        .map_err(|e| csv_error(path, e))?;
    // Known columns are matched case-insensitively; other columns keep their header as the detail name.
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(|h| {
            let h = h.trim().trim_start_matches('\u{feff}');
            let lower = h.to_lowercase();
            if super::fields::is_known(&lower) {
                lower
            } else {
                h.to_string()
            }
        })
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err(Error::input(path, Some(1), None, "no header row"));
    }
    if !headers.iter().any(|h| h == "title") {
        return Err(Error::input(
            path,
            Some(1),
            Some("title"),
            "the header has no `title` column",
        ));
    }
    for row in reader.records() {
        let row = row.map_err(|e| csv_error(path, e))?;
        let line = row.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut fields = Map::new();
        for (h, cell) in headers.iter().zip(row.iter()) {
            if !h.is_empty() && !cell.trim().is_empty() {
                fields.insert(h.clone(), Value::String(cell.to_string()));
            }
        }
        handle(RawRecord {
            line,
            id_hint: None,
            fields,
        })?;
    }
    Ok(())
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line() as usize);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("malformed CSV: {len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Io(err) => {
            return Error::read(path, std::io::Error::new(err.kind(), err.to_string()));
        }
        _ => format!("malformed CSV: {e}"),
    };
    Error::input(path, line, None, message)
}
