//! The list's columns: values gathered row by row under dotted keys (`review.grounding.fit_mean`), each column's
//! kind (number, yes/no, one of a few values, a set of values) decided from what it holds once every row is in,
//! so a field a later version adds to a review appears as a filterable column with no change here.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

/// A column with more distinct text values than this is not a filter (names, reasons, free text): it is dropped.
const MAX_DISTINCT: usize = 300;

/// Text values longer than this are free text, not a category: such a column is dropped.
const MAX_VALUE_CHARS: usize = 80;

/// One cell as gathered.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Null,
    Number(f64),
    Bool(bool),
    /// An index into the column's dictionary.
    Text(u32),
}

/// One column being gathered.
#[derive(Debug, Default)]
struct Gathering {
    cells: Vec<Cell>,
    dictionary: Vec<String>,
    codes: HashMap<String, u32>,
    sets: Vec<Vec<u32>>,
    is_set: bool,
    too_wide: bool,
}

impl Gathering {
    fn code(&mut self, text: &str) -> u32 {
        if text.chars().count() > MAX_VALUE_CHARS {
            self.too_wide = true;
        }
        if let Some(&c) = self.codes.get(text) {
            return c;
        }
        let c = self.dictionary.len() as u32;
        self.dictionary.push(text.to_string());
        self.codes.insert(text.to_string(), c);
        if self.dictionary.len() > MAX_DISTINCT {
            self.too_wide = true;
        }
        c
    }
}

/// The finished column, as the viewer reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnData {
    /// Numbers (null where a row has none).
    Number {
        /// One value per row.
        data: Vec<Option<f64>>,
    },
    /// Yes/no (1, 0, or null where a row has none).
    Bool {
        /// One value per row.
        data: Vec<Option<u8>>,
    },
    /// One of a few values: an index into `values` per row (null where a row has none).
    Enum {
        /// The values, sorted.
        values: Vec<String>,
        /// One index per row.
        data: Vec<Option<u32>>,
    },
    /// Any number of a few values (the failed keep-rule clauses): indices into `values` per row.
    Set {
        /// The values, sorted.
        values: Vec<String>,
        /// The indices of each row.
        data: Vec<Vec<u32>>,
    },
}

/// A named column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The dotted key (`outcome`, `persona.gender`, `review.keep`).
    pub key: String,
    /// Its values.
    #[serde(flatten)]
    pub data: ColumnData,
}

/// Columns gathered row by row.
#[derive(Debug, Default)]
pub struct Columns {
    rows: usize,
    order: Vec<String>,
    by_key: HashMap<String, Gathering>,
}

impl Columns {
    /// Start the next row; the cells set until the next call belong to it.
    pub fn next_row(&mut self) {
        self.rows += 1;
    }

    fn column(&mut self, key: &str) -> &mut Gathering {
        if !self.by_key.contains_key(key) {
            self.order.push(key.to_string());
        }
        let rows = self.rows;
        let g = self.by_key.entry(key.to_string()).or_default();
        // Rows before this column first appeared, and the current one, start empty.
        while g.cells.len() < rows {
            g.cells.push(Cell::Null);
            g.sets.push(Vec::new());
        }
        g
    }

    /// Set a number in the current row.
    pub fn number(&mut self, key: &str, value: f64) {
        self.set(key, Cell::Number(value));
    }

    /// Set a text value (one of a few) in the current row.
    pub fn text(&mut self, key: &str, value: &str) {
        let g = self.column(key);
        let c = g.code(value);
        if let Some(last) = g.cells.last_mut() {
            *last = Cell::Text(c);
        }
    }

    /// Add the values of a set column (e.g. the failed clauses) to the current row.
    pub fn set_values(&mut self, key: &str, values: &[String]) {
        let g = self.column(key);
        g.is_set = true;
        let codes: Vec<u32> = values.iter().map(|v| g.code(v)).collect();
        if let Some(last) = g.sets.last_mut() {
            last.extend(codes);
            last.sort_unstable();
            last.dedup();
        }
    }

    fn set(&mut self, key: &str, cell: Cell) {
        let g = self.column(key);
        if let Some(last) = g.cells.last_mut() {
            *last = cell;
        }
    }

    /// Set every scalar leaf of `value` under `prefix` (objects are walked; arrays give their length as
    /// `key.count`; nulls are left empty).
    pub fn flatten(&mut self, prefix: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    self.flatten(&format!("{prefix}.{k}"), v);
                }
            }
            Value::Array(items) => self.number(&format!("{prefix}.count"), items.len() as f64),
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    self.number(prefix, x);
                }
            }
            Value::Bool(b) => self.set(prefix, Cell::Bool(*b)),
            Value::String(s) => self.text(prefix, s),
            Value::Null => {}
        }
    }

    /// Rows gathered.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The finished columns, in the order their keys first appeared; free-text columns are left out.
    pub fn finish(mut self) -> Vec<Column> {
        let rows = self.rows;
        let mut out = Vec::new();
        for key in self.order {
            let Some(mut g) = self.by_key.remove(&key) else {
                continue;
            };
            g.cells.resize(rows, Cell::Null);
            g.sets.resize(rows, Vec::new());
            if let Some(data) = finish_one(g) {
                out.push(Column { key, data });
            }
        }
        out
    }
}

/// Decide a column's kind from what it holds.
fn finish_one(g: Gathering) -> Option<ColumnData> {
    let (sorted, remap) = sorted_dictionary(&g.dictionary);
    if g.is_set {
        if g.too_wide {
            return None;
        }
        let data = g
            .sets
            .into_iter()
            .map(|s| {
                let mut v: Vec<u32> = s.into_iter().map(|c| remap[c as usize]).collect();
                v.sort_unstable();
                v
            })
            .collect();
        return Some(ColumnData::Set {
            values: sorted,
            data,
        });
    }
    let (mut numbers, mut bools, mut texts) = (0usize, 0usize, 0usize);
    for c in &g.cells {
        match c {
            Cell::Number(_) => numbers += 1,
            Cell::Bool(_) => bools += 1,
            Cell::Text(_) => texts += 1,
            Cell::Null => {}
        }
    }
    if numbers + bools + texts == 0 {
        return None;
    }
    if texts == 0 && bools == 0 {
        let data = g
            .cells
            .iter()
            .map(|c| match c {
                Cell::Number(x) => Some(round(*x)),
                _ => None,
            })
            .collect();
        return Some(ColumnData::Number { data });
    }
    if texts == 0 && numbers == 0 {
        let data = g
            .cells
            .iter()
            .map(|c| match c {
                Cell::Bool(b) => Some(u8::from(*b)),
                _ => None,
            })
            .collect();
        return Some(ColumnData::Bool { data });
    }
    if g.too_wide {
        return None;
    }
    // Text, or a mix: every value as text.
    let mut values: BTreeMap<String, u32> = sorted
        .iter()
        .enumerate()
        .map(|(i, v)| (v.clone(), i as u32))
        .collect();
    let mut extra = Vec::new();
    for c in &g.cells {
        let text = match c {
            Cell::Number(x) => round(*x).to_string(),
            Cell::Bool(b) => b.to_string(),
            _ => continue,
        };
        if !values.contains_key(&text) {
            values.insert(text.clone(), 0);
            extra.push(text);
        }
    }
    let all: Vec<String> = values.keys().cloned().collect();
    for (i, v) in all.iter().enumerate() {
        values.insert(v.clone(), i as u32);
    }
    let data = g
        .cells
        .iter()
        .map(|c| match c {
            Cell::Null => None,
            Cell::Text(code) => values.get(&g.dictionary[*code as usize]).copied(),
            Cell::Number(x) => values.get(&round(*x).to_string()).copied(),
            Cell::Bool(b) => values.get(&b.to_string()).copied(),
        })
        .collect();
    if all.len() > MAX_DISTINCT {
        return None;
    }
    Some(ColumnData::Enum { values: all, data })
}

/// The dictionary sorted, and the map from each old code to its new one.
fn sorted_dictionary(dictionary: &[String]) -> (Vec<String>, Vec<u32>) {
    let mut order: Vec<usize> = (0..dictionary.len()).collect();
    order.sort_by(|a, b| dictionary[*a].cmp(&dictionary[*b]));
    let mut remap = vec![0u32; dictionary.len()];
    for (new, old) in order.iter().enumerate() {
        remap[*old] = new as u32;
    }
    (
        order.iter().map(|i| dictionary[*i].clone()).collect(),
        remap,
    )
}

/// Numbers in the list keep 4 decimals: enough to sort and filter, and the index stays small.
fn round(x: f64) -> f64 {
    if x.fract() == 0.0 || !x.is_finite() {
        return x;
    }
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_follow_the_values_and_late_columns_fill_earlier_rows() {
        let mut c = Columns::default();
        c.next_row();
        c.flatten(
            "review",
            &json!({"keep": true, "fit": 0.123456, "outcome": "accepted"}),
        );
        c.set_values("failed", &[]);
        c.next_row();
        c.flatten(
            "review",
            &json!({"keep": false, "fit": 1, "outcome": "abandoned", "new_flag": true, "list": [1, 2]}),
        );
        c.set_values("failed", &["grounding.ok".to_string()]);
        let cols = c.finish();
        let get = |k: &str| cols.iter().find(|c| c.key == k).map(|c| c.data.clone());
        assert_eq!(
            get("review.keep"),
            Some(ColumnData::Bool {
                data: vec![Some(1), Some(0)]
            })
        );
        assert_eq!(
            get("review.fit"),
            Some(ColumnData::Number {
                data: vec![Some(0.1235), Some(1.0)]
            })
        );
        assert_eq!(
            get("review.outcome"),
            Some(ColumnData::Enum {
                values: vec!["abandoned".into(), "accepted".into()],
                data: vec![Some(1), Some(0)]
            })
        );
        assert_eq!(
            get("review.new_flag"),
            Some(ColumnData::Bool {
                data: vec![None, Some(1)]
            })
        );
        assert_eq!(
            get("review.list.count"),
            Some(ColumnData::Number {
                data: vec![None, Some(2.0)]
            })
        );
        assert_eq!(
            get("failed"),
            Some(ColumnData::Set {
                values: vec!["grounding.ok".into()],
                data: vec![vec![], vec![0]]
            })
        );
    }

    #[test]
    fn free_text_is_not_a_column() {
        let mut c = Columns::default();
        c.next_row();
        c.text("reason", &"a long reason ".repeat(10));
        c.number("n", 1.0);
        let cols = c.finish();
        assert_eq!(cols.len(), 1);
        assert_eq!(cols[0].key, "n");
    }
}
